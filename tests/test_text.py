import pytest

from qa.text import is_question


@pytest.mark.parametrize("text", [
    "When was Resolution 59 issued?", "how many nations does vietnam keep diplomatic ties with",
    "Is Vietnam a member of the WTO", "In which province is the VinFast factory", "Name some Vietnamese firms.",
    "  Who heads the committee", "the capital of Australia?", "Does it rain in Hanoi in May?",
])
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", [
    "Parallel algorithms", "I am interested in articles written either by Prieve or Udo Pooch",
    "Intermediate languages used in construction of multi-targeted compilers; TCOLL", "rice exports 2024",
    "Whoever wrote this", "Island economies",
])
def test_topics_and_descriptions_of_a_need_are_not_questions(text):
    assert not is_question(text)
