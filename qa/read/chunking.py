"""Cutting documents into passages that fit the model's window, with whole sentences and overlap."""

from __future__ import annotations

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


#: What a passage is: article text, a photo caption (its own passage, never glued to the text around it), or text
#: read by OCR from a scanned PDF page (``Document.ocr_pages``).
TEXT, CAPTION, OCR = "text", "caption", "ocr"


@dataclass(frozen=True)
class Passage:
    doc_id: str
    ordinal: int  # 0-based position within its document
    start: int  # document.text[start:end] == text
    end: int
    text: str
    n_tokens: int
    kind: str = TEXT


def regions(doc: Document) -> list[tuple[str, list[tuple[int, int]]]]:
    """(kind, segments) of each stretch that passages are cut from, in document order: runs of article segments
    separated only by white space (a passage never reaches across debris, and a heading of a Word or PDF document,
    ``doc.breaks``, starts a new run), and each photo caption alone."""
    scanned = set(doc.ocr_pages)  # a page read by OCR starts a run, and so does the page after it
    breaks = set(doc.breaks) | {doc.page_starts[p - 1] for p in range(2, doc.pages + 1)
                                if (p in scanned) != (p - 1 in scanned)}
    runs: list[list[tuple[int, int]]] = []
    for s, e in doc.segments:
        if runs and s not in breaks and not doc.text[runs[-1][-1][1] : s].strip():
            runs[-1].append((s, e))
        else:
            runs.append([(s, e)])
    out = [(OCR if scanned and pages_of(doc.page_starts, *run[0])[0] in scanned else TEXT, run) for run in runs]
    out += [(CAPTION, [span]) for span in doc.captions]
    return sorted(out, key=lambda r: r[1][0][0])


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
    for kind, segments in regions(doc):
        units = []  # (start, end) of sentences, long ones already split into pieces
        sizes: list[int | None] = []  # word pieces of each unit (a piece's counted below)
        pieces = set()  # indexes of units that are pieces of a long sentence: never carried as overlap
        spans = [sp for seg in segments for sp in sentence_spans(text, *seg)]
        for (s, e), n in zip(spans, tokenizer.count([text[s:e] for s, e in spans])):
            if n > max_tokens:
                split = _split_long(text, s, e, tokenizer, max_tokens)
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
        windows = _windows(units, sizes, pieces, max_tokens, overlap_tokens, lambda i, j: True)
        bodies = [text[units[i][0]:units[j - 1][1]] for i, j in windows]
        counts = tokenizer.count(bodies)
        if any(n > max_tokens and j > i + 1 for (i, j), n in zip(windows, counts)):
            checked: dict[tuple[int, int], int] = {}

            def fits(i: int, j: int) -> bool:
                checked[i, j] = tokenizer.count([text[units[i][0]:units[j - 1][1]]])[0]
                return checked[i, j] <= max_tokens

            windows = _windows(units, sizes, pieces, max_tokens, overlap_tokens, fits)
            bodies = [text[units[i][0]:units[j - 1][1]] for i, j in windows]
            counts = [checked[w] for w in windows]
        for (i, j), body, n_tokens in zip(windows, bodies, counts):
            passages.append(Passage(doc.doc_id, len(passages), units[i][0], units[j - 1][1], body, n_tokens, kind))
    return passages


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
