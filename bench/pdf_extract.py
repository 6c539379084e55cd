"""PDF text extraction speed: pages per second of qa.read.pdftext on a generated 300-page report.

    python bench/pdf_extract.py [--pages 300] [--runs 3] [--keep report.pdf]

Chromium (playwright, /usr/bin/chromium or $QA_CHROMIUM) prints an HTML report to PDF: running header and
footer, headings, paragraphs, a two-column section and a table on every few pages. The extraction is timed
``--runs`` times in this process; the table gives the median, and the time pdfium alone takes to load every
page and its text page (the floor for any extraction through pdfium).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import machine, recorded  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def report_html(sections: int) -> str:
    parts = ["<!doctype html><html><head><title>Bench report</title><style>body{font:11pt serif}"
             ".cols{column-count:2;column-gap:2em} td{padding:2pt 12pt}</style></head><body>"]
    for s in range(sections):
        words = " ".join(f"Finding {s}.{i} shows that the harbour moved {i * 37 % 500} tonnes of grain while the "
                         f"inland depots reported steady demand and fewer delays than last year." for i in range(9))
        parts.append(f"<h2>Section {s + 1}: Harbour operations</h2><p>{words}</p><p>{words}</p>")
        if s % 3 == 0:
            parts.append(f"<div class='cols'><p>{words}</p><p>{words}</p></div>")
        if s % 4 == 0:
            rows = "".join(f"<tr><td>Depot {r}</td><td>{r * 13}</td><td>{r % 7}%</td></tr>" for r in range(8))
            parts.append(f"<table>{rows}</table>")
    return "".join(parts) + "</body></html>"


def make_pdf(pages: int) -> bytes:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            sections = max(1, round(pages / 1.25))  # about 1.25 pages a section, corrected below
            for _ in range(3):
                page.set_content(report_html(sections))
                pdf = page.pdf(display_header_footer=True, format="A4",
                               header_template="<div style='font-size:8pt;width:100%;text-align:center'>"
                                               "Harbour Report</div>",
                               footer_template="<div style='font-size:8pt;width:100%;text-align:center'>Page "
                                               "<span class='pageNumber'></span> of <span class='totalPages'></span>"
                                               "</div>",
                               margin={"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"})
                got = _count_pages(pdf)
                if abs(got - pages) <= pages // 50:
                    break
                sections = max(1, round(sections * pages / got))
        finally:
            browser.close()
    return pdf


def pdfium_floor(pdf: bytes) -> float:
    """Seconds pdfium itself takes to load every page and its text page: what any extraction through it costs."""
    import pypdfium2

    started = time.perf_counter()
    with pypdfium2.PdfDocument(pdf) as doc:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            textpage.count_chars()
            textpage.close()
            page.close()
    return time.perf_counter() - started


def _count_pages(pdf: bytes) -> int:
    import pypdfium2

    with pypdfium2.PdfDocument(pdf) as doc:
        return len(doc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="also write the generated PDF here")
    args = ap.parse_args()

    from qa.read.pdftext import pdf_to_text

    started = time.perf_counter()
    pdf = make_pdf(args.pages)
    made = time.perf_counter() - started
    if args.keep:
        args.keep.write_bytes(pdf)
    times, result = [], None
    for _ in range(args.runs):
        t = time.perf_counter()
        result = pdf_to_text(pdf)
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    floor = statistics.median(pdfium_floor(pdf) for _ in range(args.runs))
    rows = [
        ("machine", machine(f"pypdfium2 {__import__('pypdfium2').version.PYPDFIUM_INFO}")),
        ("PDF", f"{result.pages} pages, {len(pdf) / 2**20:.1f} MB, made by Chromium in {made:.1f} s"),
        ("extracted", f"{len(result.text):,} characters, {len(result.blocks):,} blocks, "
                      f"{len(result.headings)} headings"),
        (f"seconds (median of {args.runs})", f"{median:.2f}  (runs: {', '.join(f'{t:.2f}' for t in times)})"),
        ("pages per second", f"{result.pages / median:.0f}"),
        ("pdfium alone", f"{floor:.2f} s to load the pages and their text pages ({result.pages / floor:.0f} pages/s)"),
    ]
    print(f"qa PDF extraction — {time.strftime('%Y-%m-%d')}")
    for key, value in rows:
        print(f"{key:28}  {value}")
    return 0


if __name__ == "__main__":
    with recorded("pdf-extract"):
        code = main()
    sys.exit(code)
