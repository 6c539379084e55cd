"""Candidate spans of the short answer (qa.rank.spans), the short answer itself (qa.rank.answers.short_answer) and
SQuAD's exact match and F1."""

import json
from pathlib import Path

import numpy as np
import pytest

from qa.rank.answers import ANSWERABLE_FEATURES, answerable_features, answerable_model, short_answer
from qa.rank.conflicts import Evidence, find_conflicts
from qa.rank.spans import (
    FEATURES,
    Sentence,
    asked_for,
    candidates,
    exact_match,
    f1,
    key_words,
    rank_spans,
    score,
    span_weights,
    squad_normalize,
)
from qa.text import analyze

DOC = ("Header line\nThe country has to date established diplomatic relations with 194 countries, and set up "
       "strategic and comprehensive partnerships with 34 nations. Trần Lê Hưng from France’s Gustave Eiffel "
       "University said so in the 10th and 11th centuries.")


def sentence_of(doc: str, text: str, hit: int = 1, doc_id: str = "a.txt", coverage: float = 0.8,
                score: float = 0.7) -> Sentence:
    start = doc.index(text)
    return Sentence(hit, doc_id, start, text, score, 0, coverage, frozenset(analyze(text)))


def test_every_candidate_is_exactly_the_text_at_its_offsets():
    s1 = sentence_of(DOC, DOC.split("\n")[1].split(". ")[0] + ".")
    s2 = sentence_of(DOC, DOC[DOC.index("Trần"):])
    found = candidates("How many countries does Vietnam have diplomatic relations with?", [s1, s2], limit=None)
    assert found
    for c in found:
        assert DOC[c.start:c.end] == c.text
        assert len(c.features) == len(FEATURES)


def test_values_names_centuries_and_phrases_are_candidates_and_question_words_are_not():
    s = sentence_of(DOC, DOC[DOC.index("Trần"):])
    found = {(c.text, c.source) for c in candidates("Which university is Tran Le Hung from?", [s], limit=None)}
    assert ("Gustave Eiffel University", "name") in found
    assert ("France", "name") in found  # the possessive is left out
    assert ("10th and 11th centuries", "date") in found
    assert not any(text == "Trần Lê Hưng" for text, _ in found)  # only the question's own words
    s = sentence_of(DOC, DOC.split("\n")[1].split(". ")[0] + ".")
    found = {(c.text, c.source) for c in candidates("How many countries has Vietnam relations with?", [s])}
    assert ("194", "number") in found and ("34", "number") in found
    assert not any(text == "diplomatic relations" for text, _ in found)  # the question's own words


def test_the_same_value_from_two_hits_is_one_answer_stated_by_both():
    a = "Vietnam has diplomatic relations with 194 countries."
    b = "It has diplomatic relations with 194 countries and territories."
    doc_b = "x " + b
    found = candidates("How many countries does Vietnam have diplomatic relations with?",
                       [sentence_of(a, a), sentence_of(doc_b, b, hit=2, doc_id="b.txt")])
    ranked = rank_spans(found, score(found))
    top = next(s for s in ranked if s.text == "194")
    assert top.hits == (1, 2)


def test_short_answer_abstains_with_a_reason_when_no_sentence_holding_the_terms_has_a_date():
    text = "Vietnam signed and implemented the CPTPP, the EVFTA and the RCEP."
    s = sentence_of(text, text, coverage=0.9)
    short, reason = short_answer("When did Vietnam sign the CPTPP?", [s], lambda: "the CPTPP")
    assert short is None and reason == "The documents mention the CPTPP but do not say when."
    dated = "Vietnam signed the CPTPP in 2018."
    short, reason = short_answer("When did Vietnam sign the CPTPP?", [sentence_of(dated, dated)], lambda: "x")
    assert reason is None and short.text == "2018"


def test_a_date_only_in_a_sentence_without_the_key_terms_does_not_count():
    text = "The weather in 2018 was mild."
    s = sentence_of(text, text, coverage=0.0, score=0.2)
    short, reason = short_answer("When did Vietnam sign the CPTPP?", [s], lambda: "the CPTPP")
    assert short is None and "do not say when" in reason


def test_a_phrase_question_never_abstains_for_want_of_a_kind():
    text = "The resolution would provide a foundation for a more proactive voice."
    short, reason = short_answer("What would the resolution provide?", [sentence_of(text, text)], lambda: "x")
    assert reason is None and short is not None and text[short.start:short.end] == short.text


def test_where_sources_disagree_the_value_most_hits_give_wins_and_the_other_is_the_alternative():
    docs = {"a.txt": "Vietnam has diplomatic relations with 194 countries.",
            "b.txt": "The country has diplomatic relations with 194 countries worldwide.",
            "c.txt": "Vietnam has diplomatic relations with more than 195 countries and territories."}
    sentences = [Sentence(n, d, 0, t, 0.8 - n / 10, 0, 0.9) for n, (d, t) in enumerate(docs.items(), 1)]
    question = "How many countries does Vietnam have diplomatic relations with?"
    conflicts = find_conflicts(question, [Evidence(s.hit, s.doc_id, None, s.text, 0) for s in sentences])
    assert conflicts
    short, reason = short_answer(question, sentences, lambda: "x", conflicts)
    assert reason is None and short.text == "194" and short.hits == (1, 2)
    assert [(a.text, a.hits) for a in short.alternatives] == [("195", (3,))]
    assert docs[short.doc_id][short.start:short.end] == "194"
    d = short.to_dict()
    assert set(d) >= {"text", "doc_id", "start", "end", "confidence", "hits", "alternatives"}
    assert set(d["alternatives"][0]) == {"text", "doc_id", "start", "end", "hits"}


def test_key_words_name_what_the_documents_mention():
    weights = {"vietnam": 0.5, "sign": 1.0, "cptpp": 4.0}
    assert key_words("When did Vietnam sign the CPTPP?", weights, {"vietnam", "cptpp"}) == "the CPTPP"
    assert key_words("When was Resolution 59 issued?", {"resolut": 2.0, "59": 3.0, "issu": 1.0},
                     {"resolut", "59"}) == "Resolution 59"
    assert key_words("When did it happen?", {"happen": 1.0}, set()) == "these terms"


@pytest.mark.parametrize("prediction, answers, em, f", [
    ("the Normans", ["Normans"], 1.0, 1.0),
    ("France.", ["France"], 1.0, 1.0),
    ("10th century", ["10th and 11th centuries"], 0.0, 1 / 3),
    ("", ["France"], 0.0, 0.0),
    ("Gustave Eiffel University", ["Eiffel University", "Paris"], 0.0, 0.8),
])
def test_squad_exact_match_and_f1(prediction, answers, em, f):
    assert exact_match(prediction, answers) == em
    assert f1(prediction, answers) == pytest.approx(f)


def test_squad_normalisation_drops_case_punctuation_and_articles():
    assert squad_normalize("The  U.S. Army, a force!") == "u s army force"


def test_the_weights_are_json_for_every_feature():
    w, bias = span_weights()
    assert w.shape == (len(FEATURES),) and np.isfinite(w).all() and np.isfinite(bias)
    from qa.rank import spans
    data = json.loads((spans._WEIGHTS_FILE).read_text())
    assert set(data["weights"]) == set(FEATURES)


def test_how_much_asks_for_an_amount_and_which_names_its_head():
    assert asked_for("How much did the trade add up to?").much
    assert not asked_for("How many countries are there?").much
    assert asked_for("Which university is he from?").head == "universiti"


def test_a_question_names_what_it_is_about_apart_from_what_it_asks_of_it():
    asked = asked_for("When did Vietnam sign the CPTPP?")
    assert asked.names == {"vietnam", "cptpp"} and asked.predicate == {"sign"}
    asked = asked_for("In which year was Resolution 59 issued?")
    assert asked.names == {"resolut", "59"} and asked.predicate == {"issu"}  # "year" names the kind asked


def test_the_answerability_model_reads_its_features_by_name_and_a_date_beside_the_event_counts_more():
    data = json.loads((Path(__file__).resolve().parent.parent / "qa" / "rank" / "answerable_weights.json")
                      .read_text(encoding="utf-8"))
    assert list(data["weights"]) == list(ANSWERABLE_FEATURES) and 0.0 < data["threshold"] < 1.0
    question = "When did Vietnam sign the CPTPP?"
    beside = "Vietnam signed the CPTPP in 2018."
    elsewhere = "Vietnam signed a trade pact with Laos in 2018."  # another signing: the CPTPP is not named
    for text in (beside, elsewhere):
        s = sentence_of(text, text, coverage=0.9)
        found = candidates(question, [s])
        typed = [c for c in found if c.source == "date"]
        x = answerable_features(question, [s], found, typed)
        assert x.shape == (len(ANSWERABLE_FEATURES),)
    w, _, _ = answerable_model()
    p = {}
    for text in (beside, elsewhere):
        s = sentence_of(text, text, coverage=0.9)
        found = candidates(question, [s])
        p[text] = float(answerable_features(question, [s], found, [c for c in found if c.source == "date"]) @ w)
    assert p[beside] > p[elsewhere]
