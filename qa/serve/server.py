"""`qa serve`: the JSON API (qa.serve.api) and the page (qa.serve.ui) on one port, behind a guard that holds under
abuse.

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
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from ..config import cores
from ..service import LiveIndex, Watcher
from .api import MAX_BODY, Workers, add_error_handlers, create_api
from .pool import AnswerPool
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
        over = {"over": False, "answered": False}
        too_large = f"the request body is over {limit // 1024:,} KiB" if limit else ""
        if method == "POST" and limit is not None:
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                return await _json(send_with_headers, 413, too_large)
            receive = _capped(receive, limit, over)
            plain_send = send_with_headers

            async def send_with_headers(message):  # once the cap is passed, the app's own answer is replaced
                if not over["over"]:
                    return await plain_send(message)
                if not over["answered"]:
                    over["answered"] = True
                    await _json(plain_send, 413, too_large)
        if method == "POST" and path.rstrip("/").endswith("/login") and not self._may_log_in(scope):
            return await _json(send_with_headers, 429, "too many login attempts; wait a minute")
        refusal = await self._event_refusal(scope, path, method, receive)
        if refusal is not None:
            status, message, receive = refusal
            if status:
                return await _json(send_with_headers, status, message)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not over["over"]:
                raise
        if over["over"] and not over["answered"]:
            over["answered"] = True
            await _json(plain_send, 413, too_large)

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


def _capped(receive, limit: int, over: dict):
    """``receive`` that reports the client gone once more than ``limit`` bytes of body arrived (a chunked body has
    no length to check first), and marks ``over`` so that the guard answers 413 instead of the app."""
    seen = 0

    async def wrapped():
        nonlocal seen
        if over["over"]:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                over["over"] = True
                return {"type": "http.disconnect"}
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


def create_app(live: LiveIndex, allow_rebuild: bool = False, auth: tuple[str, str] | None = None,
               allow_evaluate: bool = False, pool: AnswerPool | None = None):
    """The FastAPI app `qa serve` runs: /api/ and the page, behind the guard. The page's Evaluate runs only where
    the server was started to allow it, or its visitors log in (``auth``): anonymous callers of the port cannot
    start one."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi import FastAPI

    # the API's own /api/docs and /api/openapi.json (qa.serve.api) sit behind its credentials like every /api/ route
    app = FastAPI(title="qa", description="Answers from a folder of documents, with the passages that say so.",
                  docs_url=None, openapi_url=None, redoc_url=None)
    add_error_handlers(app)
    app.include_router(create_api(live, auth, Workers(), pool))
    blocks = build_app(live, allow_rebuild, delete_cache=(UPLOAD_SWEEP, UPLOAD_MAX_AGE),
                       allow_evaluate=allow_evaluate or auth is not None)
    blocks.queue(default_concurrency_limit=4)
    app = gr.mount_gradio_app(app, blocks, path="/", auth=auth, max_file_size=f"{MAX_UPLOAD_MB}mb",
                              show_error=False, css=CSS)
    named = {fn.api_name for fn in blocks.fns.values() if fn.api_name and fn.api_visibility == "public"}
    app.add_middleware(Guard, blocks=blocks, allowed_api_names=named)
    return app


class Sweeper:
    """Deletes what uploads leave in the server's own upload folder once it is ``max_age`` seconds old (Gradio's
    cache sweep does not reach its upload parser's temporary files: an empty one per upload, a partial one per
    upload cut off at the cap)."""

    def __init__(self, folder: Path, max_age: float = UPLOAD_MAX_AGE, every: float = UPLOAD_SWEEP):
        self.folder, self.max_age, self.every = Path(folder), max_age, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qa-sweeper", daemon=True)
        self._thread.start()

    def sweep(self) -> None:
        cutoff = time.time() - self.max_age
        for path in sorted(self.folder.rglob("*"), key=lambda p: -len(p.parts)):  # files before their folders
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            except OSError:
                pass

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sweep()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def serve(live: LiveIndex, host: str = "127.0.0.1", port: int = 7860, allow_rebuild: bool = False,
          auth: tuple[str, str] | None = None, watch: bool = True, allow_evaluate: bool = False,
          processes: int | None = None) -> None:
    """Serve the page and the API until stopped. ``/api/ask`` is answered by ``processes`` worker processes (default:
    one per core where there are several; 0: by threads of this process)."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"qa: warning: serving on {host}: anyone who can reach this machine can read the corpus"
              + ("" if auth else "; consider --auth USER:PASSWORD"), file=sys.stderr)
    live.current.embedder.encode(["warm up"])  # load the model now, not on the first visitor's question
    # This process is the server: uploads go to a folder of its own, swept while it runs and removed when it stops.
    uploads = Path(tempfile.mkdtemp(prefix="qa-serve-uploads-"))
    os.environ["GRADIO_TEMP_DIR"] = str(uploads)
    processes = cores() if processes is None and cores() > 1 else processes or 0
    pool = AnswerPool(live, processes) if processes else None
    app = create_app(live, allow_rebuild, auth, allow_evaluate, pool)
    watcher = Watcher(live) if watch else None
    sweeper = Sweeper(uploads)
    print(f"qa: serving {live.corpus} on http://{host}:{port}/ (API: http://{host}:{port}/api/docs)",
          file=sys.stderr)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: exit through Python, so that the
    # clean-up below runs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    finally:
        sweeper.stop()
        if watcher:
            watcher.stop()
        if pool:
            pool.close()
        shutil.rmtree(uploads, ignore_errors=True)
