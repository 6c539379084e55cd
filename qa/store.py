"""The on-disk index: generations of (SQLite database, FAISS vectors, manifest), switched atomically.

Layout of an index directory::

    CURRENT                      name of the live generation (replaced atomically with os.replace)
    gen-<time>-<rand>/           one complete, immutable generation
        manifest.json            model, settings, corpus and a content hash of every document
        passages.sqlite          documents and passages (text, offsets, vectors as float32 blobs)
        vectors.faiss            the FAISS index; vector i is passage row id i
        lexical/                 the BM25 index (bm25s: JSON and .npy); row i is passage row id i
    gen-...tmp/                  a build in progress (removed by the next build if one was killed)
    .lock                        held by the one build allowed at a time

A build writes a new generation beside the live one and only then points CURRENT at it, so a build that dies at
any moment leaves the previous generation answering. Vectors of passages whose text is unchanged are copied from
the previous generation instead of being embedded again.
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

FORMAT = 3  # 2: a BM25 index in lexical/; 3: reading settings (size limit)
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
    id INTEGER PRIMARY KEY,          -- position of its vector in vectors.faiss
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL,        -- 0-based position within the document
    start INTEGER NOT NULL,          -- documents.text[start:end] == text
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    text_sha256 TEXT NOT NULL,       -- what decides whether a rebuild may reuse the vector
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
    import faiss

    from . import lexical
    from .embedding import Embedder, get_tokenizer

    started = time.perf_counter()
    corpus = Path(corpus).resolve()
    index_dir = Path(index_dir).resolve()
    files = list_files(corpus)  # raises a clear error for a missing folder
    tokenizer = get_tokenizer(settings.model)
    embedder = embedder or Embedder(settings.model, settings.batch_size)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(index_dir):
        previous, previous_manifest = _owner_check(index_dir, corpus)
        _cleanup(index_dir)
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # sorts in build order
        name = f"gen-{stamp}-{secrets.token_hex(3)}"
        tmp = index_dir / f"{name}.tmp"
        tmp.mkdir()
        _fault("started")
        reuse = _VectorReuse(previous, previous_manifest, settings, embedder.backend)
        try:
            report = _write_generation(
                tmp, corpus, files, settings, tokenizer, embedder, reuse, progress, faiss
            )
            manifest = {
                "format": FORMAT,
                "generation": name,
                "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "build_seconds": round(time.perf_counter() - started, 3),
                "corpus": str(corpus),
                "model": settings.model,
                "backend": embedder.backend,
                "dimension": report["dimension"],
                "max_seq_length": tokenizer.max_seq_length,
                "reading": settings.reading(),
                "chunking": settings.chunking(),
                "index_type": "IndexFlatIP",
                "lexical": lexical.SETTINGS,
                "metric": "inner_product",  # on L2-normalised vectors: cosine similarity
                "counts": {k: report[k] for k in ("documents", "passages", "embedded", "reused")},
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
    )


def _write_generation(tmp, corpus, files, settings, tokenizer, embedder, reuse, progress, faiss) -> dict:
    db = _connect(tmp / DATABASE)
    db.executescript(SCHEMA)
    index = None
    pending: list[tuple[Passage, str]] = []
    counts = {"documents": 0, "passages": 0, "embedded": 0, "reused": 0}
    recorded, skipped_files, skipped = {}, {}, []
    info = {f.doc_id: f for f in files}
    batch = max(settings.batch_size * 8, 64)

    def flush() -> None:
        nonlocal index
        if not pending:
            return
        vectors: list[bytes | None] = [reuse.get(h) for _, h in pending]
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:
            fresh = embedder.encode([pending[i][0].text for i in missing])
            _fault("embedding")
            for i, vec in zip(missing, fresh):
                vectors[i] = vec.astype(np.float32).tobytes()
        matrix = np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(len(vectors), -1)
        if index is None:
            index = faiss.IndexFlatIP(matrix.shape[1])  # inner product on L2-normalised vectors is cosine
        first = index.ntotal
        index.add(matrix)
        db.executemany(
            "INSERT INTO passages (id, doc_id, ordinal, start, end, text, n_tokens, text_sha256, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(first + i, p.doc_id, p.ordinal, p.start, p.end, p.text, p.n_tokens, h, vectors[i])
             for i, (p, h) in enumerate(pending)],
        )
        _fault("inserting")
        counts["embedded"] += len(missing)
        counts["reused"] += len(pending) - len(missing)
        counts["passages"] += len(pending)
        pending.clear()
        if progress:
            progress("embedding", counts["passages"], -1)

    for n, item in enumerate(iter_documents(corpus, files, int(settings.max_file_mb * 2**20)), 1):
        f = info[item.doc_id]
        if isinstance(item, Skipped):
            skipped.append(item)
            db.execute("INSERT INTO skipped VALUES (?, ?)", (item.doc_id, item.reason))
            digest = _hash_or_none(f.path)
            skipped_files[item.doc_id] = {"reason": item.reason, "sha256": digest, "size": f.size,
                                          "mtime_ns": f.mtime_ns}
        else:
            passages = chunk_document(item, tokenizer, settings.max_tokens, settings.overlap_tokens)
            _insert_document(db, item, len(passages))
            recorded[item.doc_id] = {"sha256": item.sha256, "size": f.size, "mtime_ns": f.mtime_ns,
                                     "passages": len(passages)}
            counts["documents"] += 1
            pending.extend((p, _text_hash(p.text)) for p in passages)
            if len(pending) >= batch:
                flush()
        if progress:
            progress("reading", n, len(files))
        _fault("reading")
    flush()
    if index is None:
        raise QAError(f"no documents to index in {corpus}: it has no readable .txt or .md files"
                      + (f" ({len(skipped)} skipped: {skipped[0].doc_id}: {skipped[0].reason})" if skipped else ""))
    if progress:
        progress("writing", 0, 1)
    _fault("committing")
    db.commit()
    if progress:
        progress("lexical", 0, 1)
    from . import lexical

    lexical.build((text for (text,) in db.execute("SELECT text FROM passages ORDER BY id")), tmp / LEXICAL)
    _fault("lexical")
    db.close()
    faiss.write_index(index, str(tmp / VECTORS))
    _fault("vectors")
    return {**counts, "dimension": index.d, "files": recorded, "skipped_files": skipped_files, "skipped": skipped}


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

        if manifest.get("format") != FORMAT:
            raise QAError(f"index at {gen} was written by another version of qa; run `qa index` to rebuild it")
        return cls(gen, manifest, vectors, gen / DATABASE, Lexical(gen / LEXICAL))

    def connect(self) -> sqlite3.Connection:
        return _connect(self.db_path, readonly=True)
