"""Pure functions that turn a ranking into an answer: de-duplication, term coverage, answer sentences and the
abstention threshold."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..text import word_spans
from . import spans as sp
from .kinds import KINDS

#: Two passages are the same text when this share of the shorter one's word 5-grams is in the other. Neighbours
#: of one document share up to ~0.45 through their overlap; a quote repeated in two articles shares ~0.7.
DUPLICATE_OVERLAP = 0.6
#: At most this share of a corpus's answerable gold questions may be wrongly abstained on (``calibrate``).
MAX_FALSE_ABSTAIN = 0.02


def shingles(text: str, n: int = 5) -> frozenset[tuple[str, ...]]:
    words = [w for _, _, w in word_spans(text)]
    if len(words) < n:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def overlap(a: frozenset, b: frozenset) -> float:
    """Overlap coefficient: |a ∩ b| / min(|a|, |b|)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def dedupe(
    candidates: Sequence[int],
    shingles_of: Callable[[int], frozenset],
    place_of: Callable[[int], tuple[str, int]],
    k: int,
) -> list[tuple[int, list[int]]]:
    """The first ``k`` candidates that are not near-copies of a better one, each with the copies folded into it.

    ``place_of(id)`` gives (doc_id, ordinal): neighbouring passages of one document overlap by design and are
    never folded together.
    """
    kept: list[tuple[int, list[int]]] = []
    for pid in candidates:
        sh, (doc, ordinal) = shingles_of(pid), place_of(pid)
        for best, copies in kept:
            best_doc, best_ordinal = place_of(best)
            if best_doc == doc and abs(best_ordinal - ordinal) == 1:
                continue
            if overlap(sh, shingles_of(best)) >= DUPLICATE_OVERLAP:
                copies.append(pid)
                break
        else:
            if len(kept) == k:
                break
            kept.append((pid, []))
    return kept


class TermWeights:
    """A question's terms with their IDF weights, computed once per question: the coverage of each text it is
    compared with is then a sum of known weights."""

    def __init__(self, question_terms: Sequence[str], idf: Callable[[str], float]):
        self.weights = {t: idf(t) for t in question_terms}
        self.total = sum(self.weights.values())

    def coverage(self, text_terms: set[str] | frozenset[str]) -> float:
        """IDF-weighted share of the question's terms that the text contains (terms the corpus never uses count
        fully as missing: they are the clearest sign that the corpus does not speak of the thing asked)."""
        if self.total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in text_terms) / self.total

    def coverages(self, holding: dict[str, np.ndarray], n: int) -> np.ndarray:
        """``coverage`` of ``n`` texts at once, from which texts hold each term (a 0/1 row per term)."""
        out = np.zeros(n, dtype=np.float32)
        if self.total <= 0:
            return out
        for t, w in self.weights.items():
            held = holding.get(t)
            if held is not None:
                out += w * held
        return out / self.total


def coverage(question_terms: Sequence[str], idf: Callable[[str], float], text_terms: set[str]) -> float:
    """``TermWeights(question_terms, idf).coverage(text_terms)``, for one text."""
    return TermWeights(question_terms, idf).coverage(text_terms)


def evidence(cosine, coverage):
    """How well a text answers a question: the mean of meaning (cosine, from 0) and wording (term coverage); for
    numbers or numpy arrays of them alike."""
    return (np.maximum(cosine, 0.0) + coverage) / 2


@dataclass(frozen=True)
class Signals:
    """What an answer's confidence is computed from; each is measured on the answer's own candidates."""

    cosine: float  # the best passage's cosine to the question (short passages discounted)
    coverage: float  # the IDF-weighted share of the question's terms in the best of the top three passages
    sentence_cosine: float  # the best cosine of a sentence of the top five passages
    agreement: float  # the share of the dense top five that is also in the lexical top five
    unknown: float  # the IDF-weighted share of the question's terms that the corpus never uses

    def to_dict(self) -> dict:
        return {k: round(v, 4) for k, v in asdict(self).items()}


#: A logistic model of "the corpus answers this", fitted by ``bench/abstention.py`` on questions of four kinds over
#: three collections: the seeds' gold set and paraphrased questions of our own (gold/), 705 SQuAD questions on 173
#: Wikipedia paragraphs (gold/squad) and CACM's queries, each also asked of the other collections, where they are
#: unanswerable by construction (2,490 question-collection pairs; each group weighted equally). All modes share it.
CONFIDENCE_WEIGHTS = Signals(cosine=2.11, coverage=1.64, sentence_cosine=2.21, agreement=1.64, unknown=-1.64)
CONFIDENCE_BIAS = -2.33


def confidence(signals: Signals) -> float:
    """The probability, by ``CONFIDENCE_WEIGHTS``, that the corpus answers the question."""
    z = CONFIDENCE_BIAS + sum(getattr(signals, f) * w for f, w in asdict(CONFIDENCE_WEIGHTS).items())
    return 1.0 / (1.0 + math.exp(-z))


#: Below these confidences an answer abstains, by mode: where the model above wrongly abstains on 2 % of the
#: answerable questions it was fitted on, each kind counted equally (bench/abstention.py).
DEFAULT_THRESHOLDS = {"dense": 0.326, "hybrid": 0.345, "lexical": 0.320}


def calibrate(answerable: Sequence[float], default: float, max_false: float = MAX_FALSE_ABSTAIN) -> float:
    """The threshold for a corpus that has a gold set: ``default``, lowered as far as needed for it to wrongly
    abstain on at most ``max_false`` of the corpus's own answerable questions, and never raised.

    Raising it to catch a gold set's few unanswerable questions fits that set and refuses paraphrases of its
    answerable ones (measured: docs/retrieval.md, "Abstention"); lowering it only protects questions the corpus
    answers. A lowered threshold sits midway between the confidences it separates."""
    values = sorted(answerable)
    allowed = int(max_false * len(values))  # how many may fall below
    if not values or sum(v < default for v in values) <= allowed:
        return round(default, 4)
    below = values[allowed - 1] if allowed else values[0] - 0.01
    return round((below + values[allowed]) / 2, 4)


# --- the short answer ------------------------------------------------------------------------------------------

#: Kinds a question may ask for that the short answer abstains on when the documents do not say it (names of people
#: and places are also written in lower case often enough -- "the king's men", "the north" -- that a missing name
#: proves nothing: measured, checking them too refused answerable questions as often as it caught unanswerable ones).
ABSTAINING_KINDS = ("date", "number")
#: What the answerability model reads of a question that asks for a date or a number, from its candidates of that
#: kind ("typed") in the sentences read (``answerable_features``).
ANSWERABLE_FEATURES = (
    "typed_sentence_score",  # the best evidence of a sentence holding a typed candidate
    "typed_logit",  # the span model's best score of a typed candidate (not normalised: how answer-like it is)
    "typed_logit_below_best",  # ... less the best score of any candidate
    "best_coverage",  # the IDF-weighted share of the question's terms in the best typed candidate's sentence
    "best_inverse_hit",  # 1 / the rank of that sentence's hit
    "best_terms_within_8",  # the question's terms within 8 words of the best typed candidate
    "best_predicate_share",  # the share of what the question asks of its names ("sign") in that sentence
    "best_names_share",  # the share of the question's names ("Vietnam", "CPTPP") in that sentence
    "names_and_predicate",  # the best share of its names plus the share of its predicate, in a typed sentence
    "sentence_score_above_typed",  # the best evidence of any sentence read, less typed_sentence_score
    "asks_date",
)
_ANSWERABLE_FILE = Path(__file__).with_name("answerable_weights.json")


@lru_cache(maxsize=1)
def answerable_model() -> tuple[np.ndarray, float, float]:
    """The answerability model (``bench/answers.py --fit``): weights by ``ANSWERABLE_FEATURES``, bias, and the
    threshold below which the short answer says the documents do not say."""
    data = json.loads(_ANSWERABLE_FILE.read_text(encoding="utf-8"))
    return (np.array([data["weights"][f] for f in ANSWERABLE_FEATURES], dtype=np.float64), float(data["bias"]),
            float(data["threshold"]))


def typed_candidates(found, sentences, kind: str) -> list:
    """The candidates of ``found`` that can answer a question of ``kind`` (``qa.rank.spans.ANSWERS_KIND``), in
    sentences holding at least one of the question's terms: a value in a sentence that shares no word with the
    question answers another one."""
    return [c for c in found if c.source in sp.ANSWERS_KIND[kind] and sentences[c.sentence].coverage > 0]


def _share(terms: frozenset[str], held: frozenset[str]) -> float:
    return sum(t in held for t in terms) / len(terms) if terms else 1.0


def answerable_features(question: str, sentences, found, typed, span_weights=None) -> np.ndarray:
    """``ANSWERABLE_FEATURES`` of a question with its candidates ``found`` and the typed ones among them (not
    empty); ``span_weights``: the span model's, if not those in use (a fit's held-out folds)."""
    asked = sp.asked_for(question)
    z_typed = sp.score_matrix(np.vstack([c.features for c in typed]), span_weights)
    z_all = sp.score_matrix(np.vstack([c.features for c in found]), span_weights)
    best = typed[int(np.argmax(z_typed))]
    read = sentences[best.sentence]
    typed_score = max(sentences[c.sentence].score for c in typed)
    both = max(_share(asked.names, sentences[c.sentence].terms) + _share(asked.predicate, sentences[c.sentence].terms)
               for c in typed)
    return np.array([typed_score, z_typed.max(), z_typed.max() - z_all.max(), read.coverage, 1.0 / read.hit,
                     best.features[sp.FEATURES.index("terms_within_8")], _share(asked.predicate, read.terms),
                     _share(asked.names, read.terms), both,
                     max(s.score for s in sentences) - typed_score, float(asked.kind == "date")])


def answerable(features: np.ndarray, model: tuple[np.ndarray, float, float] | None = None) -> float:
    """The answerability model's probability that the documents state the value asked for."""
    w, bias, _ = model or answerable_model()
    return float(1.0 / (1.0 + np.exp(-(features @ w + bias))))


#: Where no conflict is found over the answer, another value of its kind is an alternative when its probability is
#: at least this share of the answer's (two dates of two resolutions, for a question that names neither clearly).
ALTERNATIVE_SHARE = 0.25
#: At most this many alternatives of that kind are listed.
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class ShortAnswer:
    """The exact words that answer, where they are, how sure, which hits state them, and other values given."""

    text: str
    doc_id: str
    start: int  # document offsets: document text[start:end] == text
    end: int
    confidence: float  # the span model's probability that this is the answer
    hits: tuple[int, ...]  # ranks of the hits that state it
    sentence: tuple[int, int]  # document offsets of the sentence it was read from
    alternatives: tuple = ()  # qa.rank.spans.Span: other values sources give (a conflict's, or ALTERNATIVE_SHARE)

    def to_dict(self) -> dict:
        return {"text": self.text, "doc_id": self.doc_id, "start": self.start, "end": self.end,
                "confidence": round(self.confidence, 4), "hits": list(self.hits), "sentence": list(self.sentence),
                "alternatives": [a.to_dict() for a in self.alternatives]}


def short_answer(question: str, sentences, names: Callable[[], str],
                 conflicts=()) -> tuple[ShortAnswer | None, str | None]:
    """The short answer read from ``sentences`` (``qa.rank.spans.Sentence``, the top sentences of the best hits),
    or why there is none: (None, "The documents mention X but do not say when.") where the question asks for a
    value (``ABSTAINING_KINDS``) that no sentence read holds, or where the answerability model (``answerable``) finds
    that none of the values read is the one asked for. ``names()`` says what the documents mention, for that reason
    (computed only when needed).

    Where the answer is one of the values of a conflict (``qa.rank.conflicts``), the answer is the value most hits
    state (the span model's choice on a tie) and the conflict's other values are its alternatives; otherwise the
    alternatives are the values of its kind the model finds nearly as likely (``ALTERNATIVE_SHARE``)."""
    asked = sp.asked_for(question)
    found = sp.candidates(question, sentences)
    if asked.kind in ABSTAINING_KINDS:
        typed = typed_candidates(found, sentences, asked.kind)
        if not typed or answerable(answerable_features(question, sentences, found, typed)) < answerable_model()[2]:
            return None, f"The documents mention {names()} but do not say {KINDS[asked.kind]}."
        found = typed
    if not found:
        return None, None
    ranked = sp.rank_spans(found, sp.score(found))
    best, alternatives = ranked[0], []
    for conflict in conflicts:
        spans = [next((s for s in ranked if _states(s, v)), None) for v in conflict.values]
        held = [n for n, v in enumerate(conflict.values) if _states(best, v)]
        if not held or any(s is None for s in spans):
            continue
        most = max(range(len(spans)), key=lambda n: (len(conflict.values[n].hits), n == held[0]))
        best = spans[most]
        alternatives = [s for n, s in enumerate(spans) if n != most]
        break
    else:  # no conflict over the answer: other values of its kind the model finds nearly as likely
        if best.source in ("date", "number"):
            alternatives = [s for s in ranked[1:] if s.source == best.source
                            and s.score >= ALTERNATIVE_SHARE * best.score][:MAX_ALTERNATIVES]
    read = sentences[best.sentence]
    return ShortAnswer(best.text, best.doc_id, best.start, best.end, best.score, best.hits,
                       (read.start, read.start + len(read.text)), tuple(alternatives)), None


def _states(span, value) -> bool:
    """Whether a candidate span lies in one of the places where a conflict's value is stated."""
    return any(doc == span.doc_id and s <= span.start and span.end <= e for doc, s, e in value.spans)
