"""Cutting documents into passages that fit the model's window, with whole sentences and overlap."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Protocol

from ..errors import QAError
from ..text import sentence_spans
from .documents import Document, pages_of


class Tokenizer(Protocol):
    """What chunking needs of the model's tokenizer (``qa.models.embedding.Tokenizer`` is one)."""

    name: str

    @property
    def window(self) -> int:
        """How many word pieces of a text the model reads."""

    def count(self, texts: list[str]) -> list[int]: ...

    def offsets(self, text: str) -> list[tuple[int, int]]: ...


#: What a passage is: article text, a photo caption (its own passage, never glued to the text around it), rows of
#: a table (cut between rows; the model and BM25 read each row with its cells named by their columns), or text read
#: by OCR from a scanned PDF page (``Document.ocr_pages``).
TEXT, CAPTION, TABLE, OCR = "text", "caption", "table", "ocr"
#: Between a table row's named cells, as the model and BM25 read them: "Quarter: Q3 2024 · Revenue: 4.7".
CELL_JOIN = " · "


#: Between the headings of a passage's context: "Quarterly report › Results by quarter".
CONTEXT_SEPARATOR = " › "
#: A passage's context takes at most this share of the model's window (a quarter of 254 word pieces: 63, which
#: holds a path of three long headings); a longer path keeps its innermost headings that fit.
CONTEXT_SHARE = 4


@dataclass(frozen=True)
class Passage:
    doc_id: str
    ordinal: int  # 0-based position within its document
    start: int  # document.text[start:end] == text
    end: int
    text: str
    n_tokens: int  # word pieces of text (the context's not counted)
    kind: str = TEXT
    #: the headings of its section, outermost first, joined by CONTEXT_SEPARATOR: what the model and BM25 read
    #: before the text (``model_text``), never part of the cited text; "" where no heading precedes it
    context: str = ""

    @property
    def model_text(self) -> str:
        """What the passage is embedded and its lexical terms taken from: its context, a line break, its text."""
        return model_text(self.context, self.text)


def model_text(context: str, text: str) -> str:
    """A passage's text as the model and BM25 read it: its context (if any) on a line before it."""
    return f"{context}\n{text}" if context else text


@dataclass(frozen=True)
class Region:
    """A stretch that passages are cut from: its kind, its segments, and the heading path it lies under."""

    kind: str
    segments: list[tuple[int, int]]
    path: tuple[str, ...] = ()
    table: int = -1  # a TABLE region: its table in ``Document.tables``


def _headings(doc: Document) -> list[tuple[int, int, int]]:
    """The document's headings, in order; none when nothing but headings is left (a file that is only a title is
    read as text: nothing it says is lost)."""
    heads = sorted(doc.headings)
    if not heads:
        return []
    starts = [h[0] for h in heads]
    if all(_in_heading(heads, starts, s, e) for s, e in doc.segments):
        return []
    return heads


def _in_heading(heads: list[tuple[int, int, int]], starts: list[int], s: int, e: int) -> bool:
    """Whether the segment [s, e) overlaps a heading. Headings do not overlap each other, so the last one that
    starts before ``e`` is the one that reaches furthest."""
    i = bisect_right(starts, e - 1) - 1
    return i >= 0 and heads[i][1] > s


def _paths(text: str, heads: list[tuple[int, int, int]]) -> list[tuple[str, ...]]:
    """The heading path after each heading: the headings above it by level, then itself."""
    out, stack = [], []  # stack: (level, text) from the outermost
    for s, e, level in heads:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, " ".join(text[s:e].split())))
        out.append(tuple(t for _, t in stack))
    return out


#: What may lie between two segments of one run: white space, and the marks that open a Markdown list item or
#: quotation ("- ", "> ", "2. ") or make a line of markup alone (a rule, a fence, a table's delimiter row).
_BLANK_RE = re.compile(r"(?:\s|[-*+>|`~=_:]|\d{1,9}[.)](?=\s))*")


def regions(doc: Document) -> list[Region]:
    """Each stretch that passages are cut from, in document order: runs of article segments separated only by
    white space (a passage never reaches across debris, and a heading, or a break of ``doc.breaks``, starts a new
    run), and each photo caption alone. Headings are left out of every run: each run carries the path of the
    headings it lies under instead."""
    scanned = set(doc.ocr_pages)  # a page read by OCR starts a run, and so does the page after it
    breaks = set(doc.breaks) | {doc.page_starts[p - 1] for p in range(2, doc.pages + 1)
                                if (p in scanned) != (p - 1 in scanned)}
    heads = _headings(doc)
    starts = [h[0] for h in heads]
    paths = _paths(doc.text, heads)

    def path(section: int) -> tuple[str, ...]:
        return paths[section - 1] if section else ()

    in_table = [(t[0][0][0], t[-1][-1][1]) for t in doc.tables]  # where each table's rows lie
    runs: list[tuple[int, list[tuple[int, int]]]] = []  # (headings before it, segments)
    for s, e in doc.segments:
        if heads and _in_heading(heads, starts, s, e):
            continue
        if any(s < b and a < e for a, b in in_table):  # a table's row (a Markdown row with its outer pipes)
            continue
        section = bisect_right(starts, s)
        if runs and section == runs[-1][0] and s not in breaks and _BLANK_RE.fullmatch(doc.text, runs[-1][1][-1][1], s):
            runs[-1][1].append((s, e))
        else:
            runs.append((section, [(s, e)]))
    out = [Region(OCR if scanned and pages_of(doc.page_starts, *run[0])[0] in scanned else TEXT, run, path(section))
           for section, run in runs]
    out += [Region(CAPTION, [span], path(bisect_right(starts, span[0]))) for span in doc.captions]
    out += [Region(TABLE, [(row[0][0], row[-1][1]) for row in table], path(bisect_right(starts, table[0][0][0])), n)
            for n, table in enumerate(doc.tables)]
    return sorted(out, key=lambda r: r.segments[0][0])


def _context(path: tuple[str, ...], tokenizer: Tokenizer, limit: int) -> tuple[str, int]:
    """The context of a heading path and its word pieces: its innermost headings that fit in ``limit`` (the
    innermost one cut at a word piece if it alone is longer)."""
    if not path:
        return "", 0
    innermost = path[-1]
    n = tokenizer.count([innermost])[0]
    if n > limit:
        innermost = innermost[:tokenizer.offsets(innermost)[limit - 1][1]]
        return innermost, tokenizer.count([innermost])[0]
    best, k = (innermost, n), len(path) - 1
    while k > 0:
        k -= 1
        joined = CONTEXT_SEPARATOR.join(path[k:])
        n = tokenizer.count([joined])[0]
        if n > limit:
            break
        best = (joined, n)
    return best


def _split_long(text: str, s: int, e: int, tokenizer: Tokenizer, limit: int) -> list[tuple[int, int]]:
    """A sentence longer than the window, cut into pieces of at most ``limit`` word pieces at word boundaries."""
    offsets = [(s + a, s + b) for a, b in tokenizer.offsets(text[s:e])]
    pieces, i = [], 0
    while i < len(offsets):
        j = min(i + limit, len(offsets))
        # back off to a word boundary: the next piece must not start inside a word ("##" continuations)
        k = j
        while k < len(offsets) and k > i + 1 and offsets[k][0] == offsets[k - 1][1]:
            k -= 1
        j = k if k > i + 1 or j == len(offsets) else j
        pieces.append((offsets[i][0], offsets[j - 1][1]))
        i = j
    return pieces


def chunk_document(doc: Document, tokenizer: Tokenizer, max_tokens: int, overlap_tokens: int) -> list[Passage]:
    if max_tokens > tokenizer.window:
        raise QAError(
            f"max_tokens {max_tokens} exceeds what model {tokenizer.name} reads ({tokenizer.window} word pieces); "
            f"choose at most {tokenizer.window}"
        )
    if not 0 <= overlap_tokens < max_tokens:
        raise QAError(f"overlap_tokens must be between 0 and max_tokens - 1, got {overlap_tokens}")
    text = doc.text
    passages: list[Passage] = []
    contexts: dict[tuple[str, ...], tuple[str, int]] = {}
    for region in regions(doc):
        kind, segments = region.kind, region.segments
        if region.path not in contexts:
            contexts[region.path] = _context(region.path, tokenizer, tokenizer.window // CONTEXT_SHARE)
        context, context_tokens = contexts[region.path]
        if kind == TABLE:
            passages += _table_passages(doc, doc.tables[region.table], context, context_tokens, tokenizer,
                                        max_tokens, len(passages))
            continue
        # the model reads the context before the text: the text gets the rest of the window, if that is less
        limit = min(max_tokens, tokenizer.window - context_tokens)
        overlap = min(overlap_tokens, limit - 1)
        units = []  # (start, end) of sentences, long ones already split into pieces
        sizes: list[int | None] = []  # word pieces of each unit (a piece's counted below)
        pieces = set()  # indexes of units that are pieces of a long sentence: never carried as overlap
        spans = [sp for seg in segments for sp in sentence_spans(text, *seg)]
        for (s, e), n in zip(spans, tokenizer.count([text[s:e] for s, e in spans])):
            if n > limit:
                split = _split_long(text, s, e, tokenizer, limit)
                pieces.update(range(len(units), len(units) + len(split)))
                units.extend(split)
                sizes.extend([None] * len(split))
            else:
                units.append((s, e))
                sizes.append(n)
        # a sentence's count is reused, not asked again: counting is a third of a build's reading time
        # (bench/scale.py, 20,000 passages)
        if pieces:
            for i, n in zip(sorted(pieces), tokenizer.count([text[units[i][0]:units[i][1]] for i in sorted(pieces)])):
                sizes[i] = n
        # The windows are cut assuming a body's word pieces are the sum of its sentences', and all bodies are then
        # counted in one call (one call per passage was a fifth of a build's reading time, bench/scale.py). Where a
        # tokenizer that sees spaces gives a body more than the window, the region is cut again checking each body
        # as it goes: the same passages either way.
        windows = _windows(units, sizes, pieces, limit, overlap, lambda i, j: True)
        bodies = [text[units[i][0]:units[j - 1][1]] for i, j in windows]
        counts = tokenizer.count(bodies)
        if any(n > limit and j > i + 1 for (i, j), n in zip(windows, counts)):
            checked: dict[tuple[int, int], int] = {}

            def fits(i: int, j: int) -> bool:
                checked[i, j] = tokenizer.count([text[units[i][0]:units[j - 1][1]]])[0]
                return checked[i, j] <= limit

            windows = _windows(units, sizes, pieces, limit, overlap, fits)
            bodies = [text[units[i][0]:units[j - 1][1]] for i, j in windows]
            counts = [checked[w] for w in windows]
        for (i, j), body, n_tokens in zip(windows, bodies, counts):
            passages.append(Passage(doc.doc_id, len(passages), units[i][0], units[j - 1][1], body, n_tokens, kind,
                                    context))
    return passages


def named_row(header: list[str], values: list[str]) -> str:
    """A table row as the model and BM25 read it: each cell after its column's name ("Revenue: 4.7"); a cell beyond
    the header is "column n", an empty one is left out."""
    names = header + [f"column {i + 1}" for i in range(len(header), len(values))]
    return CELL_JOIN.join(f"{name}: {value}" if name else value for name, value in zip(names, values) if value)


def _table_passages(doc: Document, table, context: str, context_tokens: int, tokenizer: Tokenizer, max_tokens: int,
                    first: int) -> list[Passage]:
    """A table's rows cut into passages between rows, each passage as many whole rows as fit: what the model reads
    of it, its heading context, each row named (``named_row``) and the rows themselves, within the window. The
    passage cites the rows' own characters (the first passage the header row's too); its context is the heading
    context on the first line, then the named rows."""
    text = doc.text

    def cell(span: tuple[int, int]) -> str:
        return " ".join(text[span[0]:span[1]].split())

    header = [cell(c) for c in table[0]]
    # a header repeated on each page a table runs onto (as browsers print it) is cited, not read again as a row
    rows = [row for row in table[1:] if [cell(c) for c in row] != header]
    named = [named_row(header, [cell(c) for c in row]) for row in rows]
    raw = [(row[0][0], row[-1][1]) for row in rows]
    sizes = tokenizer.count(named + [text[s:e] for s, e in raw])
    named_sizes, raw_sizes = sizes[:len(rows)], sizes[len(rows):]
    room = tokenizer.window - context_tokens - 1
    out, i = [], 0
    while i < len(rows):
        j, used, cited = i, 0, 0
        while j < len(rows) and (j == i or (used + named_sizes[j] + raw_sizes[j] <= room
                                            and cited + raw_sizes[j] <= max_tokens)):
            used += named_sizes[j] + raw_sizes[j]
            cited += raw_sizes[j]
            j += 1
        start = table[0][0][0] if i == 0 else raw[i][0]
        body = text[start:raw[j - 1][1]]
        n_tokens = tokenizer.count([body])[0] if i == 0 else cited
        out.append(Passage(doc.doc_id, first + len(out), start, raw[j - 1][1], body, n_tokens, TABLE,
                           "\n".join([context, *named[i:j]])))
        i = j
    return out


def _windows(units: list[tuple[int, int]], sizes: list[int], pieces: set[int], max_tokens: int,
             overlap_tokens: int, fits) -> list[tuple[int, int]]:
    """(i, j) of each passage: units[i:j], as many whole sentences as fit in ``max_tokens`` by their ``sizes`` (a
    window of more than one unit also must pass ``fits(i, j)``, else it loses its last unit), each next one
    starting with the last whole sentences of the one before, as many as fit in ``overlap_tokens``."""
    out = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + sizes[j] <= max_tokens:
            total += sizes[j]
            j += 1
        j = max(j, i + 1)
        while j > i + 1 and not fits(i, j):
            j -= 1
        if j == i + 1:
            fits(i, j)  # counted all the same: the caller reads every window's count
        out.append((i, j))
        if j >= len(units):
            break
        # Overlap: the next passage starts with the last whole sentences of this one, as many as fit.
        k, carried = j, 0
        while k - 1 > i and k - 1 not in pieces and carried + sizes[k - 1] <= overlap_tokens:
            k -= 1
            carried += sizes[k]
        while k < j and carried + sizes[j] > max_tokens:
            carried -= sizes[k]
            k += 1
        i = k
    return out
