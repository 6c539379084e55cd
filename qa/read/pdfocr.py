"""The lines of PDF pages that have no text layer (scans), read from the rendered page by OCR (``qa.read.ocr``).

Each page is drawn by pdfium in grey at ``DPI``, 200: on the bench's scans (``bench/results/ocr.txt``: 11 pt and
8 pt print, scanned clean at 300 dpi and as an office scan at 150) Tesseract reads 200 as well as 300 (character
error rate 0.04-0.09 % against 0.06-0.08 % on clean scans, 0.56 % against 0.59 % on 8 pt office scans) for
10-37 % less CPU (1.7-3.0 s a page against 2.1-4.7). At most ``MAX_SIDE`` pixels on its longer side
whatever its MediaBox says, so the bitmap the engine reads is bounded (4200 x 4200 grey: 17.6 MB). What pdfium
needs to decode a page's images on the way (a bomb: one huge image on a page) is bounded by the reading worker's
memory and time budget, as all reading is (``qa.read.worker``); the Tesseract process inherits the worker's
address-space limit and dies with its process group.

Each word keeps its box, turned from pixels into the page's own space (points, y up: as pdfium's character boxes
are), so that ``qa.read.pdfboxes`` lights an OCR'd word as it lights a printed one. The page is read again when a
passage of it is lit: the result of a page is kept (``CACHE_PAGES`` of them) by the file's hash, so the page view
reads a scan once per worker, not once per view.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from . import ocr
from .extracted import Unreadable
from .lru import LRU
from .pdfdoc import _LIGATURES, _PDFIUM_LOCK, _open

DPI = 200
MAX_SIDE = 4200
CACHE_PAGES = 200
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

#: (left, bottom, right, top) in PDF user space (points, y up).
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class ScanLine:
    """A line of words read from page ``page`` (0-based); y grows upwards, in points."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str  # the words joined by single spaces
    words: tuple[tuple[int, int, Rect], ...]  # each word's [start, end) in ``text`` and its box


_CACHE = LRU(CACHE_PAGES)  # (file hash, page, engine) -> its lines


def _lines(lines: list[ocr.Line], height: float, scale: float) -> list[ScanLine]:
    """The engine's lines in the page's space; the line's extent is its font's (``ocr.Line``), its words' their own."""
    out = []
    for line in lines:
        text, spans = "", []
        for w in line.words:
            clean = _CONTROL_RE.sub("", w.text.translate(_LIGATURES)).strip()
            if not clean:
                continue
            text += " " if text else ""
            x0, y0, x1, y1 = w.box
            spans.append((len(text), len(text) + len(clean), (x0 / scale, height - y1 / scale, x1 / scale,
                                                              height - y0 / scale)))
            text += clean
        if spans:
            out.append(ScanLine(min(r[0] for _, _, r in spans), max(r[2] for _, _, r in spans),
                                height - line.top / scale, height - line.bottom / scale, text, tuple(spans)))
    return out


def _pictured(page) -> bool:
    """Whether the page draws anything but text: an image, a path (a scan, or text drawn as outlines)."""
    from pypdfium2 import raw

    return any(raw.FPDFPageObj_GetType(raw.FPDFPage_GetObject(page.raw, k)) != raw.FPDF_PAGEOBJ_TEXT
               for k in range(raw.FPDFPage_CountObjects(page.raw)))


def read_pages(data: bytes, pages: list[int], seconds: float | None = None) -> tuple[str, dict[int, list[ScanLine]]]:
    """The engine's name and the lines OCR reads on each of ``pages`` (0-based) of the PDF ``data`` that draws more
    than text, within ``seconds`` in all. Raises ``ocr.NoEngine`` where no engine is installed, ``ocr.TooSlow`` past the time."""
    engine = ocr.engine()
    deadline = None if seconds is None else time.monotonic() + seconds
    digest = hashlib.sha256(data).hexdigest()
    out: dict[int, list[ScanLine]] = {}
    with _PDFIUM_LOCK:
        pdf = _open(data)
    try:
        for i in pages:
            key = (digest, i, engine.name)
            kept = _CACHE.get(key)
            if kept is not None:
                out[i] = kept
                continue
            with _PDFIUM_LOCK:
                page = pdf[i]
                try:
                    if not _pictured(page):
                        continue  # it draws text only (its furniture, say): nothing for OCR to read
                    width, height = page.get_size()
                    scale = min(DPI / 72, MAX_SIDE / max(width, height, 1.0))
                    bitmap = page.render(scale=scale, grayscale=True)
                    image = bitmap.to_pil().copy()  # the PIL image must not share the bitmap's buffer
                    bitmap.close()
                finally:
                    page.close()
            left = 3600.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise ocr.TooSlow("out of time before the page was read")
            out[i] = _lines(engine.read(image, left), height, scale)
            _CACHE.put(key, out[i])
    finally:
        with _PDFIUM_LOCK:
            pdf.close()
    return engine.name, out


def scans_read(data: bytes, pages: list[int], seconds: float | None = None
               ) -> tuple[str | None, dict[int, list[ScanLine]], str | None]:
    """``read_pages`` as ``pdftext.pdf_to_text`` wants it: (engine, lines of each page, None), or (None, {}, why
    not and how to enable OCR) where no engine is installed. Past ``seconds``, the file is ``Unreadable``."""
    if not pages:
        return None, {}, None
    try:
        return (*read_pages(data, pages, seconds), None)
    except ocr.NoEngine as e:
        return None, {}, str(e)
    except ocr.TooSlow:
        raise Unreadable(f"over the reading budget: OCR of its {len(pages):,} pages without a text layer not done "
                         f"within {seconds or 3600:g} s (QA_READ_SECONDS)") from None
