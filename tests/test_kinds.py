"""The kind of answer a question asks for, one case for each row of qa.rank.kinds.TABLE and for what falls
through to a phrase."""

import pytest

from qa.rank.kinds import DATE, KINDS, NAME, NUMBER, PHRASE, PLACE, TABLE, question_kind


@pytest.mark.parametrize("question, kind", [
    ("When was Resolution 59 issued?", DATE),
    ("In which year did joining ASEAN become a milestone?", DATE),
    ("What year did the Normans arrive?", DATE),
    ("On what date was the treaty signed?", DATE),
    ("In what century did the Normans settle?", DATE),
    ("how many nations does vietnam keep diplomatic ties with", NUMBER),
    ("How much did Vietnam's foreign trade add up to in 2024?", NUMBER),
    ("How long is the Heron Valley trail?", NUMBER),
    ("What percentage of exports are manufactured products?", NUMBER),
    ("What share of businesses should be innovating?", NUMBER),
    ("What is the population of Victoria?", NUMBER),
    ("Who issued Resolution 59?", NAME),
    ("Whose army besieged Bari?", NAME),
    ("Which university is Tran Le Hung from?", NAME),
    ("Which company launched Sky Q?", NAME),
    ("Where is Gemalink International Port?", PLACE),
    ("In which town is the port?", PLACE),
    ("What country is Normandy in?", PLACE),
    ("What did Nguyen Hong Dien say about free trade agreements?", PHRASE),
    ("Why does integration matter?", PHRASE),
    ("How did the Normans rule Sicily?", PHRASE),
    ("Which agreements has Vietnam signed?", PHRASE),
    ("Tell me about the CPTPP", PHRASE),
])
def test_each_kind_of_question(question, kind):
    assert question_kind(question) == kind


def test_what_happened_that_year_is_a_phrase_not_a_date():
    # the table reads the question's opening, not any date word anywhere
    assert question_kind("What happened to the treaty in the year 1995?") == PHRASE


def test_every_kind_is_named_and_every_row_gives_a_known_kind():
    assert set(KINDS) == {DATE, NUMBER, NAME, PLACE, PHRASE}
    assert {kind for _, kind in TABLE} <= set(KINDS)
