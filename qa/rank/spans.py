"""The short answer: candidate spans in the best sentences of a question's hits, each scored as the answer.

Candidates, each with exact document offsets:

* values -- dates, counts, amounts, percentages, measures, ranks -- read by ``qa.rank.conflicts`` (the one reader of
  values), plus centuries and decades ("the 10th century", "the 1960s"), which it does not read;
* runs of capitalised words ("Gustave Eiffel University", "Duchy of Normandy"): names of people, organisations,
  places;
* phrases: runs of content words between function words and punctuation ("diplomatic relations"), alone and joined
  by "of"/"and" ("the rebuilding of infrastructure").

Each is described by ``FEATURES`` (kind match, closeness to the question's terms in the sentence without being one
of them, the sentence's own score and rank, agreement across hits, length) and scored by a logistic regression
(``SPAN_WEIGHTS``, fitted by ``bench/answers.py --fit`` on the gold sets one may fit on, stored as JSON beside this
module). The same text from several hits is one answer; its hits are the ranks that state it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..text import STOPWORDS, _stem, fold_accents, question_terms
from .conflicts import read_sentence
from .conflicts.tokens import _tokens
from .kinds import DATE, KINDS, NAME, NUMBER, PHRASE, PLACE, VALUE_KINDS, question_kind

#: Candidate sources: the kind of thing a span is.
SOURCES = ("date", "number", "name", "phrase")
#: Which sources can answer a question of each kind (abstention: a typed question with no such candidate in the
#: sentences that hold its terms is not answered).
ANSWERS_KIND = {DATE: ("date",), NUMBER: ("number",), NAME: ("name",), PLACE: ("name",), PHRASE: SOURCES}
#: Words that may join capitalised words into one name ("University of Paris", "Charles de Gaulle").
_NAME_JOINERS = frozenset("of de du da del della di van von der den la le y and for".split())
#: The longest phrase candidate, in words (SQuAD's answers: 90 % have at most 6 words).
MAX_WORDS = 8
_CENTURY_RE = re.compile(r"(?i)\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|"
                         r"ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|"
                         r"eighteenth|nineteenth|twentieth|twenty-first)(?:\s+(?:and|or|to)\s+\d{1,2}(?:st|nd|rd|th))?"
                         r"[\s-]+centur(?:y|ies)\b|\b\d{3,4}s\b|\b\d{1,2}(?:st|nd|rd|th)[\s-]century\b")


@dataclass(frozen=True)
class Sentence:
    """One answer sentence of a hit, as the short answer reads it."""

    hit: int  # the hit's rank
    doc_id: str
    start: int  # document offset of text[0]
    text: str
    score: float  # its evidence (``qa.rank.answers.evidence``)
    order: int  # 0: the hit's best sentence, 1: the next...
    coverage: float  # the IDF-weighted share of the question's terms it holds


@dataclass(frozen=True)
class Candidate:
    text: str
    doc_id: str
    start: int  # document offsets: document[start:end] == text
    end: int
    source: str  # one of SOURCES
    key: str  # what makes two candidates the same answer: a value's reading, else its normalised words
    hit: int
    sentence: int  # its sentence's position in the sentences read
    features: tuple[float, ...]


@dataclass(frozen=True)
class Span:
    """A scored answer: its best occurrence, every hit that states it, its probability."""

    text: str
    doc_id: str
    start: int
    end: int
    source: str
    key: str
    hits: tuple[int, ...]
    score: float
    sentence: int  # its best occurrence's sentence: position in the sentences read

    def to_dict(self) -> dict:
        return {"text": self.text, "doc_id": self.doc_id, "start": self.start, "end": self.end,
                "hits": list(self.hits)}


def _squad_words(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, punctuation and articles (a, an, the) out, white space folded."""
    text = fold_accents(text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return [w for w in text.split() if w not in ("a", "an", "the")]


def squad_normalize(text: str) -> str:
    return " ".join(_squad_words(text))


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """SQuAD's exact match against the best of ``answers``: 1.0 or 0.0."""
    p = squad_normalize(prediction)
    return float(any(p == squad_normalize(a) for a in answers))


def f1(prediction: str, answers: Sequence[str]) -> float:
    """SQuAD's word-overlap F1 against the best of ``answers``."""
    pred = _squad_words(prediction)
    best = 0.0
    for a in answers:
        gold = _squad_words(a)
        common = sum(min(pred.count(w), gold.count(w)) for w in set(pred) & set(gold))
        if common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- the question ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedFor:
    """What the short answer needs of the question, read once."""

    kind: str
    terms: frozenset[str]  # stemmed content terms
    head: str | None  # the stemmed noun after "which"/"what" ("Which university" -> "univers")


@lru_cache(maxsize=4096)
def asked_for(question: str) -> AskedFor:
    m = re.search(r"(?i)\b(?:which|what)\s+([^\W\d_]+)", question)
    head = None
    if m and m.group(1).lower() not in STOPWORDS:
        head = _stem([m.group(1).lower()])[0]
    return AskedFor(question_kind(question), frozenset(question_terms(question)), head)


# --- candidates ---------------------------------------------------------------------------------------------


def _word_stems(toks) -> list[str | None]:
    """The stem of each word or number token (None for punctuation), as the question's terms are stemmed."""
    words = [fold_accents(t.raw).lower() if t.t in ("word", "num") else "" for t in toks]
    stems = _stem([w[:-2] if w.endswith(("'s", "’s")) else w for w in words])
    return [s if w else None for s, w in zip(stems, words)]


def _spans_in(text: str, toks, mentions) -> list[tuple[int, int, str, str]]:
    """(start, end, source, key) of each candidate in a sentence, offsets into ``text``."""
    out: list[tuple[int, int, str, str]] = []
    for m in mentions:
        first = m.vi
        if first > 0 and toks[first - 1].t == "cur" and toks[first - 1].e == toks[first].s:
            first -= 1  # "US$786 billion", not "786 billion"
        end_tok = max(m.qe, m.vi + 1) - 1
        source = "date" if VALUE_KINDS.get(m.kind) == DATE else "number"
        out.append((toks[first].s, toks[end_tok].e, source, f"{m.kind}:{m.display}"))
    for cm in _CENTURY_RE.finditer(text):
        out.append((cm.start(), cm.end(), "date", "date:" + " ".join(cm.group().lower().split())))
    n = len(toks)
    # capitalised runs
    i = 0
    while i < n:
        t = toks[i]
        if not (t.t == "word" and t.raw[0].isupper()):
            i += 1
            continue
        j, last = i, i  # last: the last capitalised token of the run
        while j + 1 < n:
            nxt = toks[j + 1]
            if toks[j].poss:
                break
            if nxt.t == "word" and nxt.raw[0].isupper() and nxt.s - toks[j].e <= 1:
                j = last = j + 1
            elif nxt.t == "word" and nxt.low in _NAME_JOINERS and j + 2 < n and toks[j + 2].t == "word" \
                    and toks[j + 2].raw[0].isupper():
                j += 1
            elif nxt.raw == "-" and nxt.s == toks[j].e and j + 2 < n and toks[j + 2].s == nxt.e \
                    and toks[j + 2].t == "word":
                j = last = j + 2
            else:
                break
        s = i
        while s < last and toks[s].low in STOPWORDS:
            s += 1  # "The Normans" -> "Normans"
        if not (s == last and toks[s].low in STOPWORDS):
            end = toks[last].e - (2 if toks[last].poss else 0)
            out.append((toks[s].s, end, "name", ""))
        i = last + 1
    # phrases: runs of content words (and numbers), split at function words and punctuation
    runs: list[tuple[int, int]] = []  # token ranges
    i = 0
    while i < n:
        if _content(toks[i]):
            j = i
            while j + 1 < n and (_content(toks[j + 1]) and toks[j + 1].s - toks[j].e <= 1 or
                                 toks[j + 1].raw == "-" and j + 2 < n and _content(toks[j + 2])
                                 and toks[j + 1].s == toks[j].e):
                j += 1 if _content(toks[j + 1]) else 2
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    for a, b in runs:
        if b - a < MAX_WORDS:
            out.append((toks[a].s, toks[b].e, "phrase", ""))
    for (a, b), (c, d) in zip(runs, runs[1:]):  # "X of Y", "X and Y"
        if c == b + 2 and toks[b + 1].low in ("of", "and", "in") and d - a < MAX_WORDS:
            out.append((toks[a].s, toks[d].e, "phrase", ""))
            if a > 0 and toks[a - 1].low == "the":
                out.append((toks[a - 1].s, toks[d].e, "phrase", ""))
    return out


def _content(t) -> bool:
    return t.t == "num" or t.t == "word" and t.low not in STOPWORDS


def candidates(question: str, sentences: Sequence[Sentence]) -> list[Candidate]:
    """Every candidate span of ``sentences`` with its ``FEATURES``; spans made only of the question's words are
    left out (the answer is near the question's terms, never one of them)."""
    asked = asked_for(question)
    raw = []  # (sentence, start, end, source, key, word range, stems)
    for at, sent in enumerate(sentences):
        toks, mentions = read_sentence(sent.text)
        if not toks:
            toks = _tokens(sent.text)
        if not toks:
            continue
        stems = _word_stems(toks)
        q_at = [k for k, s in enumerate(stems) if s is not None and s in asked.terms]
        starts = {t.s: k for k, t in enumerate(toks)}
        ends = {t.e: k for k, t in enumerate(toks)}
        ends.update({t.e - 2: k for k, t in enumerate(toks) if t.poss})
        seen = set()
        for s, e, source, key in _spans_in(sent.text, toks, mentions):
            if (s, e, source) in seen or s not in starts or e not in ends:
                continue
            seen.add((s, e, source))
            a, b = starts[s], ends[e]
            inside = [stems[k] for k in range(a, b + 1) if stems[k] is not None]
            if not inside or all(w in asked.terms for w in inside):
                continue
            raw.append((at, sent, s, e, source, key or (source[0] + ":" + squad_normalize(sent.text[s:e])), a, b,
                        inside, q_at))
    support: dict[str, set[int]] = {}
    for _, sent, _, _, _, key, *_ in raw:
        support.setdefault(key, set()).add(sent.hit)
    n_hits = max((len(v) for v in support.values()), default=1)
    out = []
    for at, sent, s, e, source, key, a, b, inside, q_at in raw:
        out.append(Candidate(sent.text[s:e], sent.doc_id, sent.start + s, sent.start + e, source, key, sent.hit, at,
                             _features(asked, sent, source, a, b, inside, q_at, len(support[key]), n_hits)))
    return out


def _features(asked: AskedFor, sent: Sentence, source: str, a: int, b: int, inside: list[str], q_at: list[int],
              agreeing: int, most: int) -> tuple[float, ...]:
    left = min((a - k for k in q_at if k < a), default=None)
    right = min((k - b for k in q_at if k > b), default=None)
    near = min(x for x in (left, right, 99) if x is not None)
    share = sum(w in asked.terms for w in inside) / len(inside)
    kind_pairs = [float(asked.kind == k and source == s) for k in KINDS for s in SOURCES]
    return (
        *kind_pairs,
        share,
        float(asked.head is not None and asked.head in inside),
        math.log1p(near),
        float(left == 1),
        float(right == 1),
        float(not q_at),
        sent.score,
        sent.coverage,
        1.0 / sent.hit,
        float(sent.order == 0),
        math.log(agreeing),
        agreeing / most,
        math.log(len(inside)),
        float(len(inside) > 4),
    )


FEATURES = (*(f"kind_{k}_{s}" for k in KINDS for s in SOURCES), "question_words", "names_head", "log_distance",
            "term_before", "term_after", "no_terms", "sentence_score", "sentence_coverage", "inverse_rank",
            "best_sentence", "log_support", "support_share", "log_words", "long")

_WEIGHTS_FILE = Path(__file__).with_name("span_weights.json")


@lru_cache(maxsize=1)
def span_weights() -> tuple[np.ndarray, float]:
    """The fitted weights (``bench/answers.py --fit``), by feature name, and the bias."""
    data = json.loads(_WEIGHTS_FILE.read_text(encoding="utf-8"))
    return np.array([data["weights"].get(f, 0.0) for f in FEATURES], dtype=np.float64), float(data["bias"])


def score(found: Sequence[Candidate], weights: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """Each candidate's probability of being the answer."""
    if not found:
        return np.zeros(0)
    w, bias = weights or span_weights()
    z = np.array([c.features for c in found], dtype=np.float64) @ w + bias
    return 1.0 / (1.0 + np.exp(-z))


def rank_spans(found: Sequence[Candidate], probabilities: np.ndarray) -> list[Span]:
    """One ``Span`` for each distinct answer (its ``key``), best first: its best occurrence's place and score,
    every hit that states it."""
    best: dict[str, tuple[float, Candidate]] = {}
    hits: dict[str, set[int]] = {}
    for c, p in zip(found, probabilities):
        hits.setdefault(c.key, set()).add(c.hit)
        if c.key not in best or p > best[c.key][0]:
            best[c.key] = (float(p), c)
    spans = [Span(c.text, c.doc_id, c.start, c.end, c.source, key, tuple(sorted(hits[key])), p, c.sentence)
             for key, (p, c) in best.items()]
    spans.sort(key=lambda s: (-s.score, s.hits[0], s.start))
    return spans


def has_kind(found: Sequence[Candidate], kind: str) -> bool:
    """Whether some candidate can answer a question of ``kind``."""
    return any(c.source in ANSWERS_KIND[kind] for c in found)


__all__ = ["ANSWERS_KIND", "Candidate", "FEATURES", "NAME", "NUMBER", "PHRASE", "PLACE", "Sentence", "Span",
           "asked_for", "candidates", "exact_match", "f1", "has_kind", "rank_spans", "score", "squad_normalize"]


def key_words(question: str, weights: dict[str, float], held: set[str] | frozenset[str]) -> str:
    """What the documents mention of the question, in its own words: its rarest term (highest IDF among
    ``weights``) that the sentences read hold (``held``), with the name it belongs to ("the CPTPP", "Resolution
    59"); "these terms" when none is held."""
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[\w’'-]+", question)]
    stems = _stem([fold_accents(w).lower() for _, _, w in words])
    present = [(weights[s], k) for k, s in enumerate(stems) if s in weights and s in held]
    if not present:
        return "these terms"
    _, k = max(present)
    a = b = k
    if words[k][2][0].isupper() or words[k][2].isdigit():  # the whole name: "Resolution 59", "Gustave Eiffel"
        def part(j):
            return 0 <= j < len(words) and j != 0 and (words[j][2][0].isupper() or words[j][2].isdigit())
        while part(a - 1):
            a -= 1
        while part(b + 1):
            b += 1
    if a > 0 and words[a - 1][2].lower() == "the" and words[a][2][0].isupper():
        a -= 1
    return question[words[a][0]:words[b][1]]
