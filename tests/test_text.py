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


def test_sentence_offsets_are_blingfires_own_for_any_text():
    """qa maps blingfire's UTF-8 offsets to characters itself (without its per-byte loop in Python); the sentences
    must be exactly blingfire's, for accents, combining marks, emoji and text that is not ASCII at all."""
    import random

    import blingfire

    from qa.text import _sentence_offsets

    texts = ["Phạm Minh Chính met Xi Jinping. He said 😀 “hello”. U.N. Resolution No. 59 was adopted.",
             "Ưu tiên hàng đầu. Đó là", " lead space. End ", "a", "😀😀. 😀", "x" * 3000 + ". y"]
    rnd = random.Random(7)
    texts += ["".join(rnd.choice("ab .é😀\u0301ĐỸ?!\tZ") for _ in range(rnd.randint(1, 90))) for _ in range(300)]
    for text in texts:
        assert _sentence_offsets(text) == [tuple(x) for x in blingfire.text_to_sentences_and_offsets(text)[1]], text
