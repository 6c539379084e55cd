"""The on-disk layout of an index directory: generations switched atomically through CURRENT, the build lock,
atomic writes, and ``Generation``, one generation loaded for reading.

Layout of an index directory::

    CURRENT                      name of the live generation (replaced atomically with os.replace)
    gen-<time>-<rand>/           one complete, immutable generation
        manifest.json            model, settings, corpus and a content hash of every document (qa.manifest)
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
import fcntl
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MissingIndexError, QAError
from .lexical import Lexical
from .manifest import MANIFEST, Manifest
from .vectors import set_nprobe

DATABASE = "passages.sqlite"
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


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        # Generations never change once written: immutable=1 skips locking, so any number of readers are free.
        uri = f"file:{path}?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    return sqlite3.connect(path)


def vectors_of(db: sqlite3.Connection, ids) -> np.ndarray:
    """The stored float32 vectors of passages ``ids``, one row each in that order (read 500 at a time)."""
    out = []
    for start in range(0, len(ids), 500):
        part = [int(i) for i in ids[start:start + 500]]
        rows = dict(db.execute(f"SELECT id, vector FROM passages WHERE id IN ({','.join('?' * len(part))})", part))
        out += [np.frombuffer(rows[i], dtype=np.float32) for i in part]
    return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


@dataclass
class Generation:
    """One loaded generation: its manifest, FAISS index, BM25 index and a read-only database."""

    path: Path
    manifest: Manifest
    vectors: object  # faiss.Index
    db_path: Path
    lexical: Lexical
    lengths: np.ndarray  # word pieces of each passage, by passage id

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
            vectors = faiss.read_index(str(gen / VECTORS))
            lengths = np.load(gen / LENGTHS)
        except (RuntimeError, OSError, ValueError) as e:
            raise QAError(f"index at {gen} is damaged ({str(e).splitlines()[0]}); run `qa index`") from None
        set_nprobe(vectors, manifest.vectors.nprobe)
        return cls(gen, manifest, vectors, gen / DATABASE, Lexical(gen / LEXICAL), lengths)

    @property
    def index_dir(self) -> Path:
        return self.path.parent

    def connect(self) -> sqlite3.Connection:
        return connect(self.db_path, readonly=True)
