"""The index directory: inspectable generation files, CURRENT, pruning, ownership and default locations."""

import json
import sqlite3
from pathlib import Path

import faiss
import numpy as np
import pytest
from helpers import write

from qa import Index, build_index
from qa.errors import MissingIndexError, QAError
from qa.store.layout import CURRENT, Generation, current_generation, write_atomic
from qa.store.manifest import Manifest


def test_files_are_inspectable_and_consistent(fake_seeds_index):
    gen = current_generation(fake_seeds_index)
    vectors = faiss.read_index(str(gen / "vectors.faiss"))
    db = sqlite3.connect(gen / "passages.sqlite")
    n = db.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert vectors.ntotal == n == Manifest.read(gen).counts.passages
    for pid, blob, start, end, text, doc in db.execute(
        "SELECT p.id, p.vector, p.start, p.end, p.text, d.text FROM passages p JOIN documents d USING (doc_id)"
    ):
        stored = np.frombuffer(blob, dtype=np.float32)
        assert np.allclose(stored, vectors.reconstruct(pid)) and abs(np.linalg.norm(stored) - 1) < 1e-4
        assert doc[start:end] == text


def test_manifest_is_json_without_pickles(fake_seeds_index):
    gen = current_generation(fake_seeds_index)
    assert sorted(p.name for p in gen.iterdir()) == ["lengths.npy", "lexical", "manifest.json", "passages.sqlite",
                                                          "vectors.faiss"]
    json.loads((gen / "manifest.json").read_text())
    for f in (gen / "lexical").iterdir():  # bm25s: JSON, and .npy arrays that load without pickle
        assert f.suffix in (".json", ".npy")
        if f.suffix == ".npy":
            np.load(f, allow_pickle=False)
        else:
            json.loads(f.read_text())
    assert Path(fake_seeds_index / CURRENT).read_text().strip() == gen.name


def test_a_loaded_generation_knows_its_directory(fake_seeds_index):
    gen = Generation.load(fake_seeds_index)
    assert gen.index_dir == fake_seeds_index and gen.vectors.ntotal == gen.manifest.counts.passages


def test_missing_index_says_how_to_build(tmp_path, fake_settings):
    with pytest.raises(MissingIndexError, match="run `qa index`"):
        Index.open(tmp_path / "nothing", settings=fake_settings)


def test_old_generations_are_pruned(seeds_copy, tmp_path, fake_settings, fake):
    ix = tmp_path / "ix"
    for _ in range(4):
        build_index(seeds_copy, ix, fake_settings, embedder=fake)
    gens = sorted(p.name for p in ix.glob("gen-*"))
    assert len(gens) == 2 and (ix / CURRENT).read_text().strip() == gens[-1]


def test_an_index_belongs_to_one_corpus(tmp_path, fake_settings, fake):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "x.txt", "Alpha document about rivers.\n")
    write(b, "y.txt", "Beta document about mountains.\n")
    build_index(a, tmp_path / "ix", fake_settings, embedder=fake)
    with pytest.raises(QAError, match="another corpus"):
        build_index(b, tmp_path / "ix", fake_settings, embedder=fake)
    assert Manifest.read(current_generation(tmp_path / "ix")).corpus == str(a.resolve())


def test_an_index_root_with_other_corpora_builds_but_a_folder_of_user_files_is_refused(tmp_path, fake_settings,
                                                                                      fake):
    write(tmp_path / "c", "a.txt", "A page about rivers.\n")
    root = tmp_path / "root"
    (root / "corpora" / "notes-123").mkdir(parents=True)
    (root / "beir" / "cacm").mkdir(parents=True)
    write(root, "README.md", "index root\n")
    build_index(tmp_path / "c", root, fake_settings, embedder=fake)
    assert current_generation(root) is not None
    write(tmp_path / "mine", "thesis.docx", b"precious")
    with pytest.raises(QAError, match=r"not empty \(thesis.docx\)"):
        build_index(tmp_path / "c", tmp_path / "mine", fake_settings, embedder=fake)
    assert (tmp_path / "mine" / "thesis.docx").read_bytes() == b"precious"


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "CURRENT", "gen-1\n")
    write_atomic(tmp_path / "CURRENT", "gen-2\n")
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"] and (tmp_path / "CURRENT").read_text() == "gen-2\n"
