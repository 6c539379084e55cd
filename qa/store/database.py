"""``passages.sqlite``, a generation's documents and passages: the one home of its schema and of every statement qa
runs on it. A build writes it through ``Writer`` (one transaction, committed once); an index reads it through
``Reader``, one read-only connection per thread (a generation never changes once written, so readers need no
locks)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..rank.scope import Scope

DATABASE = "passages.sqlite"

SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT,
    date TEXT,
    sha256 TEXT NOT NULL,
    n_passages INTEGER NOT NULL,
    text TEXT NOT NULL,
    page_starts TEXT NOT NULL,       -- JSON list: where page i + 1 begins in text ([] for a document without pages)
    headings TEXT NOT NULL DEFAULT '[]' -- JSON [[start, end, level], ...]: its headings, the context of its passages
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
    vector BLOB NOT NULL,            -- float32, L2-normalised
    kind TEXT NOT NULL,              -- 'text' or 'caption' (a photo caption, a passage of its own)
    sentences TEXT NOT NULL,         -- JSON [[start, end, "terms"], ...]: its sentences, offsets into text
    sentence_vectors BLOB NOT NULL,  -- one vector per sentence: float32 scales, then int8 rows (qa.rank.sentences.pack)
    context TEXT NOT NULL DEFAULT '' -- the headings it lies under ("Report › Results"): read with it, never cited
);
CREATE INDEX passages_by_hash ON passages(text_sha256);
CREATE INDEX passages_by_doc ON passages(doc_id, ordinal);
CREATE TABLE skipped (doc_id TEXT PRIMARY KEY, reason TEXT NOT NULL);
"""

#: What the database stores of a passage's text besides the text: its vector, its sentences, their vectors.
Stored = tuple[bytes, str, bytes]

_DOCUMENT = "doc_id, title, source, date, text, n_passages, page_starts, headings"
#: The columns of a passage as a question's candidate (``Reader.candidates``), in this order.
CANDIDATE = ("text", "doc_id", "title", "source", "start", "end", "date", "ordinal", "n_passages", "page_starts",
             "kind", "context")
#: How many documents' facts a reader keeps for its candidates (cleared when full): a generation's documents never
#: change, and a question's candidates come from few of them.
FACTS_KEPT = 20_000
#: IN (...) lists are cut to this many ids: SQLite's limit on parameters is 32,766, and shorter lists plan alike.
_IN = 500


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        # Generations never change once written: immutable=1 skips locking, so any number of readers are free.
        return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    return sqlite3.connect(path)


def _in(ids) -> str:
    return ",".join("?" * len(ids))


def vectors_of(db: sqlite3.Connection, ids) -> np.ndarray:
    """The stored float32 vectors of passages ``ids``, one row each in that order."""
    out = []
    for start in range(0, len(ids), _IN):
        part = [int(i) for i in ids[start:start + _IN]]
        rows = dict(db.execute(f"SELECT id, vector FROM passages WHERE id IN ({_in(part)})", part))
        out += [np.frombuffer(rows[i], dtype=np.float32) for i in part]
    return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


def _scope_sql(scope: Scope) -> tuple[str, list]:
    """A WHERE clause over passages ``p`` joined with documents ``d`` for ``scope``, and its parameters."""
    where, params = ["1"], []
    if scope.docs:
        where.append(f"p.doc_id IN ({_in(scope.docs)})")
        params += scope.docs
    if scope.folders:
        # a prefix compared as it is (case and all; no LIKE, whose % and _ a folder name may hold)
        prefixes = [f + "/" for f in scope.folders if f]
        if len(prefixes) == len(scope.folders):  # "" is the whole corpus
            where.append("(" + " OR ".join(["substr(p.doc_id, 1, ?) = ?"] * len(prefixes)) + ")")
            params += [x for f in prefixes for x in (len(f), f)]
    if scope.types:
        where.append("(" + " OR ".join(["lower(substr(p.doc_id, ?)) = ?"] * len(scope.types)) + ")")
        params += [x for t in scope.types for x in (-len(t), t)]
    if scope.kinds:
        where.append(f"p.kind IN ({_in(scope.kinds)})")
        params += scope.kinds
    if scope.since:
        where.append("d.date >= ?")
        params.append(scope.since)
    if scope.until:
        where.append("d.date <= ?")
        params.append(scope.until)
    if scope.pages:
        # a passage on any page from first to last: it ends after the first page begins, and starts before the page
        # after the last begins (or the document has no such page)
        first, last = scope.pages
        where.append("json_array_length(d.page_starts) >= ? AND p.end > json_extract(d.page_starts, ?) AND "
                     "(json_array_length(d.page_starts) <= ? OR p.start < json_extract(d.page_starts, ?))")
        params += [first, f"$[{first - 1}]", last, f"$[{last}]"]
    return " AND ".join(where), params


class Writer:
    """The database of a generation being built: a new one, or a copy of the previous generation's to update."""

    def __init__(self, path: Path, new: bool):
        self.db = connect(path)
        if new:
            self.db.executescript(SCHEMA)

    def remove_documents(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Delete these documents with their passages and skip records; the ids of the passages deleted."""
        ids: list[int] = []
        for doc_id in doc_ids:
            ids += [i for (i,) in self.db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))]
            for table in ("passages", "documents", "skipped"):
                self.db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
        return np.array(ids, dtype=np.int64)

    def add_skipped(self, doc_id: str, reason: str) -> None:
        self.db.execute("INSERT INTO skipped VALUES (?, ?)", (doc_id, reason))

    def add_document(self, doc, n_passages: int) -> None:
        """``doc``: a ``qa.read.documents.Document``."""
        self.db.execute(f"INSERT INTO documents ({_DOCUMENT}, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc.doc_id, doc.title, doc.source, doc.date, doc.text, n_passages,
                         json.dumps(doc.page_starts), json.dumps(doc.headings), doc.sha256))

    def add_passages(self, rows: Iterable[tuple]) -> None:
        """Rows of (id, doc_id, ordinal, start, end, text, n_tokens, text_sha256, terms, kind, context, vector,
        sentences, sentence_vectors)."""
        self.db.executemany(
            "INSERT INTO passages (id, doc_id, ordinal, start, end, text, n_tokens, text_sha256, terms, kind, context, "
            "vector, sentences, sentence_vectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def next_id(self) -> int:
        """The first passage id never used here (0 is an id: ``MAX(id) or -1`` would reuse it)."""
        last = self.db.execute("SELECT MAX(id) FROM passages").fetchone()[0]
        return 0 if last is None else last + 1

    def counts(self) -> tuple[int, int, int]:
        """(passages, documents, vector dimension; 0 without passages)."""
        n, width = self.db.execute("SELECT COUNT(*), MAX(LENGTH(vector)) FROM passages").fetchone()
        documents = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        return n, documents, (width or 0) // 4

    def terms(self) -> Iterator[tuple[int, str, int]]:
        """(id, space-separated terms, word pieces) of every passage, in id order: what BM25 is rebuilt from."""
        yield from self.db.execute("SELECT id, terms, n_tokens FROM passages ORDER BY id")

    def chunks(self, size: int = 20_000, after: int = -1) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of the passages with ids above ``after``, ``size`` at a time, in id order."""
        last = after
        while True:
            rows = self.db.execute("SELECT id, vector FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                                   (last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield (np.array([r[0] for r in rows], dtype=np.int64),
                   np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1))

    def ids(self) -> np.ndarray:
        return np.array([i for (i,) in self.db.execute("SELECT id FROM passages")], dtype=np.int64)

    def vectors_of(self, ids) -> np.ndarray:
        return vectors_of(self.db, ids)

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class Reuse:
    """The previous generation's database, looked up by passage text hash: a passage whose text is unchanged keeps
    its vector, sentences and sentence vectors (all three depend on the text alone)."""

    def __init__(self, path: Path | None):
        self.db = None
        if path is not None:
            try:
                self.db = connect(path, readonly=True)
            except sqlite3.Error:
                self.db = None

    def get(self, digest: str) -> Stored | None:
        if self.db is None:
            return None
        return self.db.execute("SELECT vector, sentences, sentence_vectors FROM passages WHERE text_sha256 = ? "
                               "LIMIT 1", (digest,)).fetchone()

    def hashes_of(self, doc_id: str) -> frozenset[str]:
        """The text hashes of the passages the previous generation holds of ``doc_id``."""
        if self.db is None:
            return frozenset()
        return frozenset(h for (h,) in self.db.execute("SELECT text_sha256 FROM passages WHERE doc_id = ?",
                                                        (doc_id,)))

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


class Reader:
    """A generation's database for answering: one read-only connection per thread, opened when first needed."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._kept: dict[str, tuple] = {}  # documents' facts read for candidates (``_facts``)

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, readonly=True)
        return db

    def documents(self) -> list[tuple]:
        """(doc_id, title, source, date, text, n_passages, page_starts JSON, headings JSON) of every document, by
        id."""
        return self.db.execute(f"SELECT {_DOCUMENT} FROM documents ORDER BY doc_id").fetchall()

    def document(self, doc_id: str) -> tuple | None:
        return self.db.execute(f"SELECT {_DOCUMENT} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()

    def passages_of(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(ordinal, start, end) of every passage of a document, in order."""
        return self.db.execute("SELECT ordinal, start, end FROM passages WHERE doc_id = ? ORDER BY ordinal",
                               (doc_id,)).fetchall()

    def passages(self) -> list[tuple]:
        """(id, doc_id, ordinal, start, end, text, context) of every passage, in id order."""
        return self.db.execute("SELECT id, doc_id, ordinal, start, end, text, context FROM passages "
                               "ORDER BY id").fetchall()

    def candidates(self, ids: list[int]) -> list[tuple]:
        """(id, *CANDIDATE) of passages ``ids`` with their documents' title, source, date and pages."""
        rows = self.db.execute(f"SELECT id, text, doc_id, start, end, ordinal, kind, context FROM passages "
                               f"WHERE id IN ({_in(ids)})", ids).fetchall()
        facts = self._facts({row[2] for row in rows})
        out = []
        for pid, text, doc_id, start, end, ordinal, kind, context in rows:
            title, source, date, n_passages, page_starts = facts[doc_id]
            out.append((pid, text, doc_id, title, source, start, end, date, ordinal, n_passages, page_starts, kind,
                        context))
        return out

    def _facts(self, doc_ids: set[str]) -> dict[str, tuple]:
        """(title, source, date, n_passages, page_starts JSON) of documents, each read once per reader (bounded by
        ``FACTS_KEPT``). A document's row holds its whole text before ``page_starts``, so reading that column makes
        SQLite follow the text's chain of overflow pages: at a million passages in 1,000 files (215 KB of text each)
        a question's 30 candidates took 1.84 ms to read with their documents joined, 0.14 ms with their facts kept."""
        kept = self._kept
        if len(kept) > FACTS_KEPT:
            kept.clear()
        out = {d: f for d, f in ((d, kept.get(d)) for d in doc_ids) if f is not None}  # another thread may clear
        missing = [d for d in doc_ids if d not in out]
        if missing:
            for doc_id, *facts in self.db.execute(
                    f"SELECT doc_id, title, source, date, n_passages, page_starts FROM documents "
                    f"WHERE doc_id IN ({_in(missing)})", missing):
                out[doc_id] = kept[doc_id] = tuple(facts)
        return out

    def sentences_of(self, ids: list[int]) -> list[tuple[int, str, str, str, bytes]]:
        """(id, text, terms, sentences JSON, packed sentence vectors) of passages ``ids``."""
        return self.db.execute(f"SELECT id, text, terms, sentences, sentence_vectors FROM passages "
                               f"WHERE id IN ({_in(ids)})", ids).fetchall()

    def vectors_of(self, ids) -> np.ndarray:
        return vectors_of(self.db, ids)

    def scope_ids(self, scope: Scope) -> np.ndarray:
        """The ids of the passages ``scope`` holds, in id order."""
        where, params = _scope_sql(scope)
        rows = self.db.execute(f"SELECT p.id FROM passages p JOIN documents d USING (doc_id) WHERE {where} "
                               f"ORDER BY p.id", params)
        return np.fromiter((i for (i,) in rows), dtype=np.int64)
