"""What every bench shares: the machine it ran on, named once; tables printed alike; and its output kept in
``bench/results/<name>.txt`` (committed: the docs link these files instead of pasting numbers)."""

from __future__ import annotations

import datetime as dt
import io
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where ``recorded`` keeps a bench's output: bench/results/, or $QA_BENCH_RESULTS (a test that runs a bench small
#: must not replace the committed results).
RESULTS = Path(os.environ.get("QA_BENCH_RESULTS") or ROOT / "bench" / "results")
#: Where benches build their corpora and indexes (git-ignored): bench/data/, or $QA_BENCH_DATA.
DATA = Path(os.environ.get("QA_BENCH_DATA") or ROOT / "bench" / "data")
QA = str(Path(sys.executable).parent / "qa")


def machine(*versions: str) -> str:
    """The CPU, its usable cores and vector extensions, memory, OS and Python, then ``versions`` (e.g. "faiss
    1.15.1"), and today's date."""
    cpu, flags = platform.processor() or "unknown CPU", ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    extras = [f for f in ("avx2", "avx512f", "avx512_vnni", "amx_int8") if f" {f}" in flags]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [f"{cpu}, {usable} cores ({', '.join(extras) or 'no AVX'}), {mem:.0f} GiB RAM",
             f"{platform.system()} {platform.release()}", f"Python {platform.python_version()}", *versions]
    return ", ".join(parts) + f"; {dt.date.today().isoformat()}"


def table(title: str, header: list[str], rows: list[list], number: str = "{:.3g}") -> None:
    """A plain-text table: the first column left-aligned, the others right-aligned, floats as ``number`` formats
    them (3 significant digits by default)."""
    cells = [[str(c) for c in header]] + [[number.format(c) if isinstance(c, float) else str(c) for c in r]
                                          for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, r in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s: str) -> int:
        for stream in self.streams:
            stream.write(s)
        return len(s)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextmanager
def recorded(name: str) -> Iterator[None]:
    """Print as usual, and keep what was printed in ``bench/results/<name>.txt``, after a line with the command that
    made it. Written to a temporary file and renamed once the bench completes: a bench that fails or is stopped
    leaves the last complete results in place."""
    kept = io.StringIO()
    stdout = sys.stdout
    sys.stdout = _Tee(stdout, kept)
    try:
        yield
    finally:
        sys.stdout = stdout  # on an exception (SystemExit included) nothing is kept
    RESULTS.mkdir(exist_ok=True)
    command = " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *map(shlex.quote, sys.argv[1:])])
    target = RESULTS / f"{name}.txt"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(f"$ {command}\n{kept.getvalue().lstrip(chr(10))}", encoding="utf-8")
    os.replace(tmp, target)
    print(f"(kept in {target})", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(port: int, server: subprocess.Popen, seconds: float, log=lambda: "") -> None:
    """Until ``qa serve`` on ``port`` answers /api/health; a RuntimeError (with ``log()``) if it exits or takes
    longer than ``seconds``."""
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5)
            return
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"qa serve did not start: {log()}") from None
            time.sleep(0.5)


@contextmanager
def served(*options: str) -> Iterator[tuple[int, Path]]:
    """`qa serve` on a copy of the seeds, on a free loopback port, with ``options``: (port, work folder holding
    ``seeds/`` and ``index/``), once /api/health answers; stopped and removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    corpus = work / "seeds"
    shutil.copytree(ROOT / "seeds", corpus)
    subprocess.run([QA, "index", str(corpus), "--index-dir", str(work / "index"), "-q"], check=True)
    port = free_port()
    log = open(work / "serve.log", "w")
    server = subprocess.Popen([QA, "serve", str(corpus), "--index-dir", str(work / "index"), "--port", str(port),
                               *options], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_health(port, server, 300, lambda: (work / "serve.log").read_text()[-1500:])
        yield port, work
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


#: A synthetic corpus (bench/scope.py, bench/scale.py): this many files in folders of 10, so a 1% scope is a folder.
FILES = 1000
#: Words a synthetic passage: about 150 word pieces, a paragraph of its own (no short-passage discount).
WORDS = 50


def synthetic_corpus(folder: Path, passages: int, rng) -> None:
    """About ``passages`` passages in ``FILES`` files of folders ``partNNN/``, each paragraph a passage of words
    drawn from a Zipf distribution over 50,000 (so that BM25's postings and de-duplication see real work)."""
    import numpy as np

    vocabulary = np.array([f"w{i}" for i in range(50_000)])
    per_file = max(1, passages // FILES)
    for f in range(FILES):
        target = folder / f"part{f // 10:03d}" / f"doc{f:04d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        words = vocabulary[np.minimum(rng.zipf(1.2, (per_file, WORDS)) - 1, len(vocabulary) - 1)]
        target.write_text(f"Document {f}\n\n" + "\n\n".join(" ".join(row) + "." for row in words) + "\n")
