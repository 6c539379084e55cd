import numpy as np
import pytest

from qa.rank.vectors import SHORT_PENALTY, SHORT_TOKENS, length_adjusted


def test_only_short_passages_are_discounted_and_never_by_more_than_the_penalty():
    cosines = np.full(5, 0.5, dtype=np.float32)
    lengths = np.array([0, SHORT_TOKENS // 2, SHORT_TOKENS, 200, 256])
    adjusted = length_adjusted(cosines, lengths)
    assert adjusted[0] == pytest.approx(0.5 - SHORT_PENALTY)
    assert adjusted[1] == pytest.approx(0.5 - SHORT_PENALTY / 2)
    assert adjusted[2:] == pytest.approx([0.5] * 3)
    assert (np.diff(adjusted) >= 0).all()  # longer is never worse
