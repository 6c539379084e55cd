"""qa.serve.pool: answering processes that give what the index gives in-process, and replace one that dies."""

import asyncio
import json
import os
import signal

import pytest

from qa import Index
from qa.serve.pool import AnswerPool
from qa.service import LiveIndex

pytestmark = pytest.mark.server  # starts worker processes


@pytest.fixture(scope="module")
def pool(fake_seeds_index, fake_settings, fake):
    live = LiveIndex.of(Index.open(fake_seeds_index, settings=fake_settings, embedder=fake))
    pool = AnswerPool(live, 1)
    yield live, pool
    pool.close()


QUESTION = "How many countries does Vietnam have diplomatic relations with?"


def test_a_worker_answers_as_the_index_does_in_process(pool):
    live, workers = pool
    got = json.loads(asyncio.run(workers.answer(QUESTION, 3, "hybrid")))
    assert got == json.loads(json.dumps(live.current.answer(QUESTION, k=3, mode="hybrid").to_dict()))


def test_a_killed_worker_is_replaced_and_the_question_answered(pool):
    _, workers = pool
    (pid,) = list(workers._executor._processes)
    os.kill(pid, signal.SIGKILL)
    got = json.loads(asyncio.run(workers.answer(QUESTION, 2, "lexical")))
    assert len(got["hits"]) == 2 and pid not in workers._executor._processes
