"""The JSON HTTP API beside the page: the same answers as ``qa ask --json``, the documents, and the server's health.

    GET  /api/ask?q=...&k=5&mode=hybrid     the object `qa ask --json` prints; scope: &doc= &folder= &type= &kind=
                                             &since= &until= &pages= (qa.rank.scope)
    POST /api/ask {"question", "k", "mode"}  the same, with the scope's fields beside them
    POST /api/ask/batch {"questions": [...]} up to MAX_BATCH questions at once: {"answers": [...]} in order
    GET  /api/documents                      id, title, date, source, passages, pages of every document
    GET  /api/documents/{doc_id}             one document with its text and its passages' offsets
    GET  /api/documents/{doc_id}/pages/{n}.png  a PDF's page n drawn, characters &start=&end= lit (a hit's offsets),
                                             its answer sentence &sentence_start=&sentence_end= more strongly
    GET  /api/documents/{doc_id}/file        the original file (a PDF opens in the browser: add #page=n)
    GET  /api/health                         generation, counts, model, whether the corpus changed on disk
    GET  /api/docs, /api/openapi.json        FastAPI's documentation of all of the above

Errors are JSON ``{"error": "..."}``: 400 for a bad value (the CLI's messages), 404 for an unknown document, page or
route, 409 for a file changed since the build, 405 for a method a route does not take, 422 for a malformed body, 503 when more questions wait than
``MAX_WAITING``; the guard's own (401, 413, 429, ...) are listed in qa.serve.guard. Questions are answered by
``qa.serve.pool.AnswerPool``'s worker processes, one per core, each with the model and index loaded (or, with
``--processes 0``, in ``cores()`` threads of the server that share its loaded ones); nothing per request re-reads
files or re-opens the database.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..errors import NotFoundError, QAError, StaleIndexError
from ..index import DEFAULT_MODE
from ..service import LiveIndex
from ..rank.scope import Scope
from .asking import MAX_BATCH, Asker, Busy, Question

#: The HTTP status of each error of ours (the most specific class that matches); any other QAError is a bad value.
STATUS = {NotFoundError: 404, StaleIndexError: 409, QAError: 400}
#: What the original file is sent as. Only a PDF is shown by the browser as itself; HTML and Markdown go as plain
#: text (a page of the corpus must never run script on this server's origin), a Word file is a download.
MEDIA_TYPES = {".pdf": ("application/pdf", "inline"), ".docx": (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment")}
PLAIN = ("text/plain; charset=utf-8", "inline")

#: How long the corpus listing behind /api/health is reused: stat-ing every file on each call would be I/O per
#: request.
HEALTH_CACHE_SECONDS = 2.0


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _json(data: bytes) -> Response:
    return Response(data, media_type="application/json")


def create_api(live: LiveIndex, asker: Asker) -> APIRouter:
    """The /api/ routes over the index ``live`` serves, its questions answered by ``asker``. Credentials are the
    guard's to check (qa.serve.guard), like every other bound on what a caller may do."""
    router = APIRouter(prefix="/api")
    health_cache: dict[str, Any] = {}

    @router.get("/ask", summary="Answer a question with cited passages (the object `qa ask --json` prints)")
    async def ask_get(q: str = Query(..., description="the question"), k: str = Query("5", description="passages"),
                      mode: str = Query(DEFAULT_MODE, description="dense, hybrid or lexical"),
                      doc: list[str] | None = Query(None, description="only these documents (ids)"),
                      folder: list[str] | None = Query(None, description="only documents under this folder"),
                      type: list[str] | None = Query(None, description="only files of this type: pdf, docx, md, ..."),
                      kind: list[str] | None = Query(None, description="only passages of this kind: text, caption, "
                                                                       "table"),
                      since: str | None = Query(None, description="only documents dated on or after (YYYY-MM-DD)"),
                      until: str | None = Query(None, description="only documents dated on or before"),
                      pages: str | None = Query(None, description="only PDF pages, e.g. 2-5")) -> dict:
        scope = Scope.of(doc, folder, type, kind, since, until, pages)
        return _json(await asker.answer(Question.of(q, k, mode, scope)))

    @router.post("/ask", summary="Answer a question: body {\"question\", \"k\", \"mode\"} and scope fields")
    async def ask_post(request: Request) -> dict:
        body = await _body(request, 'a JSON object: {"question": "...", "k": 5, "mode": "hybrid"}')
        if not isinstance(body, dict) or "question" not in body:
            raise ApiError(422, 'the body must be a JSON object with a "question": {"question": "...", "k": 5}')
        return _json(await asker.answer(Question.from_json(body)))

    @router.post("/ask/batch", summary=f"Answer up to {MAX_BATCH} questions at once: body {{\"questions\": [...]}}")
    async def ask_batch(request: Request) -> dict:
        """Each item a question (a string) or {"question", "k", "mode", "id"}; the answers come back in order as
        {"answers": [...]}, each the object /api/ask gives, or {"error": "..."} for an item that was refused."""
        body = await _body(request, f'a JSON object: {{"questions": ["...", {{"question": "...", "k": 3}}]}}, at '
                                    f'most {MAX_BATCH}')
        items = body.get("questions") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
            raise ApiError(422, f'the body must be {{"questions": [...]}} with 1 to {MAX_BATCH} questions')
        questions = [_checked(item) for item in items]
        answers = await asker.answer_all(questions)
        ids = [item.get("id") if isinstance(item, dict) else None for item in items]
        parts = [b'{"error": ' + json.dumps(str(a)).encode() + b"}" if isinstance(a, QAError) else a for a in answers]
        parts = [p if i is None else b'{"id": ' + json.dumps(i).encode() + b", " + p[1:] for p, i in zip(parts, ids)]
        return _json(b'{"answers": [' + b", ".join(parts) + b"]}")

    @router.get("/documents", summary="Every document: id, title, date, source, passages, pages")
    async def documents() -> dict:
        docs = await asker.run(live.current.documents)
        return {"documents": [{"id": d.doc_id, "title": d.title, "date": d.date, "source": d.source,
                               "passages": d.n_passages, "pages": d.pages} for d in docs]}

    # before /documents/{doc_id:path}, which would take ".../pages/1.png" as part of an id
    @router.get("/documents/{doc_id:path}/pages/{page}.png", summary="A PDF page drawn, the characters asked for lit",
                response_class=Response, responses={200: {"content": {"image/png": {}}}})
    async def page_image(doc_id: str, page: int, start: int | None = Query(None, description="first character lit"),
                         end: int | None = Query(None, description="end of the characters lit"),
                         sentence_start: int | None = Query(None, description="the answer sentence, lit more strongly"),
                         sentence_end: int | None = Query(None)) -> Response:
        passage, sentence = _span("start", start, end), _span("sentence_start", sentence_start, sentence_end)
        png = await asker.run(live.current.page_image, doc_id, page, passage, sentence)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    @router.get("/documents/{doc_id:path}/file", summary="The original file, as the corpus folder holds it now",
                response_class=Response)
    async def original(doc_id: str) -> Response:
        data = await asker.run(live.current.original, doc_id)
        media_type, disposition = MEDIA_TYPES.get(_suffix(doc_id), PLAIN)
        name = quote(doc_id.rsplit("/", 1)[-1], safe="")
        return Response(data, media_type=media_type, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}", "Cache-Control": "private, no-cache",
            "Content-Security-Policy": "sandbox" if media_type == PLAIN[0] else "frame-ancestors 'none'"})

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
                    "page_starts": list(doc.page_starts), "text": doc.text, "passages": passages,
                    "headings": [{"start": s, "end": e, "level": level} for s, e, level in doc.headings]}

        return await asker.run(read)

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

        return await asker.run(read)

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs", include_in_schema=False)
    async def docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="qa API")

    # a known route asked with another method is 405 with the methods it takes; an unknown one under /api/ is a JSON
    # 404 (else the page mounted at / would answer it)
    for path, methods in _methods_by_path(router).items():
        router.add_api_route(path[len("/api"):], _not_allowed(methods), methods=sorted(ALL_METHODS - methods),
                             include_in_schema=False)
    router.add_api_route("/{rest:path}", _no_such_route, methods=sorted(ALL_METHODS), include_in_schema=False)
    return router


ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _methods_by_path(router: APIRouter) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for route in router.routes:
        found.setdefault(route.path, set()).update(route.methods - {"HEAD"})
    return found


def _not_allowed(methods: set[str]):
    allow = ", ".join(sorted(methods))

    async def refuse() -> JSONResponse:
        return _error(405, f"this route takes {allow}", {"Allow": allow})

    return refuse


async def _no_such_route(rest: str) -> JSONResponse:
    return _error(404, f"no such route: /api/{rest}; see /api/docs")


async def _body(request: Request, expected: str) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, f"the body must be {expected}") from None


def _span(name: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        other = name.replace("start", "end") if start is not None else name
        raise QAError(f"{other} is missing: give both ends of the characters to light, or neither")
    return start, end


def _suffix(doc_id: str) -> str:
    name = doc_id.rsplit("/", 1)[-1]
    return name[name.rfind("."):].lower() if "." in name else ""


def _checked(item: Any) -> Question | QAError:
    try:
        return Question.from_json(item)
    except QAError as e:
        return e


def add_error_handlers(app: FastAPI) -> None:
    """Every error of ours as JSON {"error": ...}; a user's bad input is never a 500."""

    @app.exception_handler(Busy)
    async def busy(request: Request, e: Busy):
        return _error(503, str(e))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        headers = {"WWW-Authenticate": 'Basic realm="qa"'} if e.status == 401 else None
        return _error(e.status, str(e), headers)

    @app.exception_handler(QAError)
    async def ours(request: Request, e: QAError):
        return _error(next(code for kind, code in STATUS.items() if isinstance(e, kind)), str(e))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, e: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg')}" for err in e.errors())
        return _error(422, f"malformed request ({problems})")
