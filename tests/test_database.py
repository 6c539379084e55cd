"""qa.store.database: the one home of the schema and of every statement run on passages.sqlite."""

import sqlite3

import numpy as np
import pytest

from qa.read.documents import Document
from qa.store.database import CANDIDATE, SCHEMA, Reader, Reuse, Writer, vectors_of


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id, text, "Title " + doc_id, None, "2025-01-02", "sha-" + doc_id, ((0, len(text)),))


def _row(pid: int, doc_id: str, ordinal: int, text: str, vector: np.ndarray) -> tuple:
    return (pid, doc_id, ordinal, 0, len(text), text, 3, f"h{pid}", "term", "text", f"Report › Part {pid}",
            vector.astype(np.float32).tobytes(), "[]", b"")


@pytest.fixture
def built(tmp_path):
    path = tmp_path / "passages.sqlite"
    writer = Writer(path, new=True)
    assert writer.next_id() == 0  # an empty database: the first id is 0, not 1
    writer.add_document(_doc("a.txt", "alpha text"), 2)
    writer.add_document(_doc("b.txt", "beta"), 1)
    vectors = np.eye(3, dtype=np.float32)
    writer.add_passages([_row(0, "a.txt", 0, "alpha", vectors[0]), _row(1, "a.txt", 1, "text", vectors[1]),
                         _row(5, "b.txt", 0, "beta", vectors[2])])
    writer.add_skipped("c.txt", "binary file")
    writer.commit()
    return path, writer, vectors


def test_what_is_written_is_read_back(built):
    path, writer, vectors = built
    assert writer.next_id() == 6 and writer.counts() == (3, 2, 3)
    reader = Reader(path)
    assert [d[0] for d in reader.documents()] == ["a.txt", "b.txt"]
    assert reader.document("a.txt")[1] == "Title a.txt" and reader.document("zzz") is None
    assert reader.passages_of("a.txt") == [(0, 0, 5), (1, 0, 4)]
    assert np.array_equal(reader.vectors_of([5, 0]), vectors[[2, 0]])  # in the order asked
    row = dict(zip(CANDIDATE, reader.candidates([1])[0][1:]))
    assert (row["doc_id"], row["title"], row["ordinal"], row["n_passages"]) == ("a.txt", "Title a.txt", 1, 2)
    assert row["context"] == "Report › Part 1"  # the headings it lies under come back with it


def test_candidates_read_each_document_once_and_as_a_join_would(built):
    """A candidate's document facts (title, pages...) are read once per reader: reaching them makes SQLite read the
    document's whole text, which lies before them in its row."""
    path, _, _ = built
    reader = Reader(path)
    joined = reader.db.execute(
        "SELECT p.id, p.text, p.doc_id, d.title, d.source, p.start, p.end, d.date, p.ordinal, d.n_passages, "
        "d.page_starts, p.kind, p.context FROM passages p JOIN documents d USING (doc_id) ORDER BY p.id").fetchall()
    statements = []
    reader.db.set_trace_callback(statements.append)
    assert sorted(reader.candidates([5, 0, 1])) == joined
    assert sum("FROM documents" in s for s in statements) == 1
    statements.clear()
    assert sorted(reader.candidates([1, 5])) == [joined[1], joined[2]]
    assert not any("FROM documents" in s for s in statements)  # kept from the first call


def test_removing_documents_returns_their_passage_ids(built):
    path, writer, _ = built
    assert sorted(writer.remove_documents(["a.txt", "c.txt"]).tolist()) == [0, 1]
    writer.commit()
    assert [d[0] for d in Reader(path).documents()] == ["b.txt"]
    assert list(writer.terms()) == [(5, "term", 3)]


def test_vectors_come_back_in_chunks_after_an_id(built):
    _, writer, vectors = built
    chunks = list(writer.chunks(size=2))
    assert [ids.tolist() for ids, _ in chunks] == [[0, 1], [5]]
    assert [ids.tolist() for ids, _ in writer.chunks(after=0)] == [[1, 5]]
    assert np.array_equal(np.vstack([v for _, v in chunks]), vectors)


def test_reuse_finds_a_passage_by_its_text_hash(built):
    path, writer, vectors = built
    reuse = Reuse(path)
    assert np.frombuffer(reuse.get("h5")[0], dtype=np.float32).tolist() == vectors[2].tolist()
    assert reuse.get("nothing") is None and Reuse(None).get("h5") is None
    reuse.close()


def test_a_reader_never_writes(built):
    path, _, _ = built
    with pytest.raises(sqlite3.OperationalError):
        Reader(path).db.execute("DELETE FROM passages")


def test_the_schema_is_plain_sql_and_vectors_of_reads_many(tmp_path):
    db = sqlite3.connect(tmp_path / "x.sqlite")
    db.executescript(SCHEMA)
    rows = [_row(i, "d", i, "t", np.full(2, i, dtype=np.float32)) for i in range(1200)]
    db.execute("INSERT INTO documents VALUES ('d', 't', NULL, NULL, 'h', 1200, 't', '[]', '[]')")
    db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(*r[:9], r[11], r[9], r[12], r[13], r[10]) for r in rows])
    ids = list(range(1199, -1, -1))  # more than one IN (...) list, in reverse
    assert vectors_of(db, ids)[:, 0].tolist() == [float(i) for i in ids]
