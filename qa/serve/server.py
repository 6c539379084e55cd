"""`qa serve`: the JSON API (qa.serve.api) and the page (qa.serve.ui) on one port, behind the guard
(qa.serve.guard) that holds under abuse: the page is a Gradio app mounted on a FastAPI app that also carries /api/.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..config import cores
from ..errors import QAError
from ..service import FolderWatcher, LiveIndex, Watcher
from .api import add_error_handlers, create_api
from .asking import Asker
from .guard import LOOPBACK, MAX_UPLOAD_MB, Guard, Network, bound_queue
from .mcp import create_mcp, http_routes
from .pageparts import PAGE_CSS
from .pool import AnswerPool
from .ui import CSS, build_app

#: Uploaded files are deleted when they are this old (seconds), checked this often, and when the server stops.
UPLOAD_MAX_AGE, UPLOAD_SWEEP = 600, 60


def create_app(live: LiveIndex, allow_rebuild: bool = False, auth: tuple[str, str] | None = None,
               allow_evaluate: bool = False, pool: AnswerPool | None = None, network: Network | None = None,
               watching: bool = False, allow_upload: bool = False):
    """The FastAPI app `qa serve` runs: /api/ and the page, behind the guard. The page's Evaluate runs only where
    the server was started to allow it, or its visitors log in (``auth``): anonymous callers of the port cannot
    start one. Documents may be added from the page with ``allow_upload`` or ``auth``; one upload may then be as large
    as a file the build reads (``--max-file-mb``)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi import FastAPI

    asker = Asker(live, pool)
    tools = create_mcp(live, asker)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        async with tools.session_manager.run():
            yield

    # the API's own /api/docs and /api/openapi.json (qa.serve.api) sit behind its credentials like every /api/ route
    app = FastAPI(title="qa", description="Answers from a folder of documents, with the passages that say so.",
                  docs_url=None, openapi_url=None, redoc_url=None, lifespan=lifespan)
    add_error_handlers(app)
    app.include_router(create_api(live, asker))
    app.router.routes.extend(http_routes(tools))  # /mcp, before the page that is mounted at /
    blocks = build_app(live, allow_rebuild, delete_cache=(UPLOAD_SWEEP, UPLOAD_MAX_AGE),
                       allow_evaluate=allow_evaluate or auth is not None, watching=watching,
                       allow_upload=allow_upload or auth is not None)
    blocks.queue(default_concurrency_limit=4)
    bound_queue(blocks)
    upload_mb = max(MAX_UPLOAD_MB, live.settings.max_file_mb) if allow_upload or auth else MAX_UPLOAD_MB
    app = gr.mount_gradio_app(app, blocks, path="/", auth=auth, max_file_size=int(upload_mb * 2**20),
                              show_error=False, css=CSS + PAGE_CSS)
    named = {fn.api_name for fn in blocks.fns.values() if fn.api_name and fn.api_visibility == "public"}
    # the page's own Gradio app, which keeps the login tokens (blocks.app is another one, made by queue())
    page = next(r.app for r in app.routes if hasattr(getattr(r, "app", None), "tokens"))
    app.add_middleware(Guard, blocks=blocks, allowed_api_names=named, network=network or Network.of("127.0.0.1"),
                       auth=auth, upload_mb=upload_mb, page=page)
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
          processes: int | None = None, allow_hosts: tuple[str, ...] = (),
          trusted_proxies: tuple[str, ...] = (), sock=None, follow: bool = False,
          allow_upload: bool = False) -> None:
    """Serve the page and the API until stopped. ``/api/ask`` is answered by ``processes`` worker processes (default:
    one per core where there are several; 0: by threads of this process). Only requests for loopback names, the
    address bound and ``allow_hosts`` are answered; forwarding headers only from ``trusted_proxies``. ``sock``: the
    listening socket, when the caller bound it already (``bind``). ``follow``: watch the corpus folder and update the
    index as it changes (``FolderWatcher``)."""
    import uvicorn

    sock = sock or bind(host, port)
    network = Network.of(host, allow_hosts, trusted_proxies)
    if host not in LOOPBACK:
        print(f"qa: warning: serving on {host}: anyone who can reach this machine can read the corpus"
              + ("" if auth else "; consider --auth-file FILE") + "; it answers for the host names "
              + ", ".join(sorted(network.hosts)) + " (add others with --allow-host NAME)", file=sys.stderr)
    live.current.embedder.encode(["warm up"])  # load the model now, not on the first visitor's question
    # This process is the server: uploads go to a folder of its own, swept while it runs and removed when it stops.
    uploads = Path(tempfile.mkdtemp(prefix="qa-serve-uploads-"))
    os.environ["GRADIO_TEMP_DIR"] = str(uploads)
    processes = cores() if processes is None and cores() > 1 else processes or 0
    pool = AnswerPool(live, processes) if processes else None
    app = create_app(live, allow_rebuild, auth, allow_evaluate, pool, network, watching=follow,
                     allow_upload=allow_upload)
    watcher = Watcher(live) if watch else None
    follower = FolderWatcher(live) if follow else None
    sweeper = Sweeper(uploads)
    shown = f"[{host}]" if ":" in host else host
    print(f"qa: serving {live.corpus} on http://{shown}:{port}/ (API: http://{shown}:{port}/api/docs)",
          file=sys.stderr)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: exit through Python, so that the
    # clean-up below runs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, and any local caller could
    # claim to be another client; the guard honours it from --trusted-proxy only
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5, proxy_headers=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sweeper.stop()
        if follower:
            follower.stop()
        if watcher:
            watcher.stop()
        if pool:
            pool.close()
        shutil.rmtree(uploads, ignore_errors=True)


def bind(host: str, port: int):
    """A listening socket on ``host``:``port``, or the error that says why not (a busy port, an address this machine
    does not have)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        why = "the port is in use (another qa serve?); choose another with --port" if e.errno == errno.EADDRINUSE \
            else e.strerror or str(e)
        raise QAError(f"cannot serve on {host}:{port}: {why}") from None
    sock.set_inheritable(True)
    return sock
