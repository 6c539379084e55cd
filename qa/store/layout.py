"""The on-disk layout of an index directory: generations switched atomically through CURRENT, the build lock,
atomic writes, and ``Generation``, one generation loaded for reading.

Layout of an index directory::

    CURRENT                      name of the live generation (replaced atomically with os.replace)
    gen-<time>-<rand>/           one complete, immutable generation
        manifest.json            model, settings, corpus and a content hash of every document (qa.store.manifest)
        passages.sqlite          documents and passages (text, offsets, vectors as float32 blobs)
        vectors.faiss            the FAISS index (exact, or IVF-SQ8 for large corpora); vector ids are passage ids
        lexical/                 the BM25 index (bm25s: JSON and .npy) and ids.npy, the passage id of each row
        lengths.npy              word pieces of each passage by id (very short passages' cosines are discounted)
    gen-...tmp/                  a build in progress (removed by the next build if one was killed)
    .lock                        held by the one build allowed at a time

A build writes a new generation beside the live one and only then points CURRENT at it, so a build that dies at
any moment leaves the previous generation answering.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import os
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import fault_at
from ..errors import MissingIndexError, QAError
from ..rank.lexical import Lexical
from ..rank.vectors import set_nprobe
from .database import DATABASE, Reader
from .manifest import MANIFEST, Manifest, OtherFormatError

VECTORS = "vectors.faiss"
LEXICAL = "lexical"
LENGTHS = "lengths.npy"  # the word pieces of each passage, by passage id (0 where no passage has the id)
CURRENT = "CURRENT"
QA_ENTRIES = {CURRENT, "corpora", "beir", "README.md"}  # what qa itself may keep in an index directory
KEEP_GENERATIONS = 2  # the live one and the one before, which readers that opened it earlier may still use


# --- files that survive a crash --------------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file below ``folder`` and the folders themselves to disk."""
    for f in folder.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        elif f.is_dir():
            fsync_dir(f)
    fsync_dir(folder)


def write_atomic(path: Path, data: str) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``: readers see all or nothing."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    with open(index_dir / ".lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QAError(f"another `qa index` is building {index_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- crash tests -------------------------------------------------------------------------------------------------

#: Where QA_FAULT_AT can strike, in build order.
FAULT_POINTS = ("started", "reading", "embedding", "inserting", "committing", "lexical", "vectors", "manifest",
                "renamed", "switched")


def fault(point: str) -> None:
    """Fault injection for the crash tests, off unless QA_FAULT_AT names this point: ``<point>`` kills the build
    with SIGKILL right here, ``<point>:enospc`` raises the error a full disk gives."""
    spec = fault_at()
    if not spec or spec.partition(":")[0] != point:
        return
    if spec.endswith(":enospc"):
        raise OSError(errno.ENOSPC, "No space left on device", point)
    os.kill(os.getpid(), signal.SIGKILL)


# --- generations -------------------------------------------------------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    gen = Path(index_dir) / name
    return gen if name and (gen / MANIFEST).exists() else None


def new_generation_name() -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # sorts in build order
    return f"gen-{stamp}-{secrets.token_hex(3)}"


def foreign_entries(index_dir: Path) -> list[str]:
    """What a directory without a live generation holds that is not qa's: the index root's subfolders for other
    corpora and BEIR collections, and leftovers of a killed first build, are qa's own."""
    if not index_dir.exists():
        return []
    return [p.name for p in index_dir.iterdir()
            if not p.name.startswith((".", "gen-")) and p.name not in QA_ENTRIES]


def switch(index_dir: Path, name: str) -> None:
    """Make generation ``name`` live: the one moment a new index goes live."""
    write_atomic(index_dir / CURRENT, name + "\n")


def cleanup(index_dir: Path) -> None:
    """Keep the live generation and the one live before it (a server that loaded it may still read it); remove
    unfinished builds, a generation that was renamed but never made live (CURRENT only moves forward in time),
    older generations and stray temporary files."""
    live = current_generation(index_dir)
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    older = [p for p in gens if not p.name.endswith(".tmp") and live is not None and p.name < live.name]
    keep = {live.name} if live else set()
    keep |= {p.name for p in older[-(KEEP_GENERATIONS - 1):]} if KEEP_GENERATIONS > 1 else set()
    for p in gens:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
    for p in index_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


@dataclass
class Generation:
    """One loaded generation: its manifest, FAISS index, BM25 index and a read-only database."""

    path: Path
    manifest: Manifest
    vectors: object  # faiss.Index
    db_path: Path
    lexical: Lexical
    lengths: np.ndarray  # word pieces of each passage, by passage id
    _reader: Reader | None = field(default=None, repr=False)

    @classmethod
    def load(cls, index_dir: Path) -> Generation:
        gen = current_generation(index_dir)
        if gen is None:
            raise MissingIndexError(f"no index in {index_dir}; run `qa index` first")
        return cls.from_path(gen)

    @classmethod
    def from_path(cls, gen: Path) -> Generation:
        import faiss

        manifest = Manifest.read(gen)
        try:
            # Memory-mapped, read-only: the answering processes of a server share one copy in the page cache
            # instead of each holding its own (measured: bench/results/scale.txt). A generation never changes once
            # written, and a file removed while mapped lives on until it is unmapped.
            vectors = faiss.read_index(str(gen / VECTORS), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
            lengths = np.load(gen / LENGTHS, mmap_mode="r")
        except (RuntimeError, OSError, ValueError) as e:
            raise QAError(f"index at {gen} is damaged ({str(e).splitlines()[0]}); run `qa index`") from None
        set_nprobe(vectors, manifest.vectors.nprobe)
        return cls(gen, manifest, vectors, gen / DATABASE, Lexical(gen / LEXICAL), lengths)

    @property
    def index_dir(self) -> Path:
        return self.path.parent

    @property
    def database(self) -> Reader:
        """The generation's database, read-only (one connection per thread)."""
        if self._reader is None:
            self._reader = Reader(self.db_path)
        return self._reader


@dataclass(frozen=True)
class NewGeneration:
    """A generation being written (``new_generation``): its name, the folder to write into, and the live generation
    it may start from (with its manifest, None where that cannot seed a build: an older format)."""

    name: str
    path: Path
    previous: Path | None
    previous_manifest: Manifest | None


#: Called as a build moves through its last steps: (phase, done, total).
Progress = Callable[[str, int, int], None]


@contextmanager
def new_generation(index_dir: Path, corpus: Path, progress: Progress | None = None) -> Iterator[NewGeneration]:
    """The one way a generation comes to be: take the build lock, check that ``index_dir`` is ``corpus``'s, clear
    what killed builds left, and yield a temporary folder to write into. When the block completes, the folder is
    flushed to disk, renamed and made live through CURRENT, then older generations are removed; when it raises (or
    the process dies) the previous generation stays live and the folder is removed (now, or by the next build)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):
        previous, previous_manifest = _previous(index_dir, corpus)
        cleanup(index_dir)
        name = new_generation_name()
        tmp = index_dir / f"{name}.tmp"
        tmp.mkdir()
        try:
            fault("started")
            yield NewGeneration(name, tmp, previous, previous_manifest)
            fsync_tree(tmp)
            if progress:
                progress("switching", 0, 1)
            os.rename(tmp, index_dir / name)
            fsync_dir(index_dir)
            fault("renamed")
            switch(index_dir, name)
            fault("switched")
            if progress:
                progress("switching", 1, 1)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        cleanup(index_dir)


def _previous(index_dir: Path, corpus: Path) -> tuple[Path | None, Manifest | None]:
    """The live generation of ``index_dir`` and its manifest (None where it cannot seed this build), after checking
    that the directory belongs to ``corpus``."""
    gen = current_generation(index_dir)
    if gen is None:
        # Refuse a folder of someone else's files; qa's own entries are fine.
        foreign = foreign_entries(index_dir)
        if foreign:
            raise QAError(f"{index_dir} is not empty ({foreign[0]}) and holds no qa index; choose another --index-dir")
        return None, None
    try:
        manifest = Manifest.read(gen)
        owner = manifest.corpus
    except OtherFormatError as e:  # an index of an older qa: rebuilt from nothing, for the same corpus only
        manifest, owner = None, e.corpus
    if owner is None or Path(owner) != corpus:
        raise QAError(f"{index_dir} holds the index of another corpus ({owner}); "
                      f"choose another --index-dir or leave it out")
    return gen, manifest
