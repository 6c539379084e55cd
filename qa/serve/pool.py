"""Answering questions in worker processes: one per core, each with the index and the model loaded, each following
the generation ``CURRENT`` names (``qa.service.Watcher``), as replicas do.

An answer is ~2 ms, most of it Python; in threads of one process, answers take turns at its interpreter lock, and
a server could not use more than about one core for them however many it has. A process of its own per core lets
them run side by side (measured: bench/api.py). The index files are memory-mapped (qa.store.layout), so the
processes share one copy of them in the page cache, and they are forked from a fork server that has imported the
libraries, so those are one copy too (``PRELOAD``); each adds what it allocates itself (bench/scale.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..config import Settings
from ..index import Index
from ..models.embedding import BACKENDS, make_embedder
from ..rank.scope import EVERYTHING, Scope
from ..service import LiveIndex, Watcher
from ..store.layout import Generation


class AnswerPool:
    """``processes`` worker processes answering ``(question, k, mode, scope)`` with the JSON of ``Index.answer`` (UTF-8
    bytes: made in the worker, so that the server only passes them on)."""

    def __init__(self, live: LiveIndex, processes: int):
        self.processes = processes
        # the backend's class travels by reference, so that a backend registered at run time (a plugin, or the
        # tests' fake one) exists in the workers too
        self._args = (str(live.index_dir), live.settings.as_dict(), BACKENDS[live.settings.backend])
        self._restarting: asyncio.Lock | None = None
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(self.processes, mp_context=_context(),
                                       initializer=_start_worker, initargs=self._args)
        for future in [executor.submit(_ready) for _ in range(self.processes)]:
            future.result()  # every worker loaded and warm before the first visitor
        return executor

    async def answer(self, question: str, k: int, mode: str, scope: Scope = EVERYTHING) -> bytes:
        """The JSON of ``Index.answer``, as ``qa ask --json`` prints it. A worker that died (killed, out of
        memory) breaks the whole pool: it is replaced and the question asked again, once."""
        executor = self._executor
        try:
            return await asyncio.wrap_future(executor.submit(_answer, question, k, mode, scope))
        except BrokenProcessPool:
            self._restarting = self._restarting or asyncio.Lock()  # made in the server's event loop
            async with self._restarting:
                if self._executor is executor:  # the first to notice replaces it; the others wait for that
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = await asyncio.to_thread(self._start)
            return await asyncio.wrap_future(self._executor.submit(_answer, question, k, mode, scope))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


#: What the fork server imports once, before it forks the workers: their code and the libraries' own memory (what
#: loading a shared library writes: relocations, tables) are then one copy for all of them. Nothing here starts a
#: thread at import (a thread pool does not survive a fork); ONNX Runtime's sessions, OpenMP's and the tokenizer's
#: pools start in each worker, after the fork. Measured on the seeds' index: a worker's own memory (Private_Dirty)
#: 46 -> 16 MB, its PSS 59 -> 31 MB (bench/scale.py measures it on a large index).
PRELOAD = ["numpy", "scipy.sparse", "faiss", "bm25s", "onnxruntime", "tokenizers", "qa.serve.pool"]


def _context():
    """Workers forked from a fork server, which is started clean (not forked from this server, whose thread pools a
    fork would break) and has imported ``PRELOAD``; spawned where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # an import that fails is skipped by the fork server: it then happens
    return context                           # in each worker, as it would when spawned


# --- in each worker process ----------------------------------------------------------------------------------------

_live: LiveIndex | None = None


def _start_worker(index_dir: str, settings: dict, backend: type) -> None:
    global _live
    BACKENDS.setdefault(backend.backend, backend)
    settings = Settings(**settings)
    # one core each: the pool has a process per core
    index = Index(Generation.load(Path(index_dir)), settings, make_embedder(settings, threads=1))
    index.embedder.encode(["warm up"])
    _live = LiveIndex.of(index)
    Watcher(_live)


def _ready() -> bool:
    return _live is not None


def _answer(question: str, k: int, mode: str, scope: Scope) -> bytes:
    import orjson  # Gradio's own JSON library: the server has it

    return orjson.dumps(_live.current.answer(question, k=k, mode=mode, scope=scope).to_dict())
