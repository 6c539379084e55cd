"""Incremental builds, the index type by corpus size, and backends: the speed issue's behaviour (timings live in
bench/speed.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, write

from qa.errors import QAError, StaleIndexError
from qa.evaluate import load_gold
from qa.search import MODES, Index
from qa.store import DATABASE, build_index, current_generation, read_manifest

QA = str(Path(sys.executable).parent / "qa")
QUESTIONS = [g.question for g in load_gold(SEEDS / "gold.jsonl")]


def passages(index_dir: Path) -> dict:
    db = sqlite3.connect(current_generation(index_dir) / DATABASE)
    rows = db.execute("SELECT doc_id, ordinal, start, end, text, terms, vector FROM passages").fetchall()
    db.close()
    return {(r[0], r[1]): (r[2], r[3], r[4], r[5], np.frombuffer(r[6], dtype=np.float32)) for r in rows}


def results(index_dir: Path, settings, embedder) -> list:
    index = Index.open(index_dir, settings=settings, embedder=embedder)
    return [[(h.doc_id, h.start, h.end, round(h.score, 4)) for h in index.search(q, k=5, mode=mode)]
            for mode in sorted(MODES) for q in QUESTIONS]


def test_editing_adding_and_deleting_files_gives_what_a_full_rebuild_gives(seeds_copy, tmp_path, settings, embedder):
    from conftest import CountingEmbedder

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
    # only new passage texts were embedded (the rest of what was embedded is calibration on gold.jsonl)
    embedded_passages = [t for t in counting.texts if t in {v[2] for v in after.values()}]
    assert 0 < report.embedded == len(embedded_passages) <= len(changed)
    assert set(embedded_passages) <= {after[k][2] for k in changed}
    assert not any(k[0] == "004_fa2311fb06af83e6.txt" for k in after)

    full_dir = tmp_path / "full"
    full = build_index(seeds_copy, full_dir, settings, embedder=embedder)
    assert not full.incremental and full.read == 5
    reference = passages(full_dir)
    assert after.keys() == reference.keys()
    for key, (start, end, text, terms, vector) in after.items():
        r = reference[key]
        assert (start, end, text, terms) == r[:4], key
        np.testing.assert_allclose(vector, r[4], atol=1e-5)  # one text per forward pass: no batch effects
    assert results(index_dir, settings, embedder) == results(full_dir, settings, embedder)
    m_inc, m_full = read_manifest(current_generation(index_dir)), read_manifest(current_generation(full_dir))
    assert m_inc["documents"] == m_full["documents"] and m_inc["counts"]["passages"] == m_full["counts"]["passages"]


def test_an_unchanged_rebuild_reads_and_embeds_nothing(seeds_copy, tmp_path, settings, embedder):
    from conftest import CountingEmbedder

    index_dir = tmp_path / "index"
    build_index(seeds_copy, index_dir, settings, embedder=embedder)
    (seeds_copy / "001_d5cf18c687c34961.txt").touch()  # a new time, the same content
    counting = CountingEmbedder(embedder)
    report = build_index(seeds_copy, index_dir, settings, embedder=counting)
    assert report.incremental and report.read == 0 and counting.texts == []
    Index.open(index_dir, settings=settings, embedder=embedder)  # fresh: the touched file is not stale


@pytest.mark.parametrize("limit, kind", [(None, "IDMap2,Flat"), ("20", "IVF")])
def test_the_manifest_records_backend_and_an_index_type_that_follows_corpus_size(
        seeds_copy, tmp_path, settings, embedder, monkeypatch, limit, kind):
    if limit:
        monkeypatch.setenv("QA_EXACT_LIMIT", limit)  # the seeds' 46 passages count as a large corpus
    index_dir = tmp_path / "index"
    build_index(seeds_copy, index_dir, settings, embedder=embedder)
    manifest = read_manifest(current_generation(index_dir))
    assert manifest["backend"] == "onnx-int8" and manifest["index_type"].startswith(kind)
    if limit:
        v = manifest["vectors"]
        assert v["type"] == "ivf-sq8" and v["sample"] > 0 and v["nprobe"] >= 1 and v["recall_at_10"] >= 0.9
        index = Index.open(index_dir, settings=settings, embedder=embedder)
        assert index.search("Who issued Resolution 59?", k=1)[0].doc_id == "000_55b591c08ae884b4.txt"
        # an incremental build keeps the inverted file and adds to it in place
        write(seeds_copy, "extra.txt", "A short note about coffee exports from the Central Highlands.\n")
        build_index(seeds_copy, index_dir, settings, embedder=embedder)
        again = read_manifest(current_generation(index_dir))
        assert again["incremental"] and again["index_type"] == manifest["index_type"]


def test_qa_index_reports_the_vector_index_and_its_recall(seeds_copy, tmp_path):
    env = {**os.environ, "QA_EXACT_LIMIT": "20"}
    out = subprocess.run([QA, "index", seeds_copy, "--index-dir", tmp_path / "i", "-q"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("vectors:"))
    assert "IVF with" in line and "of the exact top 10" in line


def test_a_backend_mismatch_is_a_clear_error(seeds_index, settings, embedder):
    from dataclasses import replace

    from qa.embedding import TorchEmbedder

    other = replace(settings, backend="sentence-transformers-fp32")
    with pytest.raises(StaleIndexError, match="built with the onnx-int8 backend, but sentence-transformers-fp32"):
        Index.open(seeds_index, settings=other)
    with pytest.raises(QAError, match="built with the onnx-int8 backend"):  # even when freshness is not checked
        Index.open(seeds_index, settings=other, embedder=TorchEmbedder(settings.model), check=False)
    out = subprocess.run([QA, "ask", "Who issued Resolution 59?", "--index-dir", seeds_index, "--backend",
                          "sentence-transformers-fp32"], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "onnx-int8 backend" in out.stderr
    bad = subprocess.run([QA, "index", "--backend", "fp8", "--index-dir", seeds_index], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode != 0 and "Unknown backend 'fp8'. Choose from:" in bad.stderr


def test_onnx_vectors_stay_close_to_sentence_transformers(seeds_index, embedder, settings):
    from qa.embedding import TorchEmbedder

    db = sqlite3.connect(current_generation(seeds_index) / DATABASE)
    texts = [t for (t,) in db.execute("SELECT text FROM passages ORDER BY id LIMIT 40")]
    db.close()
    texts += QUESTIONS[:20]
    cosines = (embedder.encode(texts) * TorchEmbedder(settings.model).encode(texts)).sum(axis=1)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.97


def test_a_question_from_the_cli_does_not_import_torch_or_gradio(seeds_index):
    code = ("import sys; from qa.cli import main; rc = main(['ask', 'Who issued Resolution 59?', '--index-dir', "
            f"{str(seeds_index)!r}, '-k', '1']); "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio') if m in sys.modules]; "
            "print('HEAVY', heavy, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY [] 0" in out.stdout, out.stdout[-500:] + out.stderr[-500:]


def test_html_pages_are_read_without_their_furniture(tmp_path, settings, embedder):
    page = """<!DOCTYPE html><html><head><title>Rice exports</title><script>var x = "no";</script>
    <link rel="canonical" href="https://example.org/rice"></head><body>
    <div role="navigation"><a href="/">Home</a> | <a href="/next">Next topic</a></div>
    <div class="body"><h1>Rice exports</h1><p>Vietnam exported 8 million tonnes of rice in 2024,
    mostly to the Philippines.</p><pre>code  stays   as is</pre></div>
    <footer>Copyright 2024 Example</footer></body></html>"""
    write(tmp_path / "c", "rice.html", page)
    index_dir = tmp_path / "i"
    build_index(tmp_path / "c", index_dir, settings, embedder=embedder)
    index = Index.open(index_dir, settings=settings, embedder=embedder)
    hit = index.search("How much rice did Vietnam export?", k=1)[0]
    doc = index.document("rice.html")
    assert hit.doc_id == "rice.html" and doc.title == "Rice exports" and hit.source == "https://example.org/rice"
    assert doc.text[hit.start:hit.end] == hit.text and "8 million tonnes" in hit.text
    for furniture in ("Home", "Next topic", "Copyright", "var x"):
        assert furniture not in doc.text
    assert "code  stays   as is" in doc.text
    assert json.loads(json.dumps(read_manifest(current_generation(index_dir))["documents"]))["rice.html"]
