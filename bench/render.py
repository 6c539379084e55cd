"""What showing a PDF page costs: the time to draw one page of a Chromium-printed 30-page report with a passage and
its answer sentence lit, against PDFium drawing the same page bare at the same scale (the baseline, in this
process): the first page shown of a file (its text read again to map offsets to PDFium's characters), another page
of a file just shown (that map kept, as the reading worker keeps it), and through the reading worker as the server
does it (the file sent to the worker, boxes, drawing, PNG).

    python bench/render.py [--runs 5]

Median of ``--runs`` passes over 10 pages; the table gives ms per page and the ratio to the bare drawing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import machine, recorded, table  # noqa: E402

PAGES = range(1, 30, 3)  # ten pages spread over the report


def bare(data: bytes, page: int) -> None:
    """PDFium's drawing alone, at the scale qa draws at, to an RGB image: what any viewer pays."""
    import pypdfium2 as pdfium

    from qa.read.pagerender import scale_for

    pdf = pdfium.PdfDocument(data)
    p = pdf[page - 1]
    bitmap = p.render(scale=scale_for(*p.get_size()))
    bitmap.to_pil().convert("RGB")
    bitmap.close()
    p.close()
    pdf.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from importlib.metadata import version

    from pdf_extract import make_pdf

    from qa.read.pagerender import render_page
    from qa.read.pages import render_lit_page
    from qa.read import pdfboxes
    from qa.read.pdfboxes import boxes_of
    from qa.read.pdftext import pdf_to_text

    print(f"qa render bench on {machine('pypdfium2 ' + version('pypdfium2'))}")
    data = make_pdf(30)
    ex = pdf_to_text(data)
    spans = {}
    for page in PAGES:  # a passage of ~900 characters on each page, its middle third the answer sentence
        start = ex.page_starts[page - 1] + 200
        spans[page] = ((start, start + 900), (start + 300, start + 600))

    def lit_here(page, cold: bool):
        if cold:  # the file's trace not kept: its first page shown
            pdfboxes._TRACES.clear()
        passage, sentence = spans[page]
        lit_p, lit_s = boxes_of(data, [passage, sentence])
        render_page(data, page, lit_p.pages.get(page, ()), lit_s.pages.get(page, ()))

    def lit_worker(page):
        passage, sentence = spans[page]
        render_lit_page(data, page, ex.text, passage, sentence)

    ways = {"PDFium draws the page, bare (baseline)": lambda page: bare(data, page),
            "lit, the file's first page shown (its text read again)": lambda page: lit_here(page, True),
            "lit, another page of a file just shown": lambda page: lit_here(page, False),
            "lit, in the reading worker (as served; file just shown)": lit_worker}
    lit_worker(1)  # the worker started and warm, as in a running server
    times = {name: [] for name in ways}
    for _ in range(args.runs):
        for name, way in ways.items():  # alternating, so that the machine's load falls on all alike
            started = time.perf_counter()
            for page in PAGES:
                way(page)
            times[name].append((time.perf_counter() - started) * 1000 / len(PAGES))
    base = statistics.median(times[next(iter(ways))])
    rows = [[name, statistics.median(ms), min(ms), statistics.median(ms) / base] for name, ms in times.items()]
    table(f"one page of a {len(ex.page_starts)}-page Chromium-printed report drawn at 1,800 px, {len(PAGES)} pages a "
          f"pass, median of {args.runs} passes", ["how", "ms/page", "best", "x bare"], rows)
    png, size = render_page(data, 4)
    print(f"\na page's PNG: {size[0]}x{size[1]} px, {len(png) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    with recorded("render"):
        code = main()
    sys.exit(code)
