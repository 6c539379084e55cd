"""The JSON HTTP API beside the page: the same answers as ``qa ask --json``, the documents, and the server's health.

    GET  /api/ask?q=...&k=5&mode=hybrid     the object `qa ask --json` prints
    POST /api/ask {"question", "k", "mode"}  the same
    GET  /api/documents                      id, title, date, source, passages, pages of every document
    GET  /api/documents/{doc_id}             one document with its text and its passages' offsets
    GET  /api/health                         generation, counts, model, whether the corpus changed on disk
    GET  /api/docs, /api/openapi.json        FastAPI's documentation of all of the above

Errors are JSON ``{"error": "..."}``: 400 for a bad value (the CLI's messages), 404 for an unknown document, 413
for a body over ``MAX_BODY``, 422 for a malformed body, 401 without the credentials of ``--auth``, 503 when more
questions wait than ``MAX_WAITING``. Questions are answered by ``qa.serve.pool.AnswerPool``'s worker processes, one per
core, each with the model and index loaded (or, with ``--processes 0``, in ``cores()`` threads of the server that
share its loaded ones); nothing per request re-reads files or re-opens the database.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import secrets
import threading
import time
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..config import cores
from ..errors import QAError
from ..index import DEFAULT_MODE, check_k, check_mode, check_question
from ..service import LiveIndex
from .pool import AnswerPool

#: The largest request body /api/ accepts (a question is at most MAX_QUESTION_CHARS characters).
MAX_BODY = 64 * 1024
#: Questions waiting for a worker beyond this get 503 at once rather than a growing queue.
MAX_WAITING = 256
#: How long the corpus listing behind /api/health is reused: stat-ing every file on each call would be I/O per
#: request.
HEALTH_CACHE_SECONDS = 2.0


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Workers:
    """The pool that answers questions: ``cores()`` threads, so that questions do not fight over the cores, and a
    bound on how many may wait."""

    def __init__(self, size: int | None = None, max_waiting: int = MAX_WAITING):
        self.limiter = anyio.CapacityLimiter(size or cores())
        self.max_waiting = max_waiting
        self._waiting = 0
        self._lock = threading.Lock()

    async def run(self, fn, *args):
        """``fn(*args)`` in a worker thread."""
        async with self._waiting_one():
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def wait(self, work):
        """The result of the awaitable ``work()`` (work handed to a process pool)."""
        async with self._waiting_one():
            return await work()

    @contextlib.asynccontextmanager
    async def _waiting_one(self):
        with self._lock:
            if self._waiting >= self.max_waiting:
                raise ApiError(503, "the server is busy; try again in a moment")
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1


def basic_auth(credentials: tuple[str, str] | None):
    """A dependency that wants HTTP Basic ``credentials`` when they are set (compared in constant time)."""

    async def check(request: Request) -> None:  # async: a plain function would run in a thread per request
        if credentials is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, sep, password = "", "", ""
        ok = scheme.lower() == "basic" and sep and secrets.compare_digest(user.encode(), credentials[0].encode()) \
            and secrets.compare_digest(password.encode(), credentials[1].encode())
        if not ok:
            raise ApiError(401, "this server wants a user name and password (HTTP Basic)")

    return check


def create_api(live: LiveIndex, auth: tuple[str, str] | None = None, workers: Workers | None = None,
               pool: AnswerPool | None = None) -> APIRouter:
    """The /api/ routes over the index ``live`` serves; questions are answered by ``pool``'s processes where there is
    one, else in this process's worker threads."""
    workers = workers or Workers()
    router = APIRouter(prefix="/api", dependencies=[Depends(basic_auth(auth))])
    health_cache: dict[str, Any] = {}

    async def ask(question: Any, k: Any, mode: Any) -> dict:
        # bad values are refused here, before any work
        question, k, mode = check_question(question), check_k(k), check_mode(mode)
        if pool is not None:  # the JSON itself, made in the worker process
            return Response(await workers.wait(lambda: pool.answer(question, k, mode)), media_type="application/json")
        return await workers.run(lambda: live.current.answer(question, k=k, mode=mode).to_dict())

    @router.get("/ask", summary="Answer a question with cited passages (the object `qa ask --json` prints)")
    async def ask_get(q: str = Query(..., description="the question"), k: str = Query("5", description="passages"),
                      mode: str = Query(DEFAULT_MODE, description="dense, hybrid or lexical")) -> dict:
        return await ask(q, k, mode)

    @router.post("/ask", summary="Answer a question: body {\"question\", \"k\", \"mode\"}")
    async def ask_post(request: Request) -> dict:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ApiError(422, 'the body must be a JSON object: {"question": "...", "k": 5, "mode": "hybrid"}')
        if not isinstance(body, dict) or "question" not in body:
            raise ApiError(422, 'the body must be a JSON object with a "question": {"question": "...", "k": 5}')
        return await ask(body["question"], body.get("k", 5), body.get("mode", DEFAULT_MODE))

    @router.get("/documents", summary="Every document: id, title, date, source, passages, pages")
    async def documents() -> dict:
        docs = await workers.run(live.current.documents)
        return {"documents": [{"id": d.doc_id, "title": d.title, "date": d.date, "source": d.source,
                               "passages": d.n_passages, "pages": d.pages} for d in docs]}

    @router.get("/documents/{doc_id:path}", summary="One document with its text and its passages' offsets")
    async def document(doc_id: str) -> dict:
        def read():
            index = live.current
            try:
                doc = index.document(doc_id)
            except QAError as e:
                raise ApiError(404, str(e)) from None
            passages = [{"passage": ordinal + 1, "start": s, "end": e} for ordinal, s, e in index.passages_of(doc_id)]
            return {"id": doc.doc_id, "title": doc.title, "date": doc.date, "source": doc.source, "pages": doc.pages,
                    "page_starts": list(doc.page_starts), "text": doc.text, "passages": passages}

        return await workers.run(read)

    @router.get("/health", summary="The generation served, its counts and model, whether the corpus changed on disk")
    async def health() -> dict:
        def read():
            index = live.current
            m = index.manifest
            now = time.monotonic()
            if health_cache.get("generation") != m.generation or now - health_cache.get("at", 0) > \
                    HEALTH_CACHE_SECONDS:
                changes = live.changes()
                health_cache.update(generation=m.generation, at=now, changes=changes)
            changes = health_cache["changes"]
            return {"status": "ok", "generation": m.generation, "built_at": m.built_at,
                    "documents": m.counts.documents, "passages": m.counts.passages, "model": m.model,
                    "backend": m.backend, "corpus": m.corpus, "corpus_gone": changes is None,
                    "corpus_changed": changes is None or bool(changes),
                    "changes": None if changes is None else changes.describe(most=10)}

        return await workers.run(read)

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs", include_in_schema=False)
    async def docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="qa API")

    return router


def add_error_handlers(app: FastAPI) -> None:
    """Every error of ours as JSON {"error": ...}; a user's bad input is never a 500."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        headers = {"WWW-Authenticate": 'Basic realm="qa"'} if e.status == 401 else None
        return _error(e.status, str(e), headers)

    @app.exception_handler(QAError)
    async def bad_value(request: Request, e: QAError):
        return _error(400, str(e))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, e: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg')}" for err in e.errors())
        return _error(422, f"malformed request ({problems})")
