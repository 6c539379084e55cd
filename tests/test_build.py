"""Building: incremental builds equal full ones, vector reuse, the index type by corpus size, a build that dies
midway, skipped and empty corpora. Most run with the fake embedder; timings live in bench/speed.py."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest
from helpers import FAKE_QA, SEEDS, CountingEmbedder, write

from qa import MODES, Index, build_index
from qa.errors import QAError, StaleIndexError
from qa.evaluate import load_gold
from qa.rank.sentences import unpack
from qa.read.chunking import model_text
from qa.store.database import DATABASE
from qa.store.layout import CURRENT, current_generation
from qa.store.manifest import FORMAT, Manifest

QUESTIONS = [g.question for g in load_gold(SEEDS / "gold.jsonl")]
QUESTION = "How many countries does Vietnam have diplomatic relations with?"


def passages(index_dir: Path) -> dict:
    """(doc_id, ordinal) -> (start, end, text, terms, kind, sentences, vector, sentence vectors) of every passage."""
    db = sqlite3.connect(current_generation(index_dir) / DATABASE)
    rows = db.execute("SELECT doc_id, ordinal, start, end, text, terms, kind, sentences, vector, sentence_vectors "
                      "FROM passages").fetchall()
    db.close()
    out = {}
    for r in rows:
        vector = np.frombuffer(r[8], dtype=np.float32)
        sentences = json.loads(r[7])
        out[(r[0], r[1])] = (*r[2:8], vector, unpack(r[9], len(sentences), len(vector)))
    return out


def results(index_dir: Path, settings, embedder) -> list:
    index = Index.open(index_dir, settings=settings, embedder=embedder)
    return [[(h.doc_id, h.start, h.end, round(h.score, 4)) for h in index.search(q, k=5, mode=mode)]
            for mode in sorted(MODES) for q in QUESTIONS]


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.model)])
def any_embedder(request, fake, fake_settings):
    """Both embedders: the fake for the logic, the real one because its one-text-per-pass vectors are what make an
    incremental build equal a full one."""
    if request.param == "fake":
        return fake, fake_settings
    return request.getfixturevalue("embedder"), request.getfixturevalue("settings")


def test_editing_adding_and_deleting_files_gives_what_a_full_rebuild_gives(seeds_copy, tmp_path, any_embedder):
    embedder, settings = any_embedder
    index_dir = tmp_path / "index"
    build_index(seeds_copy, index_dir, settings, embedder=embedder)
    before = passages(index_dir)
    edited = seeds_copy / "002_8820c71eb08b3067.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "\n\n", "\n\nThe Mekong Delta exported a record rice harvest to forty countries this year.\n\n", 1),
        encoding="utf-8")
    (seeds_copy / "004_fa2311fb06af83e6.txt").unlink()
    write(seeds_copy, "new/extra.md", "# Tea in Thai Nguyen\n\nThai Nguyen province grows green tea on 22,000 "
                                      "hectares, and its farmers sell most of it to buyers in Taiwan and Pakistan.\n")
    counting = CountingEmbedder(embedder)
    report = build_index(seeds_copy, index_dir, settings, embedder=counting)
    assert report.incremental and report.read == 2  # the edited file and the new one; nothing else was read
    after = passages(index_dir)
    new_keys = {k for k in after if k[0] in ("002_8820c71eb08b3067.txt", "new/extra.md")}
    changed = {k for k in new_keys if k not in before or before[k][2] != after[k][2]}
    # only new passage texts were embedded (the rest of what was embedded is calibration on gold.jsonl), each read
    # after its context (the title line that heads each seed)
    contexts = dict(sqlite3.connect(current_generation(index_dir) / DATABASE).execute(
        "SELECT text, context FROM passages").fetchall())
    read = {model_text(contexts[v[2]], v[2]): v[2] for v in after.values()}
    embedded_passages = [read[t] for t in counting.texts if t in read]
    assert 0 < report.embedded == len(embedded_passages) <= len(changed)
    assert set(embedded_passages) <= {after[k][2] for k in changed}
    assert contexts[after["new/extra.md", 0][2]] == "Tea in Thai Nguyen"
    assert not any(k[0] == "004_fa2311fb06af83e6.txt" for k in after)

    full_dir = tmp_path / "full"
    full = build_index(seeds_copy, full_dir, settings, embedder=embedder)
    assert not full.incremental and full.read == 5
    reference = passages(full_dir)
    assert after.keys() == reference.keys()
    for key, (*stored, vector, sentence_vectors) in after.items():
        r = reference[key]
        assert stored == list(r[:6]), key  # offsets, text, terms, kind, sentences and their terms
        np.testing.assert_allclose(vector, r[6], atol=1e-5)  # one text per forward pass: no batch effects
        np.testing.assert_allclose(sentence_vectors, r[7], atol=1e-5)  # pooled from that same pass
    assert results(index_dir, settings, embedder) == results(full_dir, settings, embedder)
    m_inc, m_full = (Manifest.read(current_generation(d)) for d in (index_dir, full_dir))
    assert m_inc.documents == m_full.documents and m_inc.counts.passages == m_full.counts.passages


def test_a_corpus_of_one_passage_grows_incrementally(tmp_path, fake_settings, fake):
    corpus = tmp_path / "c"
    write(corpus, "a.txt", "The Mekong river flows through six countries.\n")
    build_index(corpus, tmp_path / "ix", fake_settings, embedder=fake)  # its one passage has id 0
    write(corpus, "b.txt", "Hanoi is the capital of Vietnam.\n")
    report = build_index(corpus, tmp_path / "ix", fake_settings, embedder=fake)
    assert report.incremental and report.passages == 2 and report.embedded == 1
    index = Index.open(tmp_path / "ix", settings=fake_settings, embedder=fake)
    assert [h.doc_id for h in index.search("capital of Vietnam", k=1)] == ["b.txt"]


def test_an_unchanged_rebuild_reads_and_embeds_nothing(seeds_copy, tmp_path, fake_settings, fake):
    index_dir = tmp_path / "index"
    build_index(seeds_copy, index_dir, fake_settings, embedder=fake)
    (seeds_copy / "001_d5cf18c687c34961.txt").touch()  # a new time, the same content
    counting = CountingEmbedder(fake)
    report = build_index(seeds_copy, index_dir, fake_settings, embedder=counting)
    assert report.incremental and report.read == 0 and counting.texts == []
    Index.open(index_dir, settings=fake_settings, embedder=fake)  # fresh: the touched file is not stale


def test_an_unchanged_rebuild_embeds_nothing_not_even_for_calibration(seeds_copy, tmp_path, fake_settings, fake):
    build_index(seeds_copy, tmp_path / "ix", fake_settings, embedder=fake)
    first = Manifest.read(current_generation(tmp_path / "ix")).abstention
    counting = CountingEmbedder(fake)
    report = build_index(seeds_copy, tmp_path / "ix", fake_settings, embedder=counting)
    assert counting.texts == [] and report.embedded == 0
    assert Manifest.read(current_generation(tmp_path / "ix")).abstention == first
    # a changed gold set is calibrated again
    with open(seeds_copy / "gold.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "x1", "question": "Who painted the Mona Lisa?", "answers": [], "doc_ids": []}) + "\n")
    counting = CountingEmbedder(fake)
    build_index(seeds_copy, tmp_path / "ix", fake_settings, embedder=counting)
    assert "Who painted the Mona Lisa?" in counting.texts
    assert Manifest.read(current_generation(tmp_path / "ix")).abstention.unanswerable == first.unanswerable + 1


def test_reindex_embeds_only_passages_with_new_text(seeds_copy, tmp_path, fake_settings, fake):
    ix = tmp_path / "ix"
    build_index(seeds_copy, ix, fake_settings, embedder=fake)
    edited = "004_fa2311fb06af83e6.txt"
    with open(seeds_copy / edited, "a", encoding="utf-8") as f:
        f.write("\nThe committee will meet again in March to review progress on every commitment.\n")
    counting = CountingEmbedder(fake)
    report = build_index(seeds_copy, ix, fake_settings, embedder=counting)
    gen = current_generation(ix)
    db = sqlite3.connect(gen / "passages.sqlite")
    edited_texts = {t for (t,) in db.execute("SELECT text FROM passages WHERE doc_id = ?", (edited,))}
    all_texts = {t for (t,) in db.execute("SELECT text FROM passages")}
    embedded = [t for t in counting.texts if t in all_texts]  # the rest are gold questions, for calibration
    assert embedded and set(embedded) <= edited_texts
    assert report.embedded == len(embedded) and report.reused == report.passages - report.embedded
    # and the result equals a build from scratch
    scratch = tmp_path / "scratch"
    build_index(seeds_copy, scratch, fake_settings, embedder=fake)
    a, b = (faiss.read_index(str(current_generation(d) / "vectors.faiss")) for d in (ix, scratch))
    assert a.ntotal == b.ntotal
    assert np.allclose(a.reconstruct_n(0, a.ntotal), b.reconstruct_n(0, b.ntotal), atol=1e-5)


def test_build_killed_midway_leaves_the_old_index_answering(seeds_copy, tmp_path, fake_settings, fake):
    ix = tmp_path / "ix"
    build_index(seeds_copy, ix, fake_settings, embedder=fake)
    before = [(h.doc_id, h.start) for h in Index.open(ix, settings=fake_settings, embedder=fake).search(QUESTION)]
    live = (ix / CURRENT).read_text()
    n = Manifest.read(current_generation(ix)).counts.passages
    for f in seeds_copy.iterdir():  # every passage is new, so the rebuild must embed them all
        f.write_text(re.sub(r"(?m)^(?=\w)", "» ", f.read_text(encoding="utf-8")), encoding="utf-8")
    failing = CountingEmbedder(fake, fail_after=n // 2)
    with pytest.raises(RuntimeError, match="injected"):
        build_index(seeds_copy, ix, fake_settings, embedder=failing)
    assert 0 < len(failing.texts) <= n // 2
    assert (ix / CURRENT).read_text() == live
    assert not list(ix.glob("*.tmp"))
    old = Index.open(ix, settings=fake_settings, embedder=fake, check=False)
    assert [(h.doc_id, h.start) for h in old.search(QUESTION)] == before
    build_index(seeds_copy, ix, fake_settings, embedder=fake)  # and the next build completes
    assert (ix / CURRENT).read_text() != live
    Index.open(ix, settings=fake_settings, embedder=fake)


@pytest.mark.parametrize("limit, kind", [(None, "IDMap2,Flat"), (20, "IVF")])
def test_the_manifest_records_backend_and_an_index_type_that_follows_corpus_size(
        seeds_copy, tmp_path, fake_settings, fake, limit, kind):
    settings = replace(fake_settings, exact_limit=limit) if limit else fake_settings  # 46 passages count as large
    index_dir = tmp_path / "index"
    build_index(seeds_copy, index_dir, settings, embedder=fake)
    manifest = Manifest.read(current_generation(index_dir))
    assert manifest.backend == fake.backend and manifest.index_type.startswith(kind)
    if limit:
        v = manifest.vectors
        assert v.type == "ivf-sq8" and v.sample > 0 and v.nprobe >= 1 and v.recall_at_10 >= 0.9
        index = Index.open(index_dir, settings=settings, embedder=fake)
        assert index.search("Who issued Resolution 59?", k=1)[0].doc_id == "000_55b591c08ae884b4.txt"
        # an incremental build keeps the inverted file and adds to it in place
        write(seeds_copy, "extra.txt", "A short note about coffee exports from the Central Highlands.\n")
        build_index(seeds_copy, index_dir, settings, embedder=fake)
        again = Manifest.read(current_generation(index_dir))
        assert again.incremental and again.index_type == manifest.index_type


def test_from_the_pq_limit_on_vectors_are_product_quantised_and_their_size_reported(tmp_path, fake_settings, fake):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(300)]
    corpus = tmp_path / "c"
    for n in range(400):  # one passage a file: 400 passages
        write(corpus, f"d{n:03d}.txt", " ".join(rng.choice(words, 12)) + ".\n")
    settings = replace(fake_settings, exact_limit=50, pq_limit=300)
    build_index(corpus, tmp_path / "ix", settings, embedder=fake)
    manifest = Manifest.read(current_generation(tmp_path / "ix"))
    v = manifest.vectors
    assert manifest.index_type.startswith("IVF") and manifest.index_type.endswith(",PQ8")  # 64 dims: 8 sub-vectors
    # the codes alone are coarse; re-ranked from the stored vectors, as questions are, the top 10 are found
    assert v.type == "ivf-pq" and v.bytes_per_vector == 8 + 8 and v.sample > 0 and v.recall_at_10 >= 0.9
    index = Index.open(tmp_path / "ix", settings=settings, embedder=fake)
    text = (corpus / "d123.txt").read_text().strip()
    assert "d123.txt" in [h.doc_id for h in index.search(text, k=5, mode="dense")]
    write(corpus, "extra.txt", "w1 w2 w3 a new passage.\n")  # added in place, still product-quantised
    build_index(corpus, tmp_path / "ix", settings, embedder=fake)
    again = Manifest.read(current_generation(tmp_path / "ix"))
    assert again.incremental and again.index_type == manifest.index_type and again.counts.passages == 401
    # the flat and 8-bit kinds report their size too
    build_index(corpus, tmp_path / "flat", fake_settings, embedder=fake)
    assert Manifest.read(current_generation(tmp_path / "flat")).vectors.bytes_per_vector == 4 * 64 + 8


def test_qa_index_reports_the_vector_index_and_its_recall(seeds_copy, tmp_path):
    env = {**os.environ, "QA_EXACT_LIMIT": "20"}
    out = subprocess.run([*FAKE_QA, "index", seeds_copy, "--index-dir", tmp_path / "i", "-q"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("vectors:"))
    assert "IVF with" in line and "of the exact top 10" in line


def test_empty_corpus_is_a_clear_error(tmp_path, fake_settings, fake):
    (tmp_path / "empty").mkdir()
    write(tmp_path / "bad", "x.txt", b"caf\xe9 au lait \xff not utf8")
    for folder in ("empty", "bad"):
        with pytest.raises(QAError, match="no documents to index"):
            build_index(tmp_path / folder, tmp_path / f"ix-{folder}", fake_settings, embedder=fake)
        assert current_generation(tmp_path / f"ix-{folder}") is None


def test_skipped_files_are_recorded(tmp_path, fake_settings, fake):
    write(tmp_path / "c", "good.txt", "A good document.\n")
    write(tmp_path / "c", "bad.txt", b"\x00\x01\x02binary")
    report = build_index(tmp_path / "c", tmp_path / "ix", fake_settings, embedder=fake)
    assert [(s.doc_id, "binary" in s.reason) for s in report.skipped] == [("bad.txt", True)]
    manifest = Manifest.read(current_generation(tmp_path / "ix"))
    assert "bad.txt" in manifest.skipped and list(manifest.documents) == ["good.txt"]
    # fixing the skipped file makes the index stale
    write(tmp_path / "c", "bad.txt", "Now readable text.\n")
    with pytest.raises(StaleIndexError, match="bad.txt modified"):
        Index.open(tmp_path / "ix", settings=fake_settings, embedder=fake)


def test_an_index_of_an_older_format_is_rebuilt_from_nothing(seeds_copy, tmp_path, fake_settings, fake):
    ix = tmp_path / "ix"
    build_index(seeds_copy, ix, fake_settings, embedder=fake)
    path = current_generation(ix) / "manifest.json"
    path.write_text(path.read_text().replace(f'"format": {FORMAT}', '"format": 3'))
    with pytest.raises(QAError, match="another version of qa"):
        Index.open(ix, settings=fake_settings, embedder=fake)
    report = build_index(seeds_copy, ix, fake_settings, embedder=fake)
    assert not report.incremental and report.read == 5
    Index.open(ix, settings=fake_settings, embedder=fake)
