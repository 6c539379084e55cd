"""PDF and Word files in a corpus folder, end to end: read beside the seeds, cited to the page and the character,
bad files skipped with their reasons, incremental builds and staleness as for text. The PDFs are printed by the
real Chromium from HTML written here; the .docx is written with python-docx."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from helpers import FAKE_QA, HANDBOOK_PDF, PAGE_TWO_FACT, QA, SEEDS, CountingEmbedder, encrypt_pdf, print_pdfs, write

from qa import Index, StaleIndexError, build_index
from qa.store.layout import current_generation
from qa.store.manifest import Manifest

SCANNED = "<!doctype html><html><body><div style='width:400px;height:200px;background:#333'></div></body></html>"
PARTLY = ("<!doctype html><html><body><p>Only this first page of the customs manual has a text layer: pepper "
          "shipments need a phytosanitary certificate.</p><div style='break-before: page;width:400px;height:200px;"
          "background:#333'></div></body></html>")
BAD = {"scanned.pdf": "no text: no text layer, and OCR (tesseract",
       "locked.pdf": "encrypted: qa cannot read it",
       "cut.pdf": "not a readable PDF",
       "notes.docx": "not a Word .docx file"}


def make_memo() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = "Memo on port fees"
    d.add_heading("Port fees", level=1)
    d.add_paragraph("Cai Mep port lowered its container handling fee to 52 dollars per box in March.")
    d.add_heading("Fee table", level=2)
    table = d.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Port", "Fee"), ("Hai Phong", "61 dollars")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def printed_folder(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("formats") / "corpus"
    shutil.copytree(SEEDS, corpus)
    pdfs = print_pdfs({
        "handbook": HANDBOOK_PDF,
        "scanned": (SCANNED, {}),
        "partly": (PARTLY, {}),
    })
    write(corpus, "reports/handbook.pdf", pdfs["handbook"])
    write(corpus, "reports/customs.pdf", pdfs["partly"])
    write(corpus, "memo.docx", make_memo())
    write(corpus, "scanned.pdf", pdfs["scanned"])
    write(corpus, "locked.pdf", encrypt_pdf(pdfs["handbook"]))
    write(corpus, "cut.pdf", pdfs["handbook"][: len(pdfs["handbook"]) // 2])
    write(corpus, "notes.docx", "just text with a .docx name\n")
    return corpus


@pytest.fixture(scope="module")
def fake_index(printed_folder, tmp_path_factory, fake_settings, fake):
    index_dir = tmp_path_factory.mktemp("formats-index")
    report = build_index(printed_folder, index_dir, fake_settings, embedder=fake)
    return index_dir, report


def test_pdf_and_word_files_are_read_beside_the_seeds_and_bad_ones_named(fake_index):
    index_dir, report = fake_index
    assert {s.doc_id: s.reason for s in report.skipped}.keys() == BAD.keys()
    for s in report.skipped:
        assert s.reason.startswith(BAD[s.doc_id]), (s.doc_id, s.reason)
    assert [(n.doc_id, "no extractable text on page 2" in n.reason) for n in report.notes] == [
        ("reports/customs.pdf", True)]
    assert report.documents == 5 + 3
    manifest = Manifest.read(current_generation(index_dir))
    assert manifest.documents["reports/handbook.pdf"].pages == 3
    assert manifest.documents["reports/customs.pdf"].notes


def test_every_passage_knows_its_pages_and_slices_the_stored_text(fake_index, fake_settings, fake):
    index = Index.open(fake_index[0], settings=fake_settings, embedder=fake)
    doc = index.document("reports/handbook.pdf")
    assert doc.pages == 3 and doc.title == "Logistics Handbook 2024"
    assert "Page 1 of 3" not in doc.text and "Logistics Handbook 2024\n" not in doc.text.split("\n", 1)[1]
    hits = index.search("Tan Son Nhat cargo terminal air freight tonnes", k=10, mode="lexical")
    first = hits[0]
    assert first.doc_id == "reports/handbook.pdf" and PAGE_TWO_FACT in first.text and first.pages == (2,)
    for hit in index.search("cargo storage maintenance ports fees pepper", k=40, mode="lexical"):
        assert index.document(hit.doc_id).text[hit.start:hit.end] == hit.text
        assert hit.pages == () or hit.doc_id.endswith(".pdf")
        assert hit.pages != () or not hit.doc_id.endswith(".pdf")
    memo = index.document("memo.docx")
    assert memo.title == "Memo on port fees" and "Hai Phong | 61 dollars" in memo.text and memo.pages == 0
    fee = index.search("Cai Mep container handling fee", k=1, mode="lexical")[0]
    # a heading starts a passage as its context, not its text
    assert fee.doc_id == "memo.docx" and fee.text.startswith("Cai Mep") and fee.context == "Port fees"


def test_an_edited_pdf_is_read_again_alone_and_equals_a_full_build(printed_folder, tmp_path, fake_settings, fake):
    corpus = tmp_path / "c"
    shutil.copytree(printed_folder, corpus)
    build_index(corpus, tmp_path / "ix", fake_settings, embedder=fake)
    (corpus / "reports" / "customs.pdf").unlink()
    shutil.copy(corpus / "reports" / "handbook.pdf", corpus / "reports" / "customs.pdf")
    with pytest.raises(StaleIndexError, match="reports/customs.pdf modified"):
        Index.open(tmp_path / "ix", settings=fake_settings, embedder=fake)
    counting = CountingEmbedder(fake)
    report = build_index(corpus, tmp_path / "ix", fake_settings, embedder=counting)
    assert report.incremental and report.read == 1 and report.notes == ()
    full = build_index(corpus, tmp_path / "full", fake_settings, embedder=fake)
    a, b = (Index.open(d, settings=fake_settings, embedder=fake) for d in (tmp_path / "ix", tmp_path / "full"))
    assert sorted((p.doc_id, p.ordinal, p.start, p.end, p.text) for p in a.passages()) == \
        sorted((p.doc_id, p.ordinal, p.start, p.end, p.text) for p in b.passages())
    assert full.documents == report.documents and a.document("reports/customs.pdf").pages == 3


def test_qa_index_names_every_bad_file_with_its_reason(printed_folder, tmp_path):
    result = subprocess.run([*FAKE_QA, "index", printed_folder, "--index-dir", tmp_path / "ix", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for name, reason in BAD.items():
        assert f"qa: warning: skipped {name}: {reason}" in result.stderr, (name, result.stderr)
    assert "qa: warning: read reports/customs.pdf in part: no extractable text on page 2" in result.stderr
    assert "indexed 8 documents" in result.stdout


@pytest.mark.model
def test_a_fact_only_on_page_two_comes_first_with_its_page(printed_folder, tmp_path):
    question = "How much air freight did the Tan Son Nhat cargo terminal handle in 2024?"
    result = subprocess.run([QA, "ask", "--json", "--corpus", printed_folder, "--index-dir", tmp_path / "ix", question],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    first = answer["hits"][0]
    assert first["doc_id"] == "reports/handbook.pdf" and first["pages"] == [2] and not answer["abstained"]
    assert PAGE_TWO_FACT in first["text"]
    index = Index.open(tmp_path / "ix")
    for hit in answer["hits"]:
        assert index.document(hit["doc_id"]).text[hit["start"]:hit["end"]] == hit["text"]
        for s, e in hit["answer_spans"]:
            assert hit["start"] <= s < e <= hit["end"]
    for question, doc_id in [("What did Cai Mep port lower its container handling fee to?", "memo.docx"),
                             ("What certificate do pepper shipments need at customs?", "reports/customs.pdf")]:
        assert index.search(question, k=1)[0].doc_id == doc_id


def test_the_progress_moves_page_by_page_through_a_pdf(printed_folder, tmp_path, fake_settings, fake):
    corpus = tmp_path / "c"
    write(corpus, "handbook.pdf", (printed_folder / "reports" / "handbook.pdf").read_bytes())
    seen = []
    build_index(corpus, tmp_path / "ix", fake_settings, embedder=fake,
                progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert [(d, t) for phase, d, t in seen if phase == "pages"] == [(1, 3), (2, 3), (3, 3)]
    assert ("reading", 1, 1) in seen
