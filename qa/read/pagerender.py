"""A PDF page as a PNG, with characters lit: the passage in one colour, its answer sentence in a stronger one.

Bounded by construction: the scale is chosen so that the longer side of the bitmap is at most ``MAX_SIDE`` pixels,
whatever the page's MediaBox says (a 200-inch page is drawn small, not as a 14,400-pixel bitmap), and pdfium is
entered only under pdftext's module lock (it is not thread-safe). Memory and time are the reading worker's to bound
(qa.read.worker): the caller runs this there.
"""

from __future__ import annotations

import base64
import io

from .extracted import Unreadable
from .pdfboxes import Rect, boxes_of
from .pdftext import _PDFIUM_LOCK, _open

#: The longer side of a rendered page at most, in pixels: an A4 page at 1800 px is 218 dpi, sharp on a laptop's
#: screen, and its RGB bitmap is 1800 x 1273 x 3 = 6.9 MB at most while it is drawn.
MAX_SIDE = 1800
#: RGBA fills: the passage light blue, the answer sentence a stronger green over it.
PASSAGE_FILL = (37, 99, 235, 60)
SENTENCE_FILL = (22, 163, 74, 110)
#: Colours in a drawn page's PNG (see render_page).
PALETTE = 128


def scale_for(width: float, height: float, max_side: int = MAX_SIDE) -> float:
    """Pixels per point that fit a ``width`` x ``height`` page (points) within ``max_side`` pixels."""
    return max_side / max(width, height, 1.0)


def pixel_rects(rects: tuple[Rect, ...], page_height: float, scale: float, pad: float = 1.0
                ) -> list[tuple[int, int, int, int]]:
    """PDF rectangles (left, bottom, right, top; y up from the page's bottom) as pixel boxes (x0, y0, x1, y1; y
    down from the top) of a bitmap drawn at ``scale``, grown by ``pad`` points so that a box covers its glyphs."""
    out = []
    for left, bottom, right, top in rects:
        out.append((int((left - pad) * scale), int((page_height - top - pad) * scale),
                    int(round((right + pad) * scale)), int(round((page_height - bottom + pad) * scale))))
    return out


def render_page(data: bytes, page: int, passage: tuple[Rect, ...] = (), sentence: tuple[Rect, ...] = (),
                max_side: int = MAX_SIDE) -> tuple[bytes, tuple[int, int]]:
    """The PNG of page ``page`` (1-based) of the PDF ``data`` with the rectangles lit, and its (width, height) in
    pixels. Raises IndexError for a page the file does not have."""
    from PIL import Image, ImageDraw

    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            if not 1 <= page <= len(pdf):
                raise IndexError(f"the file has {len(pdf)} pages, not a page {page}")
            p = pdf[page - 1]
            try:
                width, height = p.get_size()
                scale = scale_for(width, height, max_side)
                bitmap = p.render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                p.close()
        finally:
            pdf.close()
    # the boxes are in the page's own space; a page whose MediaBox does not start at 0 is rare in what we read
    if passage or sentence:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for rects, fill in ((passage, PASSAGE_FILL), (sentence, SENTENCE_FILL)):
            for box in pixel_rects(rects, height, scale):
                draw.rectangle(box, fill=fill)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    # A page is white, black, the grey of anti-aliased text and two tints: 128 colours hold it without visible loss,
    # and the PNG is 3x smaller and made 2x faster than a full-colour one (measured on a printed A4 page: 184 against
    # 545 KiB, 74 against 157 ms; bench/render.py)
    out = io.BytesIO()
    image.quantize(colors=PALETTE, method=Image.Quantize.FASTOCTREE).save(out, "PNG", compress_level=3)
    return out.getvalue(), image.size


def render_request(request: dict, data: bytes, progress=None) -> dict:
    """What the reading worker answers to ``{"render": {"page", "passage": [start, end] | null, "sentence": ...,
    "text_sha256": ...}, "budget": {...}}``: ``{"png": base64, "size": [w, h], "lit": {page: rects}}``, or
    ``{"skipped": reason}``. With ``text_sha256``, offsets are lit only if the file still gives that text."""
    job, budget = request["render"], request.get("budget") or {}
    page = int(job["page"])
    spans = {name: job.get(name) for name in ("passage", "sentence")}
    lit: dict[str, tuple[Rect, ...]] = {}
    try:
        asked = {name: (int(span[0]), int(span[1])) for name, span in spans.items() if span}
        found = boxes_of(data, list(asked.values()), budget.get("pages"), budget.get("chars"),
                         budget.get("seconds")) if asked else []
        for name, one in zip(asked, found):
            if job.get("text_sha256") and one.text_sha256 != job["text_sha256"]:
                return {"skipped": "the file changed since it was indexed: rebuild the index to light its "
                                   "passages", "stale": True}
            lit[name] = one.pages.get(page, ())
        png, size = render_page(data, page, lit.get("passage", ()), lit.get("sentence", ()))
    except IndexError as e:
        return {"skipped": str(e), "missing": True}
    except Unreadable as e:
        return {"skipped": str(e)}
    return {"png": base64.b64encode(png).decode("ascii"), "size": list(size),
            "lit": {name: [list(r) for r in rects] for name, rects in lit.items()}}
