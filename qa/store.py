"""The on-disk index: generations of (SQLite database, FAISS vectors, manifest), switched atomically.

Layout of an index directory::

    CURRENT                      name of the live generation (replaced atomically with os.replace)
    gen-<time>-<rand>/           one complete, immutable generation
        manifest.json            model, settings, corpus and a content hash of every document
        passages.sqlite          documents and passages (text, offsets, vectors as float32 blobs)
        vectors.faiss            the FAISS index (exact, or IVF-SQ8 for large corpora); vector ids are passage ids
        lexical/                 the BM25 index (bm25s: JSON and .npy) and ids.npy, the passage id of each row
    gen-...tmp/                  a build in progress (removed by the next build if one was killed)
    .lock                        held by the one build allowed at a time

A build writes a new generation beside the live one and only then points CURRENT at it, so a build that dies at
any moment leaves the previous generation answering. When the previous generation was built with the same
settings, the build is incremental: it starts from a copy of its database and FAISS index, reads only the files
whose size, time or content changed, removes their old passages and adds the new ones (ids of unchanged passages
stay), and rebuilds BM25 from the stored terms. Otherwise every file is read, and vectors of passages whose text
is unchanged are still copied from the previous generation instead of being embedded again.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
import secrets
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

import numpy as np

from .chunking import Passage, chunk_document
from .config import Settings, default_corpus
from .documents import Document, FileInfo, Skipped, iter_documents, list_files, sha256_file
from .errors import MissingIndexError, QAError, StaleIndexError

FORMAT = 4  # 2: a BM25 index in lexical/; 3: reading settings (size limit); 4: stable passage ids, stored terms
MANIFEST = "manifest.json"
DATABASE = "passages.sqlite"
VECTORS = "vectors.faiss"
LEXICAL = "lexical"
CURRENT = "CURRENT"
QA_ENTRIES = {CURRENT, "corpora", "beir", "README.md"}  # what qa itself may keep in an index directory
KEEP_GENERATIONS = 2  # the live one and the one before, which readers that opened it earlier may still use

SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT,
    date TEXT,
    sha256 TEXT NOT NULL,
    n_passages INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,          -- its vector's id in vectors.faiss; kept while the passage is unchanged
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL,        -- 0-based position within the document
    start INTEGER NOT NULL,          -- documents.text[start:end] == text
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    text_sha256 TEXT NOT NULL,       -- what decides whether a rebuild may reuse the vector
    terms TEXT NOT NULL,             -- its lexical terms, space-separated: the BM25 index is rebuilt from these
    vector BLOB NOT NULL             -- float32, L2-normalised
);
CREATE INDEX passages_by_hash ON passages(text_sha256);
CREATE INDEX passages_by_doc ON passages(doc_id, ordinal);
CREATE TABLE skipped (doc_id TEXT PRIMARY KEY, reason TEXT NOT NULL);
"""

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    generation: str
    documents: int
    passages: int
    embedded: int
    reused: int
    skipped: tuple[Skipped, ...]
    seconds: float
    settings: Settings = field(repr=False)
    read: int = 0  # files read this time (an incremental build reads only what changed)
    incremental: bool = False
    vectors: dict = field(default_factory=dict)  # index type and its recall against exact search


# --- small file-system helpers -------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    with open(index_dir / ".lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QAError(f"another `qa index` is building {index_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    gen = Path(index_dir) / name
    return gen if name and (gen / MANIFEST).exists() else None


def read_manifest(gen: Path) -> dict:
    try:
        return json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise QAError(f"index at {gen} is damaged ({e}); run `qa index` to rebuild it") from None


# --- checking an index against its corpus --------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed) + len(self.modified)

    def describe(self, most: int = 3) -> str:
        parts = [f"{d} {what}" for what, ids in (("modified", self.modified), ("added", self.added),
                                                  ("removed", self.removed)) for d in ids]
        more = f", +{len(parts) - most} more" if len(parts) > most else ""
        return ", ".join(parts[:most]) + more


def corpus_changes(manifest: dict, files: list[FileInfo]) -> Changes:
    """What differs between the corpus on disk and the one the manifest recorded (cheap: hashes only files whose
    size or modification time moved)."""
    recorded = {**manifest.get("skipped", {}), **manifest["documents"]}
    now = {f.doc_id: f for f in files}
    modified = []
    for doc_id in sorted(recorded.keys() & now.keys()):
        old, f = recorded[doc_id], now[doc_id]
        if (old.get("size"), old.get("mtime_ns")) == (f.size, f.mtime_ns):
            continue
        try:
            if sha256_file(f.path) != old.get("sha256"):
                modified.append(doc_id)
        except OSError:
            modified.append(doc_id)
    return Changes(
        added=tuple(sorted(now.keys() - recorded.keys())),
        removed=tuple(sorted(recorded.keys() - now.keys())),
        modified=tuple(modified),
    )


def settings_mismatch(manifest: dict, settings: Settings, backend: str) -> str | None:
    """Why an index built with other settings cannot answer for ``settings``, or None."""
    if manifest.get("format") != FORMAT:
        return f"it was written by another version of qa (format {manifest.get('format')}, expected {FORMAT})"
    if manifest["model"] != settings.model:
        return f"it was built with model {manifest['model']}, but {settings.model} is configured"
    if manifest.get("backend") != backend:
        return f"it was built with the {manifest.get('backend')} backend, but {backend} is configured"
    if manifest.get("reading") != settings.reading():
        return f"it was built reading {manifest.get('reading')}, but {settings.reading()} is configured"
    if manifest["chunking"] != settings.chunking():
        return f"it was built with chunking {manifest['chunking']}, but {settings.chunking()} is configured"
    return None


def check_fresh(index_dir: Path, manifest: dict, settings: Settings, backend: str) -> None:
    """Raise StaleIndexError when the index would give answers for another corpus, model or settings."""
    command = _index_command(Path(manifest["corpus"]), index_dir)
    why = settings_mismatch(manifest, settings, backend)
    if why:
        raise StaleIndexError(f"index is stale: {why}; run `{command}`")
    corpus = Path(manifest["corpus"])
    if not corpus.is_dir():
        raise StaleIndexError(f"index is stale: its corpus folder {corpus} is gone; run `qa index FOLDER`")
    changes = corpus_changes(manifest, list_files(corpus))
    if changes:
        n = len(changes)
        raise StaleIndexError(
            f"index is stale: {n} document{'s' if n != 1 else ''} changed ({changes.describe()}); run `{command}`"
        )


def _index_command(corpus: Path, index_dir: Path) -> str:
    from .config import default_index_dir

    cmd = "qa index" if corpus == default_corpus() else f"qa index {corpus}"
    if Path(index_dir).resolve() != default_index_dir(corpus):
        cmd += f" --index-dir {index_dir}"
    return cmd


# --- building ------------------------------------------------------------------------------------------------


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        # Generations never change once written: immutable=1 skips locking, so any number of readers are free.
        uri = f"file:{path}?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    return sqlite3.connect(path)


class _VectorReuse:
    """Vectors of the previous generation, looked up by passage text hash (when model and backend match)."""

    def __init__(self, gen: Path | None, manifest: dict | None, settings: Settings, backend: str):
        self.db = None
        if gen and manifest and manifest.get("model") == settings.model and manifest.get("backend") == backend:
            try:
                self.db = _connect(gen / DATABASE, readonly=True)
            except sqlite3.Error:
                self.db = None

    def get(self, digest: str) -> bytes | None:
        if self.db is None:
            return None
        row = self.db.execute("SELECT vector FROM passages WHERE text_sha256 = ? LIMIT 1", (digest,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def _cleanup(index_dir: Path) -> None:
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


def _fault(point: str) -> None:
    """Fault injection for the crash tests, off unless QA_FAULT_AT names this point: ``<point>`` kills the build
    with SIGKILL right here, ``<point>:enospc`` raises the error a full disk gives."""
    spec = os.environ.get("QA_FAULT_AT")
    if not spec or spec.partition(":")[0] != point:
        return
    if spec.endswith(":enospc"):
        raise OSError(errno.ENOSPC, "No space left on device", point)
    os.kill(os.getpid(), signal.SIGKILL)


#: Where QA_FAULT_AT can strike, in build order.
FAULT_POINTS = ("started", "reading", "embedding", "inserting", "committing", "lexical", "vectors", "manifest",
                "renamed", "switched")


def _owner_check(index_dir: Path, corpus: Path) -> tuple[Path | None, dict | None]:
    gen = current_generation(index_dir)
    if gen is None:
        # Refuse a folder of someone else's files; qa's own entries (the index root's subfolders for other
        # corpora and BEIR collections, leftovers of a killed first build) are fine.
        foreign = [p.name for p in index_dir.iterdir()
                   if not p.name.startswith((".", "gen-")) and p.name not in QA_ENTRIES] if index_dir.exists() else []
        if foreign:
            raise QAError(f"{index_dir} is not empty ({foreign[0]}) and holds no qa index; choose another --index-dir")
        return None, None
    manifest = read_manifest(gen)
    if Path(manifest["corpus"]) != corpus:
        raise QAError(
            f"{index_dir} holds the index of another corpus ({manifest['corpus']}); "
            f"choose another --index-dir or leave it out"
        )
    return gen, manifest


def build_index(
    corpus: Path,
    index_dir: Path,
    settings: Settings,
    embedder=None,
    progress: Progress | None = None,
) -> BuildReport:
    """Index every document of ``corpus`` into a new generation of ``index_dir`` and make it live."""
    from . import lexical
    from .embedding import get_tokenizer, make_embedder

    started = time.perf_counter()
    corpus = Path(corpus).resolve()
    index_dir = Path(index_dir).resolve()
    files = list_files(corpus)  # raises a clear error for a missing folder
    tokenizer = get_tokenizer(settings.model)
    embedder = embedder or make_embedder(settings)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(index_dir):
        previous, previous_manifest = _owner_check(index_dir, corpus)
        _cleanup(index_dir)
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # sorts in build order
        name = f"gen-{stamp}-{secrets.token_hex(3)}"
        tmp = index_dir / f"{name}.tmp"
        tmp.mkdir()
        _fault("started")
        base = previous if previous and _can_update(previous_manifest, settings, embedder.backend) else None
        reuse = _VectorReuse(previous, previous_manifest, settings, embedder.backend)
        try:
            build = _Build(tmp, corpus, settings, tokenizer, embedder, reuse, progress)
            report = build.run(files, base, previous_manifest if base else None)
            manifest = {
                "format": FORMAT,
                "generation": name,
                "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "build_seconds": round(time.perf_counter() - started, 3),
                "incremental": base is not None,
                "corpus": str(corpus),
                "model": settings.model,
                "backend": embedder.backend,
                "dimension": report["dimension"],
                "max_seq_length": tokenizer.max_seq_length,
                "reading": settings.reading(),
                "chunking": settings.chunking(),
                "index_type": report["index_type"],
                "vectors": report["vectors"],
                "lexical": lexical.SETTINGS,
                "metric": "inner_product",  # on L2-normalised vectors: cosine similarity
                "counts": {k: report[k] for k in ("documents", "passages", "embedded", "reused", "read")},
                "documents": report["files"],
                "skipped": report["skipped_files"],
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
            abstention = _calibrate(tmp, corpus, settings, embedder, manifest, previous_manifest)
            if abstention:
                manifest["abstention"] = abstention
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
            _fault("manifest")
            for f in tmp.rglob("*"):
                if f.is_file():
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
            _fsync_dir(tmp / LEXICAL)
            _fsync_dir(tmp)
            if progress:
                progress("switching", 0, 1)
            final = index_dir / name
            os.rename(tmp, final)
            _fsync_dir(index_dir)
            _fault("renamed")
            _write_atomic(index_dir / CURRENT, name + "\n")  # the moment the new generation goes live
            _fault("switched")
            if progress:
                progress("switching", 1, 1)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            reuse.close()
        _cleanup(index_dir)
    return BuildReport(
        index_dir=index_dir,
        generation=name,
        documents=report["documents"],
        passages=report["passages"],
        embedded=report["embedded"],
        reused=report["reused"],
        skipped=tuple(report["skipped"]),
        seconds=time.perf_counter() - started,
        settings=settings,
        read=report["read"],
        incremental=base is not None,
        vectors=report["vectors"],
    )


def _can_update(manifest: dict | None, settings: Settings, backend: str) -> bool:
    """Whether a generation can be the starting point of an incremental build with these settings."""
    from .lexical import SETTINGS

    return bool(manifest) and settings_mismatch(manifest, settings, backend) is None \
        and manifest.get("lexical") == SETTINGS


class _Build:
    """Writes one generation into ``tmp``: from nothing, or from a copy of the previous one plus the changes."""

    #: Passages embedded and written per step: memory stays bounded however large the corpus.
    STEP = 512

    def __init__(self, tmp: Path, corpus: Path, settings: Settings, tokenizer, embedder, reuse, progress):
        self.tmp, self.corpus, self.settings = tmp, corpus, settings
        self.tokenizer, self.embedder, self.reuse, self.progress = tokenizer, embedder, reuse, progress
        self.counts = {"documents": 0, "passages": 0, "embedded": 0, "reused": 0, "read": 0}
        self.pending: list[tuple[Passage, str]] = []

    def run(self, files: list[FileInfo], base: Path | None, base_manifest: dict | None) -> dict:
        import faiss

        from . import vectors as vx

        info = {f.doc_id: f for f in files}
        if base is not None:
            shutil.copyfile(base / DATABASE, self.tmp / DATABASE)  # generations are immutable: a plain copy
            self.db = _connect(self.tmp / DATABASE)
            index = faiss.read_index(str(base / VECTORS))
            changes = corpus_changes(base_manifest, files)
            gone = [*changes.removed, *changes.modified]
            recorded = {d: v for d, v in base_manifest["documents"].items() if d not in gone}
            skipped_files = {d: v for d, v in base_manifest.get("skipped", {}).items() if d not in gone}
            for doc_id, entry in [*recorded.items(), *skipped_files.items()]:
                if doc_id in info:  # touched but not changed: remember the new size and time
                    entry.update(size=info[doc_id].size, mtime_ns=info[doc_id].mtime_ns)
            old_ids = self._remove(gone)
            if len(old_ids):
                index.remove_ids(old_ids)
            to_read = [info[d] for d in sorted({*changes.added, *changes.modified})]
            skipped = [Skipped(d, v["reason"]) for d, v in skipped_files.items()]
        else:
            self.db = _connect(self.tmp / DATABASE)
            self.db.executescript(SCHEMA)
            index, recorded, skipped_files, skipped, to_read = None, {}, {}, [], files
        self.next_id = first_new = (self.db.execute("SELECT MAX(id) FROM passages").fetchone()[0] or -1) + 1
        self._read(to_read, info, recorded, skipped_files, skipped)
        _fault("committing")
        self.db.commit()
        n, d = self.db.execute("SELECT COUNT(*), MAX(LENGTH(vector)) FROM passages").fetchone()
        if not n:
            raise QAError(f"no documents to index in {self.corpus}: it has no readable .txt, .md or .html files"
                          + (f" ({len(skipped)} skipped: {skipped[0].doc_id}: {skipped[0].reason})"
                             if skipped else ""))
        d //= 4
        self.counts["documents"] = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        self.counts["passages"] = n
        self.counts["reused"] = n - self.counts["embedded"]
        if self.progress:
            self.progress("lexical", 0, 1)
        from . import lexical

        rows = self.db.execute("SELECT id, terms FROM passages ORDER BY id")
        lexical.build_from_terms(((i, t.split()) for i, t in rows), self.tmp / LEXICAL)
        _fault("lexical")
        if self.progress:
            self.progress("vectors", 0, 1)
        if index is not None and not vx.needs_rebuild(index, n):
            for ids, vectors in self._chunks(after=first_new - 1):  # in place: only the new passages
                index.add_with_ids(vectors, ids)
        else:
            index = vx.build(d, n, self._chunks, self._sample(vx.training_size(n)))
        if vx.kind_of(index) == "flat":
            quality = vx.tune(index)  # exact: nothing to check
        else:
            sample_ids = self._sample_ids(vx.RECALL_SAMPLE)
            quality = vx.tune(index, self._vectors_of(sample_ids), sample_ids, self._chunks)
        self.db.close()
        faiss.write_index(index, str(self.tmp / VECTORS))
        _fault("vectors")
        return {**self.counts, "dimension": d, "files": recorded, "skipped_files": skipped_files,
                "skipped": skipped, "index_type": vx.describe(index), "vectors": quality}

    # -- the documents that changed --

    def _remove(self, doc_ids: list[str]) -> np.ndarray:
        ids: list[int] = []
        for doc_id in doc_ids:
            ids += [i for (i,) in self.db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))]
            for table in ("passages", "documents", "skipped"):
                self.db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
        return np.array(ids, dtype=np.int64)

    def _read(self, to_read: list[FileInfo], info: dict, recorded: dict, skipped_files: dict, skipped: list) -> None:
        for n, item in enumerate(iter_documents(self.corpus, to_read, int(self.settings.max_file_mb * 2**20)), 1):
            f = info[item.doc_id]
            self.counts["read"] += 1
            if isinstance(item, Skipped):
                skipped.append(item)
                self.db.execute("INSERT INTO skipped VALUES (?, ?)", (item.doc_id, item.reason))
                skipped_files[item.doc_id] = {"reason": item.reason, "sha256": _hash_or_none(f.path),
                                              "size": f.size, "mtime_ns": f.mtime_ns}
            else:
                passages = chunk_document(item, self.tokenizer, self.settings.max_tokens,
                                          self.settings.overlap_tokens)
                _insert_document(self.db, item, len(passages))
                recorded[item.doc_id] = {"sha256": item.sha256, "size": f.size, "mtime_ns": f.mtime_ns,
                                         "passages": len(passages)}
                self.pending.extend((p, _text_hash(p.text)) for p in passages)
                if len(self.pending) >= self.STEP:
                    self._flush()
            if self.progress:
                self.progress("reading", n, len(to_read))
            _fault("reading")
        self._flush()

    def _flush(self) -> None:
        from .text import analyze

        if not self.pending:
            return
        vectors: list[bytes | None] = [self.reuse.get(h) for _, h in self.pending]
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:
            fresh = self.embedder.encode([self.pending[i][0].text for i in missing])
            _fault("embedding")
            for i, vec in zip(missing, fresh):
                vectors[i] = vec.astype(np.float32).tobytes()
        ids = np.arange(self.next_id, self.next_id + len(self.pending), dtype=np.int64)
        self.next_id += len(self.pending)
        self.db.executemany(
            "INSERT INTO passages (id, doc_id, ordinal, start, end, text, n_tokens, text_sha256, terms, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(int(i), p.doc_id, p.ordinal, p.start, p.end, p.text, p.n_tokens, h, " ".join(analyze(p.text)), v)
             for i, (p, h), v in zip(ids, self.pending, vectors)],
        )
        _fault("inserting")
        self.counts["embedded"] += len(missing)
        self.pending.clear()
        if self.progress:
            self.progress("embedding", int(self.next_id), -1)

    # -- reading the stored vectors back --

    def _chunks(self, size: int = 20_000, after: int = -1):
        last = after
        while True:
            rows = self.db.execute("SELECT id, vector FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                                   (last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield (np.array([r[0] for r in rows], dtype=np.int64),
                   np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1))

    def _sample_ids(self, n: int) -> np.ndarray:
        if n <= 0:  # an exact index trains on nothing
            return np.zeros(0, dtype=np.int64)
        ids = np.array([i for (i,) in self.db.execute("SELECT id FROM passages")], dtype=np.int64)
        rng = np.random.default_rng(0)  # the same sample for the same corpus: reproducible reports
        return np.sort(rng.choice(ids, size=min(n, len(ids)), replace=False))

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start:start + 500]]
            rows = dict(self.db.execute(
                f"SELECT id, vector FROM passages WHERE id IN ({','.join('?' * len(part))})", part))
            out += [np.frombuffer(rows[i], dtype=np.float32) for i in part]
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)

    def _sample(self, n: int) -> np.ndarray:
        return self._vectors_of(self._sample_ids(n))


GOLD = "gold.jsonl"


def _calibrate(gen: Path, corpus: Path, settings: Settings, embedder, manifest: dict,
               previous: dict | None) -> dict | None:
    """Calibrate the abstention threshold on the corpus's own gold.jsonl, where it has one. When the gold set,
    the documents and the settings are those of the previous generation, its calibration is reused as it is."""
    gold_path = corpus / GOLD
    if not gold_path.is_file():
        return None
    key = sha256(json.dumps([FORMAT, sha256_file(gold_path), manifest["model"], manifest["backend"],
                             manifest["chunking"], manifest["lexical"],
                             sorted((d, v["sha256"]) for d, v in manifest["documents"].items())]).encode()).hexdigest()
    if previous and previous.get("abstention", {}).get("key") == key:
        return previous["abstention"]
    from .evaluate import calibration, load_gold
    from .search import Index

    gold = load_gold(gold_path)
    if not any(not g.answerable for g in gold):
        return None
    return {**calibration(Index(Generation.from_path(gen), settings, embedder), gold, GOLD), "key": key}


def _text_hash(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()


def _hash_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def _insert_document(db: sqlite3.Connection, doc: Document, n_passages: int) -> None:
    db.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
        (doc.doc_id, doc.title, doc.source, doc.date, doc.sha256, n_passages, doc.text),
    )


# --- opening -------------------------------------------------------------------------------------------------


@dataclass
class Generation:
    """One loaded generation: its manifest, FAISS index and a read-only database."""

    path: Path
    manifest: dict
    vectors: object  # faiss.Index
    db_path: Path
    lexical: object  # qa.lexical.Lexical

    @classmethod
    def load(cls, index_dir: Path) -> Generation:
        gen = current_generation(index_dir)
        if gen is None:
            raise MissingIndexError(f"no index in {index_dir}; run `qa index` first")
        return cls.from_path(gen)

    @classmethod
    def from_path(cls, gen: Path) -> Generation:
        import faiss

        manifest = read_manifest(gen)
        try:
            vectors = faiss.read_index(str(gen / VECTORS))
        except RuntimeError as e:
            raise QAError(f"index at {gen} is damaged ({str(e).splitlines()[0]}); run `qa index`") from None
        from .lexical import Lexical
        from .vectors import set_nprobe

        if manifest.get("format") != FORMAT:
            raise QAError(f"index at {gen} was written by another version of qa; run `qa index` to rebuild it")
        set_nprobe(vectors, manifest.get("vectors", {}).get("nprobe"))
        return cls(gen, manifest, vectors, gen / DATABASE, Lexical(gen / LEXICAL))

    def connect(self) -> sqlite3.Connection:
        return _connect(self.db_path, readonly=True)
