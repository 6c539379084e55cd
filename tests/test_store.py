import hashlib
import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest
from conftest import SEEDS, CountingEmbedder, write

from qa.config import default_index_dir, index_root
from qa.errors import MissingIndexError, QAError, StaleIndexError
from qa.search import Index
from qa.store import CURRENT, build_index, current_generation, read_manifest

QUESTION = "How many countries does Vietnam have diplomatic relations with?"


def open_index(index_dir, settings, embedder):
    return Index.open(index_dir, settings=settings, embedder=embedder)


def test_manifest_records_model_settings_and_every_document_hash(seeds_index, settings):
    manifest = read_manifest(current_generation(seeds_index))
    assert manifest["model"] == settings.model
    assert manifest["dimension"] == 384 and manifest["index_type"] == "IDMap2,Flat"
    assert manifest["vectors"] == {"type": "flat", "recall_at_10": 1.0, "sample": 0}
    assert manifest["chunking"] == settings.chunking()
    assert manifest["backend"] == settings.backend == "onnx-int8"
    assert sorted(manifest["documents"]) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for doc_id, entry in manifest["documents"].items():
        assert entry["sha256"] == hashlib.sha256((SEEDS / doc_id).read_bytes()).hexdigest()


def test_files_are_inspectable_and_consistent(seeds_index):
    gen = current_generation(seeds_index)
    vectors = faiss.read_index(str(gen / "vectors.faiss"))
    db = sqlite3.connect(gen / "passages.sqlite")
    n = db.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert vectors.ntotal == n == read_manifest(gen)["counts"]["passages"]
    for pid, blob, start, end, text, doc in db.execute(
        "SELECT p.id, p.vector, p.start, p.end, p.text, d.text FROM passages p JOIN documents d USING (doc_id)"
    ):
        stored = np.frombuffer(blob, dtype=np.float32)
        assert np.allclose(stored, vectors.reconstruct(pid)) and abs(np.linalg.norm(stored) - 1) < 1e-4
        assert doc[start:end] == text


def test_editing_a_file_makes_the_index_stale(seeds_copy, tmp_path, settings, embedder):
    build_index(seeds_copy, tmp_path / "ix", settings, embedder=embedder)
    open_index(tmp_path / "ix", settings, embedder)  # fresh: opens
    with open(seeds_copy / "004_fa2311fb06af83e6.txt", "a", encoding="utf-8") as f:
        f.write("\nA new closing paragraph.\n")
    (seeds_copy / "000_55b591c08ae884b4.txt").unlink()
    with pytest.raises(StaleIndexError, match=r"index is stale: 2 documents changed .*run `qa index"):
        open_index(tmp_path / "ix", settings, embedder)


def test_touching_without_changing_content_is_not_stale(seeds_copy, tmp_path, settings, embedder):
    build_index(seeds_copy, tmp_path / "ix", settings, embedder=embedder)
    path = seeds_copy / "001_d5cf18c687c34961.txt"
    path.write_bytes(path.read_bytes())  # new modification time, same bytes
    open_index(tmp_path / "ix", settings, embedder)


@pytest.mark.parametrize(
    "change, message",
    [({"model": "another/model"}, "built with model"), ({"max_tokens": 128}, "chunking"),
     ({"overlap_tokens": 0}, "chunking")],
)
def test_another_model_or_settings_is_stale(seeds_index, settings, embedder, change, message):
    with pytest.raises(StaleIndexError, match=message):
        Index.open(seeds_index, settings=replace(settings, **change), embedder=embedder)


def test_missing_index_says_how_to_build(tmp_path, settings):
    with pytest.raises(MissingIndexError, match="run `qa index`"):
        Index.open(tmp_path / "nothing", settings=settings)


def test_build_killed_midway_leaves_the_old_index_answering(seeds_copy, tmp_path, settings, embedder):
    ix = tmp_path / "ix"
    build_index(seeds_copy, ix, settings, embedder=embedder)
    before = [(h.doc_id, h.start) for h in open_index(ix, settings, embedder).search(QUESTION)]
    live = (ix / CURRENT).read_text()
    n = read_manifest(current_generation(ix))["counts"]["passages"]
    for f in seeds_copy.iterdir():  # every passage is new, so the rebuild must embed them all
        f.write_text(re.sub(r"(?m)^(?=\w)", "» ", f.read_text(encoding="utf-8")), encoding="utf-8")
    failing = CountingEmbedder(embedder, fail_after=n // 2)
    with pytest.raises(RuntimeError, match="injected"):
        build_index(seeds_copy, ix, settings, embedder=failing)
    assert 0 < len(failing.texts) <= n // 2
    assert (ix / CURRENT).read_text() == live
    assert not list(ix.glob("*.tmp"))
    old = Index.open(ix, settings=settings, embedder=embedder, check=False)
    assert [(h.doc_id, h.start) for h in old.search(QUESTION)] == before
    build_index(seeds_copy, ix, settings, embedder=embedder)  # and the next build completes
    assert (ix / CURRENT).read_text() != live
    open_index(ix, settings, embedder)


def test_reindex_embeds_only_passages_with_new_text(seeds_copy, tmp_path, settings, embedder):
    ix = tmp_path / "ix"
    build_index(seeds_copy, ix, settings, embedder=embedder)
    edited = "004_fa2311fb06af83e6.txt"
    with open(seeds_copy / edited, "a", encoding="utf-8") as f:
        f.write("\nThe committee will meet again in March to review progress on every commitment.\n")
    counting = CountingEmbedder(embedder)
    report = build_index(seeds_copy, ix, settings, embedder=counting)
    gen = current_generation(ix)
    db = sqlite3.connect(gen / "passages.sqlite")
    edited_texts = {t for (t,) in db.execute("SELECT text FROM passages WHERE doc_id = ?", (edited,))}
    all_texts = {t for (t,) in db.execute("SELECT text FROM passages")}
    embedded = [t for t in counting.texts if t in all_texts]  # the rest are gold questions, for calibration
    assert embedded and set(embedded) <= edited_texts
    assert report.embedded == len(embedded) and report.reused == report.passages - report.embedded
    # and the result equals a build from scratch
    scratch = tmp_path / "scratch"
    build_index(seeds_copy, scratch, settings, embedder=embedder)
    a, b = (faiss.read_index(str(current_generation(d) / "vectors.faiss")) for d in (ix, scratch))
    assert a.ntotal == b.ntotal
    assert np.allclose(a.reconstruct_n(0, a.ntotal), b.reconstruct_n(0, b.ntotal), atol=1e-5)


def test_old_generations_are_pruned(seeds_copy, tmp_path, settings, embedder):
    ix = tmp_path / "ix"
    for _ in range(4):
        build_index(seeds_copy, ix, settings, embedder=embedder)
    gens = sorted(p.name for p in ix.glob("gen-*"))
    assert len(gens) == 2 and (ix / CURRENT).read_text().strip() == gens[-1]


def test_an_index_belongs_to_one_corpus(tmp_path, settings, embedder):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "x.txt", "Alpha document about rivers.\n")
    write(b, "y.txt", "Beta document about mountains.\n")
    build_index(a, tmp_path / "ix", settings, embedder=embedder)
    with pytest.raises(QAError, match="another corpus"):
        build_index(b, tmp_path / "ix", settings, embedder=embedder)
    assert read_manifest(current_generation(tmp_path / "ix"))["corpus"] == str(a.resolve())


def test_default_index_dirs_never_collide(tmp_path):
    one, two = tmp_path / "one" / "docs", tmp_path / "two" / "docs"
    assert default_index_dir(SEEDS) == index_root()
    assert default_index_dir(one) != default_index_dir(two)
    assert default_index_dir(one).parent == index_root() / "corpora"


def test_empty_corpus_is_a_clear_error(tmp_path, settings, embedder):
    (tmp_path / "empty").mkdir()
    write(tmp_path / "bad", "x.txt", b"caf\xe9 au lait \xff not utf8")
    for folder in ("empty", "bad"):
        with pytest.raises(QAError, match="no documents to index"):
            build_index(tmp_path / folder, tmp_path / f"ix-{folder}", settings, embedder=embedder)
        assert current_generation(tmp_path / f"ix-{folder}") is None


def test_skipped_files_are_recorded(tmp_path, settings, embedder):
    write(tmp_path / "c", "good.txt", "A good document.\n")
    write(tmp_path / "c", "bad.txt", b"\x00\x01\x02binary")
    report = build_index(tmp_path / "c", tmp_path / "ix", settings, embedder=embedder)
    assert [(s.doc_id, "binary" in s.reason) for s in report.skipped] == [("bad.txt", True)]
    manifest = read_manifest(current_generation(tmp_path / "ix"))
    assert "bad.txt" in manifest["skipped"] and list(manifest["documents"]) == ["good.txt"]
    # fixing the skipped file makes the index stale
    write(tmp_path / "c", "bad.txt", "Now readable text.\n")
    with pytest.raises(StaleIndexError, match="bad.txt modified"):
        Index.open(tmp_path / "ix", settings=settings, embedder=embedder)


def test_manifest_is_json_without_pickles(seeds_index):
    gen = current_generation(seeds_index)
    assert sorted(p.name for p in gen.iterdir()) == ["lexical", "manifest.json", "passages.sqlite", "vectors.faiss"]
    json.loads((gen / "manifest.json").read_text())
    for f in (gen / "lexical").iterdir():  # bm25s: JSON, and .npy arrays that load without pickle
        assert f.suffix in (".json", ".npy")
        if f.suffix == ".npy":
            np.load(f, allow_pickle=False)
        else:
            json.loads(f.read_text())
    assert Path(seeds_index / CURRENT).read_text().strip() == gen.name


def test_an_unchanged_rebuild_embeds_nothing_not_even_for_calibration(seeds_copy, tmp_path, settings, embedder):
    build_index(seeds_copy, tmp_path / "ix", settings, embedder=embedder)
    first = read_manifest(current_generation(tmp_path / "ix"))["abstention"]
    counting = CountingEmbedder(embedder)
    report = build_index(seeds_copy, tmp_path / "ix", settings, embedder=counting)
    assert counting.texts == [] and report.embedded == 0
    assert read_manifest(current_generation(tmp_path / "ix"))["abstention"] == first
    # a changed gold set is calibrated again
    with open(seeds_copy / "gold.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "x1", "question": "Who painted the Mona Lisa?", "answers": [], "doc_ids": []}) + "\n")
    counting = CountingEmbedder(embedder)
    build_index(seeds_copy, tmp_path / "ix", settings, embedder=counting)
    assert "Who painted the Mona Lisa?" in counting.texts
    assert read_manifest(current_generation(tmp_path / "ix"))["abstention"]["unanswerable"] == first["unanswerable"] + 1


def test_an_index_root_with_other_corpora_builds_but_a_folder_of_user_files_is_refused(tmp_path, settings, embedder):
    write(tmp_path / "c", "a.txt", "A page about rivers.\n")
    root = tmp_path / "root"
    (root / "corpora" / "notes-123").mkdir(parents=True)
    (root / "beir" / "cacm").mkdir(parents=True)
    write(root, "README.md", "index root\n")
    build_index(tmp_path / "c", root, settings, embedder=embedder)
    assert current_generation(root) is not None
    write(tmp_path / "mine", "thesis.docx", b"precious")
    with pytest.raises(QAError, match=r"not empty \(thesis.docx\)"):
        build_index(tmp_path / "c", tmp_path / "mine", settings, embedder=embedder)
    assert (tmp_path / "mine" / "thesis.docx").read_bytes() == b"precious"
