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
(a conditional logit: one softmax over a question's candidates; fitted by ``bench/answers.py --fit`` on the gold
sets one may fit on, stored as JSON beside this module: span_weights.json). The same text from several hits is one answer; its hits are the ranks that state it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..text import STOPWORDS, _stem, fold_accents, question_terms
from .conflicts import read_sentence
from .conflicts.tokens import _tokens
from .kinds import DATE, KINDS, NAME, NUMBER, PHRASE, PLACE, VALUE_KINDS, VALUE_NOUNS, question_kind

#: Candidate sources: the kind of thing a span is.
SOURCES = ("date", "number", "name", "phrase")
#: Which sources can answer a question of each kind (abstention: a typed question with no such candidate in the
#: sentences that hold its terms is not answered).
ANSWERS_KIND = {DATE: ("date",), NUMBER: ("number",), NAME: ("name",), PLACE: ("name",), PHRASE: SOURCES}
#: Words that may join capitalised words into one name ("University of Paris", "Charles de Gaulle").
_NAME_JOINERS = frozenset(["of", "de", "du", "da", "del", "della", "di", "van", "von", "der", "den", "la", "le", "y", "and", "for"])
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
    terms: frozenset[str] = frozenset()  # its lexical terms (``qa.text.analyze``), as the question's are stemmed


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
    features: np.ndarray  # one value for each of FEATURES


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
    much: bool  # asks for an amount ("how much", "what share", "how big"), not a count
    #: its terms split in two: names (capitalised past the first word, or digits: "Vietnam", "CPTPP", "59") say what
    #: it is about; the rest but the words naming the kind asked ("sign", "elected") say what it asks of them
    names: frozenset[str] = frozenset()
    predicate: frozenset[str] = frozenset()


_QUESTION_WORD_RE = re.compile(r"[\w'’-]+")


@lru_cache(maxsize=4096)
def asked_for(question: str) -> AskedFor:
    m = re.search(r"(?i)\b(?:which|what)\s+([^\W\d_]+)", question)
    head = None
    if m and m.group(1).lower() not in STOPWORDS:
        head = _stem([m.group(1).lower()])[0]
    much = bool(re.search(r"(?i)\bhow\s+(?:much|far|long|big|large|tall|high|deep|wide|fast)\b|\b(?:what|which)\s+"
                          r"(?:\w+\s+)?(?:share|percentage|proportion|amount|price|cost|area|size|rate)\b", question))
    names, predicate = set(), set()
    for n, w in enumerate(_QUESTION_WORD_RE.findall(question[:1000])):
        low = fold_accents(w).lower()
        if low in STOPWORDS or low in VALUE_NOUNS or len(low) < 2 and not low.isdigit():
            continue
        stem = _stem([low[:-2] if low.endswith(("'s", "’s")) else low])[0]
        (names if n > 0 and w[0].isupper() or w[0].isdigit() else predicate).add(stem)
    return AskedFor(question_kind(question), frozenset(question_terms(question)), head, much, frozenset(names),
                    frozenset(predicate - names))


# --- candidates ---------------------------------------------------------------------------------------------


def _word_stems(toks) -> list[str | None]:
    """The stem of each word or number token (None for punctuation), as the question's terms are stemmed."""
    words = [fold_accents(t.raw).lower() if t.t in ("word", "num", "date") else "" for t in toks]
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
        while end_tok > m.vi and toks[end_tok].t == "p":
            end_tok -= 1  # "10-county": the value is "10"
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
        # and the run less its first or last word: the question's words often open or close a run
        # ("deterministic Turing machine" for "What ... a Turing machine ...")
        words = [k for k in range(a, b + 1) if toks[k].t != "p"]
        if 1 < len(words) <= MAX_WORDS:
            out.append((toks[words[1]].s, toks[words[-1]].e, "phrase", ""))
            out.append((toks[words[0]].s, toks[words[-2]].e, "phrase", ""))
            if len(words) > 2:
                out.append((toks[words[1]].s, toks[words[-2]].e, "phrase", ""))
    for (a, b), (c, d) in zip(runs, runs[1:]):  # "X of Y", "X and Y"
        if c == b + 2 and toks[b + 1].low in ("of", "and", "in") and d - a < MAX_WORDS:
            out.append((toks[a].s, toks[d].e, "phrase", ""))
            if a > 0 and toks[a - 1].low == "the":
                out.append((toks[a - 1].s, toks[d].e, "phrase", ""))
    return out


def _content(t) -> bool:
    return t.t == "num" or t.t == "word" and t.low not in STOPWORDS


@dataclass(frozen=True)
class _Read:
    """A sentence's candidates whatever the question, one array entry each, and its tokens' stems."""

    stems: tuple[str | None, ...]
    starts: np.ndarray  # character offsets into the sentence
    ends: np.ndarray
    first: np.ndarray  # token range, inclusive
    last: np.ndarray
    sources: tuple[str, ...]
    keys: tuple[str, ...]
    unit: np.ndarray  # a value with a unit (money, percent, measure...)
    words: np.ndarray  # words and numbers inside
    shape: np.ndarray  # one row of SHAPE for each candidate

    @cached_property
    def source_index(self) -> np.ndarray:
        return np.array([_SOURCE_INDEX[s] for s in self.sources], dtype=np.int64)


@lru_cache(maxsize=20_000)
def _read(text: str) -> _Read:
    """Remembered: a corpus's answer sentences come up again and again, and reading one is most of the cost."""
    toks, mentions = read_sentence(text)
    if not toks:
        toks = _tokens(text)
    stems = tuple(_word_stems(toks)) if toks else ()
    starts = {t.s: k for k, t in enumerate(toks)}
    ends = {t.e: k for k, t in enumerate(toks)}
    ends.update({t.e - 2: k for k, t in enumerate(toks) if t.poss})
    seen, rows = set(), []
    for s, e, source, key in _spans_in(text, toks, mentions) if toks else ():
        if (s, e, source) in seen or s not in starts or e not in ends:
            continue
        seen.add((s, e, source))
        a, b = starts[s], ends[e]
        n_words = sum(stems[k] is not None for k in range(a, b + 1))
        if n_words:
            rows.append((s, e, a, b, source, key or ("text:" + squad_normalize(text[s:e])),
                         key.split(":", 1)[0] in _UNITS, n_words, _shape(toks, a, b, key)))
    col = list(zip(*rows)) if rows else [()] * 9
    return _Read(stems, np.array(col[0], dtype=np.int64), np.array(col[1], dtype=np.int64),
                 np.array(col[2], dtype=np.int64), np.array(col[3], dtype=np.int64), tuple(col[4]), tuple(col[5]),
                 np.array(col[6], dtype=bool), np.array(col[7], dtype=np.float64),
                 np.array(col[8], dtype=np.float64).reshape(-1, len(SHAPE)))


#: What a span looks like whatever the question: the word before it (a preposition, an article, a boundary), the
#: token after it, its first letter, its digits, where it lies in the sentence.
SHAPE = ("after_preposition", "after_article", "after_boundary", "before_boundary", "capitalised", "digits",
         "position", "date_precision")
_BY_KIND = ("capitalised", "after_preposition", "log_distance", "terms_within_3")
_PREPOSITIONS = frozenset(["of", "in", "by", "at", "from", "to", "as", "on", "for", "with", "into", "during", "under"])


def _shape(toks, a: int, b: int, key: str) -> tuple[float, ...]:
    prev = toks[a - 1] if a > 0 else None
    nxt = toks[b + 1] if b + 1 < len(toks) else None
    return (float(prev is not None and prev.low in _PREPOSITIONS), float(prev is not None and prev.low in
                                                                         ("the", "a", "an")),
            float(prev is None or prev.t == "p"), float(nxt is None or nxt.t == "p"),
            float(toks[a].raw[:1].isupper()), float(any(toks[k].t == "num" for k in range(a, b + 1))),
            a / len(toks), key.count("-") / 2 if key.startswith("date:") and key[5:6].isdigit() else 0.0)


_SOURCE_INDEX = {s: n for n, s in enumerate(SOURCES)}
#: How many names and phrases are kept for ranking (besides every value): the likeliest by the span model, so the
#: first short answer is the one all candidates give (the held-out folds of bench/answers.py rank them all), at a
#: tenth of the objects made.
KEPT = 20


def candidates(question: str, sentences: Sequence[Sentence], limit: int | None = KEPT) -> list[Candidate]:
    """The candidate spans of ``sentences`` with their ``FEATURES``: every date and number, and the ``limit`` best
    of the others by the span model (all with ``limit=None``, as a fit needs them). Spans made only of the
    question's words are left out (the answer is near the question's terms, never one of them). Features are
    computed with array operations over all the sentences' candidates at once: a question reads some 400."""
    asked = asked_for(question)
    kind_row = list(KINDS).index(asked.kind)
    reads = [(at, _read(sent.text)) for at, sent in enumerate(sentences)]
    reads = [(at, r) for at, r in reads if len(r.starts)]
    if not reads:
        return []
    ntok = np.array([len(r.stems) for _, r in reads])
    tok_off = np.concatenate([[0], np.cumsum(ntok)])
    counts = np.array([len(r.starts) for _, r in reads])
    part = np.repeat(np.arange(len(reads)), counts)  # each candidate's sentence, as a position in ``reads``
    stems = [st for _, r in reads for st in r.stems]
    is_q = np.fromiter((st in asked.terms for st in stems), dtype=np.float64, count=len(stems))
    is_head = np.fromiter((asked.head is not None and st == asked.head for st in stems), dtype=np.float64,
                          count=len(stems))
    cq, ch = np.concatenate([[0.0], np.cumsum(is_q)]), np.concatenate([[0.0], np.cumsum(is_head)])
    A = np.concatenate([r.first for _, r in reads]) + tok_off[part]
    B = np.concatenate([r.last for _, r in reads]) + tok_off[part]
    words = np.concatenate([r.words for _, r in reads])
    inside_q = cq[B + 1] - cq[A]
    keep = np.nonzero(inside_q < words)[0]
    if not len(keep):
        return []
    A, B, inside_q, words, part = A[keep], B[keep], inside_q[keep], words[keep], part[keep]
    TS, TE = tok_off[part], tok_off[part + 1]  # the sentence's tokens: [TS, TE)
    q_at = np.nonzero(is_q)[0]
    n = len(keep)
    if len(q_at):
        before = np.searchsorted(q_at, A) - 1  # the nearest question term before the span, in its sentence
        nb = q_at[np.maximum(before, 0)]
        left = np.where((before >= 0) & (nb >= TS), A - nb, 99)
        after = np.searchsorted(q_at, B, side="right")  # and after it
        na = q_at[np.minimum(after, len(q_at) - 1)]
        right = np.where((after < len(q_at)) & (na < TE), na - B, 99)
    else:
        left = right = np.full(n, 99)
    src = np.concatenate([r.source_index for _, r in reads])[keep]
    unit = np.concatenate([r.unit for _, r in reads])[keep]
    shape = np.vstack([r.shape for _, r in reads])[keep]
    score_of = np.array([sentences[at].score for at, _ in reads])
    order = np.argsort(-score_of, kind="stable")
    ranks = np.empty(len(reads), dtype=np.int64)
    ranks[order] = np.arange(len(reads))
    hit_of = np.array([sentences[at].hit for at, _ in reads])
    X = np.zeros((n, len(FEATURES)))
    X[np.arange(n), kind_row * len(SOURCES) + src] = 1.0
    f = len(KINDS) * len(SOURCES)
    X[:, f] = inside_q / words
    X[:, f + 1] = (is_q[A] + is_q[B]) > 0
    X[:, f + 2] = unit & asked.much
    X[:, f + 3] = ~unit & asked.much & (src == _SOURCE_INDEX["number"])
    X[:, f + 4] = (ch[B + 1] - ch[A]) > 0
    X[:, f + 5] = np.log1p(np.minimum(left, right))
    X[:, f + 6] = left == 1
    X[:, f + 7] = right == 1
    X[:, f + 8] = (cq[TE] - cq[TS]) == 0
    X[:, f + 9] = score_of[part]
    X[:, f + 10] = np.array([sentences[at].coverage for at, _ in reads])[part]
    X[:, f + 11] = 1.0 / hit_of[part]
    X[:, f + 12] = np.array([sentences[at].order == 0 for at, _ in reads])[part]
    X[:, f + 15] = np.log(words)
    X[:, f + 16] = words > 4
    total = max(1, len(asked.terms))
    X[:, f + 17] = (cq[np.minimum(B + 4, TE)] - cq[np.maximum(A - 3, TS)] - inside_q) / total
    X[:, f + 18] = (cq[np.minimum(B + 9, TE)] - cq[np.maximum(A - 8, TS)] - inside_q) / total
    X[:, f + 19] = 1.0 / (1 + ranks[part])
    X[:, f + 20] = score_of[part] - score_of.max()
    X[:, f + 21] = np.log(words) * (asked.kind == PHRASE)
    X[:, f + 22] = np.log(words) * (asked.kind in (NAME, PLACE))
    X[:, f + 23:f + 23 + len(SHAPE)] = shape
    g = f + 23 + len(SHAPE) + kind_row * len(_BY_KIND)  # the question's kind with the span's look
    X[:, g] = shape[:, SHAPE.index("capitalised")]
    X[:, g + 1] = shape[:, SHAPE.index("after_preposition")]
    X[:, g + 2] = X[:, f + 5]
    X[:, g + 3] = X[:, f + 17]
    # agreement: how many hits state each answer (a key counted once per hit)
    all_keys = [k for _, r in reads for k in r.keys]
    keys = [all_keys[i] for i in keep.tolist()]
    hits = hit_of[part].tolist()
    support = Counter(k for _, k in set(zip(hits, keys)))
    agreeing = np.fromiter((support[k] for k in keys), dtype=np.float64, count=n)
    X[:, f + 13] = np.log(agreeing)
    X[:, f + 14] = agreeing / agreeing.max()
    if limit is not None:  # only the best ``limit`` by the span model, and every value (dates and numbers)
        p = score_matrix(X)
        cut = np.sort(p)[-limit] if len(p) > limit else -np.inf
        value = (src == _SOURCE_INDEX["date"]) | (src == _SOURCE_INDEX["number"])
        chosen = np.nonzero((p >= cut) | value)[0]
    else:
        chosen = np.arange(n)
    starts = np.concatenate([r.starts for _, r in reads])[keep]
    ends = np.concatenate([r.ends for _, r in reads])[keep]
    out = []
    for j in chosen.tolist():
        at = reads[part[j]][0]
        sent, s, e = sentences[at], int(starts[j]), int(ends[j])
        out.append(Candidate(sent.text[s:e], sent.doc_id, sent.start + s, sent.start + e, SOURCES[src[j]], keys[j],
                             sent.hit, at, X[j]))
    return out


FEATURES = (*(f"kind_{k}_{s}" for k in KINDS for s in SOURCES), "question_words", "question_word_edge",
            "unit_for_how_much", "bare_count_for_how_much", "names_head", "log_distance",
            "term_before", "term_after", "no_terms", "sentence_score", "sentence_coverage", "inverse_rank",
            "best_sentence", "log_support", "support_share", "log_words", "long", "terms_within_3",
            "terms_within_8", "inverse_sentence_rank", "score_below_best", "log_words_phrase", "log_words_name",
            *SHAPE, *(f"{k}_{x}" for k in KINDS for x in ("capitalised", "after_preposition", "log_distance",
                                                          "terms_within_3")))

#: Values with a unit: what "how much", "what share" questions ask for (a bare count answers "how many").
_UNITS = frozenset(("money", "percent", "pp", "measure", "multiple"))

_WEIGHTS_FILE = Path(__file__).with_name("span_weights.json")


@lru_cache(maxsize=1)
def span_weights() -> tuple[np.ndarray, float]:
    """The fitted weights (``bench/answers.py --fit``), by feature name, and the bias."""
    data = json.loads(_WEIGHTS_FILE.read_text(encoding="utf-8"))
    return np.array([data["weights"].get(f, 0.0) for f in FEATURES], dtype=np.float64), float(data["bias"])


def score(found: Sequence[Candidate], weights: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """Each candidate's probability of being the answer, among ``found``: the span model is a conditional logit
    (one softmax over a question's candidates), fitted so by ``bench/answers.py``."""
    if not found:
        return np.zeros(0)
    z = score_matrix(np.vstack([c.features for c in found]), weights)
    e = np.exp(z - z.max())
    return e / e.sum()


def score_matrix(X: np.ndarray, weights: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """The span model's linear score of each row of features (higher: likelier the answer)."""
    w, bias = weights or span_weights()
    return X @ w + bias


def rank_spans(found: Sequence[Candidate], probabilities: np.ndarray) -> list[Span]:
    """One ``Span`` for each distinct answer (its ``key``: a value's reading, else its normalised words), best
    first: the summed probability of its occurrences (the same words as a name and as a phrase, or in two hits, are
    one answer), the place of its likeliest one, every hit that states it."""
    best: dict[str, tuple[float, Candidate]] = {}
    total: dict[str, float] = {}
    hits: dict[str, set[int]] = {}
    for c, p in zip(found, probabilities):
        hits.setdefault(c.key, set()).add(c.hit)
        total[c.key] = total.get(c.key, 0.0) + float(p)
        if c.key not in best or p > best[c.key][0]:
            best[c.key] = (float(p), c)
    spans = [Span(c.text, c.doc_id, c.start, c.end, c.source, key, tuple(sorted(hits[key])), min(1.0, total[key]),
                  c.sentence) for key, (_, c) in best.items()]
    spans.sort(key=lambda s: (-s.score, s.hits[0], s.start))
    return spans


def has_kind(found: Sequence[Candidate], kind: str) -> bool:
    """Whether some candidate can answer a question of ``kind``."""
    return any(c.source in ANSWERS_KIND[kind] for c in found)


__all__ = [
    "ANSWERS_KIND",
    "FEATURES",
    "NAME",
    "NUMBER",
    "PHRASE",
    "PLACE",
    "Candidate",
    "Sentence",
    "Span",
    "asked_for",
    "candidates",
    "exact_match",
    "f1",
    "has_kind",
    "rank_spans",
    "score",
    "squad_normalize",
]


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
