"""A LangChain retriever over a qa index, so that a LangChain or LangGraph program can use qa where it used a FAISS
vectorstore — and keep qa's citations and its honesty (``pip install 'qa[langchain]'``: ``langchain-core`` only).

    from qa.integrations.langchain import QARetriever
    retriever = QARetriever.open()                 # the seeds' index; QARetriever.open("my-index/") for another
    docs = retriever.invoke("When was Resolution 59 issued?")
    docs[0].metadata["doc_id"], docs[0].metadata["start"], docs[0].metadata["end"]

Each ``Document``'s ``page_content`` is the passage, quoted exactly, and its metadata the citation: ``doc_id``,
``title``, ``source``, ``date``, ``start``/``end`` (offsets into the document's stored text; for a text or Markdown
file, ``open(metadata["path"], encoding="utf-8", newline="").read()[start:end] == page_content``), ``path``,
``pages``, ``answer_spans``, ``rank``, ``score``, ``kind``, ``context`` (the headings it lies under), and the
answer's ``confidence`` and ``conflicts``. When the index abstains (the documents do not seem to answer), no
documents are returned, so that a chain cannot answer from the nearest passages as if they said so; ``keep_abstained=True`` returns them marked
``metadata["abstained"] = True``. ``scope={"folder": "reports"}`` retrieves only from part of the corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ..index import DEFAULT_MODE, Index, check_k, check_mode


class QARetriever(BaseRetriever):
    """Retrieves qa's best ``k`` passages for a query, each a ``Document`` with its citation in its metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any  # a qa.index.Index (Any: pydantic need not know it)
    k: int = 5
    mode: str = DEFAULT_MODE
    keep_abstained: bool = False
    #: only passages within this scope (qa.rank.scope's JSON form, e.g. {"folder": "reports", "type": "pdf"})
    scope: dict | None = None

    @classmethod
    def open(cls, index_dir: Path | str | None = None, **options) -> QARetriever:
        """A retriever over the index in ``index_dir`` (default: the bundled seeds'), opened once."""
        return cls(index=Index.open(index_dir), **options)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        answer = self.index.answer(query, k=check_k(self.k, most=None, text=False), mode=check_mode(self.mode),
                                   scope=self.scope)
        if answer.abstained and not self.keep_abstained:
            return []
        conflicts = [c.to_dict() for c in answer.conflicts]
        corpus = self.index.corpus
        return [Document(page_content=h.text, metadata={
            "doc_id": h.doc_id, "title": h.title, "source": h.source, "date": h.date, "start": h.start, "end": h.end,
            "path": str(corpus / h.doc_id), "pages": list(h.pages), "answer_spans": [list(s) for s in h.answer_spans],
            "rank": h.rank, "score": h.score, "kind": h.kind, "context": h.context, "confidence": answer.confidence,
            "abstained": answer.abstained, "conflicts": conflicts}) for h in answer.hits]
