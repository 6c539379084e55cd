"""The FAISS index of a generation, its type chosen by corpus size.

Below ``Settings.exact_limit`` vectors the index is exact (``IndexFlatIP``): every question is compared with every
passage. Above it, an inverted file with 8-bit scalar quantisation (``IVF<n>,SQ8``): a quarter of the memory, and
a question visits only the lists nearest to it. From ``Settings.pq_limit`` on (100M-passage collections), an
inverted file with product quantisation (``IVF<n>,PQ<m>``): each vector is ``m`` bytes, an eighth of SQ8's, and a
question's best candidates are re-ranked from the exact vectors (``REFINE``). How many lists to visit (``nprobe``)
is chosen at build time as the smallest that finds at least ``TARGET_RECALL`` of the exact top 10 on a sample of
the corpus's own passages; the measured recall is stored in the manifest and printed by ``qa index``.

Vector ids are passage ids (``passages.id``), so passages can be removed and added in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

from ..config import cores

TARGET_RECALL = 0.97
RECALL_SAMPLE = 256
NPROBES = (4, 8, 16, 32, 64, 128, 256)

Chunks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]  # yields (ids, vectors) of every passage

#: Very short passages (a photo caption, a title alone) get inflated cosines: over the seeds, SQuAD and CACM, the
#: best tenth of a 20-40 word-piece passage's cosines to questions from the other collections lies 0.03-0.05 above
#: a 160-200 word-piece one's. A passage's cosine is lowered by up to SHORT_PENALTY, linearly less as its length
#: nears SHORT_TOKENS. Measured against no discount in bench/quality.py: hybrid level on the seeds and SQuAD, CACM
#: nDCG@10 0.593 -> 0.600; and in a scratch count on the seeds, photo captions in unrelated questions' top 3 fell from
#: 17 to 13.
SHORT_PENALTY, SHORT_TOKENS = 0.08, 100


def length_adjusted(cosines: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cosines of passages of ``lengths`` word pieces, short ones discounted (see ``SHORT_PENALTY``)."""
    return cosines - SHORT_PENALTY * np.clip(1.0 - lengths / SHORT_TOKENS, 0.0, 1.0)


@dataclass(frozen=True)
class VectorQuality:
    """What ``tune`` measured: the index type and its recall@10 against exact search on a sample of passages."""

    type: str  # "flat" (exact), "ivf-sq8" or "ivf-pq"
    recall_at_10: float
    sample: int  # passages in the recall sample (0: exact, nothing to check)
    lists: int | None = None  # inverted lists of an IVF index
    nprobe: int | None = None  # lists visited per question
    bytes_per_vector: int | None = None  # memory of one vector in the index, its id included

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict) -> VectorQuality:
        return cls(**data)

    def describe(self) -> str:
        """One line for people, as ``qa index`` and the page's Index tab print it."""
        size = f", {self.bytes_per_vector} bytes a vector" if self.bytes_per_vector else ""
        if self.type == "flat":
            return f"exact search (every passage compared{size})"
        codes = {"ivf-sq8": "8-bit", "ivf-pq": "product-quantised"}.get(self.type, self.type)
        return (f"IVF with {self.lists} lists, {codes}{size}; {self.nprobe} lists visited per question find "
                f"{self.recall_at_10:.1%} of the exact top 10 (measured on {self.sample} passages)")


def kind_for(n: int, exact_limit: int, pq_limit: int) -> str:
    return "flat" if n < exact_limit else "ivf-sq8" if n < pq_limit else "ivf-pq"


def kind_of(index) -> str:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    return "flat" if ivf is None else "ivf-pq" if isinstance(faiss.downcast_index(ivf), faiss.IndexIVFPQ) else "ivf-sq8"


def describe(index) -> str:
    """The FAISS factory-style name of an index, e.g. IDMap2,Flat, IVF1000,SQ8 or IVF40000,PQ48."""
    import faiss

    kind, lists = kind_of(index), lists_of(index)
    if kind == "flat":
        return "IDMap2,Flat"
    if kind == "ivf-pq":
        return f"IVF{lists},PQ{faiss.downcast_index(faiss.try_extract_index_ivf(index)).pq.M}"
    return f"IVF{lists},SQ8"


def bytes_per_vector(index) -> int:
    """What one vector costs in memory: its code and its id (FAISS keeps an 8-byte id per vector)."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    return (4 * index.d if ivf is None else int(ivf.code_size)) + 8


def pq_subquantizers(d: int) -> int:
    """Sub-vectors of a product quantiser: 8 dimensions each where ``d`` allows (48 for MiniLM's 384), one byte
    each; at most 64, and a divisor of ``d`` as FAISS requires."""
    wanted = min(64, max(1, d // 8))
    return max(m for m in range(1, wanted + 1) if d % m == 0)


def n_lists(n: int) -> int:
    # the usual rule of thumb, ~sqrt(n) lists, with at least ~40 training points per centroid
    return max(1, min(int(4 * math.sqrt(n)), n // 40))


@contextmanager
def _threads(n: int):
    """FAISS's OpenMP thread count for the calling thread only: OpenMP keeps the setting per OS thread, so a
    question answered in one thread never changes what a build in another thread uses, and it is restored after."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class Within:
    """The passages a scoped question may be answered from (``qa.rank.scope``), as FAISS searches them: an id
    selector, checked for each vector the search visits before its distance is computed. An inverted file visits
    more lists for a small scope (``nprobe`` over the scope's share of the corpus, up to every list): the lists
    nearest the question hold few of a small scope's passages, and the selector's check costs far less than a
    distance, so a 1% scope of 100,000 passages answers about as fast as the whole corpus, with the same recall of
    the scope's own top 10 (bench/scope.py)."""

    def __init__(self, ids: np.ndarray, total: int):
        import faiss

        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.share = len(self.ids) / max(total, 1)
        self.selector = faiss.IDSelectorBatch(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def parameters(self, index):
        import faiss

        ivf = faiss.try_extract_index_ivf(index)
        if ivf is None:
            return faiss.SearchParameters(sel=self.selector)
        nprobe = min(int(ivf.nlist), math.ceil(ivf.nprobe / max(self.share, 1e-9)))
        return faiss.SearchParametersIVF(sel=self.selector, nprobe=nprobe)


def search(index, queries: np.ndarray, k: int, within: Within | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``index.search`` with one thread: questions come one at a time, FAISS's OpenMP team costs more than it saves
    on one query, and its spinning threads fight ONNX Runtime's for the cores (measured on the seeds: hybrid p50
    8.5 ms with two threads, 3.6 ms with one). ``within``: only the passages of a scope."""
    with _threads(1):
        if within is None:
            return index.search(queries, k)
        return index.search(queries, k, params=within.parameters(index))


#: A product quantiser's codebooks (256 centroids per sub-vector) want this many training points.
PQ_TRAINING = 256 * 40


def training_size(n: int, exact_limit: int, pq_limit: int) -> int:
    kind = kind_for(n, exact_limit, pq_limit)
    if kind == "flat":
        return 0
    return min(n, max(40 * n_lists(n), PQ_TRAINING if kind == "ivf-pq" else 0))


def build(d: int, n: int, chunks: Chunks, sample: np.ndarray, exact_limit: int, pq_limit: int):
    """A new index of the kind ``n`` vectors call for, holding every vector ``chunks`` yields (a stream of bounded
    chunks: the vectors are never all in memory twice); trained on ``sample`` and filled with every core."""
    with _threads(cores()):
        return _build(d, n, chunks, sample, exact_limit, pq_limit)


def _build(d: int, n: int, chunks: Chunks, sample: np.ndarray, exact_limit: int, pq_limit: int):
    import faiss

    kind = kind_for(n, exact_limit, pq_limit)
    if kind == "flat":
        # inner product on L2-normalised vectors is cosine similarity
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
    else:
        quantizer = faiss.IndexFlatIP(d)
        if kind == "ivf-pq":
            index = faiss.IndexIVFPQ(quantizer, d, n_lists(n), pq_subquantizers(d), 8, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(quantizer, d, n_lists(n), faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        index.train(sample)
    for ids, vectors in chunks():
        index.add_with_ids(vectors, ids)
    return index


def lists_of(index) -> int | None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    return None if ivf is None else int(ivf.nlist)


def needs_rebuild(index, n: int, exact_limit: int, pq_limit: int) -> bool:
    """Whether ``index`` no longer suits ``n`` vectors: the wrong kind, or lists trained for a corpus a quarter
    or four times the size."""
    if kind_of(index) != kind_for(n, exact_limit, pq_limit):
        return True
    lists = lists_of(index)
    return lists is not None and not (n_lists(n) / 4 <= lists <= n_lists(n) * 4)


def set_nprobe(index, nprobe: int | None) -> None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None and nprobe:
        ivf.nprobe = int(nprobe)


def exact_top(queries: np.ndarray, query_ids: np.ndarray, chunks: Chunks, k: int = 10) -> np.ndarray:
    """The exact top-``k`` ids for each query, itself left out, streaming over the stored vectors."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for ids, vectors in chunks():
        scores = queries @ vectors.T
        scores[query_ids[:, None] == ids[None, :]] = -np.inf
        all_scores = np.hstack([best_scores, scores])
        all_ids = np.hstack([best_ids, np.broadcast_to(ids, scores.shape)])
        top = np.argsort(-all_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(all_scores, top, 1)
        best_ids = np.take_along_axis(all_ids, top, 1)
    return best_ids


#: An IVF-PQ index holds 48-byte codes, too coarse to order close neighbours (measured on 300,000 clustered
#: vectors: recall@10 0.53 from the codes alone); its best REFINE candidates are re-ranked by exact cosine from the
#: float32 vectors the database keeps (recall@10 1.00 there, for reading 100 vectors a question).
REFINE = 100
#: Gives the float32 vectors of some ids, one row each (for IVF-PQ: the database's copy).
VectorsOf = Callable[[np.ndarray], np.ndarray]


def refined(queries: np.ndarray, found: np.ndarray, vectors_of: VectorsOf) -> tuple[np.ndarray, np.ndarray]:
    """``found`` candidate ids of each query, re-ranked by exact cosine: (scores, ids), best first, -1 padded."""
    scores = np.full(found.shape, -np.inf, dtype=np.float32)
    ids = np.full(found.shape, -1, dtype=np.int64)
    for n, (query, row) in enumerate(zip(queries, found)):
        candidates = row[row >= 0]
        if len(candidates):
            exact = vectors_of(candidates) @ query
            order = np.argsort(-exact, kind="stable")
            scores[n, :len(order)], ids[n, :len(order)] = exact[order], candidates[order]
    return scores, ids


def search_refined(index, queries: np.ndarray, k: int, vectors_of: VectorsOf | None,
                   within: Within | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``search``, with an IVF-PQ index's candidates re-ranked exactly (``REFINE``)."""
    if kind_of(index) != "ivf-pq" or vectors_of is None:
        return search(index, queries, k, within)
    _, found = search(index, queries, max(k, REFINE), within)
    scores, ids = refined(queries, found, vectors_of)
    return scores[:, :k], ids[:, :k]


def recall_at_10(index, queries: np.ndarray, query_ids: np.ndarray, truth: np.ndarray,
                 vectors_of: VectorsOf | None = None) -> float:
    _, found = search_refined(index, queries, 11, vectors_of)
    hits = 0
    for qid, row, true in zip(query_ids, found, truth):
        got = [i for i in row if i != qid and i >= 0][:10]
        want = {i for i in true if i >= 0}
        hits += len(want.intersection(got)) / max(len(want), 1)
    return hits / max(len(queries), 1)


def tune(index, queries: np.ndarray | None = None, query_ids: np.ndarray | None = None,
         chunks: Chunks | None = None, vectors_of: VectorsOf | None = None) -> VectorQuality:
    """Check the index against exact search on a sample (as questions search it: an IVF-PQ index re-ranked from
    ``vectors_of``); for an inverted file, choose nprobe on the way."""
    if kind_of(index) == "flat":
        return VectorQuality("flat", 1.0, 0, bytes_per_vector=bytes_per_vector(index))
    truth = exact_top(queries, query_ids, chunks)
    recall, nprobe = -1.0, NPROBES[0]
    for candidate in NPROBES:
        set_nprobe(index, candidate)
        found = recall_at_10(index, queries, query_ids, truth, vectors_of)
        if found - recall < 0.002:  # visiting more lists no longer helps: quantisation is what is left
            set_nprobe(index, nprobe)
            break
        recall, nprobe = found, candidate
        if recall >= TARGET_RECALL:
            break
    return VectorQuality(kind_of(index), round(recall, 4), len(queries), lists_of(index), nprobe,
                         bytes_per_vector(index))
