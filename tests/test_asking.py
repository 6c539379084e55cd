"""qa.serve.asking: how every served interface answers a question (checked, bounded, answered side by side)."""

import json

import anyio
import pytest

from qa import Index
from qa.errors import QAError
from qa.serve.asking import MAX_READ, Asker, Busy, Question, read_document
from qa.service import LiveIndex


@pytest.fixture(scope="module")
def live(fake_seeds_index, fake_settings, fake):
    return LiveIndex.of(Index.open(fake_seeds_index, settings=fake_settings, embedder=fake))


@pytest.mark.parametrize("item, message", [(12, "must be a string or an object"), ({"q": "x"}, "must be a string"),
                                           ({"question": "x", "top": 3}, "unknown field 'top'"),
                                           ({"question": "x", "k": 99}, "from 1 to 50"), ("  ", "empty"),
                                           ({"question": "x", "mode": "fuzzy"}, "Unknown mode 'fuzzy'")])
def test_a_batch_item_is_checked_as_a_single_question_is(item, message):
    with pytest.raises(QAError, match=message):
        Question.from_json(item)


def test_a_batch_item_may_be_text_or_an_object():
    assert Question.from_json("Who?") == Question("Who?", 5, "hybrid")
    assert Question.from_json({"question": "Who?", "k": "3", "mode": "lexical", "id": "q1"}) == \
        Question("Who?", 3, "lexical")


def test_answers_come_back_in_order_with_the_refused_in_place(live):
    asker = Asker(live)
    questions = [Question.of("Which university is Tran Le Hung from?", 1), QAError("refused"),
                 Question.of("When was Resolution 59 issued?", 2, "lexical")]
    answers = anyio.run(asker.answer_all, questions)
    assert str(answers[1]) == "refused"
    first, third = json.loads(answers[0]), json.loads(answers[2])
    assert first["question"].startswith("Which university") and len(first["hits"]) == 1
    assert third["mode"] == "lexical" and len(third["hits"]) == 2
    assert first == json.loads(json.dumps(live.current.answer(questions[0].text, k=1).to_dict()))


def test_questions_past_the_waiting_bound_are_refused_at_once(live):
    asker = Asker(live, max_waiting=2)

    async def main():
        release = anyio.Event()
        results = []

        def slow():
            anyio.from_thread.run(release.wait)
            return "done"

        async def ask():
            try:
                results.append(await asker.run(slow))
            except Busy:
                results.append("busy")

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(ask)
            await anyio.sleep(0.3)
            release.set()
        return results

    assert sorted(anyio.run(main)) == ["busy", "done", "done"]
    with pytest.raises(Busy):  # a batch counts every question it holds
        anyio.run(asker.answer_all, [Question.of("x")] * 3)


def test_reading_a_document_is_bounded_and_slices_its_stored_text(live):
    doc = live.current.documents()[0]
    piece = read_document(live, doc.doc_id, 10, 60)
    assert piece["text"] == doc.text[10:60] and piece["length"] == len(doc.text)
    assert len(read_document(live, doc.doc_id, 0, 10**9)["text"]) == min(len(doc.text), MAX_READ)
    with pytest.raises(QAError, match="before start"):
        read_document(live, doc.doc_id, 50, 10)
    with pytest.raises(QAError, match="no document"):
        read_document(live, "nope.txt")
