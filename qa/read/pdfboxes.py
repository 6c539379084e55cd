"""The exact boxes on the page of characters of a PDF Document's text: pdfium's own character boxes, not a match.

A PDF Document's text is built by ``qa.read.pdftext`` (lines joined, hyphens mended, ligatures spelled out, page
furniture dropped), so its offsets are not pdfium's. ``boxes`` reads the file again with a trace of what pdftext
built (each row, where it starts in the text, and the pdfium line spans it came from), replays the per-line
normalisation of ``pdftext._PageReader._line`` with each character's pdfium index kept, and asks pdfium
(``FPDFText_GetCharBox``) for the box of exactly the characters asked for, merged into one rectangle per line.

Why recompute rather than store a map in the index: a map costs ~8 bytes a character for every PDF in every
generation, for a view most passages never get; reading a 3-page report again takes milliseconds, and the result
is checked against the indexed text's hash, so a file changed since the build is refused rather than lit wrongly.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
from dataclasses import dataclass

from .lru import LRU
from .pdftext import _LIGATURES, _PDFIUM_LOCK, _open, _PageReader, _pdfium, pdf_to_text

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

#: (left, bottom, right, top) in PDF user space (points, y up), as pdfium gives them.
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Lit:
    """Where characters [start, end) of the text lie: each page (1-based) with its rectangles, one per line."""

    text_sha256: str  # of the text the offsets refer to (compare with the indexed text's)
    pages: dict[int, tuple[Rect, ...]]


def line_sources(page_text: str, s: int, e: int) -> tuple[str, list[int]]:
    """The text ``pdftext._PageReader._line`` makes of ``page_text[s:e]``, and for each of its characters the index in
    ``page_text`` it came from (a ligature's letters all come from the ligature)."""
    chars: list[tuple[str, int]] = []
    for i in range(s, e):
        for c in page_text[i].translate(_LIGATURES):
            if not _CONTROL_RE.match(c):
                chars.append((c, i))
    while chars and chars[0][0].isspace():
        chars.pop(0)
    while chars and chars[-1][0].isspace():
        chars.pop()
    out: list[tuple[str, int]] = []
    for c, i in chars:
        if c == " " and out and out[-1][0] == " ":
            continue  # " {2,}" -> " "
        out.append((c, i))
    return "".join(c for c, _ in out), [i for _, i in out]


def _utf16_index(page_text: str) -> list[int]:
    """pdfium's text index of each character of the decoded page text (a character past U+FFFF takes two)."""
    out, k = [], 0
    for c in page_text:
        out.append(k)
        k += 2 if ord(c) > 0xFFFF else 1
    return out


def _sources(trace, start: int, end: int) -> dict[int, list[tuple[tuple[int, int], str, list[int], tuple]]]:
    """For each 0-based page, the pdfium lines (their span) with the characters of each that lie in [start, end),
    as indices into that line's own text, and the words of a line OCR read (their boxes: there are no pdfium
    characters to ask)."""
    wanted: dict[int, list[tuple[tuple[int, int], str, list[int], tuple]]] = {}
    for k, (row, offset) in enumerate(trace):
        # a hyphen dropped at the join: the next row starts over it, so a row ends where the next begins at most
        stop = offset + len(row.text)
        if k + 1 < len(trace) and trace[k + 1][1] >= offset:
            stop = min(stop, trace[k + 1][1])
        if stop <= start or offset >= end:
            continue
        pos = 0
        for line in row.lines:
            if row.text.startswith(" ", pos) and not row.text.startswith(line.text, pos):
                pos += 1  # the space _merge_row put between two lines
            picked = [j for j in range(len(line.text)) if start <= offset + pos + j < min(end, stop)]
            if picked:
                wanted.setdefault(line.page, []).append((line.span, line.text, picked, line.words))
            pos += len(line.text)
    return wanted


#: Traces of the files lit last, kept in the (long-lived) reading worker: a person who opens a hit's page opens the
#: next hit's of the same file, and re-reading a 30-page report costs ~0.8 s of the ~1 s a lit page took.
TRACES_KEPT = 4
_TRACES = LRU(TRACES_KEPT)  # (file hash, limits) -> (text hash, trace)


def _traced(data: bytes, max_pages: int | None, max_chars: int | None, seconds: float | None = None
            ) -> tuple[str, list]:
    """The hash of the text ``pdf_to_text(data)`` builds and its trace, read once per file while it is kept (its
    scanned pages read by OCR again within ``seconds``)."""
    key = (hashlib.sha256(data).hexdigest(), max_pages, max_chars)
    found = _TRACES.get(key)
    if found is None:
        trace: list = []
        ex = pdf_to_text(data, max_pages=max_pages, max_chars=max_chars, trace=trace, seconds=seconds)
        found = (hashlib.sha256(ex.text.encode("utf-8", "surrogatepass")).hexdigest(), trace)
        _TRACES.put(key, found)
    return found


def boxes(data: bytes, start: int, end: int, max_pages: int | None = None, max_chars: int | None = None,
          seconds: float | None = None) -> Lit:
    """The rectangles of the characters [start, end) of the text ``pdftext.pdf_to_text(data)`` builds (on a page
    read by OCR, of the words that hold them: OCR knows words, not characters)."""
    return boxes_of(data, [(start, end)], max_pages, max_chars, seconds)[0]


def boxes_of(data: bytes, spans: list[tuple[int, int]], max_pages: int | None = None,
             max_chars: int | None = None, seconds: float | None = None) -> list[Lit]:
    """``boxes`` of each span, the file read (or its trace found) once for all of them."""
    text_sha256, trace = _traced(data, max_pages, max_chars, seconds)
    wanted = [_sources(trace, start, end) for start, end in spans]
    _, raw = _pdfium()
    l, r, b, t = (ctypes.c_double() for _ in range(4))
    pages: list[dict[int, tuple[Rect, ...]]] = [{} for _ in spans]
    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            for p in sorted(set().union(*wanted)):
                page = pdf[p]
                tp = page.get_textpage()
                try:
                    page_text = _PageReader(raw).text(tp.raw)
                    utf16 = _utf16_index(page_text)
                    for n, lines in enumerate(wanted):
                        rects = []
                        for (s, e), text, picked, words in lines.get(p, ()):
                            if words:  # read by OCR: the boxes of the words that hold a picked character
                                hit = [r for a, b, r in words if any(a <= j < b for j in picked)]
                                if hit:
                                    rects.append((min(r[0] for r in hit), min(r[1] for r in hit),
                                                  max(r[2] for r in hit), max(r[3] for r in hit)))
                                continue
                            made, sources = line_sources(page_text, s, e)
                            if made != text:  # never expected: the trace and the replay disagree; light nothing
                                continue
                            box = None
                            for j in picked:
                                if made[j].isspace():
                                    continue
                                ci = raw.FPDFText_GetCharIndexFromTextIndex(tp.raw, utf16[sources[j]])
                                if ci < 0 or not raw.FPDFText_GetCharBox(tp.raw, ci, l, r, b, t):
                                    continue
                                c = (l.value, b.value, r.value, t.value)
                                box = c if box is None else (min(box[0], c[0]), min(box[1], c[1]),
                                                             max(box[2], c[2]), max(box[3], c[3]))
                            if box is not None:
                                rects.append(box)
                        if rects:
                            pages[n][p + 1] = tuple(rects)
                finally:
                    tp.close()
                    page.close()
        finally:
            pdf.close()
    return [Lit(text_sha256, found) for found in pages]
