"""OCR engines on scanned pages made here: character error rate against the known text, and pages per second.

    python bench/ocr.py [--pages 3] [--engines tesseract,rapidocr] [--dpi 200,300]

The scans: Chromium prints the seed articles (real news prose, names and figures) to A4 pages, in 11 pt body text
and in 8 pt small print; pypdfium2 draws each page grey, as a scanner would, in two conditions — "clean" (300 dpi)
and "office" (150 dpi, turned 0.7°, JPEG quality 50, a little noise) — and Pillow writes those pictures back as
an image-only PDF: no text layer. Each engine then reads each scanned page as qa does (pdfium draws the page grey
at each ``--dpi``, the engine reads the bitmap). The truth is pdfium's text of the printed page; both sides have
their white space collapsed to single spaces before the character error rate (Levenshtein distance / characters
of the truth, rapidfuzz). Time is the engine's alone on one page (drawing excluded), the median over the pages, in
this process, one page at a time, in wall and in CPU seconds (the Tesseract process's included): on a shared
machine the CPU seconds are the steadier number. Tesseract runs single-threaded (OMP_THREAD_LIMIT=1), as qa runs
it.

Last, qa itself on the office scan: ``qa.read.pdftext.pdf_to_text`` (draw, OCR, lines, paragraphs) and the page
view's render of a lit passage on a scanned page (``qa.read.pagerender.render_request``), first and again.

Engines: Tesseract 5 (Debian's ``tesseract-ocr``) through ``pytesseract``; RapidOCR (PaddleOCR's models in ONNX,
``rapidocr-onnxruntime``, models in its wheel). For the bench only: ``pip install pytesseract rapidocr-onnxruntime
rapidfuzz``.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, machine, recorded, table  # noqa: E402

PRINT = (11, 8)  # body text and small print, in points
CONDITIONS = {  # name -> (dpi of the scan, degrees turned, JPEG quality or None, noise sigma in grey levels)
    "clean": (300, 0.0, None, 0.0),
    "office": (150, 0.7, 50, 12.0),
}


def text_pdf(pages: int, points: float = 11) -> bytes:
    """The seed articles set in ``points`` pt serif, printed by Chromium, cut to ``pages`` A4 pages."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import PDF_MARGIN, chromium

    articles = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    body = "".join(f"<h2>{html.escape(a.splitlines()[0])}</h2>" + "".join(
        f"<p>{html.escape(line)}</p>" for line in a.splitlines()[1:] if line.strip()) for a in articles)
    page_html = f"<!doctype html><html><body style='font: {points}pt serif'>{body}</body></html>"
    with chromium() as browser:
        page = browser.new_page()
        page.set_content(page_html)
        pdf = page.pdf(format="A4", margin=PDF_MARGIN)
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    if len(doc) > pages:
        for i in range(len(doc) - 1, pages - 1, -1):
            doc.del_page(i)
        out = io.BytesIO()
        doc.save(out)
        pdf = out.getvalue()
    doc.close()
    return pdf


def truth(pdf: bytes) -> list[str]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    out = []
    for i in range(len(doc)):
        tp = doc[i].get_textpage()
        out.append(" ".join(tp.get_text_range().split()))
    doc.close()
    return out


def scan(pdf: bytes, dpi: int, degrees: float, quality: int | None, noise: float) -> bytes:
    """The pages of ``pdf`` as images only: rendered grey at ``dpi``, turned, noised, JPEG'd, written by Pillow."""
    import numpy as np
    import pypdfium2
    from PIL import Image

    rng = np.random.default_rng(0)
    doc = pypdfium2.PdfDocument(pdf)
    images = []
    for i in range(len(doc)):
        image = doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        if degrees:
            image = image.rotate(degrees, resample=Image.BICUBIC, fillcolor=255)
        if noise:
            pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (image.height, image.width))
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        if quality:
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=quality)
            image = Image.open(io.BytesIO(buf.getvalue()))
        images.append(image)
    doc.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out.getvalue()


def bitmaps(pdf: bytes, dpi: int):
    """Each page rendered grey at ``dpi``, as qa's OCR step renders it (``qa.read.pdfocr``)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    out = [doc[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(doc))]
    doc.close()
    return out


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children waited for (Tesseract runs as one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def tesseract_reader():
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"

    def read(image) -> str:
        return " ".join(pytesseract.image_to_string(image, lang="eng").split())

    return read, f"tesseract {pytesseract.get_tesseract_version()}"


def rapidocr_reader():
    from importlib.metadata import version

    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def read(image) -> str:
        result, _ = engine(np.asarray(image.convert("RGB")))
        return " ".join(" ".join(text for _, text, _ in (result or [])).split())

    return read, f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


ENGINES = {"tesseract": tesseract_reader, "rapidocr": rapidocr_reader}


def whole(data: bytes) -> None:
    """qa's reader on a scan, as a build runs it (render, OCR, lines, paragraphs), and the page view's render of a
    lit passage on a scanned page: the first (the document OCR'd again, as a fresh reading worker does) and the
    next (its pages kept by the worker)."""
    from qa.read import pdfocr
    from qa.read.pagerender import render_request
    from qa.read.pdftext import pdf_to_text

    pdfocr._CACHE.clear()
    wall, cpu = time.perf_counter(), cpu_seconds()
    ex = pdf_to_text(data)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    rows = [["pdf_to_text, the whole scan", ex.pages, wall, cpu, ex.pages / wall]]
    start = ex.text.index(" ", len(ex.text) // 2)
    job = {"render": {"page": 2, "passage": [start, start + 300], "sentence": [start, start + 60]}}
    for label in ("the lit page view, first", "the lit page view, again"):
        if label.endswith("first"):
            pdfocr._CACHE.clear()
        wall, cpu = time.perf_counter(), cpu_seconds()
        answer = render_request(job, data)
        assert "png" in answer, answer
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        rows.append([label, 1, wall, cpu, 1 / wall])
    table(f"qa on the office scan of {ex.pages} pages ({len(ex.text):,} characters read; OCR by {ex.ocr_engine} at "
          f"{pdfocr.DPI} dpi)", ["step", "pages", "wall s", "CPU s", "pages/s (wall)"], rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--dpi", type=lambda v: [int(x) for x in v.split(",")], default=[200, 300],
                    help="resolutions the scan is rendered at for the engine (default 200,300)")
    args = ap.parse_args()
    from rapidfuzz.distance import Levenshtein

    versions, rows, readers = [], [], {}
    for name in args.engines.split(","):
        readers[name], v = ENGINES[name]()
        versions.append(v)
    print(machine(*versions, f"pypdfium2 {__import__('pypdfium2').version.PYPDFIUM_INFO}"))
    print(f"load average at the start {os.getloadavg()[0]:.1f}")
    scans = {}
    for points in PRINT:
        original = text_pdf(args.pages, points)
        known = truth(original)
        chars = sum(map(len, known))
        print(f"{points:g} pt: {len(known)} A4 pages of the seed articles, {chars:,} characters")
        for condition, spec in CONDITIONS.items():
            scans[points, condition] = scan(original, *spec)
            for dpi in args.dpi:
                pages = bitmaps(scans[points, condition], dpi)
                for name, read in readers.items():
                    read(pages[0])  # warm: models loaded, caches filled
                    errors, walls, cpus = 0, [], []
                    for image, expected in zip(pages, known):
                        wall, cpu = time.perf_counter(), cpu_seconds()
                        got = read(image)
                        walls.append(time.perf_counter() - wall)
                        cpus.append(cpu_seconds() - cpu)
                        errors += Levenshtein.distance(got, expected)
                    rows.append([f"{points:g} pt", condition, dpi, name, 100 * errors / chars,
                                 statistics.median(cpus), statistics.median(walls), 1 / statistics.median(walls)])
    table("Character error rate and speed, one page at a time (the engine alone: rendering excluded)",
          ["print", "scan", "read at dpi", "engine", "CER %", "CPU s/page", "wall s/page", "pages/s (wall)"], rows)
    whole(scans[PRINT[0], "office"])
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} cores")
    return 0


if __name__ == "__main__":
    with recorded("ocr"):
        code = main()
    sys.exit(code)
