"""BM25 over passages with bm25s, saved beside the vectors as JSON and .npy files.

bm25s numbers its rows 0..n-1; ``ids.npy`` holds the passage id of each row, since passage ids have gaps once
documents are edited or removed. BM25 weights depend on the whole corpus (idf, average length), so an update
rebuilds the index, from the terms stored with each passage: no text is analysed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..text import analyze_query, question_terms

#: Robertson's classic parameters. On CACM they beat Lucene's (0.9, 0.4): MAP 0.359 vs 0.344.
K1, B = 1.2, 0.75
SETTINGS = {"library": "bm25s", "k1": K1, "b": B, "analyzer": "nfkc+fold+casefold, stop words, snowball-english"}


def build_from_terms(rows: Iterable[tuple[int, list[str]]], folder: Path) -> None:
    """Index (passage id, terms) pairs; terms as ``text.analyze`` gives them."""
    import bm25s

    ids, corpus = [], []
    for passage_id, terms in rows:
        ids.append(passage_id)
        corpus.append(terms or [""])  # a passage of stop words only still needs a row
    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.index(corpus, show_progress=False)
    retriever.save(str(folder))
    np.save(folder / "ids.npy", np.array(ids, dtype=np.int64))


class Lexical:
    def __init__(self, folder: Path):
        import bm25s

        # memory-mapped: the answering processes share one copy (see qa.store.layout.Generation.from_path)
        self._bm25 = bm25s.BM25.load(str(folder), mmap=True)
        self.vocabulary = self._bm25.vocab_dict
        # the score matrix is stored per term (CSC): a column's length is the term's document frequency
        self._df = np.diff(self._bm25.scores["indptr"])
        self.n_docs = int(self._bm25.scores["num_docs"])
        ids_file = Path(folder) / "ids.npy"
        self._ids = np.load(ids_file, mmap_mode="r") if ids_file.exists() else np.arange(self.n_docs)

    def idf(self, term: str) -> float:
        """BM25's idf; a term the corpus never uses gets the idf of a term seen once."""
        i = self.vocabulary.get(term)
        df = int(self._df[i]) if i is not None and i < len(self._df) else 0
        return float(np.log(1 + (self.n_docs - max(df, 1) + 0.5) / (max(df, 1) + 0.5)))

    def terms(self, question: str) -> list[str]:
        return question_terms(question)

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """The rows of passages ``ids`` (a scope, ``qa.rank.scope``), as a weight mask for ``search``."""
        return np.isin(self._ids, ids)

    def search(self, question: str, depth: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``depth`` best passages by BM25, best first; with ``mask``, only the rows it marks (a scope: the
        others score 0, so are never returned, whatever the depth)."""
        terms = analyze_query(question, self.vocabulary)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms, weight_mask=mask)
        depth = min(depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._ids[i]), float(scores[i])) for i in top if scores[i] > 0]
