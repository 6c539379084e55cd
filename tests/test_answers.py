import pytest

from qa.answers import calibrate, confidence, coverage, dedupe, overlap, shingles

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
    assert confidence(0.6, 0.4) == pytest.approx(0.5) and confidence(-0.2, 0.4) == pytest.approx(0.2)


def test_calibrate_by_hand():
    answerable = [0.9, 0.8, 0.7, 0.6, 0.5] * 4  # 20 questions
    unanswerable = [0.1, 0.2, 0.55]
    # catching 0.1 and 0.2 wrongs none: the threshold sits midway between 0.2 and the lowest answerable, 0.5;
    # catching 0.55 too would wrong the four 0.5s (20% > 5%)
    assert calibrate(answerable, unanswerable) == pytest.approx(0.35)
    assert calibrate(answerable, unanswerable, max_false=0.25) == pytest.approx(0.575)
    assert calibrate([0.5], []) == 0.0  # nothing to catch: never abstain
