"""What the PDF and Word readers hand back: the text the index stores, its paragraph structure and metadata.

Both readers build ``text`` themselves, one paragraph (or heading, or table row) per line, so every offset a
citation gives refers to this text, not to the file's bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Extracted:
    text: str  # the extracted text the index stores; every offset refers to it
    blocks: tuple[tuple[int, int], ...]  # (start, end) of each paragraph / heading / table row, in reading order
    headings: tuple[int, ...]  # start offsets of blocks that are headings (a new passage starts there)
    page_starts: tuple[int, ...]  # PDF: offset in text where page i+1 begins (len == number of pages); () for docx
    title: str | None
    date: str | None  # ISO yyyy-mm-dd
    pages: int  # page count (0 for docx)
    warnings: tuple[str, ...]  # e.g. "no extractable text on pages 13-40 (scanned images?): no OCR engine ..."
    ocr_pages: tuple[int, ...] = ()  # PDF: the (1-based) pages whose text was read by OCR, having no text layer
    ocr_engine: str | None = None  # what read them ("tesseract 5.3.0")
    levels: tuple[int, ...] = ()  # the level of each heading (1 the highest), as ``headings``; () reads all as 1
    #: each table: its rows, each row the (start, end) of its cells; the first row names the columns
    tables: tuple[Table, ...] = ()


#: A table of a document: rows of cells, each cell the (start, end) of its text; the first row is the header.
Table = tuple[tuple[tuple[int, int], ...], ...]

#: Between the cells of a table row where a reader writes the row as one line of its text (Word, HTML).
CELL_SEPARATOR = " | "


def cell_spans(start: int, cells: list[str] | tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """The (start, end) of each of ``cells`` in their row's line, written from ``start`` as
    ``CELL_SEPARATOR.join(cells)`` (exact even where a cell's own text holds the separator)."""
    spans, s = [], start
    for c in cells:
        spans.append((s, s + len(c)))
        s += len(c) + len(CELL_SEPARATOR)
    return tuple(spans)


#: What a table needs to be read as one: a header and a row under it, of at least two columns each.
MIN_TABLE_ROWS, MIN_TABLE_COLUMNS = 2, 2


def tables_of(rows: list[tuple[int, tuple[tuple[int, int], ...]]]) -> tuple[Table, ...]:
    """The tables among ``rows`` ((table number, cell spans) of each table row, in order): each run of rows of one
    table whose first row has ``MIN_TABLE_COLUMNS`` cells or more, if it has ``MIN_TABLE_ROWS`` rows or more."""
    out: list[Table] = []
    run: list[tuple[tuple[int, int], ...]] = []
    last = None
    for number, cells in [*rows, (None, ())]:
        if number != last or not cells:
            if len(run) >= MIN_TABLE_ROWS and len(run[0]) >= MIN_TABLE_COLUMNS:
                out.append(tuple(run))
            run = []
        if cells:
            run.append(cells)
        last = number
    return tuple(out)


class Unreadable(Exception):
    """A file that yields no text; ``str(e)`` is the one-line reason shown to the user."""


def assemble(paragraphs: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Join paragraphs (no newlines inside) one per line; returns the text and each paragraph's (start, end)."""
    spans, offset = [], 0
    for p in paragraphs:
        spans.append((offset, offset + len(p)))
        offset += len(p) + 1
    return "".join(p + "\n" for p in paragraphs), tuple(spans)


# Titles that name the file or the tool rather than the document.
_JUNK_TITLE_RE = re.compile(
    r"(?i)(microsoft (word|powerpoint|excel)\s*-.*|untitled.*|document\d*|presentation\d*|slide \d+|"
    r"powerpoint presentation|title|no title|none|null|\(?anonymous\)?|about:blank|"
    r"(https?|file|data|about):.*|.*\.(docx?|pdf|txt|rtf|odt|tex|dvi|ps|indd|html?|xlsx?|pptx?|md|qxd|pub|pages))"
)


def real_title(value: str | None) -> str | None:
    """A metadata title if it reads as one: not a file name, a URL, "Untitled" or "Microsoft Word - x.docx"."""
    value = re.sub(r"\s+", " ", value or "").strip()
    if len(value) < 3 or len(value) > 300 or _JUNK_TITLE_RE.fullmatch(value) or "\\" in value:
        return None
    if "/" in value and " " not in value:  # a path
        return None
    if not re.search(r"[^\W\d_]{2}", value):  # no word in it: "1234", "---"
        return None
    return value


def iso_date(year: int, month: int = 1, day: int = 1) -> str | None:
    """ISO date, or None when the parts are impossible or implausible for a document (before 1970, after 2100)."""
    if not 1970 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
