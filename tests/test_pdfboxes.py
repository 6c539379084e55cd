"""qa.read.pdfboxes: the boxes of a PDF Document's characters are pdfium's own boxes of exactly those characters,
on a Chromium-printed report (running heads and page numbers dropped) and on a PDF written by hand."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from helpers import HANDBOOK_PDF, hand_pdf, print_pdfs

from qa.read.pdfboxes import boxes, line_sources
from qa.read.pdftext import pdf_to_text


@pytest.fixture(scope="module")
def pdfs():
    return print_pdfs({"handbook": HANDBOOK_PDF})


def pdfium_box(data: bytes, page: int, word: str) -> tuple[float, float, float, float]:
    """The union of pdfium's boxes of the characters of ``word``'s first occurrence on ``page`` (1-based), found
    by pdfium's own search."""
    pdf = pdfium.PdfDocument(data)
    tp = pdf[page - 1].get_textpage()
    first, count = tp.search(word).get_next()
    bs = [tp.get_charbox(i) for i in range(first, first + count)]
    return min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)


def test_a_word_is_lit_by_exactly_its_pdfium_box(pdfs):
    data = pdfs["handbook"]
    text = pdf_to_text(data).text
    for word, page in (("412,000", 2), ("Binh Duong", 3), ("Logistics Handbook", 1)):
        start = text.index(word)
        lit = boxes(data, start, start + len(word))
        assert list(lit.pages) == [page]
        (rect,) = lit.pages[page]
        assert rect == pytest.approx(pdfium_box(data, page, word), abs=1e-6)


def test_a_passage_across_a_page_break_lights_both_pages(pdfs):
    data = pdfs["handbook"]
    ex = pdf_to_text(data)
    lit = boxes(data, ex.page_starts[1] - 30, ex.page_starts[1] + 30)
    assert sorted(lit.pages) == [1, 2]
    # the footer "Page 1 of 3" is no part of the text: nothing is lit below the body on page 1
    assert min(r[1] for r in lit.pages[1]) > 100


def test_the_hash_names_the_text_the_offsets_refer_to(pdfs):
    import hashlib

    data = pdfs["handbook"]
    assert boxes(data, 0, 5).text_sha256 == hashlib.sha256(pdf_to_text(data).text.encode()).hexdigest()


def test_every_line_of_a_hand_written_pdf_is_lit_and_nothing_outside_the_range():
    data = hand_pdf([[(72, 700, 12, "First line of the report."), (72, 680, 12, "Second line, same paragraph.")],
                     [(72, 700, 12, "A line on page two.")]])
    text = pdf_to_text(data).text
    whole = boxes(data, 0, len(text))
    assert sorted(whole.pages) == [1, 2] and len(whole.pages[1]) == 2
    start = text.index("Second")
    (rect,) = boxes(data, start, start + len("Second")).pages[1]
    assert rect == pytest.approx(pdfium_box(data, 1, "Second"), abs=1e-6)
    assert boxes(data, len(text), len(text)).pages == {}


def test_line_sources_replays_the_line_normalisation():
    page = "  e\ufb03cient\x01  work\ufffe"
    made, sources = line_sources(page, 0, len(page))
    assert made == "efficient work-"
    assert [page[i] for i in sources[:4]] == ["e", "\ufb03", "\ufb03", "\ufb03"]
    assert page[sources[-1]] == "\ufffe"


def test_a_rendered_page_is_a_png_within_the_size_bound_with_the_word_lit(pdfs):
    import io

    from PIL import Image

    from qa.read.pagerender import MAX_SIDE, pixel_rects, render_page, scale_for

    data = pdfs["handbook"]
    text = pdf_to_text(data).text
    start = text.index("412,000")
    lit = boxes(data, start, start + len("412,000"))
    png, (w, h) = render_page(data, 2, lit.pages[2])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and max(w, h) == MAX_SIDE
    plain, _ = render_page(data, 2)
    image, bare = Image.open(io.BytesIO(png)).convert("RGB"), Image.open(io.BytesIO(plain)).convert("RGB")
    width, height = pdfium.PdfDocument(data)[1].get_size()
    ((x0, y0, x1, y1),) = pixel_rects(lit.pages[2], height, scale_for(width, height))
    inside = image.getpixel(((x0 + x1) // 2, y0 + 1))
    assert inside != bare.getpixel(((x0 + x1) // 2, y0 + 1)) and inside[2] > inside[0]  # tinted blue
    assert image.getpixel((5, 5)) == bare.getpixel((5, 5))  # nothing lit outside the boxes
    with pytest.raises(IndexError):
        render_page(data, 9)


def test_a_huge_mediabox_renders_within_the_size_bound():
    from qa.read.pagerender import MAX_SIDE, render_page

    data = hand_pdf([[(72, 700, 12, "A poster.")]]).replace(b"/MediaBox [0 0 612 792]", b"/MediaBox [0 0 14400 14400]")
    png, size = render_page(data, 1)
    assert max(size) == MAX_SIDE and png.startswith(b"\x89PNG")


def test_the_reading_worker_renders_a_lit_page_within_its_budget(pdfs, tmp_path):
    import base64
    import hashlib

    from qa.config import ReadingBudget
    from qa.read.worker import Reader

    data = pdfs["handbook"]
    text = pdf_to_text(data).text
    start = text.index("412,000")
    reader = Reader(1024)
    try:
        sha = hashlib.sha256(text.encode()).hexdigest()
        job = {"page": 2, "passage": [start - 20, start + 20], "sentence": [start, start + 7], "text_sha256": sha}
        answer = reader.read({"render": job}, data, ReadingBudget())
        assert base64.b64decode(answer["png"]).startswith(b"\x89PNG") and max(answer["size"]) == 1800
        assert answer["lit"]["sentence"] == [list(r) for r in boxes(data, start, start + 7).pages[2]]
        stale = reader.read({"render": {**job, "text_sha256": "0" * 64}}, data, ReadingBudget())
        assert "changed since it was indexed" in stale["skipped"]
        missing = reader.read({"render": {"page": 9}}, data, ReadingBudget())
        assert missing.get("missing") and "3 pages" in missing["skipped"]
        # a page that draws without end is cut off by the worker's time budget, and the next render works
        from bombs import drawing_pdf

        slow = reader.read({"render": {"page": 1}}, drawing_pdf(), ReadingBudget(seconds=3))
        assert "over the reading budget" in slow["skipped"]
        assert "png" in reader.read({"render": {"page": 1}}, data, ReadingBudget())
    finally:
        reader.close()
