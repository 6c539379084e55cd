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


#: How many zeroed score buffers (4 bytes a passage each: 40 MB at ten million) a loaded index keeps for the
#: questions it answers at once; one more, beyond them, is made for the question and dropped after it.
SPARE_KEPT = 4

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
        self._maxima: dict[int, float] = {}  # each term's highest score, once asked (``_most``)

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
        """The ``depth`` best passages by BM25, best first (equal scores in row order); with ``mask`` (0/1 per row),
        only the rows it marks (a scope: the others are never returned, whatever the depth).

        bm25s's own ``get_scores`` fills and ranks an array of every passage, a cost that grows with the corpus
        whatever the question. Here the question's terms are summed rarest first (by the highest score each can add,
        Turtle and Flood's max-score, 1995) into a reused buffer at their postings' rows only. A row a term meets
        first is kept only if what it has there and what the terms after can add reaches the ``depth``-th best score
        so far; once what the terms left could add to a row not yet found is below it, no other row can enter the
        top ``depth``, and the common terms left ("year", "new") are only looked up at the rows found that they can
        still lift into it. The result is exact: the ranking of scoring every row (tests/test_lexical.py)."""
        terms = analyze_query(question, self.vocabulary)
        if not terms or depth <= 0:
            return []
        matrix = self._bm25.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        counts = Counter(self.vocabulary[t] for t in terms)  # a repeated term counts again, as in bm25s
        most = {j: counts[j] * self._most(j) for j in counts}  # the highest score each term can add to a row
        ordered = sorted(most, key=most.get, reverse=True)
        # what terms i.. can add to a row, a little more than that: the buffer sums in float32 and must not round
        # a row past its bound
        left = ((1 + 1e-5) * np.cumsum([most[j] for j in ordered][::-1])[::-1]).tolist()
        scores, found, held = self._buffer(), [], None
        pool = np.empty(0, dtype=np.int64)  # some of the best rows so far: their depth-th best bounds the top's
        try:
            for i, j in enumerate(ordered):
                least = _kth_best(scores, pool, depth)
                if found and left[i] < least:  # no row not found yet can reach the top
                    held = np.concatenate(found)
                    break
                rows, weights = np.asarray(indices[indptr[j]:indptr[j + 1]]), data[indptr[j]:indptr[j + 1]]
                weights = counts[j] * weights if counts[j] > 1 else np.asarray(weights)
                if mask is not None:  # a scope: its rows only (so every row found is in it)
                    inside = mask[rows] > 0
                    rows, weights = rows[inside], weights[inside]
                new = scores[rows] == 0  # every weight is positive: 0 marks a row not yet found
                after = left[i + 1] if i + 1 < len(left) else 0.0
                # a row first met here reaches at most its weight here and what the terms after can add: below the
                # bound it never enters the top (and, if met again later, stays below it with what it had missed)
                enter = new & (weights + after >= least) if least > 0 else new
                found.append(rows[enter])  # listed before written: whatever happens, it is cleared after
                scores[rows[~new]] += weights[~new]
                scores[found[-1]] = weights[enter]
                pool = _best(scores, np.concatenate([pool, found[-1]]), BOUND_ROWS * depth)
            if held is None:
                rows = np.concatenate(found)
            else:  # the terms left are looked up at the rows found, less those they can no longer lift into the top
                for k, bound in zip(ordered[i:], left[i:]):
                    held = np.sort(held[scores[held] + bound >= _kth_best(scores, pool, depth)])
                    rows = np.asarray(indices[indptr[k]:indptr[k + 1]])
                    at = np.minimum(np.searchsorted(rows, held), len(rows) - 1)  # sorted: each search starts
                    hit = rows[at] == held  # where the last one ended
                    scores[held[hit]] += counts[k] * data[indptr[k]:indptr[k + 1]][at[hit]]
                rows = held
            values = scores[rows]
        finally:
            for seen in found:
                scores[seen] = 0
            if len(self._spare) < SPARE_KEPT:
                self._spare.append(scores)
        if depth < len(rows):
            top = np.argpartition(-values, depth - 1)[:depth]
            # rows scoring as the depth-th does may sit outside ``top``: keep them all, then order by row
            top = np.flatnonzero(values >= values[top].min())
            rows, values = rows[top], values[top]
        order = np.lexsort((rows, -values))[:depth]
        return [(int(self._ids[r]), float(v)) for r, v in zip(rows[order], values[order]) if v > 0]

    def _most(self, j: int) -> float:
        """The highest score term ``j`` gives any row (read once per term: its postings' largest weight)."""
        most = self._maxima.get(j)
        if most is None:
            data, indptr = self._bm25.scores["data"], self._bm25.scores["indptr"]
            most = self._maxima[j] = float(np.max(data[indptr[j]:indptr[j + 1]], initial=0.0))
        return most

    def _buffer(self) -> np.ndarray:
        """A zeroed score per row, taken from the spare ones (one per question answered at once) or made."""
        try:
            return self._spare.pop()
        except IndexError:
            return np.zeros(self.n_docs, dtype=np.float32)


#: The depth-th best score so far is bounded from below by the depth-th best of a pool of this many times ``depth``
#: rows, the best of those found as each term is added: any rows' depth-th best (their scores only grow) is a lower
#: bound of the top's, so the result stays exact, and the bound costs a pool's worth, not every row found.
BOUND_ROWS = 16


def _best(scores: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` of ``rows`` that score best so far (all of them if there are no more)."""
    if len(rows) <= n:
        return rows
    return rows[np.argpartition(-scores[rows], n - 1)[:n]]


def _kth_best(scores: np.ndarray, rows: np.ndarray, k: int) -> float:
    """The ``k``-th best score of ``rows``; -1 when there are fewer (no bound: a row not yet found may still
    enter)."""
    if len(rows) < k:
        return -1.0
    values = scores[rows]
    return float(np.partition(values, len(values) - k)[len(values) - k])
