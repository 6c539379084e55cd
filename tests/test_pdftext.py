"""qa.read.pdftext on PDFs that Debian's chromium prints (through Playwright) from HTML written here, and on bad files.

What Chromium's text layer holds, as pdfium reads it (asserted below, so these tests stay honest):
* a soft hyphen where a line breaks becomes a U+2010 hyphen glyph followed by a line break;
* a typed hyphen at a line end ("well-<br>known") becomes pdfium's U+FFFE mark, with no line break after it;
* a grid item placed in the left column but written second in the HTML is drawn second: the page's text runs
  right column first, and only the positions give the reading order;
* the header and footer templates are drawn last on every page: "Annual Report 2024", "Page 2 of 3".
"""

from __future__ import annotations

import base64
import io
import os
import re
import struct
import textwrap
import threading
import zlib
from bisect import bisect_right

import pytest
from helpers import encrypt_pdf, hand_pdf, print_pdfs

from qa.read.extracted import Unreadable, real_title
from qa.read.hyphens import join_hyphen as _join_hyphen
from qa.read.pdftext import _page_ranges, pdf_to_text

SMALL = "font-size:9pt;width:100%;text-align:center"

CROSSING = "Since the start, the crossing paragraph keeps going " + ", ".join(
    f"clause {i} of the long sentence adds one more detail about the harbour" for i in range(60)
) + ", and it ends here."
COLUMN = "the column paragraph runs on, " + ", ".join(f"colstep {i} of it" for i in range(1, 71)) + "."


def _sentences(tag: str, n: int) -> str:
    return " ".join(f"{tag} sentence {i} reports that revenue grew in the northern region." for i in range(n))


REPORT = f"""<!doctype html><html><head><title>Annual Report 2024: Results</title><style>
body {{ font-family: serif; font-size: 12pt; }}
.narrow {{ width: 9em; }}
.cols {{ column-count: 2; column-gap: 2em; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; column-gap: 2em; }}
.east {{ grid-column: 2; grid-row: 1; }} .west {{ grid-column: 1; grid-row: 1; }}
td {{ padding: 2pt 14pt; }}
</style></head><body>
<h1>Annual Report 2024</h1>
<p>{_sentences("Opening", 6)}</p>
<p class="narrow">The company expanded its inter&shy;national operations quickly.</p>
<p class="narrow">Our partners are well-<br>known in the trade, and long-<br>term contracts with compre-<br>hensive
carriers help.</p>
<p>Everyone agrees the brand is well-known.</p>
<p>Growth was strong<sup>2</sup> in the north.</p>
<p>{CROSSING}</p>
<h2>Regional Results</h2>
<div class="cols"><p>{COLUMN}</p></div>
<table><tr><td>Region</td><td>Revenue</td><td>Growth</td></tr><tr><td>North</td><td>120</td><td>5%</td></tr>
<tr><td>South</td><td>95</td><td>-2%</td></tr></table>
<h2 style="break-before: page">Swapped paint order</h2>
<div class="grid"><p class="east">{_sentences("Eastside", 7)}</p><p class="west">{_sentences("Westside", 7)}</p></div>
<p>Closing remarks end the report.</p>
</body></html>"""

# Three pages numbered "1 / 3" at the top and "- 1 -" at the bottom; its metadata title names a file.
DRAFT = f"""<!doctype html><html><head><title>Draft</title><style>body {{ font: 12pt serif; }}</style></head><body>
<h1>Quarterly Findings</h1><p>{_sentences("Draft", 100)}</p><p>{_sentences("Later", 100)}</p>
<p>{_sentences("Final", 40)}</p></body></html>"""


def _png(width: int = 240, height: int = 80) -> bytes:
    """A grey image with dark bars, like a scanned line of text: a real PNG made with zlib alone."""
    rows = b"".join(b"\x00" + bytes(40 if (y // 8) % 2 and (x // 12) % 3 else 230 for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


IMG = f'<img src="data:image/png;base64,{base64.b64encode(_png()).decode()}" width="480" height="160">'
SCANNED = f"<!doctype html><html><body>{IMG}<div style='break-before: page'>{IMG}</div></body></html>"
PARTLY_SCANNED = (f"<!doctype html><html><body><p>Only the first page has a text layer.</p>"
                  f"<div style='break-before: page'>{IMG}</div><div style='break-before: page'>{IMG}</div>"
                  f"</body></html>")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, bytes]:
    from pypdf import PdfReader, PdfWriter

    numbered = f'<div style="{SMALL}">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
    out = print_pdfs({
        "report": (REPORT, {"display_header_footer": True,
                            "header_template": f'<div style="{SMALL}">Annual Report 2024</div>',
                            "footer_template": numbered}),
        "draft": (DRAFT, {"display_header_footer": True,
                          "header_template": f'<div style="{SMALL}"><span class="pageNumber"></span> / '
                                             f'<span class="totalPages"></span></div>',
                          "footer_template": f'<div style="{SMALL}">- <span class="pageNumber"></span> -</div>'}),
        "scanned": (SCANNED, {}),
        "scanned_numbered": (SCANNED, {"display_header_footer": True, "header_template": "<span></span>",
                                       "footer_template": numbered}),
        "partly_scanned": (PARTLY_SCANNED, {}),
    })
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out["draft"])))
    writer.add_metadata({"/Title": "Microsoft Word - draft3.docx", "/CreationDate": "D:20240105093000+01'00'",
                         "/ModDate": "D:20240302120000Z"})
    buf = io.BytesIO()
    writer.write(buf)
    out["draft"] = buf.getvalue()
    out["encrypted"] = encrypt_pdf(out["report"])
    folder = tmp_path_factory.mktemp("pdfs")
    for name, data in out.items():  # left on disk for a look when a test fails
        (folder / f"{name}.pdf").write_bytes(data)
    return out


@pytest.fixture(scope="module")
def report(pdfs):
    calls = []
    ex = pdf_to_text(pdfs["report"], progress=lambda done, total: calls.append((done, total)))
    return ex, calls


def _raw_pages(data: bytes) -> list[str]:
    """Each page's text as pdfium gives it, before qa orders, joins or drops anything."""
    import pypdfium2

    with pypdfium2.PdfDocument(data) as pdf:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out


def _block(ex, needle: str) -> tuple[int, int]:
    found = [(s, e) for s, e in ex.blocks if needle in ex.text[s:e]]
    assert len(found) == 1, f"{needle!r} is in {len(found)} blocks"
    return found[0]


def _page(ex, offset: int) -> int:
    return bisect_right(ex.page_starts, offset)


def test_blocks_are_whole_lines_of_the_text(report):
    ex, _ = report
    assert ex.text.endswith("\n") and "\n\n" not in ex.text
    assert ex.blocks and [s for s, _ in ex.blocks] == sorted(s for s, _ in ex.blocks)
    for s, e in ex.blocks:
        assert s < e and "\n" not in ex.text[s:e] and ex.text[s:e] == ex.text[s:e].strip()
        assert s == 0 or ex.text[s - 1] == "\n"
        assert ex.text[e] == "\n"
    assert set(ex.headings) <= {s for s, _ in ex.blocks}


def test_pages_progress_and_page_of_each_paragraph(report, pdfs):
    ex, calls = report
    assert ex.pages == 3 and len(ex.page_starts) == 3 and ex.page_starts[0] == 0
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert _page(ex, _block(ex, "Opening sentence 0")[0]) == 1
    assert _page(ex, _block(ex, "colstep 1 ")[0]) == 2
    assert _page(ex, _block(ex, "North 120")[0]) == 2
    assert _page(ex, _block(ex, "Westside sentence 0")[0]) == 3
    assert _page(ex, _block(ex, "Closing remarks")[1] - 1) == 3
    # page 2 starts where pdfium's text of page 2 starts, inside the paragraph that crosses the page break
    raw = _raw_pages(pdfs["report"])
    first_line = raw[1].split("\r\n")[0]
    assert ex.text[ex.page_starts[1]:].startswith(first_line)


def test_a_paragraph_that_crosses_a_page_break_is_one_block(report):
    ex, _ = report
    s, e = _block(ex, "the crossing paragraph keeps going")
    assert ex.text[s:e] == CROSSING
    assert _page(ex, s) == 1 and _page(ex, e - 1) == 2 and s < ex.page_starts[1] < e


def test_running_header_footer_and_page_numbers_are_left_out(report, pdfs):
    ex, _ = report
    raw = _raw_pages(pdfs["report"])
    assert all(page.endswith(f"Annual Report 2024\r\nPage {i} of 3") for i, page in enumerate(raw, 1))
    assert not re.search(r"Page \d of \d", ex.text)
    # the heading that has the header's words, but not its place on the page, stays
    assert ex.text.count("Annual Report 2024") == 1 and ex.text.startswith("Annual Report 2024\n")


def test_other_page_number_styles_are_left_out(pdfs):
    raw = _raw_pages(pdfs["draft"])
    assert len(raw) >= 3 and "1 / " in raw[0] and "- 1 -" in raw[0]
    ex = pdf_to_text(pdfs["draft"])
    assert not re.search(r"(?m)^\d+ / \d+$|- \d+ -", ex.text), ex.text[:300]
    assert ex.pages == len(raw) and ex.text.startswith("Quarterly Findings\nDraft sentence 0")


def test_hyphenation(report, pdfs):
    ex, _ = report
    raw = _raw_pages(pdfs["report"])[0]
    assert "inter\u2010\r\nnational" in raw  # a soft hyphen where the line broke
    assert "well\ufffeknown" in raw and "long\ufffeterm" in raw and "compre\ufffehensive" in raw  # typed hyphens
    assert "The company expanded its international operations quickly." in ex.text
    # kept: "well-known" is written on one line elsewhere; "long" usually starts a compound; "compre" does not
    assert "Our partners are well-known in the trade, and long-term contracts with comprehensive carriers help." \
        in ex.text


def test_a_superscript_stays_in_its_line(report, pdfs):
    ex, _ = report
    # pdfium ends a line after the raised "2"; the rest of the line sits on the baseline again
    assert "Growth was strong2\r\n in the north." in _raw_pages(pdfs["report"])[0]
    assert "\nGrowth was strong2 in the north.\n" in ex.text


@pytest.mark.parametrize("left, right, words, joined", [
    ("inter-", "national", set(), "international"),
    ("a well-", "known", set(), "a well-known"),
    ("the ill-", "ness", set(), "the illness"),
    ("cost-", "effective", {"cost-effective"}, "cost-effective"),
    ("re-", "cover", {"recover"}, "recover"),
    ("pre-", "COVID", set(), "pre-COVID"),
    ("soft\xad", "ware", set(), "software"),
])
def test_join_hyphen_rule(left, right, words, joined):
    assert _join_hyphen(left, right, lambda: words) == joined


def test_two_columns_read_left_then_right(report, pdfs):
    ex, _ = report
    s, e = _block(ex, "the column paragraph runs on")  # one block although it runs on into the right column
    steps = [int(n) for n in re.findall(r"colstep (\d+)", ex.text[s:e])]
    assert steps == list(range(1, 71))
    assert ex.text[s:e] == COLUMN
    # written right column first; read left column first
    raw = _raw_pages(pdfs["report"])[2]
    assert raw.index("Eastside") < raw.index("Westside")
    assert _block(ex, "Westside sentence 0")[0] < _block(ex, "Eastside sentence 0")[0] \
        < _block(ex, "Closing remarks")[0]


def test_columns_drawn_row_by_row_are_read_column_by_column():
    left = textwrap.wrap("The left column tells how the harbour was dredged in spring, and how the new quay opened to "
                         "ships from the north before the summer storms arrived at the coast.", 40)
    right = textwrap.wrap("The right column explains the costs of the works, which came in under budget because the "
                          "contractor reused the old stone from the breakwater for the new walls.", 40)
    items = [(72, 720, 18, "Harbour works")]
    for i, (a, b) in enumerate(zip(left, right)):  # each row: its left line, then its right line
        items += [(72, 690 - 14 * i, 11, a), (320, 690 - 14 * i, 11, b)]
    data = hand_pdf([items])
    assert "harbour The right column" in _raw_pages(data)[0]  # pdfium reads each row as one line
    ex = pdf_to_text(data)
    assert ex.text == f"Harbour works\n{' '.join(left)}\n{' '.join(right)}\n"
    assert ex.headings == (0,) and ex.title == "Harbour works"  # the largest type on the first page


def test_first_line_indents_start_paragraphs_and_alternating_heads_are_furniture():
    paragraphs = ["The first paragraph starts with an indent and runs over several lines of plain text, so that the "
                  "reader sees how lines wrap when no space separates paragraphs.",
                  "A second paragraph follows at once, again with an indent, and it also runs over a few lines to "
                  "show that the indent alone marks where it begins.", "A short third one."]
    pages, names = [], ["", "First", "Second", "Third", "Fourth"]
    for n in range(1, 5):
        items = [(72 if n % 2 else 400, 750, 9, "Harbour Study" if n % 2 else "Chapter One: Dredging")]
        y = 700
        for p in paragraphs:
            for k, line in enumerate(textwrap.wrap(f"{names[n]} page. {p}", 60)):
                items.append((90 if k == 0 else 72, y, 11, line))
                y -= 13
        items.append((540 if n % 2 else 72, 40, 9, str(n)))  # a bare page number, outside then inside
        pages.append(items)
    ex = pdf_to_text(hand_pdf(pages))
    assert ex.text == "".join(f"{names[n]} page. {p}\n" for n in range(1, 5) for p in paragraphs)
    assert [_page(ex, s) for s, _ in ex.blocks] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


def test_headings_and_table_rows(report):
    ex, _ = report
    heads = [ex.text[s:ex.text.index("\n", s)] for s in ex.headings]
    assert heads == ["Annual Report 2024", "Regional Results", "Swapped paint order"]
    rows = [ex.text[s:e] for s, e in ex.blocks if ex.text[s:e].startswith(("Region ", "North", "South"))]
    assert rows == ["Region Revenue Growth", "North 120 5%", "South 95 -2%"]
    assert _block(ex, "North 120")[0] > _block(ex, "colstep 70")[0]


def test_title_and_date(report, pdfs):
    ex, _ = report
    assert ex.title == "Annual Report 2024: Results"  # the HTML <title>, which Chromium writes as the PDF's Title
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ex.date)
    draft = pdf_to_text(pdfs["draft"])
    assert draft.title == "Quarterly Findings"  # "Microsoft Word - draft3.docx" names a file, not the document
    assert draft.date == "2024-01-05"  # CreationDate before ModDate


@pytest.mark.parametrize("value, title", [
    ("Microsoft Word - draft3.docx", None), ("untitled", None), ("Untitled document", None),
    ("report_final_v2.pdf", None), ("C:\\Users\\ann\\report.doc", None), ("about:blank", None), ("1234", None),
    ("Annual Report 2024", "Annual Report 2024"), ("  The  Harbour Study ", "The Harbour Study"),
])
def test_real_title(value, title):
    assert real_title(value) == title


def test_image_only_pdf_has_no_text_layer(pdfs, monkeypatch):
    # the pages are read by OCR, which finds no words in grey bars
    nothing = r"^no text: no text layer, and OCR \(tesseract [\d.]+\) found none on its pages"
    with pytest.raises(Unreadable, match=nothing):
        pdf_to_text(pdfs["scanned"])
    # page numbers stamped on the scans are a text layer, but no text: the pages are read by OCR all the same
    assert _raw_pages(pdfs["scanned_numbered"]) == ["Page 1 of 2", "Page 2 of 2"]
    with pytest.raises(Unreadable, match=nothing):
        pdf_to_text(pdfs["scanned_numbered"])
    monkeypatch.setenv("QA_OCR", "off")  # no OCR engine: the reason says how to have one
    with pytest.raises(Unreadable, match=r"^no text layer \(a scanned image\?\): OCR is off \(QA_OCR=off\); .*"
                                         r"apt-get install tesseract-ocr"):
        pdf_to_text(pdfs["scanned"])


def test_text_on_the_first_page_only_is_a_warning(pdfs, monkeypatch):
    ex = pdf_to_text(pdfs["partly_scanned"])
    assert ex.pages == 3 and ex.text == "Only the first page has a text layer.\n"
    assert ex.page_starts == (0, len(ex.text), len(ex.text))
    assert re.fullmatch(r"no extractable text on pages 2-3: no text layer, and OCR \(tesseract [\d.]+\) found none "
                        r"there", *ex.warnings) and ex.ocr_pages == ()
    assert _page_ranges([2, 3, 4, 7, 9, 10]) == "pages 2-4, 7, 9-10" and _page_ranges([5]) == "page 5"
    monkeypatch.setenv("QA_OCR", "off")
    (warning,) = pdf_to_text(pdfs["partly_scanned"]).warnings
    assert warning.startswith("no extractable text on pages 2-3 (scanned images?): OCR is off (QA_OCR=off)")


def test_encrypted(pdfs):
    with pytest.raises(Unreadable, match=r"^encrypted: qa cannot read it$"):
        pdf_to_text(pdfs["encrypted"])


def test_truncated_and_random_bytes(pdfs):
    good = pdfs["report"]
    with pytest.raises(Unreadable, match=r"^not a readable PDF \(pdfium: data format error; no %%EOF at the end"):
        pdf_to_text(good[: len(good) // 2])
    with pytest.raises(Unreadable, match=r"^not a readable PDF \(pdfium: data format error; no %PDF header"):
        pdf_to_text(os.urandom(4096))
    with pytest.raises(Unreadable, match=r"^not a readable PDF \("):
        pdf_to_text(b"")


def test_no_pages_and_blank_pages():
    with pytest.raises(Unreadable, match=r"^not a readable PDF \(it has no pages\)$"):
        pdf_to_text(hand_pdf([]))
    with pytest.raises(Unreadable, match=r"^no text: every page is blank$"):
        pdf_to_text(hand_pdf([[], []]))
    ex = pdf_to_text(hand_pdf([[], [(72, 400, 12, "Text on page two only.")], []]))
    assert ex.page_starts == (0, 0, len(ex.text)) and _page(ex, 0) == 2
    assert ex.warnings == ()  # blank pages draw nothing: no scanned image to warn about


def test_threads_take_turns(pdfs):
    expected = pdf_to_text(pdfs["draft"])
    results, errors = [], []

    def run():
        try:
            results.append(pdf_to_text(pdfs["draft"]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [expected] * 3
