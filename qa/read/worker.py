"""Reading in a worker process with resource limits: what a hostile file costs, it costs the worker, not the build.

A file's bytes go to a long-lived ``python -m qa.read`` process, which parses them under ``RLIMIT_AS`` (its memory
budget) and answers with the document as JSON (never a pickle: the worker parses hostile input, and what it sends
back must not be able to run code here). The parent waits at most the time budget; past it, or when the worker
dies (pdfium aborts when an allocation fails under the limit), the worker is killed and reaped, the file is
skipped with the reason, and a fresh worker reads the next one.

Why a process and not counters in this one: pdfium is C. A 1 MB PDF of clipped strokes grew to > 6 GB inside one
pdfium call, and under an address-space limit in-process pdfium does not fail the call, it aborts the process
(measured: SIGABRT at a 1.5 GB RLIMIT_AS), which would end the build. Counters are kept too, where they are cheap
and say more than "out of memory": a PDF's pages and characters, a Word file's unpacked size (see
``qa.config.Settings``). What the worker costs a normal build is measured by ``bench/reading.py``.

This module knows the protocol and the process, not what a document is: ``qa.read.__main__`` serves
``documents.read_request`` with it, and ``documents.iter_documents`` turns its answers into Documents.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ..config import ReadingBudget
from ..errors import QAError

#: The folder that holds the ``qa`` package: the worker must import the same code as its parent.
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
#: How long a fresh worker may take to import its readers (pdfium, python-docx, lxml) and say it is ready.
START_SECONDS = 60.0

Handler = Callable[[dict, bytes, Callable[[int, int], None]], dict]


class Reader:
    """One worker process, started on first use and again after it is killed; one document at a time."""

    def __init__(self, memory_mb: float):
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.pid = 0  # of the process that started the worker: a fork must not share it
        self.buf = b""
        self.lock = threading.Lock()
        self.started = 0  # workers started so far (a test can see a restart)
        self.ready = False

    def read(self, request: dict, data: bytes, budget: ReadingBudget,
             on_page: Callable[[int, int], None] | None = None) -> dict:
        """The worker's answer to ``request`` (``{"document": ...}`` or ``{"skipped": reason}``), or a skip that
        says which budget the worker ran past."""
        with self.lock:
            if not self._running():
                self._spawn()
            if not self.ready:
                self._await_ready()
            header = json.dumps({**request, "size": len(data), "budget": asdict(budget)}).encode() + b"\n"
            try:
                self.proc.stdin.write(header)
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                return self._died()
            deadline = time.monotonic() + budget.seconds
            while True:
                message = self._receive(deadline)
                if message is None:
                    self._stop()
                    return {"skipped": f"over the reading budget: not read within {budget.seconds:g} s "
                                       f"(QA_READ_SECONDS)"}
                if message is _EOF:
                    return self._died()
                if "page" in message:
                    if on_page is not None:
                        on_page(*message["page"])
                    continue
                return message

    def prepare(self) -> None:
        """Start the worker now, without waiting for it: it imports its readers while the build loads its model
        (measured: 0.6-0.9 s on the bench machine, otherwise waited for before the first file)."""
        with self.lock:
            if not self._running():
                self._spawn()

    def _running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.pid == os.getpid()

    def _start(self) -> None:
        self._spawn()
        self._await_ready()

    def _spawn(self) -> None:
        self._stop()
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": _PACKAGE_ROOT + (os.pathsep + path if path else "")}
        self.proc = subprocess.Popen([sys.executable, "-m", "qa.read", repr(float(self.memory_mb))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, close_fds=True, start_new_session=True, cwd=_PACKAGE_ROOT)
        # cwd: ``-m`` puts the working folder first on sys.path, and a folder holding a ``qa`` of its own (another
        # checkout, or a corpus folder someone made) would otherwise be the code that reads the files
        self.pid, self.buf = os.getpid(), b""
        self.started += 1
        self.ready = False

    def _await_ready(self) -> None:
        ready = self._receive(time.monotonic() + START_SECONDS)
        if not isinstance(ready, dict) or not ready.get("ready"):
            self._stop()
            raise QAError(f"the reading worker (python -m qa.read) did not start within {START_SECONDS:g} s: check "
                          f"that `{sys.executable} -m qa.read 512` runs")
        self.ready = True

    def _receive(self, deadline: float):
        """The next message of the worker; None when the deadline passed, _EOF when it died."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return _EOF
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _died(self) -> dict:
        """The reason for a worker that died while reading: its signal and what it held at the end."""
        proc, self.proc = self.proc, None
        _kill_group(proc.pid)  # what it started (a Tesseract process) must not outlive it
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:
            status, usage = 0, None
        proc.returncode = -1  # reaped here: Popen must not wait for it again
        peak = f", {usage.ru_maxrss / 1024:.0f} MB resident at most" if usage else ""
        how = (signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status)
               else f"exit status {os.WEXITSTATUS(status)}")
        return {"skipped": f"over the reading budget: the reader died on it ({how}{peak}) within its "
                           f"{self.memory_mb:g} MB memory limit (QA_READ_MEMORY_MB)"}

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or self.pid != os.getpid():
            return
        _kill_group(proc.pid)
        proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def close(self) -> None:
        with self.lock:
            self._stop()


def _kill_group(pid: int) -> None:
    """Kill the worker and every process it started: it leads a process group of its own (``start_new_session``),
    so that a Tesseract process it runs on a scan dies with it rather than reading on after the time budget."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # gone already (or never led a group): kill the worker alone
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


_EOF = object()
_READERS: dict[float, Reader] = {}
_READERS_LOCK = threading.Lock()


def reader(memory_mb: float) -> Reader:
    """This process's worker for that memory limit (one per limit; one in practice)."""
    with _READERS_LOCK:
        if memory_mb not in _READERS:
            _READERS[memory_mb] = Reader(memory_mb)
        return _READERS[memory_mb]


@atexit.register
def _close_all() -> None:
    for r in list(_READERS.values()):
        r.close()


# --- the worker's side --------------------------------------------------------------------------------------


def serve(handle: Handler, memory_mb: float) -> None:
    """The worker's loop: limits this process's address space, then answers one request after another on stdin
    and stdout until stdin closes. Only the protocol goes to the real stdout: whatever a library prints goes to
    /dev/null."""
    limit = int(memory_mb * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    inp = sys.stdin.buffer

    def send(message: dict) -> None:
        try:
            line = json.dumps(message, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in some text: JSON's own escapes carry it
            line = json.dumps(message).encode("ascii")
        out.write(line + b"\n")
        out.flush()

    send({"ready": True})
    while True:
        line = inp.readline()
        if not line:
            return
        request = json.loads(line)
        data = inp.read(request["size"])
        try:
            answer = handle(request, data, lambda done, total: send({"page": [done, total]}))
        except MemoryError:
            answer = {"skipped": f"over the reading budget: needs more than its {memory_mb:g} MB memory limit "
                                 f"(QA_READ_MEMORY_MB)"}
        send(answer)
