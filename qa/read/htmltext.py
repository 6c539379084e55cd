"""The visible text of an HTML page, with the page furniture (navigation, sidebars, scripts) left out.

Offsets of passages from an HTML file refer to this text, which the index stores, not to the markup: a citation
names the file and the characters of the page as a reader sees it.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from .extracted import CELL_SEPARATOR, cell_spans, tables_of

#: Between the cells of a table row in the text, as Word tables are written (qa.read.docxtext).
#: Elements whose content is never article text.
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "head", "button",
             "form", "select", "iframe", "object"}
#: role= values and class/id words that mark furniture in most sites and generators (Sphinx, MkDocs, WordPress).
SKIP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
SKIP_NAMES = {"sidebar", "sphinxsidebar", "related", "footer", "header", "nav", "navbar", "menu", "breadcrumb",
              "breadcrumbs", "toc", "skip-link", "headerlink"}
BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "br",
              "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "hr", "figure", "figcaption", "caption",
              "td", "th", "body", "html"}
_LEVELS = {f"h{n}": n for n in range(1, 7)}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Extractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []  # the open skipped elements, innermost last
        #: how many of each tag ``skip`` holds: an end tag that closes none of them is told in O(1), not by a scan of
        #: the stack (before: quadratic, a 1 MB page of unmatched end tags inside <nav> took 341 s in qa index)
        self.open: Counter[str] = Counter()
        self.pre = 0
        self.title: list[str] = []
        self.in_title = False
        self.canonical: str | None = None
        self.headings: list[tuple[int, str]] = []  # (level, text) of each h1-h6 outside the furniture, in order
        self.heading: tuple[int, list[str]] | None = None  # the one being read
        # Tables (not nested ones): a row is one line, its cells joined by CELL_SEPARATOR, each cell's text written
        # when the cell ends (white space folded, block tags inside it read as spaces)
        self.tables: list[list[list[str]]] = []  # each table: its rows, each row its cells' text
        self.depth = 0  # of <table> elements open
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def _furniture(self, tag: str, attrs: dict) -> bool:
        if tag in SKIP_TAGS:
            return True
        if (attrs.get("role") or "").lower() in SKIP_ROLES:
            return True
        words = set((attrs.get("class") or "").lower().split()) | {(attrs.get("id") or "").lower()}
        return bool(words & SKIP_NAMES)

    def _close_heading(self) -> None:
        if self.heading is not None:
            self.headings.append((self.heading[0], " ".join("".join(self.heading[1]).split())))
            self.heading = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "canonical" in a.get("rel", "").lower().split() and a.get("href", "").startswith("http"):
            self.canonical = a["href"]
        if tag == "title":
            self.in_title = True
        if tag in VOID_TAGS:
            if tag in ("br", "hr") and not self.skip:
                self.parts.append("\n")
            return
        if self.skip or self._furniture(tag, a):
            self.skip.append(tag)
            self.open[tag] += 1
            return
        if self._table_start(tag):
            return
        if tag == "pre":
            self.pre += 1
        if tag in _LEVELS:  # a heading opened inside an unclosed one closes it, as a browser does
            self._close_heading()
            self.heading = (_LEVELS[tag], [])
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if self.skip:
            if self.open[tag]:  # close it and anything left unclosed inside it: each element is popped once
                while (inner := self.skip.pop()) != tag:
                    self.open[inner] -= 1
                self.open[tag] -= 1
            return
        if self._table_end(tag):
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _LEVELS:
            self._close_heading()
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if self.skip:
            return
        if self.heading is not None:
            self.heading[1].append(data)
        if self.cell is not None:
            self.cell.append(data)
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def _table_start(self, tag: str) -> bool:
        """Handle a start tag of (or inside) a table; True when nothing else is to be done with it."""
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self._end_cell()
                self.tables.append([])
                self.parts.append("\n")
                return True
        if self.depth != 1:
            return False
        if tag == "tr":
            self._end_row()
            self.row = []
            self.parts.append("\n")
            return True
        if tag in ("td", "th"):
            if self.row is None:
                self.row = []
            self._end_cell()
            self.cell = []
            return True
        if self.cell is not None and tag in BLOCK_TAGS:
            self.cell.append(" ")
            return True
        return False

    def _table_end(self, tag: str) -> bool:
        if tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self._end_row()
                self.parts.append("\n")
            return True
        if self.depth != 1:
            return False
        if tag in ("td", "th"):
            self._end_cell()
            return True
        if tag == "tr":
            self._end_row()
            return True
        if self.cell is not None and tag in BLOCK_TAGS:
            self.cell.append(" ")
            return True
        return False

    def _end_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            text = " ".join("".join(self.cell).replace("\xa0", " ").split())
            self.parts.append((CELL_SEPARATOR if self.row else "") + text)
            self.row.append(text)
        self.cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self.row and self.tables:
            self.tables[-1].append(self.row)
            self.parts.append("\n")
        self.row = None


def html_to_text(markup: str, headings: list[tuple[int, int, int]] | None = None,
                 tables: list | None = None) -> tuple[str, str | None, str | None]:
    """(visible text with one paragraph per line, the page title, its canonical URL). With ``headings``, the
    (start, end, level) in the text of each h1-h6 that is a line of its own is appended to it; with ``tables``,
    each table (``qa.read.extracted.Table``: rows of cell spans, the first row its header)."""
    parser = _Extractor()
    parser.feed(markup)
    parser._end_row()
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("¶", "")
    lines = [line.rstrip() if line.startswith((" ", "\t")) else line.strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    if headings is not None:
        headings.extend(_find_headings(text, parser.headings))
    if tables is not None:
        tables.extend(_find_tables(text, parser.tables))
    return text, title, parser.canonical


def _find_tables(text: str, found: list[list[list[str]]]):
    """Each table's rows located in the text, in order (a row is a line: its cells joined by CELL_SEPARATOR)."""
    rows, at, number = [], 0, 0
    for table in found:
        number += 1
        for cells in table:
            line = CELL_SEPARATOR.join(cells)
            i = text.find(line + "\n", at)
            while i > 0 and text[i - 1] != "\n":  # a whole line, not the end of another
                i = text.find(line + "\n", i + 1)
            if i < 0 or not line:
                continue
            rows.append((number, cell_spans(i, cells)))
            at = i + len(line)
    return tables_of(rows)


#: Headings not found as lines of their own before the rest are not looked for.
_MISSES = 20


def _find_headings(text: str, found: list[tuple[int, str]]) -> list[tuple[int, int, int]]:
    """Each heading's line, looked for in order from where the one before it was: a heading is a block of its own,
    so it is a whole line of the text (one broken by <br> is not found, and is read as text)."""
    out, at, missed = [], 0, 0
    for level, words in found:
        words = words.replace("\xa0", " ").replace("¶", "").strip()
        if not words:
            continue
        m = re.compile(r"(?m)^[ \t]*(" + r"\s+".join(map(re.escape, words.split())) + r")[ \t]*$").search(text, at)
        if m is None:
            missed += 1  # each miss reads the rest of the text: a page of thousands of odd headings stops here
            if missed > _MISSES:
                break
            continue
        out.append((m.start(1), m.end(1), level))
        at = m.end()
    return out
