import pytest

from qa.rank.fusion import FUSERS, minmax_fusion, reciprocal_rank_fusion

A = [(1, 9.0), (2, 5.0), (3, 1.0)]
B = [(3, 0.9), (1, 0.8), (4, 0.1)]


@pytest.mark.parametrize("name", sorted(FUSERS))
def test_every_item_once_best_first(name):
    fused = FUSERS[name]([A, B])
    ids = [pid for pid, _ in fused]
    assert sorted(ids) == [1, 2, 3, 4] and len(ids) == len(set(ids))
    assert all(a[1] >= b[1] for a, b in zip(fused, fused[1:]))
    assert ids[0] == 1  # first and second in the two lists beats everything else


@pytest.mark.parametrize("name", sorted(FUSERS))
def test_single_list_keeps_its_order_and_empty_lists_are_harmless(name):
    assert [p for p, _ in FUSERS[name]([A])] == [1, 2, 3]
    assert [p for p, _ in FUSERS[name]([A, []])] == [1, 2, 3]
    assert FUSERS[name]([[], []]) == []


@pytest.mark.parametrize("name", sorted(FUSERS))
def test_agreement_beats_one_list(name):
    # 5 is a close second in both lists; 6 and 8 are first in one list each and absent from the other
    fused = dict(FUSERS[name]([[(6, 3.0), (5, 2.5), (7, 1.0)], [(8, 3.0), (5, 2.5), (9, 1.0)]]))
    assert fused[5] > fused[6] and fused[5] > fused[8]


def test_rrf_by_hand():
    fused = dict(reciprocal_rank_fusion([A, B], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[4] == pytest.approx(1 / 63)


def test_minmax_by_hand():
    fused = dict(minmax_fusion([A, B]))
    assert fused[1] == pytest.approx(0.5 * 1.0 + 0.5 * (0.8 - 0.1) / 0.8)
    assert fused[2] == pytest.approx(0.5 * (5 - 1) / 8)
    assert all(0 <= v <= 1 for v in fused.values())
