"""How a served question is answered, the one way for every interface of `qa serve` (the JSON API, its batches, the
MCP server): checked as the CLI checks it, then answered by the answering processes (``qa.serve.pool``) or, with
``--processes 0``, by worker threads of the server, with a bound on how many may wait.

The answer travels as the JSON ``qa ask --json`` prints (UTF-8 bytes, made where it was answered, so that the
server only passes it on)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

import anyio

from ..config import cores
from ..errors import QAError
from ..index import DEFAULT_MODE, check_k, check_mode, check_question
from ..rank.scope import EVERYTHING, FIELDS, Scope
from ..service import LiveIndex
from .pool import AnswerPool

#: Questions waiting for a worker beyond this get 503 at once rather than a growing queue.
MAX_WAITING = 256
#: The most questions one batch may hold (``POST /api/ask/batch``, ``qa ask --file`` reads any number): a batch is
#: answered all at once, so its size bounds the work one request can ask for.
MAX_BATCH = 100
#: The most characters ``read_document`` hands back in one piece.
MAX_READ = 20_000


class Busy(Exception):
    """More questions wait than ``MAX_WAITING``."""


@dataclass(frozen=True)
class Question:
    """A question as an interface received it, checked: refused with the CLI's messages before any work."""

    text: str
    k: int = 5
    mode: str = DEFAULT_MODE
    scope: Scope = EVERYTHING

    @classmethod
    def of(cls, question: Any, k: Any = 5, mode: Any = DEFAULT_MODE, scope: Scope = EVERYTHING) -> Question:
        return cls(check_question(question), check_k(k), check_mode(mode), scope)

    @classmethod
    def from_json(cls, item: Any, k: Any = 5, mode: Any = DEFAULT_MODE, scope: Scope = EVERYTHING) -> Question:
        """From a JSON object {"question", "k", "mode"} and the scope fields (doc, folder, type, kind, since, until,
        pages), or the question as a string (``k``, ``mode`` and ``scope``: what an item that does not say gets)."""
        if isinstance(item, str):
            return cls.of(item, k, mode, scope)
        if not isinstance(item, dict) or "question" not in item:
            raise QAError('each question must be a string or an object {"question": "...", "k": 5, "mode": "hybrid"}')
        unknown = sorted(set(item) - set(QUESTION_FIELDS))
        if unknown:
            raise QAError(f"unknown field {unknown[0]!r}; a question takes {', '.join(QUESTION_FIELDS)}")
        fields = {f: item[f] for f in FIELDS if f in item}
        return cls.of(item["question"], item.get("k", k), item.get("mode", mode),
                      Scope.of(**fields) if fields else scope)


#: What a question may carry in JSON: the question, k, mode, the scope's fields and an id of the caller's.
QUESTION_FIELDS = ("question", "k", "mode", *FIELDS, "id")


class Asker:
    """Answers checked questions for a server: in ``pool``'s processes where there is one, else in ``cores()``
    threads of this process, sharing its loaded index."""

    def __init__(self, live: LiveIndex, pool: AnswerPool | None = None, max_waiting: int = MAX_WAITING):
        self.live, self.pool = live, pool
        self.limiter = anyio.CapacityLimiter(cores())
        self.max_waiting = max_waiting
        self._waiting = 0
        self._lock = threading.Lock()

    async def answer(self, question: Question) -> bytes:
        """The answer's JSON, as ``qa ask --json`` prints it."""
        async with self._waiting_for(1):
            return await self._answer(question)

    async def answer_all(self, questions: list[Question | QAError]) -> list[bytes | QAError]:
        """Each question's answer (or its error, as given), answered side by side, in order."""
        asked = [q for q in questions if isinstance(q, Question)]
        async with self._waiting_for(len(asked)):
            answers = iter(await asyncio.gather(*(self._answer(q) for q in asked), return_exceptions=True))
        out = [q if isinstance(q, QAError) else next(answers) for q in questions]
        for a in out:
            if isinstance(a, BaseException) and not isinstance(a, QAError):  # a scope that holds nothing is the
                raise a  # item's own error; anything else is the server's
        return out

    async def run(self, fn, *args):
        """``fn(*args)`` in a worker thread (reading documents, the health check)."""
        async with self._waiting_for(1):
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def _answer(self, q: Question) -> bytes:
        if self.pool is not None:  # the JSON itself, made in the worker process
            return await self.pool.answer(q.text, q.k, q.mode, q.scope)
        return await anyio.to_thread.run_sync(self._here, q, limiter=self.limiter)

    def _here(self, q: Question) -> bytes:
        import orjson  # Gradio's own JSON library: the server has it

        return orjson.dumps(self.live.current.answer(q.text, k=q.k, mode=q.mode, scope=q.scope).to_dict())

    @contextlib.asynccontextmanager
    async def _waiting_for(self, n: int):
        with self._lock:
            if self._waiting + n > self.max_waiting:
                raise Busy("the server is busy; try again in a moment")
            self._waiting += n
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= n


def read_document(live: LiveIndex, doc_id: str, start: int = 0, end: int | None = None) -> dict:
    """Characters ``start`` to ``end`` of a document's stored text (at most ``MAX_READ``; the text every citation's
    offsets point into), with its title and length."""
    doc = live.current.document(doc_id)
    start = max(0, int(start))
    end = len(doc.text) if end is None else min(len(doc.text), int(end))
    if end < start:
        raise QAError(f"end ({end}) is before start ({start})")
    end = min(end, start + MAX_READ)
    return {"doc_id": doc.doc_id, "title": doc.title, "date": doc.date, "source": doc.source, "start": start,
            "end": end, "length": len(doc.text), "text": doc.text[start:end]}
