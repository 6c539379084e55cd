"""`qa serve`: the JSON API (qa.api) and the page (qa.ui) on one port, behind a guard that holds under abuse.

The page is a Gradio app mounted on a FastAPI app that also carries /api/. Anyone who reaches the port may call
any route, not only what the page shows, so the guard (a plain ASGI middleware, in front of both):
- adds headers that keep the page out of other sites' frames and stop content sniffing;
- refuses a request body over ``MAX_BODY`` on /api/ and over ``MAX_UPLOAD_MB`` on Gradio's upload (413);
- answers 404, not Gradio's 500, for an event that does not exist or is not offered (``/gradio_api/call/rebuild``
  without --allow-rebuild, an unknown ``fn_index``);
- slows password guessing: at most ``LOGIN_ATTEMPTS`` logins per client address a minute (429).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict, deque

from .api import MAX_BODY, Workers, add_error_handlers, create_api
from .service import LiveIndex, Watcher
from .ui import CSS, build_app

#: A gold set is a few hundred lines of JSON: a cap far above that still stops a 300 MB upload at once.
MAX_UPLOAD_MB = 5
#: Logins per client address per minute before 429.
LOGIN_ATTEMPTS = 10
#: Uploaded files are deleted when they are this old (seconds), checked this often, and when the server stops.
UPLOAD_MAX_AGE, UPLOAD_SWEEP = 600, 60
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class Guard:
    """ASGI middleware: security headers, body limits, 404 for events not offered, a login rate limit."""

    def __init__(self, app, blocks, allowed_api_names: set[str]):
        self.app = app
        self.blocks = blocks
        self.allowed_api_names = allowed_api_names
        self.logins: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        limit = _body_limit(path)
        if method == "POST" and limit is not None:
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                return await _json(send_with_headers, 413, f"the request body is over {limit // 1024:,} KiB")
            receive = _capped(receive, limit)
        if method == "POST" and path.rstrip("/").endswith("/login") and not self._may_log_in(scope):
            return await _json(send_with_headers, 429, "too many login attempts; wait a minute")
        refusal = await self._event_refusal(scope, path, method, receive)
        if refusal is not None:
            status, message, receive = refusal
            if status:
                return await _json(send_with_headers, status, message)
        try:
            await self.app(scope, receive, send_with_headers)
        except _TooLarge:
            await _json(send_with_headers, 413, f"the request body is over {limit // 1024:,} KiB")

    def _may_log_in(self, scope) -> bool:
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        with self.lock:
            attempts = self.logins[client]
            while attempts and now - attempts[0] > 60:
                attempts.popleft()
            if len(attempts) >= LOGIN_ATTEMPTS:
                return False
            attempts.append(now)
            return True

    async def _event_refusal(self, scope, path, method, receive):
        """(status, message, receive) when a Gradio event call names an event that is not offered, or brings the
        wrong number of values (Gradio would fail on it with an empty error). ``receive`` replays a body read."""
        if method != "POST" or not path.startswith("/gradio_api/"):
            return None
        rest = path[len("/gradio_api/"):].strip("/").split("/")
        if rest[0] in ("call", "run", "api") and len(rest) >= 2:
            name = rest[2] if rest[1] == "v2" and len(rest) > 2 else rest[1]
            if name not in self.allowed_api_names:
                return 404, f"no such endpoint: /{name}", receive
            fn = next(f for f in self.blocks.fns.values() if f.api_name == name)
        elif rest == ["queue", "join"]:
            fn = None
        else:
            return None
        body, receive = await _read_body(receive)
        try:
            payload = json.loads(body)
            data = payload.get("data")
            fn_index = payload.get("fn_index") if fn is None else fn._id
        except (ValueError, AttributeError, UnicodeDecodeError):
            return 422, "malformed request: a JSON object with \"data\" expected", receive
        if fn is None:
            if not isinstance(fn_index, int) or fn_index not in self.blocks.fns:
                return 404, f"no such event: {fn_index!r}", receive
            fn = self.blocks.fns[fn_index]
        if not isinstance(data, list) or len(data) != len(fn.inputs):
            got = len(data) if isinstance(data, list) else type(data).__name__
            return 422, f"this event takes {len(fn.inputs)} values in \"data\", got {got}", receive
        return None, "", receive


def _body_limit(path: str) -> int | None:
    if path.startswith("/api/"):
        return MAX_BODY
    if path.startswith("/gradio_api/upload"):
        return MAX_UPLOAD_MB * 2**20 + 64 * 1024  # the file and its multipart envelope
    if path.startswith("/gradio_api/"):
        return MAX_BODY
    return None


class _TooLarge(Exception):
    pass


def _capped(receive, limit: int):
    """``receive`` that raises once more than ``limit`` bytes of body arrived (a chunked body has no length)."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge()
        return message

    return wrapped


async def _read_body(receive) -> tuple[bytes, object]:
    """The whole (already size-capped) body, and a ``receive`` that replays it to the app."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _json(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(live: LiveIndex, allow_rebuild: bool = False, auth: tuple[str, str] | None = None):
    """The FastAPI app `qa serve` runs: /api/ and the page, behind the guard."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi import FastAPI

    app = FastAPI(title="qa", description="Answers from a folder of documents, with the passages that say so.",
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    add_error_handlers(app)
    app.include_router(create_api(live, auth, Workers()))
    blocks = build_app(live, allow_rebuild, delete_cache=(UPLOAD_SWEEP, UPLOAD_MAX_AGE))
    blocks.queue(default_concurrency_limit=4)
    app = gr.mount_gradio_app(app, blocks, path="/", auth=auth, max_file_size=f"{MAX_UPLOAD_MB}mb",
                              show_error=False, css=CSS)
    named = {fn.api_name for fn in blocks.fns.values() if fn.api_name and fn.api_visibility == "public"}
    app.add_middleware(Guard, blocks=blocks, allowed_api_names=named)
    return app


def serve(live: LiveIndex, host: str = "127.0.0.1", port: int = 7860, allow_rebuild: bool = False,
          auth: tuple[str, str] | None = None, watch: bool = True) -> None:
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"qa: warning: serving on {host}: anyone who can reach this machine can read the corpus"
              + ("" if auth else "; consider --auth USER:PASSWORD"), file=sys.stderr)
    live.current.embedder.encode(["warm up"])  # load the model now, not on the first visitor's question
    app = create_app(live, allow_rebuild, auth)
    watcher = Watcher(live) if watch else None
    print(f"qa: serving {live.corpus} on http://{host}:{port}/ (API: http://{host}:{port}/api/docs)",
          file=sys.stderr)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    finally:
        if watcher:
            watcher.stop()
