"""Pure functions that turn a ranking into an answer: de-duplication, term coverage, answer sentences and the
abstention threshold."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .text import word_spans

#: Two passages are the same text when this share of the shorter one's word 5-grams is in the other. Neighbours
#: of one document share up to ~0.45 through their overlap; a quote repeated in two articles shares ~0.7.
DUPLICATE_OVERLAP = 0.6
#: At most this share of answerable gold questions may be wrongly abstained on when calibrating.
MAX_FALSE_ABSTAIN = 0.05
#: The threshold used where a corpus has no gold.jsonl to calibrate on: what the seeds' gold set gives for the
#: bundled model (see the README for its held-back check).
DEFAULT_THRESHOLD = 0.38


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


def coverage(question_terms: Sequence[str], idf: Callable[[str], float], text_terms: set[str]) -> float:
    """IDF-weighted share of the question's terms that ``text`` contains (terms the corpus never uses count fully
    as missing: they are the clearest sign that the corpus does not speak of the thing asked)."""
    total = sum(idf(t) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in question_terms if t in text_terms) / total


def confidence(top_cosine: float, best_coverage: float) -> float:
    """How sure the index is that it holds an answer: the mean of meaning (cosine) and wording (coverage)."""
    return (max(0.0, top_cosine) + best_coverage) / 2


def calibrate(answerable: Sequence[float], unanswerable: Sequence[float],
              max_false: float = MAX_FALSE_ABSTAIN) -> float:
    """The confidence threshold below which to abstain.

    Among thresholds that wrongly abstain on at most ``max_false`` of the answerable questions, take the one that
    catches the most unanswerable ones, placed midway in its gap so that it does not sit on a gold value.
    """
    values = sorted(set(answerable) | set(unanswerable))
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1e-6 if values else 0.0]
    best, best_key = 0.0, (-1, 0.0)
    for t in cuts:
        false = sum(c < t for c in answerable) / max(1, len(answerable))
        if false > max_false:
            continue
        caught = sum(c < t for c in unanswerable)
        key = (caught, -false)
        if key > best_key:
            best, best_key = t, key
    return round(best, 4)
