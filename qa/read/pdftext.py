"""The text layer of a PDF in reading order, one paragraph per line, with the page furniture left out.

pdfium (through pypdfium2, Apache/BSD licensed; PyMuPDF is AGPL and is never used) gives each page's text with
its own line breaks, and the position of every run of characters. From those lines this module:

* orders them for reading: rows of lines side by side that keep a common gutter are columns, read left column
  first (a recursive X-Y cut, kept from cutting tables whose cells are short);
* drops running headers and footers (a line at the top or bottom of the page that recurs, digits aside, at the
  same height on many pages: "Annual Report 2024", "Page 3 of 12", "- 3 -") and bare page numbers;
* joins the lines of a paragraph with a space, and a word hyphenated at a line end back into one word (see
  ``qa.read.hyphens.join_hyphen``); a paragraph that runs on into the next column or page stays one block.

A page with no text but page furniture that draws something (a scan) is read by OCR instead (``qa.read.pdfocr``),
its words and their boxes made lines like the others.

Offsets in the result refer to the text built here. pdfium is not thread-safe: a module lock serialises every
extraction in this process, and other code in the process must not use pypdfium2 while one runs.
"""

from __future__ import annotations

import bisect
import ctypes
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .extracted import Extracted, Unreadable, assemble, iso_date, real_title, tables_of
from .hyphens import join_hyphen, vocabulary_of
from .pdfdoc import _LIGATURES, _PDFIUM_HYPHEN, _PDFIUM_LOCK, _open, _pdfium  # noqa: F401 - pdfboxes takes them here
from .pdfocr import scans_read

_LINE_RE = re.compile(r"[^\r\n\ufffe]+\ufffe?")
#: Lines of more runs than this are set glyph by glyph: their runs are not read one by one (see lines()).
_MAX_RUNS = 24
#: A bold line set glyph by glyph is read run by run up to this many: a table's header row (Chromium sets bold
#: glyph by glyph), whose cells must be cut apart to name the columns. Bold lines are few, so this costs little.
_MAX_BOLD_RUNS = 120
_BOLD_RE = re.compile(rb"(?i)bold|black|heavy|semibold|demi")
_SENTENCE_END_RE = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_LIST_ITEM_RE = re.compile(r"([•·▪‣◦●○■□➢✓–—*]|\d{1,3}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,4}\))\s")
#: Page-number lines that are furniture even when they do not repeat (a one-page file, a first page).
_PAGE_NUMBER_RE = re.compile(r"(?i)\W*(page|p\.|seite|página|pagina)\s*\d{1,5}(\s*(of|/|de|von|sur)\s*\d{1,5})?\W*")


@dataclass(frozen=True)
class _Line:
    """A run of text on one line of a page, as pdfium gives it; y grows upwards (PDF space)."""

    page: int  # 0-based
    x0: float  # horizontal extent of the glyphs
    x1: float
    top: float  # vertical extent of the font (ascent to descent), the same for every line set in that font
    bottom: float
    size: float  # top - bottom: proportional to the font size
    bold: bool  # the font of its first and last character is a bold one
    text: str
    span: tuple[int, int] = (0, 0)  # [s, e) in pdfium's text of the page: qa.read.pdfboxes maps text to boxes
    words: tuple = ()  # a line read by OCR (qa.read.pdfocr): each word's [s, e) in text and its box, for pdfboxes


@dataclass(frozen=True)
class _Row:
    """The lines of one segment that sit side by side (table cells), or a single line."""

    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    cells: int
    text: str
    lines: tuple[_Line, ...] = ()  # what it was merged from (qa.read.pdfboxes)
    cell_starts: tuple[int, ...] = (0,)  # where each cell starts in text (a table row has more than one)


@dataclass
class _Block:
    rows: list[_Row]
    right: float  # the right edge of the column its last row is in
    heading: bool = False


# --- reading the text layer --------------------------------------------------------------------------------------


class _PageReader:
    """Reads the lines of one text page with a bounded number of pdfium calls per line, never one per character."""

    def __init__(self, raw):
        self.raw = raw
        self.l, self.t, self.r, self.b = (ctypes.c_double() for _ in range(4))
        self.loose = raw.FS_RECTF()
        self.name = ctypes.create_string_buffer(256)
        self.flags = ctypes.c_int()

    def text(self, tp) -> str:
        n = self.raw.FPDFText_CountChars(tp)
        if n <= 0:
            return ""
        buf = (ctypes.c_ushort * (2 * n + 2))()  # UTF-16: room for surrogate pairs
        got = self.raw.FPDFText_GetText(tp, 0, n, buf)
        return bytes(memoryview(buf).cast("B")[: max(0, got - 1) * 2]).decode("utf-16-le", "replace")

    def _char(self, tp, text_index: int) -> int:
        return self.raw.FPDFText_GetCharIndexFromTextIndex(tp, text_index)

    def _bold(self, tp, char: int) -> bool:
        self.raw.FPDFText_GetFontInfo(tp, char, self.name, len(self.name), ctypes.byref(self.flags))
        return bool(_BOLD_RE.search(self.name.value)) or bool(self.flags.value & 0x40000)  # FXFONT_FORCE_BOLD

    def _rect(self, tp, j: int) -> tuple[float, float, float, float]:
        self.raw.FPDFText_GetRect(tp, j, self.l, self.t, self.r, self.b)
        return self.l.value, self.r.value, self.t.value, self.b.value

    def lines(self, tp, page: int) -> list[_Line]:
        raw, out = self.raw, []
        text = self.text(tp)
        for m in _LINE_RE.finditer(text):
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            ca, cb = self._char(tp, s), self._char(tp, e - 1)
            if s == e or ca < 0 or cb < ca:
                continue
            k = raw.FPDFText_CountRects(tp, ca, cb - ca + 1)
            if k <= 0:
                continue  # nothing visible: zero-size or clipped-away glyphs
            if k <= _MAX_RUNS or (k <= _MAX_BOLD_RUNS and self._bold(tp, ca)):
                parts = self._split(tp, text, s, e, ca, [self._rect(tp, j) for j in range(k)])
            else:
                # Set glyph by glyph (Chromium at some sizes): the runs tell nothing about gaps, and reading each
                # would cost as much as a loop over characters; the first and last give the extent.
                (l0, r0, t0, b0), (l1, r1, t1, b1) = self._rect(tp, 0), self._rect(tp, k - 1)
                parts = [(s, e, min(l0, l1), max(r0, r1), max(t0, t1), min(b0, b1))]
            for part in parts:
                out.append(self._line(tp, page, text, *part))
        return out

    def _split(self, tp, text, s, e, ca, rects):
        """Cut a pdfium line where its runs are far apart (two columns or table cells written row by row)."""
        raw, parts, start, run = self.raw, [], s, [rects[0]]
        height = max(r[2] - r[3] for r in rects) or 1.0
        for j in range(1, len(rects)):
            if rects[j][0] - rects[j - 1][1] > 1.2 * height:
                # The first character of run j: the fewest characters from ca that make j + 1 runs.
                lo, hi = ca, self._char(tp, e - 1)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if raw.FPDFText_CountRects(tp, ca, mid - ca + 1) >= j + 1:
                        hi = mid
                    else:
                        lo = mid + 1
                cut = raw.FPDFText_GetTextIndexFromCharIndex(tp, lo)
                if start < cut < e and text[start:cut].strip():
                    parts.append((start, cut, run))
                    start, run = cut, []
            run.append(rects[j])
        parts.append((start, e, run))
        out = []
        for a, b, run in parts:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b and run:
                out.append((a, b, min(r[0] for r in run), max(r[1] for r in run), max(r[2] for r in run),
                            min(r[3] for r in run)))
        return out

    def _line(self, tp, page, text, s, e, x0, x1, top, bottom) -> _Line:
        raw = self.raw
        first, last = self._char(tp, s), self._char(tp, e - 1)
        if first >= 0 and raw.FPDFText_GetLooseCharBox(tp, first, self.loose) and self.loose.top > self.loose.bottom:
            top, bottom = self.loose.top, self.loose.bottom
        bold = first >= 0 and last >= 0 and self._bold(tp, first) and self._bold(tp, last)
        piece = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text[s:e].translate(_LIGATURES))
        return _Line(page, x0, x1, top, bottom, max(top - bottom, 0.1), bold, re.sub(r" {2,}", " ", piece.strip()),
                     (s, e))


def _read(data: bytes, progress, max_pages: int | None = None, max_chars: int | None = None):
    """Lines of every page, whether each page draws anything at all, each page's (bottom, top), the (1-based)
    pages pdfium could not load, and the metadata. Raises ``Unreadable`` past ``max_pages`` pages (before any is
    read) or ``max_chars`` characters of text (as soon as the pages read so far hold more)."""
    pdfium, raw = _pdfium()
    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            meta = {k: pdf.get_metadata_value(k) for k in ("Title", "CreationDate", "ModDate")}
            n = len(pdf)
            if max_pages is not None and n > max_pages:
                raise Unreadable(f"over the reading budget: {n:,} pages, more than {max_pages:,} (QA_READ_PAGES)")
            reader = _PageReader(raw)
            chars = 0
            pages, drawn, heights, damaged = [], [], [], []
            for i in range(n):
                lines, objects, box = [], 0, (0.0, 792.0)
                try:
                    page = pdf[i]
                    try:
                        box = page.get_bbox()[1::2]  # (bottom, top)
                        objects = raw.FPDFPage_CountObjects(page.raw)
                        tp = page.get_textpage()
                        try:
                            chars += max(0, raw.FPDFText_CountChars(tp.raw))
                            if max_chars is not None and chars > max_chars:
                                raise Unreadable(f"over the reading budget: more than {max_chars / 1e6:.1f} million "
                                                 f"characters of text by page {i + 1} (--max-file-mb)")
                            lines = reader.lines(tp.raw, i)
                        finally:
                            tp.close()
                    finally:
                        page.close()
                except pdfium.PdfiumError:
                    damaged.append(i + 1)  # pdfium could not load the page or its text: the rest still counts
                pages.append(lines)
                drawn.append(objects > 0)
                heights.append(box)
                if progress is not None:
                    progress(i + 1, n)
        finally:
            pdf.close()
    return pages, drawn, heights, damaged, meta


# --- page furniture ---------------------------------------------------------------------------------------------


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


_BARE_NUMBER_RE = re.compile(r"(?i)[\[(–—-]?\s*(\d{1,4}|[ivxlc]{1,7})\s*[\])–—-]?(\s*(/|of)\s*\d{1,4})?")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _page_number(text: str) -> int | None:
    """The number of a line that is only a page number: "12", "- 12 -", "12 / 30", "[12]", "xii"."""
    m = _BARE_NUMBER_RE.fullmatch(text.strip())
    if not m:
        return None
    token = m.group(1).lower()
    if token.isdigit():
        return int(token)
    values = [_ROMAN[c] for c in token]
    return sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))


def _remove_furniture(pages: list[list[_Line]], boxes: list[tuple[float, float]]) -> list[list[_Line]]:
    """Drop the running heads and page numbers: lines among the first or last two rows of a page, in its outer
    15 %, that recur, digits aside, at the same height on 40 % of the pages with text (at least two); lines that
    are only a number that grows with the page (on two pages or more, wherever they sit: odd and even pages put
    them left and right); and "Page 3", "Page 3 of 12" anywhere in that band."""
    with_text = sum(1 for lines in pages if lines)
    need = max(2, round(0.4 * with_text))
    candidates: dict[str, list[tuple[float, int, _Line]]] = defaultdict(list)
    numbered: dict[int, list[tuple[int, _Line]]] = defaultdict(list)  # page number minus page index -> lines
    for i, lines in enumerate(pages):
        if not lines:
            continue
        bottom, top = boxes[i]
        band = 0.15 * (top - bottom)
        rows = _rows(lines)
        edge = [k for k in range(len(rows)) if k < 2 or k >= max(2, len(rows) - 2)]
        for k in edge:
            row, inner = rows[k], k + 1 if k < 2 else k - 1  # the row next to it, towards the page's middle
            if 0 <= inner < len(rows) and _in_table(row, rows[inner]):
                continue
            for ln in row:
                if ln.bottom > top - band or ln.top < bottom + band:
                    candidates[_furniture_key(ln.text)].append((ln.bottom, i, ln))
                    if len(row) == 1 and (number := _page_number(ln.text)) is not None:
                        numbered[number - i].append((i, ln))
    drop = set()
    for found in candidates.values():
        found.sort(key=lambda f: f[0])
        ys = [f[0] for f in found]
        for y, i, ln in found:
            # pages where the same text sits within 4 pt of this height
            near = {found[k][1] for k in range(bisect.bisect_left(ys, y - 4), bisect.bisect_right(ys, y + 4))}
            if len(near) >= need or _PAGE_NUMBER_RE.fullmatch(ln.text):
                drop.add(id(ln))
    for found in numbered.values():
        if len({i for i, _ in found}) >= 2:
            drop.update(id(ln) for _, ln in found)
    return [[ln for ln in lines if id(ln) not in drop] for lines in pages]


def _in_table(row: list[_Line], inner: list[_Line]) -> bool:
    """Whether ``row`` is a row of a table that goes on in ``inner`` (the row next to it, towards the page's middle):
    as many cells, each starting within 3 pt of the one next to it. Such a row is the table's, not a running head,
    though each page's last row differs from the others only in its digits (a table across pages)."""
    return len(row) >= 2 and len(row) == len(inner) and all(abs(a.x0 - b.x0) <= 3 for a, b in zip(row, inner))


# --- reading order ------------------------------------------------------------------------------------------------


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Group lines that overlap vertically by at least half the smaller height; rows top to bottom, x order."""
    rows: list[list[_Line]] = []
    top = bottom = 0.0
    for ln in sorted(lines, key=lambda ln: -ln.top):
        if rows and min(top, ln.top) - max(bottom, ln.bottom) >= 0.5 * min(ln.size, top - bottom):
            rows[-1].append(ln)
            top, bottom = max(top, ln.top), min(bottom, ln.bottom)
        else:
            rows.append([ln])
            top, bottom = ln.top, ln.bottom
    return [sorted(r, key=lambda ln: ln.x0) for r in rows]


def _free(row: list[_Line], lo: float, hi: float) -> list[tuple[float, float]]:
    gaps, x = [], lo
    for ln in row:
        if ln.x0 > x:
            gaps.append((x, ln.x0))
        x = max(x, ln.x1)
    if hi > x:
        gaps.append((x, hi))
    return gaps


def _intersect(a, b, min_width: float) -> list[tuple[float, float]]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_width:
                out.append((lo, hi))
    return out


def _column_cut(run: list[list[_Line]], gutters) -> float | None:
    """Where to cut a run of rows into columns, if a gutter parts lines of running text on both sides."""
    best = None
    for g0, g1 in gutters:
        # Judged on the rows with text on both sides: the run may also hold a small table or a heading on one side.
        both = [row for row in run if row[0].x1 <= g0 and row[-1].x0 >= g1]
        left = [ln for row in both for ln in row if ln.x1 <= g0]
        right = [ln for row in both for ln in row if ln.x0 >= g1]
        # Running text, not a table of short cells: a table read column by column would lose its rows.
        if (both and statistics.median(len(ln.text) for ln in left) >= 15
                and statistics.median(len(ln.text) for ln in right) >= 15):
            if best is None or g1 - g0 > best[1] - best[0]:
                best = (g0, g1)
    return None if best is None else (best[0] + best[1]) / 2


def _column_rows(rows: list[list[_Line]], flow: list[list[_Line]], i: int, j: int, cut: float) -> tuple[int, int]:
    """The rows that belong to the columns found in rows[i:j], as (start, end); start < i takes rows from ``flow``.

    The gutter's run also takes in narrow things below the columns that leave the gutter free: a short closing
    line, a small table. The columns end with the last row that has text on both sides, plus what carries on one
    column below it: single lines that touch the line above (the same paragraph) or reach across the column (a
    longer left column, as on the last page of a paper). Above, a column that starts a line higher than the other
    (a paragraph margin) has that line left in the flow: it is taken back when it touches the row below.
    """
    both = [k for k in range(i, j) if rows[k][0].x1 <= cut < rows[k][-1].x0]
    if not both:
        return i, i
    start, end = i, both[-1] + 1

    def touches(upper: list[_Line], lower: list[_Line]) -> bool:
        return len(upper) == 1 and upper[0].bottom - max(ln.top for ln in lower) <= 0.5 * upper[0].size

    while i - start < len(flow) and touches(row := flow[start - i - 1], rows[start]) and (
            row[0].x1 <= cut or row[0].x0 >= cut):
        start -= 1
    width = statistics.median(ln.x1 for k in both for ln in rows[k] if ln.x1 <= cut)
    size = statistics.median(ln.size for k in both for ln in rows[k])
    while end < j and len(rows[end]) == 1 and rows[end][0].x1 <= cut and _similar(rows[end][0].size, size):
        if not (touches(rows[end - 1][:1], rows[end]) or rows[end][0].x1 >= width - 2 * rows[end][0].size):
            break
        end += 1
    return start, end


def _segments(lines: list[_Line], depth: int = 0) -> list[list[list[_Line]]]:
    """Lines in reading order: a list of segments (a column, or the full width), each a list of rows."""
    rows = _rows(lines)
    if len(rows) < 2 or depth > 3:
        return [rows] if rows else []
    lo, hi = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    min_gutter = 0.6 * statistics.median(ln.size for ln in lines)
    frees = [_free(r, lo, hi) for r in rows]

    def inside(gaps):  # a gutter has text on both sides; the page's margins do not count
        return [(g0, g1) for g0, g1 in gaps if g0 > lo + 1 and g1 < hi - 1]

    segments, flow, i = [], [], 0
    while i < len(rows):
        free, j = inside([(g0, g1) for g0, g1 in frees[i] if g1 - g0 >= min_gutter]), i + 1
        while j < len(rows) and (narrower := inside(_intersect(free, frees[j], min_gutter))):
            free, j = narrower, j + 1
        cut = _column_cut(rows[i:j], free)
        start, end = _column_rows(rows, flow, i, j, cut) if cut is not None else (i, i)
        if start >= end:
            flow.append(rows[i])
            i += 1
            continue
        if start < i:  # rows taken back from the flow: they sit just above one of the columns
            del flow[len(flow) - (i - start):]
        if flow:
            segments.append(flow)
            flow = []
        run = [ln for row in rows[start:end] for ln in row]
        i = end
        segments += _segments([ln for ln in run if ln.x1 <= cut], depth + 1)
        segments += _segments([ln for ln in run if ln.x1 > cut], depth + 1)
    if flow:
        segments.append(flow)
    return segments


def _merge_row(row: list[_Line]) -> _Row:
    """One row from the lines side by side in it. pdfium makes a line of its own of a superscript or subscript:
    pieces that (nearly) touch are one cell, joined without a space when they touch; a wider gap than a font
    height parts table cells."""
    size = max(ln.size for ln in row)
    text, starts = row[0].text, [0]
    for a, b in zip(row, row[1:]):
        gap = b.x0 - a.x1
        text += "" if gap < 0.15 * size else " "
        if gap >= size:
            starts.append(len(text))
        text += b.text
    return _Row(row[0].page, min(ln.x0 for ln in row), max(ln.x1 for ln in row), max(ln.top for ln in row),
                min(ln.bottom for ln in row), size, all(ln.bold for ln in row), len(starts), text, tuple(row),
                tuple(starts))


# --- paragraphs ---------------------------------------------------------------------------------------------------


def _similar(a: float, b: float) -> bool:
    return max(a, b) <= 1.12 * min(a, b)


def _breaks(prev: _Row, row: _Row, block: _Block, left: float, right: float, line_gap: float) -> bool:
    """Whether ``row`` starts a new paragraph after ``prev`` in the same column."""
    if prev.cells > 1 or row.cells > 1 or not _similar(prev.size, row.size) or prev.bold != row.bold:
        return True
    if (prev.bottom - row.top) / row.size > line_gap + 0.45:  # more space than between the lines of a paragraph
        return True
    if _LIST_ITEM_RE.match(row.text):
        return True
    ends = bool(_SENTENCE_END_RE.search(prev.text))
    short = prev.x1 < right - 2 * prev.size
    indented = row.x0 > left + 0.8 * row.size and row.x0 > prev.x0 + 0.8 * row.size
    if indented and (short or ends) and not _LIST_ITEM_RE.match(block.rows[0].text):
        return True  # a first-line indent after a line that ended the paragraph before it
    return ends and prev.x1 < right - 0.35 * (right - left)  # a short last line


def _continues(block: _Block, row: _Row) -> bool:
    """Whether the first row of a column or page carries on the paragraph that ended the previous one."""
    last = block.rows[-1]
    if bool(last.lines and last.lines[0].words) != bool(row.lines and row.lines[0].words):
        return False  # from a printed page to a scanned one, or back: the page starts a paragraph (and a passage)
    if block.heading or last.cells > 1 or row.cells > 1 or not _similar(last.size, row.size) or last.bold != row.bold:
        return False
    if _LIST_ITEM_RE.match(row.text):
        return False
    if last.text.endswith(("-", "‐", "\xad")) or row.text[:1].islower():
        return True
    # A sentence that ends with the column: the paragraph goes on if that last line is a full one. A paragraph that
    # ends with a full line just there is taken as going on too (one block for two paragraphs; no sentence cut).
    return not _SENTENCE_END_RE.search(last.text) or last.x1 >= block.right - 1.5 * last.size


def _typical_gap(segments_by_page) -> float:
    """Median space between consecutive lines of one size, in font heights: what a paragraph's lines keep."""
    gaps = [(a.bottom - b.top) / b.size for segs in segments_by_page for seg in segs for a, b in zip(seg, seg[1:])
            if _similar(a.size, b.size) and a.cells == b.cells == 1]
    return statistics.median(gaps) if gaps else 0.2


def _blocks(pages: list[list[_Line]]) -> list[_Block]:
    segments_by_page = [[[_merge_row(r) for r in seg] for seg in _segments(lines)] for lines in pages]
    line_gap = min(max(_typical_gap(segments_by_page), -0.5), 1.0)
    sizes = Counter()
    for segs in segments_by_page:
        for seg in segs:
            for row in seg:
                sizes[round(row.size * 2) / 2] += len(row.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    blocks: list[_Block] = []
    for segs in segments_by_page:
        for seg in segs:
            single = [r for r in seg if r.cells == 1] or seg
            left, right = min(r.x0 for r in single), max(r.x1 for r in single)
            for k, row in enumerate(seg):
                cur = blocks[-1] if blocks else None
                if cur is not None and (_continues(cur, row) if k == 0 else
                                        not _breaks(cur.rows[-1], row, cur, left, right, line_gap)):
                    cur.rows.append(row)
                    cur.right = right
                else:
                    blocks.append(_Block([row], right))
                blocks[-1].heading = _is_heading(blocks[-1], body)
    return blocks


def _is_heading(block: _Block, body: float) -> bool:
    size = max(r.size for r in block.rows)
    chars = sum(len(r.text) for r in block.rows)
    if block.rows[0].cells > 1 or len(block.rows) > 4 or chars > 250:
        return False
    if size >= 1.15 * body:
        return True
    return (all(r.bold for r in block.rows) and len(block.rows) <= 2 and chars <= 120 and size >= 0.95 * body
            and not block.rows[-1].text.endswith((".", ",", ";", ":")))


# --- metadata -----------------------------------------------------------------------------------------------------


def _pdf_date(value: str) -> str | None:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    return iso_date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)) if m else None


def _page_ranges(pages: list[int]) -> str:
    """[3, 4, 5, 9] -> "pages 3-5, 9" (1-based numbers)."""
    parts, start = [], None
    for k, p in enumerate(pages):
        if start is None:
            start = p
        if k + 1 == len(pages) or pages[k + 1] != p + 1:
            parts.append(str(start) if start == p else f"{start}-{p}")
            start = None
    return ("page " if len(pages) == 1 else "pages ") + ", ".join(parts)


def _first_heading(blocks: list[_Block], paragraphs: list[str]) -> str | None:
    """The largest-type short block on the first page with text, else its first short line without a period."""
    first_page = blocks[0].rows[0].page
    on_first = [(b, p) for b, p in zip(blocks, paragraphs) if b.rows[0].page == first_page]
    headings = [(b, p) for b, p in on_first if b.heading and len(p) <= 200]
    if headings:
        return max(headings, key=lambda bp: max(r.size for r in bp[0].rows))[1]
    for b, p in on_first:
        if len(p) <= 120 and not p.endswith((".", ",", ";", ":")) and re.search(r"[^\W\d_]{2}", p):
            return p
    return None


# --- the whole file -----------------------------------------------------------------------------------------------


def pdf_to_text(data: bytes, progress: Callable[[int, int], None] | None = None, max_pages: int | None = None,
                max_chars: int | None = None, trace: list | None = None, seconds: float | None = None) -> Extracted:
    """The text of a PDF's text layer, and of its pages without one read by OCR (``qa.read.pdfocr``, within
    ``seconds``); ``progress(done_pages, total_pages)`` is called after each page. A file of more than
    ``max_pages`` pages or ``max_chars`` characters is ``Unreadable`` (over the reading budget).

    Raises ``Unreadable`` for an encrypted, damaged or blank file, or one of scans where no OCR engine is
    installed. Not re-entrant across threads: calls from several threads wait for each other (pdfium is not
    thread-safe).
    """
    pages, drawn, boxes, damaged, meta = _read(bytes(data), progress, max_pages, max_chars)
    raw, pages = pages, _remove_furniture(pages, boxes)
    scans = [i for i, lines in enumerate(pages) if not lines and drawn[i]]  # no text but furniture: OCR the page
    engine, read, no_ocr = scans_read(bytes(data), scans, seconds)
    if read:  # furniture found again, among the lines OCR read too (a scanned running head)
        pages = _remove_furniture([[_Line(i, ln.x0, ln.x1, ln.top, ln.bottom, max(ln.top - ln.bottom, 0.1), False,
                                          ln.text, (0, 0), ln.words) for ln in read[i]] if i in read else lines
                                   for i, lines in enumerate(raw)], boxes)
    if not any(pages):
        if len(damaged) == len(pages):
            raise Unreadable("not a readable PDF (pdfium could not load any of its pages)")
        if not any(drawn):
            raise Unreadable("no text: every page is blank")
        if engine and not read:  # text only, all of it furniture: nothing for OCR to read either
            raise Unreadable("no text but what repeats on every page (running heads, page numbers), which is left "
                             "out")
        raise Unreadable(f"no text layer (a scanned image?): {no_ocr}" if no_ocr else
                         f"no text: no text layer, and OCR ({engine}) found none on its pages (page numbers "
                         f"and running heads aside)")
    blocks = _blocks(pages)
    words: list[set[str]] = []  # built at the first hyphen that needs it

    def vocabulary() -> set[str]:
        if not words:
            words.append(vocabulary_of(r.text for b in blocks for r in b.rows))
        return words[0]

    paragraphs, headings_at, row_starts, offset = [], [], [], 0
    heading_sizes: list[float] = []  # of each heading: the larger its type, the higher its level
    # a block that is one row of cells side by side is a table row; consecutive ones of as many cells, one table
    table_rows: list[tuple[int, tuple[tuple[int, int], ...]]] = []
    table, last_cells = 0, 0
    for block in blocks:
        row = block.rows[0]
        # a bold row of cells heads a table: it is the table's header, not a heading of the text
        is_row = len(block.rows) == 1 and row.cells > 1
        if is_row:
            if row.cells != last_cells:
                table += 1
            ends = [*row.cell_starts[1:], len(row.text)]
            table_rows.append((table, tuple((offset + a, offset + len(row.text[:b].rstrip()))
                                            for a, b in zip(row.cell_starts, ends))))
            last_cells = row.cells
        else:
            table, last_cells = table + 1, 0
        text = ""
        for k, row in enumerate(block.rows):
            if k and text.endswith(("-", "‐", "\xad")) and not text.endswith((" -", " ‐")):
                joined = join_hyphen(text, row.text, vocabulary)
                row_starts.append((row.page, offset + len(joined) - len(row.text)))
                text = joined
            else:
                text += " " if k else ""
                row_starts.append((row.page, offset + len(text)))
                text += row.text
        if block.heading and not is_row:
            headings_at.append(offset)
            heading_sizes.append(round(max(r.size for r in block.rows) * 2) / 2)
        paragraphs.append(text)
        offset += len(text) + 1
    out, spans = assemble(paragraphs)
    # Page p starts at its first row; a page without text starts where the next text starts (rows are in page
    # order), so that bisect_right(page_starts, offset) names the page an offset was read from.
    page_starts, k = [], 0
    for p in range(len(pages)):
        while k < len(row_starts) and row_starts[k][0] < p:
            k += 1
        page_starts.append(row_starts[k][1] if k < len(row_starts) else len(out))
    rank = {size: n for n, size in enumerate(sorted(set(heading_sizes), reverse=True), 1)}
    if trace is not None:  # (row, its offset in the text) in reading order, for qa.read.pdfboxes
        trace.extend(zip([r for b in blocks for r in b.rows], [o for _, o in row_starts]))
    empty = [i + 1 for i, lines in enumerate(pages) if not lines and drawn[i]]
    warnings = [f"no extractable text on {_page_ranges(empty)} (scanned images?): {no_ocr}" if no_ocr else
                f"no extractable text on {_page_ranges(empty)}: no text layer, and OCR ({engine}) found none there"]\
        if empty else []
    if damaged:
        warnings.append(f"{_page_ranges(damaged)} could not be read (damaged page data); the rest was")
    return Extracted(
        text=out,
        blocks=spans,
        headings=tuple(headings_at),
        page_starts=tuple(page_starts),
        title=real_title(meta.get("Title")) or _first_heading(blocks, paragraphs),
        date=_pdf_date(meta.get("CreationDate") or "") or _pdf_date(meta.get("ModDate") or ""),
        pages=len(pages),
        warnings=tuple(warnings),
        ocr_pages=tuple(i + 1 for i in sorted(read) if pages[i]),
        ocr_engine=engine if read else None,
        levels=tuple(rank[size] for size in heading_sizes),
        tables=tables_of(table_rows),
    )
