import json
import math

import pytest
from helpers import SEEDS, write

from qa.errors import QAError
from qa.evaluate import BEIR_METRICS, GOLD_METRICS, GoldQuestion, _measure, is_relevant, load_beir, load_gold


def test_metrics_on_a_hand_worked_example():
    qrels = {"q1": {"a": 1}, "q2": {"x": 1, "y": 1}, "q3": {"z": 1}}
    run = {"q1": {"b": 3.0, "a": 2.0, "c": 1.0},  # relevant at rank 2
           "q2": {"x": 3.0, "n": 2.0, "y": 1.0},  # relevant at ranks 1 and 3
           "q3": {"n": 1.0}}  # nothing relevant retrieved
    m = _measure(qrels, run, GOLD_METRICS)
    assert m["hit@1"] == pytest.approx(1 / 3)
    assert m["hit@3"] == pytest.approx(2 / 3) == m["hit@5"]
    assert m["mrr@10"] == pytest.approx((0.5 + 1 + 0) / 3)
    ndcg_q1 = 1 / math.log2(3)
    ndcg_q2 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 3)
    beir = _measure(qrels, run, BEIR_METRICS)
    assert beir["map"] == pytest.approx((0.5 + (1 + 2 / 3) / 2 + 0) / 3)
    assert beir["recall@100"] == pytest.approx((1 + 1 + 0) / 3)


def test_a_query_that_retrieves_nothing_counts_as_zero():
    m = _measure({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": {"a": 1.0}}, GOLD_METRICS)
    assert m["hit@1"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "answer, text",
    [("Trần Lê Hưng", "said Tran Le Hung from France"), ("Vietnam’s stature", 'enhancing Vietnam\'s stature'),
     ("28–29 billion USD", "estimated at 28-29 billion usd"), ("“breakthrough decision”", '"Breakthrough  Decision"'),
     ("ＡＳＥＡＮ", "the asean chair")],
)
def test_answers_match_across_accents_quotes_dashes_case_and_space(answer, text):
    assert is_relevant(GoldQuestion("q", "?", (answer,), ()), "any.txt", text)


def test_relevance_needs_an_allowed_document_and_an_answer():
    g = GoldQuestion("q", "?", ("194 countries",), ("a.txt",))
    assert is_relevant(g, "a.txt", "relations with 194 countries")
    assert not is_relevant(g, "b.txt", "relations with 194 countries")
    assert not is_relevant(g, "a.txt", "relations with 195 countries")
    assert not is_relevant(GoldQuestion("q", "?", (), ()), "a.txt", "anything")


def test_the_seed_gold_set_is_complete():
    gold = load_gold(SEEDS / "gold.jsonl")
    assert len(gold) >= 60 and sum(not g.answerable for g in gold) >= 6
    assert {d for g in gold for d in g.doc_ids} == {p.name for p in SEEDS.glob("*.txt")}
    assert sum(len(g.doc_ids) > 1 for g in gold) >= 5  # answers found in two articles


@pytest.mark.parametrize(
    "content, message",
    [('{"id": "1", "question": "ok", "answers": []}\n{broken\n', "gold.jsonl:2: not valid JSON"),
     ('{"id": "1", "answers": []}\n', "gold.jsonl:1: missing 'question'"),
     ('{"id": "1", "question": "q", "answers": "x"}\n', "gold.jsonl:1: 'answers' must be a list")],
)
def test_malformed_gold_lines_are_named(tmp_path, content, message):
    write(tmp_path, "gold.jsonl", content)
    with pytest.raises(QAError, match=message):
        load_gold(tmp_path / "gold.jsonl")


def make_beir(folder, corpus_extra="", qrels_extra=""):
    write(folder, "corpus.jsonl", json.dumps({"_id": "d1", "title": "T", "text": "x"}) + "\n" + corpus_extra)
    write(folder, "queries.jsonl", json.dumps({"_id": "q1", "text": "x?"}) + "\n")
    write(folder, "qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\n" + qrels_extra)


def test_beir_is_read_with_graded_qrels(tmp_path):
    make_beir(tmp_path)
    corpus, queries, qrels = load_beir(tmp_path)
    assert corpus == {"d1": {"title": "T", "text": "x"}} and queries == {"q1": "x?"} and qrels == {"q1": {"d1": 2}}


@pytest.mark.parametrize(
    "corpus_extra, qrels_extra, message",
    [('{"_id": "d2", "text": \n', "", r"corpus.jsonl:2: not valid JSON"),
     ('{"title": "no id"}\n', "", r"corpus.jsonl:2: needs '_id'"),
     ("", "q1 d1 1\n", r"test.tsv:3: expected query-id"),
     ("", "q1\td1\thigh\n", r"test.tsv:3: score 'high'")],
)
def test_malformed_beir_lines_name_file_and_line(tmp_path, corpus_extra, qrels_extra, message):
    make_beir(tmp_path, corpus_extra, qrels_extra)
    with pytest.raises(QAError, match=message):
        load_beir(tmp_path)
