"""qa.integrations.langchain: a LangChain retriever whose Documents carry qa's citations, sliced exactly."""

import pytest

pytest.importorskip("langchain_core")  # an optional extra; the test extra installs it, so CI runs this

from langchain_core.documents import Document  # noqa: E402

from qa import Index  # noqa: E402
from qa.integrations.langchain import QARetriever  # noqa: E402


@pytest.fixture(scope="module")
def retriever(fake_seeds_index, fake_settings, fake):
    return QARetriever(index=Index.open(fake_seeds_index, settings=fake_settings, embedder=fake), k=3)


def test_documents_carry_citations_that_slice_the_file_exactly(retriever):
    docs = retriever.invoke("Which university is Tran Le Hung from?")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    for d in docs:
        m = d.metadata
        with open(m["path"], encoding="utf-8", newline="") as f:
            assert f.read()[m["start"]:m["end"]] == d.page_content
        assert m["doc_id"] and m["title"] and m["rank"] >= 1 and not m["abstained"]
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3]


def test_an_abstained_question_returns_no_documents_unless_asked(retriever):
    question = "Who won the 2022 FIFA World Cup?"
    assert retriever.index.answer(question).abstained
    assert retriever.invoke(question) == []
    kept = retriever.model_copy(update={"keep_abstained": True}).invoke(question)
    assert kept and all(d.metadata["abstained"] for d in kept)


def test_a_bad_mode_is_the_engines_error(retriever):
    from qa.errors import QAError

    with pytest.raises(QAError, match="Unknown mode 'x'"):
        retriever.model_copy(update={"mode": "x"}).invoke("anything")


def test_a_scoped_retriever_returns_only_passages_of_its_scope(retriever):
    doc = retriever.index.documents()[2].doc_id
    docs = retriever.model_copy(update={"scope": {"doc": doc}, "keep_abstained": True}).invoke(
        "Which university is Tran Le Hung from?")
    assert len(docs) == 3 and {d.metadata["doc_id"] for d in docs} == {doc}
