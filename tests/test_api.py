"""The JSON API's own pieces: the worker pool's bound, and (with the real
model) that /api/ask gives exactly what `qa ask --json` prints."""

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import anyio
import pytest
from helpers import QA, SEEDS, Server

from qa.serve.api import ApiError, Workers


def test_the_pool_refuses_past_its_waiting_bound():
    workers = Workers(size=1, max_waiting=2)

    async def main():
        release = anyio.Event()
        results = []

        def slow():
            anyio.from_thread.run(release.wait)
            return "done"

        async def ask():
            try:
                results.append(await workers.run(slow))
            except ApiError as e:
                results.append(e.status)

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(ask)
            await anyio.sleep(0.3)
            release.set()
        return results

    assert sorted(map(str, anyio.run(main))) == ["503", "done", "done"]


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
    finally:
        server.stop()
