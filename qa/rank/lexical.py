"""BM25 over passages with bm25s, saved beside the vectors as JSON and .npy files.

bm25s numbers its rows 0..n-1; ``ids.npy`` holds the passage id of each row, since passage ids have gaps once
documents are edited or removed. BM25 weights depend on the whole corpus (idf, average length), so an update
rebuilds the index, from the terms stored with each passage: no text is analysed again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ..text import analyze_query, question_terms

#: Robertson's classic parameters. On CACM they beat Lucene's (0.9, 0.4): MAP 0.359 vs 0.344.
K1, B = 1.2, 0.75
SETTINGS = {"library": "bm25s", "k1": K1, "b": B, "analyzer": "nfkc+fold+casefold, stop words, snowball-english"}


#: Passages scored and written at a time by ``build_from_terms``.
CHUNK = 20_000


def build_from_terms(rows: Callable[[], Iterable[tuple[int, list[str]]]], folder: Path) -> None:
    """The BM25 index of (passage id, terms) pairs (terms as ``text.analyze`` gives them), in bm25s's own files
    (``bm25s.BM25.load`` reads them, memory-mapped) but built from a stream: ``rows()`` is read twice, once for the
    vocabulary, each term's document frequency and each passage's length, then for the scores, which go straight
    into memory-mapped arrays in CSC order. Nothing but the vocabulary and one chunk of passages is held in memory;
    bm25s's own ``index`` holds the whole corpus of token lists (measured by bench/scale.py at 100,000 passages: the
    stage's peak RSS 646 MB with it, 201 MB streamed). The scores are bm25s's "lucene" variant (idf log(1 + (N - df + 0.5) / (df + 0.5)), and
    tf / (tf + k1 (1 - b + b dl / avgdl))), equal to its own build's (tests/test_lexical.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    vocabulary: dict[str, int] = {}
    df: list[int] = []
    ids, lengths = [], []
    for passage_id, terms in rows():
        terms = terms or [""]  # a passage of stop words only still needs a row
        ids.append(passage_id)
        lengths.append(len(terms))
        for term in set(terms):
            j = vocabulary.setdefault(term, len(vocabulary))
            if j == len(df):
                df.append(0)
            df[j] += 1
    n, frequencies = len(ids), np.array(df, dtype=np.int64)
    idf = np.log(1 + (n - frequencies + 0.5) / (frequencies + 0.5)).astype(np.float32)
    indptr = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(frequencies, out=indptr[1:])
    if indptr[-1] == 0:
        raise ValueError("no passages to index")  # the build refuses an empty corpus before it gets here
    average = float(np.mean(lengths)) if lengths else 1.0
    data = np.lib.format.open_memmap(folder / "data.csc.index.npy", "w+", np.float32, (int(indptr[-1]),))
    indices = np.lib.format.open_memmap(folder / "indices.csc.index.npy", "w+", np.int32, (int(indptr[-1]),))
    cursor = indptr[:-1].copy()  # where each term's next posting goes

    def flush(terms_of, rows_of, counts, row_lengths):
        if not terms_of:
            return
        v, r = np.array(terms_of, dtype=np.int64), np.array(rows_of, dtype=np.int32)
        tf, dl = np.array(counts, dtype=np.float32), np.array(row_lengths, dtype=np.float64)
        scores = (idf[v] * (tf / (tf + K1 * (1 - B + B * dl / average)))).astype(np.float32)
        order = np.argsort(v, kind="stable")  # by term, rows ascending within each
        v = v[order]
        starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
        sizes = np.diff(np.r_[starts, len(v)])
        places = cursor[v] + np.arange(len(v)) - np.repeat(starts, sizes)
        indices[places], data[places] = r[order], scores[order]
        cursor[v[starts]] += sizes

    chunk: tuple[list, list, list, list] = ([], [], [], [])
    for row, (_, terms) in enumerate(rows()):
        terms = terms or [""]
        for term, count in Counter(terms).items():
            chunk[0].append(vocabulary[term])
            chunk[1].append(row)
            chunk[2].append(count)
            chunk[3].append(lengths[row])
        if row % CHUNK == CHUNK - 1:
            flush(*chunk)
            chunk = ([], [], [], [])
    flush(*chunk)
    data.flush()
    indices.flush()
    del data, indices
    np.save(folder / "indptr.csc.index.npy", indptr)
    (folder / "vocab.index.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    (folder / "params.index.json").write_text(json.dumps(
        {"k1": K1, "b": B, "delta": 0.5, "method": "lucene", "idf_method": "lucene", "dtype": "float32",
         "int_dtype": "int32", "num_docs": n, "backend": "numpy"}, indent=4))
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
        self._spare: list[np.ndarray] = []  # score buffers kept zeroed between questions (``search``)

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
        """The ``depth`` best passages by BM25, best first (equal scores in row order); with ``mask``, only the rows
        it marks (a scope: the others are never returned, whatever the depth).

        Only the rows in the question's terms' postings are touched: bm25s's own ``get_scores`` fills and ranks an
        array of every passage, a cost that grows with the corpus whatever the question (at 10M passages its
        argpartition alone took ~150 ms a question: bench/results/scale-10000000.txt); here the scores are summed
        into a reused buffer at the postings' rows and ranked among those rows, then the buffer is cleared there.
        The sums are bm25s's (tests/test_lexical.py)."""
        terms = analyze_query(question, self.vocabulary)
        if not terms or depth <= 0:
            return []
        matrix = self._bm25.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        postings = [(np.asarray(indices[indptr[j]:indptr[j + 1]]), data[indptr[j]:indptr[j + 1]])
                    for j in (self.vocabulary[t] for t in terms)]  # a repeated term counts again, as in bm25s
        rows = np.concatenate([found for found, _ in postings])
        scores = self._buffer()
        try:
            for found, weights in postings:
                scores[found] += weights  # rows are distinct within one term's postings
            values = scores[rows]
        finally:
            scores[rows] = 0
            self._spare.append(scores)
        if mask is not None:
            values = values * mask[rows]
        # a row is listed once per question term it holds: the best depth x terms entries hold the best depth rows
        take = min(len(rows), depth * len(postings))
        if take < len(rows):
            top = np.argpartition(-values, take - 1)[:take]
            rows, values = rows[top], values[top]
        rows, first = np.unique(rows, return_index=True)
        values = values[first]
        order = np.lexsort((rows, -values))[:depth]
        return [(int(self._ids[r]), float(v)) for r, v in zip(rows[order], values[order]) if v > 0]

    def _buffer(self) -> np.ndarray:
        """A zeroed score per row, taken from the spare ones (one per question answered at once) or made."""
        try:
            return self._spare.pop()
        except IndexError:
            return np.zeros(self.n_docs, dtype=np.float32)
