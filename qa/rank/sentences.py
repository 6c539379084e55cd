"""The sentences of a passage as evidence for a question: where they are, their lexical terms, their vectors kept
compactly, and the score that picks a passage's best sentence.

Every sentence gets a vector when its passage is embedded (``qa.models.embedding.encode_with_sentences``), so that a
question costs one model call and its answer sentences only dot products. The vectors are stored as int8 with one
float32 scale per row: a quarter of float32's bytes, and a cosine within ~0.001 of the float32 one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..text import analyze, sentence_spans
from .answers import TermWeights, evidence


@dataclass(frozen=True)
class Sentences:
    """The sentences of one passage: spans relative to the passage's start, their terms, their vectors."""

    spans: tuple[tuple[int, int], ...]
    terms: tuple[frozenset[str], ...]
    vectors: np.ndarray  # float32, one L2-normalised row per sentence

    @classmethod
    def load(cls, described: str, packed: bytes, dimension: int) -> Sentences:
        rows = json.loads(described)
        return cls(tuple((s, e) for s, e, _ in rows), tuple(frozenset(t.split()) for _, _, t in rows),
                   unpack(packed, len(rows), dimension))

    @cached_property
    def holding(self) -> dict[str, np.ndarray]:
        """For each term, which sentences hold it (a 0/1 row): coverage of every sentence is then a weighted sum."""
        out: dict[str, np.ndarray] = {}
        for n, terms in enumerate(self.terms):
            for t in terms:
                out.setdefault(t, np.zeros(len(self.terms), dtype=np.float32))[n] = 1.0
        return out

    def scores(self, question: np.ndarray, terms: TermWeights) -> tuple[np.ndarray, np.ndarray]:
        """Each sentence's cosine to the question, and how well it answers (``qa.rank.answers.evidence``: the mean of
        that cosine and the IDF-weighted share of the question's terms it holds), for all sentences at once."""
        cosines = self.vectors @ question
        return cosines, evidence(cosines, terms.coverages(self.holding, len(self.terms)))


def split(text: str) -> list[tuple[int, int]]:
    """The sentence spans of a passage's text; a passage with none (white space only) is one span."""
    return sentence_spans(text) or [(0, len(text))]


def describe(text: str, spans: list[tuple[int, int]]) -> str:
    """What the index stores of a passage's sentences besides their vectors: ``[[start, end, "terms"], ...]``."""
    return json.dumps([[s, e, " ".join(analyze(text[s:e]))] for s, e in spans], ensure_ascii=False)


def pack(rows: np.ndarray) -> bytes:
    """int8 rows with one float32 scale each: the scales first, then the rows."""
    rows = np.asarray(rows, dtype=np.float32)
    scales = np.maximum(np.abs(rows).max(axis=1, initial=0.0), 1e-12) / 127.0
    quantised = np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8)
    return scales.astype(np.float32).tobytes() + quantised.tobytes()


def unpack(blob: bytes, n: int, dimension: int) -> np.ndarray:
    scales = np.frombuffer(blob, dtype=np.float32, count=n)
    quantised = np.frombuffer(blob, dtype=np.int8, offset=4 * n).reshape(n, dimension)
    return quantised.astype(np.float32) * scales[:, None]


#: A line that is only a list marker ("-", "*", "3.", "(a)"), or the marker that opens a list item.
_MARKER_RE = re.compile(r"(?:[-*+•▪◦‣]|\(?\d{1,3}[.)]|\(?[a-z][.)])(?=\s|$)\s*")
_FINAL_PUNCTUATION = tuple('.!?:;"”’)]…')


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a heading or a bare list marker rather than a sentence that can answer: a
    Markdown heading ("# Heron Valley Trail guide"), or a whole line without final punctuation whose words are mostly
    capitalised or at most three (an HTML, Word or PDF heading, an article's title line), or a marker alone. A
    heading stays in its passage as context; it is never an answer sentence."""
    piece = text[start:end].strip()
    marker = _MARKER_RE.match(piece)
    if not piece or marker and marker.end() == len(piece):
        return True
    if piece.startswith("#"):
        return True
    whole_line = (start == 0 or text[:start].rstrip(" \t").endswith("\n") or not text[:start].strip()) and \
        (end >= len(text) or text[end:].lstrip(" \t").startswith("\n") or not text[end:].strip())
    if not whole_line or piece.endswith(_FINAL_PUNCTUATION):
        return False
    words = re.findall(r"[^\W\d_][\w'’-]*", piece)
    return len(words) <= 3 or sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def marker_end(text: str, start: int, end: int) -> int:
    """Where a sentence begins once the list marker that opens it ("- ", "2. ") is left out."""
    m = _MARKER_RE.match(text, start, end)
    return m.end() if m and m.end() < end else start
