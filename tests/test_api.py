"""The JSON API's own pieces: value checks with the CLI's messages, the worker pool's bound, and (with the real
model) that /api/ask gives exactly what `qa ask --json` prints."""

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import anyio
import pytest
from helpers import QA, SEEDS, Server

from qa.api import MAX_K, ApiError, Workers, parse_k, parse_question
from qa.errors import QAError


@pytest.mark.parametrize("value, expected", [("3", 3), (" 7 ", 7), (1, 1), (MAX_K, MAX_K), (4.0, 4), ("50", 50)])
def test_k_that_is_a_whole_number_in_range_is_taken(value, expected):
    assert parse_k(value) == expected


@pytest.mark.parametrize("value", [0, -1, MAX_K + 1, "0", "many", "2.5", 2.5, True, None, float("nan"),
                                   float("inf"), "1e3", [3], {"k": 3}])
def test_any_other_k_is_refused_with_the_range(value):
    with pytest.raises(QAError, match=f"k must be a whole number from 1 to {MAX_K}"):
        parse_k(value)


@pytest.mark.parametrize("value, message", [("", "empty"), (" \n", "empty"), (None, "must be text"),
                                            (12, "must be text"), ("x" * 10_001, "at most 10,000")])
def test_questions_are_checked(value, message):
    with pytest.raises(QAError, match=message):
        parse_question(value)


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
