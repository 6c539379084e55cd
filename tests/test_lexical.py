"""qa.rank.lexical: BM25 over the passages' stored terms, saved as JSON and .npy, keyed by passage id."""

import json

import numpy as np

from qa.rank.lexical import Lexical, build_from_terms
from qa.text import analyze


def _lexical(tmp_path, texts: dict[int, str]) -> Lexical:
    folder = tmp_path / "lexical"
    folder.mkdir()
    build_from_terms(((pid, analyze(text)) for pid, text in texts.items()), folder)
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
