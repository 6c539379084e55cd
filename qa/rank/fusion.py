"""Pure functions that merge ranked lists of (passage id, score), best first."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Ranking = list[tuple[int, float]]


def reciprocal_rank_fusion(rankings: Sequence[Ranking], k: int = 60) -> Ranking:
    """Cormack et al. 2009: sum of 1 / (k + rank). Uses ranks only, so scales of the inputs do not matter."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pid, _) in enumerate(ranking, 1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def minmax_fusion(rankings: Sequence[Ranking], weights: Sequence[float] | None = None) -> Ranking:
    """Weighted sum of scores min-max normalised per list to [0, 1]; a passage absent from a list gets 0 there."""
    weights = weights or [1.0 / len(rankings)] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        lo, hi = min(values), max(values)
        span = hi - lo
        for pid, s in ranking:
            scores[pid] = scores.get(pid, 0.0) + weight * ((s - lo) / span if span > 0 else 1.0)
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


FUSERS: dict[str, Callable[[Sequence[Ranking]], Ranking]] = {
    "rrf": reciprocal_rank_fusion,
    "minmax": minmax_fusion,
}
