import pytest

from qa.rank.answers import (
    CONFIDENCE_WEIGHTS,
    Signals,
    calibrate,
    confidence,
    coverage,
    dedupe,
    evidence,
    overlap,
    shingles,
)

QUOTE = ("In the interdependent world today, the development of each nation cannot be isolated or immune to the "
         "impacts of the world and the era, or the prevailing circumstances.")


def test_shingles_ignore_case_accents_and_punctuation():
    assert shingles("Việt Nam, the country — “integration” grows fast") == shingles(
        'viet nam the COUNTRY "integration" grows fast')


def test_dedupe_folds_copies_into_the_better_passage_and_keeps_neighbours():
    texts = {1: "Intro. " + QUOTE, 2: QUOTE + " Then more.", 3: "Something else entirely about rice exports.",
             4: QUOTE + " A neighbour that overlaps by design."}
    places = {1: ("a.txt", 3), 2: ("b.txt", 7), 3: ("a.txt", 1), 4: ("a.txt", 4)}
    kept = dedupe([1, 2, 3, 4], lambda p: shingles(texts[p]), places.get, k=5)
    assert kept == [(1, [2]), (3, []), (4, [])]
    assert dedupe([1, 2, 3, 4], lambda p: shingles(texts[p]), places.get, k=1) == [(1, [2])]


def test_overlap_bounds():
    a, b = shingles(QUOTE), shingles("completely different words in this one sentence here")
    assert overlap(a, a) == 1.0 and overlap(a, b) == 0.0 and overlap(a, frozenset()) == 0.0


def test_coverage_weights_rare_terms():
    idf = {"fifa": 3.0, "vietnam": 0.5, "cup": 3.0}.get
    assert coverage(["fifa", "vietnam", "cup"], idf, {"vietnam"}) == pytest.approx(0.5 / 6.5)
    assert coverage(["fifa", "cup"], idf, {"fifa", "cup"}) == 1.0
    assert coverage([], idf, {"x"}) == 0.0
    assert evidence(0.6, 0.4) == pytest.approx(0.5) and evidence(-0.2, 0.4) == pytest.approx(0.2)


SURE = Signals(cosine=0.7, coverage=0.9, sentence_cosine=0.8, agreement=0.8, unknown=0.0)
UNSURE = Signals(cosine=0.1, coverage=0.0, sentence_cosine=0.15, agreement=0.0, unknown=1.0)


def test_confidence_is_a_probability_that_every_signal_moves_its_own_way():
    assert 0 < confidence(UNSURE) < 0.1 < 0.9 < confidence(SURE) < 1
    for name, weight in CONFIDENCE_WEIGHTS.to_dict().items():
        more = Signals(**{**UNSURE.to_dict(), name: getattr(UNSURE, name) + 0.2})
        # meaning, wording and agreement raise it; question terms the corpus never uses lower it
        assert (confidence(more) > confidence(UNSURE)) == (name != "unknown"), name


def test_calibrate_keeps_the_default_unless_it_wrongs_the_corpus_own_questions():
    answerable = [0.9, 0.8, 0.7, 0.6, 0.5] * 20  # 100 questions: 2 may fall below (2 %)
    assert calibrate(answerable, default=0.4) == 0.4  # none below: kept, never raised towards 0.5
    assert calibrate(answerable + [0.3, 0.35], default=0.4) == 0.4  # two below: still within 2 %
    # three below the default: lowered to midway between the second lowest (0.3) and the third (0.35)
    assert calibrate([0.2, 0.3, 0.35] + answerable, default=0.4) == pytest.approx(0.325)
    # so few questions that none may be wronged: just below the lowest
    assert calibrate([0.5, 0.6, 0.3], default=0.4) == pytest.approx(0.295)
    assert calibrate([], default=0.4) == 0.4
    assert calibrate(answerable, default=0.4, max_false=0.25) == 0.4


def test_the_coverage_of_many_texts_at_once_is_that_of_each():
    import numpy as np

    from qa.rank.answers import TermWeights

    weights = TermWeights(["fifa", "vietnam", "cup"], {"fifa": 3.0, "vietnam": 0.5, "cup": 3.0}.get)
    texts = [{"vietnam"}, {"fifa", "cup"}, set(), {"cup", "rice"}]
    holding = {t: np.array([float(t in x) for x in texts], dtype=np.float32) for x in texts for t in x}
    assert weights.coverages(holding, len(texts)) == pytest.approx([weights.coverage(x) for x in texts])
    assert TermWeights([], len).coverages(holding, 4).tolist() == [0.0] * 4
