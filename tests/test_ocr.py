"""Scanned PDFs (issue 22, item 4): a page without a text layer is read by OCR (Tesseract), its passages are kind
"ocr", its words light up on the rendered page where the printed words were, the build summary counts the pages;
without an engine the pages are named with how to enable OCR; a scan bomb is bounded in memory and time.

The scans are made here: Chromium prints a report with planted facts, pypdfium2 draws each page grey at 200 dpi,
Pillow writes the pictures back as image-only pages (``helpers.scan_pdf``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pypdfium2 as pdfium
import pytest
from bombs import huge_scan_pdf, run_measured
from helpers import FAKE_QA, QA, SEEDS, print_pdfs, scan_pdf, write

from qa.read.pdfboxes import boxes
from qa.read.pdftext import pdf_to_text

FACT_1 = "The keeper of the Skerrvik lighthouse, Ingrid Halvorsen, logged 1,184 passing ships in 1957."
FACT_2 = "The Vardholm ferry carried 36,420 passengers across the fjord in 2023."
_LOG = " ".join(f"Entry {i} of the harbour log notes the weather, the tides and the state of the moorings."
                for i in range(14))
_TIMETABLE = " ".join(f"Line {i} of the timetable gives a departure, its berth and the captain on duty that day."
                      for i in range(14))
REPORT = f"""<!doctype html><html><head><title>Harbour log</title></head><body style="font: 12pt serif">
<h1>The harbour log of Skerrvik</h1><p>{_LOG}</p><p>{FACT_1} Most of them were fishing boats.</p>
<h2 style="break-before: page">The ferries</h2><p>{_TIMETABLE}</p><p>{FACT_2} Winter storms cancelled nine
crossings.</p></body></html>"""


@pytest.fixture(scope="module")
def pdfs():
    printed = print_pdfs({"report": (REPORT, {})})["report"]
    return {"printed": printed, "scanned": scan_pdf(printed), "half": scan_pdf(printed, pages=[1])}


def pdfium_box(data: bytes, page: int, word: str) -> tuple[float, float, float, float]:
    """The union of pdfium's boxes of the characters of ``word``'s first occurrence on ``page`` (1-based)."""
    pdf = pdfium.PdfDocument(data)
    tp = pdf[page - 1].get_textpage()
    first, count = tp.search(word).get_next()
    bs = [tp.get_charbox(i) for i in range(first, first + count)]
    return min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)


def overlap(a, b) -> float:
    """Intersection over union of two (left, bottom, right, top) rectangles."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return w * h / (area(a) + area(b) - w * h)


def test_a_scanned_pdf_is_read_by_ocr_with_its_facts_and_pages(pdfs):
    assert pdf_to_text(pdfs["printed"]).ocr_pages == ()
    scan = pdfium.PdfDocument(pdfs["scanned"])
    assert [scan[i].get_textpage().count_chars() for i in range(len(scan))] == [0, 0]  # pictures only
    ex = pdf_to_text(pdfs["scanned"])
    assert ex.ocr_pages == (1, 2) and ex.ocr_engine.startswith("tesseract ") and ex.warnings == ()
    for fact, page in ((FACT_1, 1), (FACT_2, 2)):
        assert fact in ex.text  # 200 dpi grey: read without a mistake
        assert sum(1 for s in ex.page_starts if s <= ex.text.index(fact)) == page
    assert ex.title == "The harbour log of Skerrvik"  # its largest type, as on a printed page
    half = pdf_to_text(pdfs["half"])  # a text page, then a scanned one
    assert half.ocr_pages == (2,) and FACT_1 in half.text and FACT_2 in half.text


def test_an_ocr_word_is_lit_where_the_printed_word_was(pdfs):
    text = pdf_to_text(pdfs["scanned"]).text
    for word, page in (("Halvorsen", 1), ("36,420", 2), ("Vardholm", 2)):
        start = text.index(word)
        lit = boxes(pdfs["scanned"], start, start + len(word))
        assert list(lit.pages) == [page]
        (rect,) = lit.pages[page]
        printed = pdfium_box(pdfs["printed"], page, word)
        assert overlap(rect, printed) > 0.5, (word, rect, printed)
    # a passage across the page break lights both pages, one box a line
    start, end = text.index("Most of them"), text.index("The ferries") + 5
    assert sorted(boxes(pdfs["scanned"], start, end).pages) == [1, 2]


def test_the_reading_worker_renders_a_scanned_page_with_the_word_lit(pdfs):
    import base64
    import hashlib

    from qa.config import ReadingBudget
    from qa.read.worker import Reader

    data, text = pdfs["scanned"], pdf_to_text(pdfs["scanned"]).text
    start = text.index("Halvorsen")
    reader = Reader(1024)
    try:
        # the worker reads the scan again to light it: the same text, to the character, as this process read
        sha = hashlib.sha256(text.encode()).hexdigest()
        job = {"page": 1, "passage": [start - 30, start + 40], "sentence": [start, start + 9], "text_sha256": sha}
        answer = reader.read({"render": job}, data, ReadingBudget())
        assert base64.b64decode(answer["png"]).startswith(b"\x89PNG")
        (rect,) = answer["lit"]["sentence"]
        assert overlap(rect, pdfium_box(pdfs["printed"], 1, "Halvorsen")) > 0.5
        # the passage's boxes take in the sentence's
        assert any(p[0] <= rect[0] and p[2] >= rect[2] and p[1] <= rect[1] and p[3] >= rect[3]
                   for p in answer["lit"]["passage"])
    finally:
        reader.close()


@pytest.fixture(scope="module")
def scanned_folder(pdfs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans") / "corpus"
    write(folder, "log.pdf", pdfs["scanned"])
    write(folder, "half.pdf", pdfs["half"])
    write(folder, "note.txt", "Port note\nThe harbour master retires in spring.\n")
    return folder


def test_the_build_summary_counts_the_pages_read_by_ocr(scanned_folder, tmp_path):
    result = subprocess.run([*FAKE_QA, "index", scanned_folder, "--index-dir", tmp_path / "ix", "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("read by OCR:"))
    passages = int(line.split(", ")[-1].split()[0])
    assert line == f"read by OCR: 3 scanned pages without a text layer, {passages} passages" and passages >= 3
    from helpers import HashEmbedder

    from qa import Index, Settings

    index = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend), embedder=HashEmbedder())
    from qa.rank.scope import Scope

    # a passage is of the kind of the page it starts on
    kinds = {(h.doc_id, h.pages[0], h.kind) for doc in ("log.pdf", "half.pdf")
             for h in index.search("harbour log ferries", k=50, scope=Scope.of(doc=doc))}
    assert {k for k in kinds if k[0] == "log.pdf"} == {("log.pdf", 1, "ocr"), ("log.pdf", 2, "ocr")}
    assert {k for k in kinds if k[0] == "half.pdf"} <= {("half.pdf", 1, "text"), ("half.pdf", 2, "ocr")}
    ocr = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend), embedder=HashEmbedder())
    found = ocr.search("Vardholm ferry passengers", k=3, scope=Scope.of(doc="half.pdf", kind="ocr"))
    assert found and all(h.kind == "ocr" and h.pages[0] == 2 for h in found)  # the scope --kind ocr


def test_without_an_ocr_engine_the_scanned_pages_are_named_with_how_to_enable_it(scanned_folder, tmp_path):
    # a machine without Tesseract: no tesseract program on the PATH the reading worker inherits
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    result = subprocess.run([*FAKE_QA, "index", scanned_folder, "--index-dir", tmp_path / "ix", "-q"],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    why = ("Tesseract is not installed (no tesseract program on PATH); install Tesseract to read them: apt-get "
           "install tesseract-ocr")
    assert f"qa: warning: skipped log.pdf: no text layer (a scanned image?): {why}" in result.stderr
    assert (f"qa: warning: read half.pdf in part: no extractable text on page 2 (scanned images?): {why}"
            in result.stderr)
    assert "indexed 2 documents" in result.stdout and "read by OCR" not in result.stdout


@pytest.mark.model
def test_planted_facts_of_a_scan_come_first_marked_as_ocr(scanned_folder, tmp_path):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)  # real articles beside the scan
    shutil.copy(scanned_folder / "log.pdf", corpus / "log.pdf")
    index = subprocess.run([QA, "index", corpus, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                           text=True, timeout=900)
    assert index.returncode == 0, index.stderr
    assert "read by OCR: 2 scanned pages without a text layer" in index.stdout
    for question, fact, page in (("How many passing ships did the keeper of the Skerrvik lighthouse log in 1957?",
                                  "1,184", 1),
                                 ("How many passengers did the Vardholm ferry carry in 2023?", "36,420", 2)):
        result = subprocess.run([QA, "ask", "--json", "--corpus", corpus, "--index-dir", tmp_path / "ix", question],
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        first = json.loads(result.stdout)["hits"][0]
        assert (first["doc_id"], first["kind"], first["pages"]) == ("log.pdf", "ocr", [page]), first
        assert fact in first["text"]


@pytest.mark.slow
def test_a_scan_bomb_is_bounded_in_memory_and_time(tmp_path):
    """One A4 page that is a 40,000 x 40,000 grey picture (1.5 GB decoded, 1.6 MB on disk): pdfium scales it down
    as it decodes, so drawing it for OCR takes what drawing a page takes (measured: 3.6 s, 276 MiB for the whole
    `qa index` process tree)."""
    folder = tmp_path / "c"
    write(folder, "ok.txt", "Rice exports\nRice exports from the Mekong delta grew by a tenth this year.\n")
    write(folder, "scan.pdf", huge_scan_pdf())
    status, output, seconds, peak = run_measured(
        [*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], timeout=240)
    assert status == 0 and "Traceback" not in output, output
    assert seconds < 120, f"{seconds:.0f} s"
    assert peak < 1.5 * 2**30, f"peak RSS of the process tree {peak / 2**20:.0f} MiB"
    assert "skipped scan.pdf: no text: no text layer, and OCR (tesseract" in output  # white: no words
    assert "indexed 1 document " in output


@pytest.mark.slow
def test_ocr_past_the_time_budget_is_stopped_with_its_tesseract_process(pdfs):
    from qa.config import ReadingBudget
    from qa.read.worker import Reader

    reader = Reader(1024)
    try:
        # a real page takes Tesseract well over 0.5 s: the worker is killed at the budget, its group with it
        reader.read({"doc_id": "warm.txt"}, b"Warm\nThe worker starts.\n", ReadingBudget())
        group = reader.proc.pid
        answer = reader.read({"doc_id": "log.pdf"}, pdfs["scanned"], ReadingBudget(seconds=0.5))
        assert answer["skipped"] == "over the reading budget: not read within 0.5 s (QA_READ_SECONDS)"
        time.sleep(0.5)
        left = [p for p in os.listdir("/proc") if p.isdigit() and _group(p) == group]
        assert left == [], "a process of the killed worker's group lives on"
        assert "document" in reader.read({"doc_id": "log.pdf"}, pdfs["scanned"], ReadingBudget(seconds=300))
    finally:
        reader.close()


def _group(pid: str) -> int | None:
    """The process group of a live process (a zombie, killed and not yet reaped by init, runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return None if fields[0] == "Z" else int(fields[3])
    except (OSError, IndexError, ValueError):
        return None
