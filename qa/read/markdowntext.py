"""Markdown read as structure: markdown-it-py (CommonMark, with tables) finds the headings, list items, block
quotes, code fences, tables and rules of a file by their source lines, and the text's own spans are adjusted to them.

The text stays the file's: a heading's span is its words without the ``#`` marks (the context of the passages of its
section, never a passage of its own), a list item's or quotation's span starts after its marker, and the lines that
are markup alone (fences, rules, setext underlines, a table's delimiter row, raw HTML) are no article text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

#: markdown-it's own line ends (it normalises each to "\n"): its line numbers count these.
_LINE_END_RE = re.compile(r"\r\n?|\n")
_ATX_OPEN_RE = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*#{1,6}(?=[ \t]|$)[ \t]*")
_ATX_CLOSE_RE = re.compile(r"(?:[ \t]+#+)?[ \t]*$")
#: The markers a list item's or a quotation's first line opens with: "> ", "- ", "2. ", "- [x] ".
_MARKER_RE = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?=[ \t]|$))?[ \t]*")
_QUOTE_RE = re.compile(r"[ \t]*(?:>[ \t]?)+[ \t]*")
_LEAD_RE = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*")


@dataclass(frozen=True)
class Structure:
    segments: tuple[tuple[int, int], ...]  # article text spans, markers and markup lines left out
    headings: tuple[tuple[int, int, int], ...]  # (start, end, level): a heading's words, without its marks


def _parser():
    from markdown_it import MarkdownIt

    # block structure only: the inline rules (emphasis, links) say nothing of where a line's text starts, and are
    # most of the parse time; html off is not needed here (html blocks are found to be dropped, never rendered)
    return MarkdownIt("commonmark").enable("table").disable("inline")


def markdown_structure(text: str, body_start: int, segments: list[tuple[int, int]]) -> Structure:
    """The article spans of a Markdown file whose body starts at ``body_start`` (after its front matter), from its
    line spans ``segments`` (``qa.read.documents.clean``), and its headings."""
    line_starts = [body_start] + [m.end() for m in _LINE_END_RE.finditer(text, body_start)]

    def line(i: int) -> tuple[int, int]:
        """(start, end) of line i without its line end."""
        start = line_starts[i]
        end = line_starts[i + 1] if i + 1 < len(line_starts) else len(text)
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        return start, end

    drop: set[int] = set()  # lines that are markup alone
    markers: dict[int, re.Pattern] = {}  # lines whose text starts after a marker: the pattern that matches it
    headings: list[tuple[int, int, int]] = []
    heading_lines: dict[int, tuple[int, int]] = {}
    for token in _parser().parse(text[body_start:]):
        if token.map is None:
            continue
        a, b = token.map
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1:])
            if token.markup.startswith("#"):  # ATX: "## Results ##"
                s, e = line(a)
                s = _ATX_OPEN_RE.match(text, s, e).end()
                e = s + len(_ATX_CLOSE_RE.sub("", text[s:e]))
                span = (s, e)
                lines = [a]
            else:  # setext: its text lines, then the underline
                drop.add(b - 1)
                lines = list(range(a, b - 1))
                span = (_LEAD_RE.match(text, *line(a)).end(), line(b - 2)[1])
            if span[1] > span[0] and text[span[0]:span[1]].strip():
                headings.append((*span, level))
                for i in lines:
                    heading_lines[i] = span
        elif kind == "fence":
            drop.add(a)
            if b - 1 > a and re.fullmatch(r"[ \t>]*(?:`{3,}|~{3,})[ \t]*", text[slice(*line(b - 1))]):
                drop.add(b - 1)
        elif kind in ("hr", "html_block"):
            drop.update(range(a, b))
        elif kind == "table_open" and b - a >= 2:
            drop.add(a + 1)  # the delimiter row: "|---|:---:|"
        elif kind == "list_item_open":
            markers[a] = _MARKER_RE
        elif kind == "blockquote_open":
            for i in range(a, b):
                markers.setdefault(i, _QUOTE_RE)
    out: list[tuple[int, int]] = []
    seen_headings: set[tuple[int, int]] = set()
    for seg_start, seg_end in segments:
        # a segment is one line of the text; a line that markdown-it sees as several (lone carriage returns) is
        # read line by line, as markdown-it reads it
        i = bisect_right(line_starts, seg_start) - 1
        while i < len(line_starts) and line_starts[i] < seg_end:
            s, e = max(seg_start, line_starts[i]), min(seg_end, line(i)[1])
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if i in heading_lines:
                span = heading_lines[i]
                if span not in seen_headings:  # a setext heading of two lines is one span
                    seen_headings.add(span)
                    out.append(span)
            elif i not in drop and s < e:
                if i in markers:
                    s = max(s, markers[i].match(text, line(i)[0], e).end())
                if s < e:
                    out.append((s, e))
            i += 1
    return Structure(tuple(out), tuple(headings))
