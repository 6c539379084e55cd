"""The JSON API with the real model: /api/ask gives exactly what `qa ask --json` prints."""

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest
from helpers import QA, SEEDS, Server


@pytest.mark.model
def test_api_ask_equals_qa_ask_json(tmp_path):
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    server = Server(corpus, tmp_path / "index")
    try:
        question = "Which university is Tran Le Hung from?"
        with urllib.request.urlopen(server.url + "api/ask?q=" + urllib.parse.quote(question), timeout=60) as r:
            by_api = json.loads(r.read())
        cli = subprocess.run([QA, "ask", "--json", question, "--corpus", corpus, "--index-dir", tmp_path / "index"],
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        assert by_api == json.loads(cli.stdout)
        assert by_api["hits"][0]["doc_id"] == "003_ac1e5deb08e04087.txt" and by_api["hits"][0]["answer_spans"]
        short = by_api["answer"]
        assert short["text"] == "Gustave Eiffel University" and by_api["abstain_reason"] is None
        assert (corpus / short["doc_id"]).read_text(encoding="utf-8")[short["start"]:short["end"]] == short["text"]
    finally:
        server.stop()
