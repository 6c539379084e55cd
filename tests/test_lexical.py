"""qa.rank.lexical: BM25 over the passages' stored terms, saved as JSON and .npy, keyed by passage id."""

import json

import numpy as np

from qa.rank.lexical import Lexical, build_from_terms
from qa.text import analyze


def _lexical(tmp_path, texts: dict[int, str]) -> Lexical:
    folder = tmp_path / "lexical"
    folder.mkdir()
    build_from_terms(lambda: ((pid, analyze(text)) for pid, text in texts.items()), folder)
    return Lexical(folder)


TEXTS = {3: "Vietnam has diplomatic relations with 194 countries.",
         7: "Phạm Minh Chính visited Hà Nội and Đà Nẵng.",
         12: "The trade surplus reached 20 billion USD.",
         20: "The and of a to in."}


def test_rows_answer_with_passage_ids_not_row_numbers(tmp_path):
    lexical = _lexical(tmp_path, TEXTS)
    assert lexical.search("trade surplus", 5)[0][0] == 12
    assert [pid for pid, _ in lexical.search("diplomatic relations", 5)] == [3]


def test_accents_and_joined_names_are_folded(tmp_path):
    lexical = _lexical(tmp_path, TEXTS)
    assert lexical.search("Pham Minh Chinh Hanoi", 5)[0][0] == 7
    assert lexical.search("Viet Nam", 5)[0][0] == 3


def test_query_syntax_is_just_text_and_unknown_words_find_nothing(tmp_path):
    lexical = _lexical(tmp_path, TEXTS)
    assert lexical.search('"trade" AND surplus* NOT (x)', 5)[0][0] == 12
    assert lexical.search("zebra quokka", 5) == []
    assert lexical.search("the and of", 5) == []


def test_idf_is_higher_for_rarer_terms_and_the_files_are_inspectable(tmp_path):
    lexical = _lexical(tmp_path, {**TEXTS, 30: "Trade in Vietnam.", 31: "More trade."})
    assert lexical.idf("surplus") > lexical.idf("trade") > 0
    assert lexical.idf("never-seen") == lexical.idf("surplus")  # a term seen once, as documented
    folder = tmp_path / "lexical"
    assert json.loads((folder / "params.index.json").read_text())["k1"] == 1.2
    assert sorted(np.load(folder / "ids.npy")) == [3, 7, 12, 20, 30, 31]


def test_the_streamed_build_scores_as_bm25s_own_does(tmp_path):
    """The same score matrix as bm25s's own index() of the same terms, entry by entry, and the same ranking."""
    import bm25s

    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    rows = [(i * 3 + 1, [words[j] for j in np.minimum(rng.zipf(1.3, rng.integers(0, 40)) - 1, 299)])
            for i in range(2_500)]  # some passages have no terms at all
    ours = tmp_path / "ours"
    from qa.rank import lexical

    lexical.CHUNK, chunk = 700, lexical.CHUNK  # several chunks
    try:
        build_from_terms(lambda: iter(rows), ours)
    finally:
        lexical.CHUNK = chunk
    theirs = bm25s.BM25(k1=1.2, b=0.75)
    theirs.index([t or [""] for _, t in rows], show_progress=False)
    mine = bm25s.BM25.load(str(ours), mmap=True)
    assert mine.scores["num_docs"] == theirs.scores["num_docs"] == len(rows)
    for term, j in theirs.vocab_dict.items():
        k = mine.vocab_dict[term]
        a = slice(theirs.scores["indptr"][j], theirs.scores["indptr"][j + 1])
        b = slice(mine.scores["indptr"][k], mine.scores["indptr"][k + 1])
        assert list(theirs.scores["indices"][a]) == list(mine.scores["indices"][b]), term
        assert np.allclose(theirs.scores["data"][a], mine.scores["data"][b], rtol=1e-6, atol=0), term
    searched = Lexical(ours)
    for query in (["w0", "w5"], ["w17"], ["w2", "w2", "w250"]):
        got = searched._bm25.get_scores(query)
        want = theirs.get_scores(query)
        assert np.allclose(got, want, rtol=1e-6) and list(np.argsort(-got, kind="stable")[:10]) == \
            list(np.argsort(-want, kind="stable")[:10])


def test_search_touches_only_the_postings_and_ranks_as_scoring_every_row_does(tmp_path):
    """``search`` sums scores at the question's postings only; its ranking is bm25s's full ``get_scores`` array
    ranked (equal scores in row order), with and without a scope mask, and its buffer is left zeroed."""
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(200)]
    rows = [(i * 2 + 5, [words[j] for j in np.minimum(rng.zipf(1.4, rng.integers(1, 30)) - 1, 199)])
            for i in range(3_000)]
    folder = tmp_path / "lexical"
    build_from_terms(lambda: iter(rows), folder)
    searched = Lexical(folder)
    mask = rng.random(len(rows)) < 0.1
    drawn = [" ".join(f"w{j}" for j in np.minimum(rng.zipf(1.2, rng.integers(2, 9)) - 1, 199)) for _ in range(30)]
    for question in ("w0 w3", "w150", "w2 w2 w77 w9", "w1 w0 w4 w6 w8 w11", "w150 w0 w1", "w120 w90 w0 w0", *drawn):
        terms = question.split()
        for weights in (None, mask):
            full = searched._bm25.get_scores(terms, weight_mask=weights)
            for depth in (1, 7, 100, 5_000):
                order = np.lexsort((np.arange(len(full)), -full))
                want = [(rows[r][0], float(full[r])) for r in order[:depth] if full[r] > 0]
                got = searched.search(question, depth, weights)
                assert [p for p, _ in got] == [p for p, _ in want], (question, depth)
                assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-6)
        assert not searched._spare[0].any()
    assert searched.search("nothing known here", 10) == []


def test_questions_searched_at_once_from_threads_get_what_they_get_alone(tmp_path):
    """The score buffers are shared between questions (taken and given back): threads searching at once get the
    rankings each question gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    from qa.rank import lexical

    rng = np.random.default_rng(11)
    rows = [(i, [f"w{j}" for j in np.minimum(rng.zipf(1.3, rng.integers(1, 25)) - 1, 99)]) for i in range(4_000)]
    folder = tmp_path / "lexical"
    build_from_terms(lambda: iter(rows), folder)
    searched = Lexical(folder)
    questions = [" ".join(f"w{j}" for j in rng.integers(0, 100, rng.integers(1, 6))) for _ in range(60)]
    alone = [searched.search(q, 20) for q in questions]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: searched.search(q, 20), questions * 4))
    assert together == alone * 4
    assert all(not buffer.any() for buffer in searched._spare) and len(searched._spare) <= lexical.SPARE_KEPT
