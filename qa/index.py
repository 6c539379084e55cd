"""Answering questions from a loaded index: the ``Index`` object, the retrieval ``MODES`` and the ``Hit``s and
``Answer`` it returns."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .config import ReadingBudget, Settings, resolve_paths
from .errors import NotFoundError, QAError
from .models.embedding import Embedder, make_embedder
from .rank import vectors as vx
from .rank.answers import (
    CONFIDENCE_BIAS,
    CONFIDENCE_WEIGHTS,
    DEFAULT_THRESHOLDS,
    MAX_FALSE_ABSTAIN,
    ShortAnswer,
    Signals,
    TermWeights,
    confidence,
    dedupe,
    shingles,
    short_answer,
)
from .rank.conflicts import Conflict, Evidence, find_conflicts
from .rank.fusion import FUSERS, Ranking, minmax_fusion
from .rank.scope import EVERYTHING, Scope
from .rank.sentences import Sentences, is_heading, marker_end
from .rank.spans import Sentence, key_words
from .read.documents import pages_of
from .read.pages import PageCache, read_original, render_lit_page
from .store.database import CANDIDATE
from .store.layout import Generation
from .store.manifest import Abstention, Manifest, check_fresh
from .text import counted, is_question

#: The longest question read, in characters (the model reads only its first 256 word pieces anyway).
MAX_QUESTION_CHARS = 10_000
#: The most passages one question may ask for through the CLI, the API and the page: enough for any page of
#: results, and a bound on the work anyone who reaches the port can ask for.
MAX_K = 50
#: Scopes kept resolved per index: each costs 9 bytes a passage in it and 1 a passage of the corpus.
MAX_REGIONS = 32
#: Lit PDF pages kept per generation: a page at 1,800 px is 0.2-0.6 MB of PNG (bench/render.py), so ~100 pages.
PAGE_CACHE_BYTES = 48 * 2**20


#: How a hit of a kind other than plain text is labelled where it is shown (qa ask, the page).
KIND_LABELS = {"caption": "photo caption", "ocr": "read by OCR from a scanned page", "table": "table"}


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # cosine similarity for dense search
    text: str
    doc_id: str
    title: str
    source: str | None
    start: int  # offsets into the document's text: text == document[start:end]
    end: int
    date: str | None
    passage: int  # 1-based position of the passage within its document
    passages_in_doc: int
    answer_spans: tuple[tuple[int, int], ...] = ()  # file offsets of the sentence(s) that best answer
    also_in: tuple[Place, ...] = ()  # near-identical passages elsewhere, folded into this one
    pages: tuple[int, ...] = ()  # 1-based pages of a paged document (PDF) the passage lies on; () for the others
    kind: str = "text"  # "text"; "caption": a photo caption, a passage of its own; "ocr": read from a scanned page
    #: the headings the passage lies under ("Report › Quarterly results"), outermost first: read with the passage by
    #: the model and BM25, not part of ``text`` nor of the citation; "" where no heading precedes it
    context: str = ""

    def to_dict(self) -> dict:
        # field by field, not dataclasses.asdict: that deep-copies every value, a third of a served answer's cost
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["answer_spans"] = [list(span) for span in self.answer_spans]
        d["also_in"] = [{"doc_id": p.doc_id, "title": p.title, "start": p.start, "end": p.end} for p in self.also_in]
        d["pages"] = list(self.pages)
        return d


@dataclass(frozen=True)
class Place:
    doc_id: str
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """What a question gets: the passages, and whether the index believes any of them answers it."""

    question: str
    mode: str
    hits: tuple[Hit, ...]
    abstained: bool  # True: the corpus does not seem to say; the hits are only the nearest passages
    confidence: float
    threshold: float
    #: Values the hits' answer sentences give for the same thing that cannot all be true (qa.rank.conflicts); empty
    #: when they agree, when there are no answer sentences, and when the index abstains.
    conflicts: tuple[Conflict, ...] = ()
    #: what ``confidence`` was computed from (None when the index is empty)
    signals: Signals | None = None
    #: the exact words that answer (``qa.rank.answers.short_answer``); None when abstaining, without answer spans,
    #: and when no candidate was found
    short: ShortAnswer | None = None
    #: why the index abstains, in a sentence ("The documents mention the CPTPP but do not say when."); None when not
    abstain_reason: str | None = None
    #: the passages the question was asked within (qa.rank.scope); the whole corpus by default
    scope: Scope = EVERYTHING

    def to_dict(self) -> dict:
        return {"question": self.question, "mode": self.mode, "scope": self.scope.to_dict(),
                "abstained": self.abstained,
                "confidence": round(self.confidence, 4), "threshold": self.threshold,
                "signals": self.signals.to_dict() if self.signals else None,
                "conflicts": [c.to_dict() for c in self.conflicts],
                "hits": [h.to_dict() for h in self.hits],
                "answer": self.short.to_dict() if self.short else None, "abstain_reason": self.abstain_reason}


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str | None
    date: str | None
    text: str
    n_passages: int
    page_starts: tuple[int, ...] = ()  # a paged document (PDF): where page i + 1 begins in text
    #: (start, end, level) of each heading in text: the context of the passages of its section, in none of them
    headings: tuple[tuple[int, int, int], ...] = ()

    @property
    def pages(self) -> int:
        return len(self.page_starts)

    @classmethod
    def _of(cls, row) -> DocumentInfo:
        return cls(*row[:6], tuple(json.loads(row[6])), tuple(tuple(h) for h in json.loads(row[7])))


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index stores it: ``id`` is its vector's id."""

    id: int
    doc_id: str
    ordinal: int  # 0-based
    start: int
    end: int
    text: str
    context: str = ""  # the headings it lies under, read with it, never cited (``qa.read.chunking.Passage``)


@dataclass(frozen=True)
class Region:
    """A scope resolved in one generation: its passages, as FAISS (``within``) and BM25 (``mask``) search them."""

    scope: Scope
    ids: np.ndarray  # passage ids, in id order
    within: vx.Within
    mask: np.ndarray  # one bool per BM25 row

    def __len__(self) -> int:
        return len(self.ids)


class Query:
    """A question being answered; its embedding and its dense candidates are computed once, when first needed.
    ``region``: the scope it is asked within (None: the whole corpus)."""

    def __init__(self, index: Index, text: str, region: Region | None = None):
        self.index, self.text, self.region = index, text, region
        self._vector = None
        # each ranking, computed once: (the depth it was searched to, the ranking)
        self._dense: tuple[int, Ranking] | None = None
        self._lexical: tuple[int, Ranking] | None = None

    @property
    def vector(self) -> np.ndarray:
        if self._vector is None:
            self._vector = self.index.embedder.encode([self.text])
        return self._vector

    @cached_property
    def terms(self) -> TermWeights:
        """The question's content terms with their IDF weights in this corpus."""
        lexical = self.index.generation.lexical
        return TermWeights(lexical.terms(self.text), lexical.idf)

    def dense(self, depth: int) -> Ranking:
        """The ``depth`` passages nearest the question, by cosine with short passages discounted
        (``qa.rank.vectors.length_adjusted``), best first."""
        if self._dense is None or self._dense[0] < depth:
            generation, searched = self.index.generation, max(depth, DEPTH)
            within = self.region.within if self.region else None
            scores, ids = vx.search_refined(generation.vectors, self.vector,
                                            min(searched, len(within) if within else self.index.size),
                                            self.index.vectors_of, within)
            found = ids[0] >= 0
            ids, scores = ids[0][found], vx.length_adjusted(scores[0][found], generation.lengths[ids[0][found]])
            order = np.argsort(-scores, kind="stable")
            self._dense = (searched, [(int(ids[i]), float(scores[i])) for i in order])
        return self._dense[1][:depth]

    def lexical(self, depth: int) -> Ranking:
        """The ``depth`` passages that BM25 ranks best for the question, best first (computed once per question, as
        deep as first asked: the dense mode's confidence asks for 5, and max-score finds 5 faster than 100)."""
        if self._lexical is None or self._lexical[0] < depth:
            mask = self.region.mask if self.region else None
            self._lexical = (depth, self.index.generation.lexical.search(self.text, depth, mask))
        return self._lexical[1][:depth]

    def top_cosine(self) -> float:
        best = self.dense(1)
        return best[0][1] if best else 0.0


def dense_ranking(query: Query, depth: int) -> Ranking:
    return query.dense(depth)


def lexical_ranking(query: Query, depth: int) -> Ranking:
    return query.lexical(depth)


def hybrid_ranking(query: Query, depth: int) -> Ranking:
    rankings = [dense_ranking(query, depth), lexical_ranking(query, depth)]
    return FUSERS[query.index.fuser]([r for r in rankings if r])


#: Retrieval modes: each takes (query, depth) and returns up to ``depth`` (passage id, score) pairs, best first.
MODES: dict[str, Callable[[Query, int], Ranking]] = {
    "dense": dense_ranking,
    "lexical": lexical_ranking,
    "hybrid": hybrid_ranking,
}
DEFAULT_MODE = "hybrid"
DEFAULT_FUSER = "minmax"  # keeps score margins; measured better than RRF on CACM (MAP 0.440 vs 0.422)
#: How many candidates each mode hands to fusion and de-duplication before the top k are kept.
DEPTH = 100
#: For a question (``qa.text.is_question``: most are answered by one sentence), the best candidates of a mode are
#: re-ranked by their best sentence: its score (``Sentences.scores``) is fused with the mode's own (min-max,
#: ``qa.rank.fusion``) with this weight. Chosen on the seeds' gold set and three of the five SQuAD articles of
#: gold/squad (bench/results/quality.txt); lexical mode stays purely lexical. A topic or a description of an
#: information need ("Parallel algorithms", CACM's queries) is not re-ranked: no single sentence answers it.
SENTENCE_WEIGHT = {"dense": 2.0, "hybrid": 1.0, "lexical": 0.0}
#: How many of a mode's candidates are re-ranked (at least 3k).
RERANK_DEPTH = 30
#: Everything that decides an answer's ranking and confidence besides the index itself: a calibration made under
#: other values is made again (``qa.evaluate.calibrate_generation``).
SCORING = repr((SENTENCE_WEIGHT, RERANK_DEPTH, DEPTH, DEFAULT_FUSER, vx.SHORT_PENALTY, vx.SHORT_TOKENS,
                CONFIDENCE_WEIGHTS, CONFIDENCE_BIAS, DEFAULT_THRESHOLDS, MAX_FALSE_ABSTAIN))
SCORING_KEY = hashlib.sha256(SCORING.encode()).hexdigest()[:16]


#: A passage's answer is its best sentence, and the next best too when it scores within this of the best: two
#: sentences that answer almost equally well ("194 countries ... 34 partnerships" and "13 comprehensive strategic
#: partners") are both shown, and both are compared with the other sources (qa.rank.conflicts).
ANSWER_TIE = 0.05


#: The short answer is read from the best sentences (``SHORT_SENTENCES``) of the best hits (``SHORT_HITS``): on
#: gold/squad the answer lies in one of the top three sentences of the top five hits for 9 questions in 10.
SHORT_HITS = 5
SHORT_SENTENCES = 3


def answering(row: dict) -> list[int]:
    """A candidate's sentences that can answer, best first: headings and bare list markers are context, never an
    answer (``qa.rank.sentences.is_heading``)."""
    if "answering" not in row:  # asked for the hit's answer sentences and again for the short answer
        order = np.argsort(-row["evidence"], kind="stable")
        spans, text = row["sentences"].spans, row["text"]
        row["answering"] = [int(i) for i in order if not is_heading(text, *spans[i])]
    return row["answering"]


def answer_sentences(row: dict) -> tuple[tuple[int, int], ...]:
    """Document offsets of a candidate's answer sentences, best first (``ANSWER_TIE``), list markers left out."""
    order = answering(row)
    if not order:
        return ()
    best = row["evidence"][order[0]]
    chosen = [i for i in order[:2] if row["evidence"][i] >= best - ANSWER_TIE]
    spans, text = row["sentences"].spans, row["text"]
    return tuple((row["start"] + marker_end(text, *spans[i]), row["start"] + spans[i][1]) for i in chosen)


def check_mode(mode: Any, extra: tuple[str, ...] = ()) -> str:
    """``mode`` if it names a retrieval mode (or one of ``extra``), else the error that lists them."""
    choices = ", ".join([*extra, *sorted(MODES)])
    if not isinstance(mode, str):
        raise QAError(f"Unknown mode {mode!r}: mode must be text. Choose from: {choices}")
    if mode not in MODES and mode not in extra:
        raise QAError(f"Unknown mode '{mode}'. Choose from: {choices}")
    return mode


def check_k(k: Any, most: int | None = MAX_K, text: bool = True) -> int:
    """``k`` as a whole number from 1 to ``most``, from an int, a whole float or (with ``text``) a string of digits
    (a query string, a command line); else the error that says so. The CLI, the API and the page take at most
    ``MAX_K``; the Python API (``Index.answer``) takes numbers only, any of at least 1: a program may want every
    passage."""
    value = k
    if isinstance(value, str) and text:
        try:
            value = int(value.strip())
        except ValueError:
            value = None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or \
            (most is not None and value > most):
        shown = value if isinstance(value, int) and not isinstance(value, bool) else k  # "0" from a query: 0
        raise QAError(f"k must be a whole number from 1 to {most}, got {shown!r}" if most is not None else
                      f"k must be a whole number of at least 1, got {shown!r}")
    return int(value)


def check_question(question: Any, cut_long: bool = False) -> str:
    """The question as the engine reads it: valid Unicode, trimmed, not empty, at most MAX_QUESTION_CHARS characters
    (a longer one is refused, as the JSON API does, or with ``cut_long`` cut to the limit, as the CLI, the page and
    the Python API do: a person may paste a long text)."""
    if not isinstance(question, str):
        raise QAError("the question must be text")
    if len(question) > MAX_QUESTION_CHARS and not cut_long:
        raise QAError(f"the question is {len(question):,} characters long; at most {MAX_QUESTION_CHARS:,} are read")
    # Lone surrogates (from broken UTF-16 or a fuzzer) cannot be encoded; the tokenizer would fail on them.
    question = question[:MAX_QUESTION_CHARS + 1000].encode("utf-8", "replace").decode("utf-8")
    question = question.strip()
    if not question:
        raise QAError('the question is empty; type what you want to find, e.g. qa ask "Who issued Resolution 59?"')
    return question[:MAX_QUESTION_CHARS]


class Index:
    """A loaded index: open it once, then ``search`` as often as you like (from several threads too)."""

    def __init__(self, generation: Generation, settings: Settings, embedder: Embedder | None = None,
                 fuser: str = DEFAULT_FUSER):
        if fuser not in FUSERS:
            raise QAError(f"Unknown fuser '{fuser}'. Choose from: {', '.join(sorted(FUSERS))}")
        self.fuser = fuser
        self.generation = generation
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        built = generation.manifest.backend
        if built != self.embedder.backend:
            # Even unchecked, questions embedded by another backend would be compared with vectors they were
            # never measured against.
            raise QAError(f"the index was built with the {built} backend, but {self.embedder.backend} is "
                          f"configured; run `qa index` again or use --backend {built}")
        self.db = generation.database
        # What is derived from a stored passage: its 5-gram shingles (for de-duplication), its lexical terms and its
        # sentences (spans, terms, vectors). A generation's passages never change, so each is derived once (bounded;
        # cleared when full).
        self._derived: dict[int, tuple[frozenset, frozenset, Sentences]] = {}
        self._regions: dict[Scope, Region] = {}  # scopes resolved in this generation (bounded like _derived)
        self._pages = PageCache(PAGE_CACHE_BYTES)  # lit PDF pages shown in this generation

    # -- opening --

    @classmethod
    def open(
        cls,
        index_dir: Path | str | None = None,
        *,
        corpus: Path | str | None = None,
        settings: Settings | None = None,
        check: bool = True,
        embedder: Embedder | None = None,
        fuser: str = DEFAULT_FUSER,
    ) -> Index:
        """Open the index of ``corpus`` (default: the bundled seeds) or the one in ``index_dir``.

        With ``check`` (the default) an index built with another model or settings, or whose corpus changed on
        disk, raises ``StaleIndexError`` instead of giving answers for text that is no longer there.
        """
        index_dir = Path(index_dir) if index_dir else resolve_paths(corpus)[1]
        settings = settings or Settings.from_env()
        generation = Generation.load(index_dir)
        if check:
            check_fresh(index_dir, generation.manifest, settings, embedder.backend if embedder else settings.backend)
        return cls(generation, settings, embedder, fuser)

    # -- facts --

    @property
    def manifest(self) -> Manifest:
        return self.generation.manifest

    @property
    def index_dir(self) -> Path:
        return self.generation.index_dir

    @property
    def corpus(self) -> Path:
        return self.manifest.corpus_path

    @property
    def size(self) -> int:
        return int(self.generation.vectors.ntotal)

    def documents(self) -> list[DocumentInfo]:
        return [DocumentInfo._of(row) for row in self.db.documents()]

    def document(self, doc_id: str) -> DocumentInfo:
        row = self.db.document(doc_id)
        if row is None:
            raise NotFoundError(f"no document '{doc_id}' in this index")
        return DocumentInfo._of(row)

    # -- the files themselves --

    def original(self, doc_id: str) -> bytes:
        """The file of document ``doc_id`` as the corpus holds it now (``qa.read.pages.read_original``: a link out
        of the corpus is not followed, a file over ``max_file_mb`` is not read)."""
        self.document(doc_id)  # only a document of this index: never another file of the folder
        return read_original(self.corpus, doc_id, int(self.settings.max_file_mb * 2**20))

    def page_image(self, doc_id: str, page: int, passage: tuple[int, int] | None = None,
                   sentence: tuple[int, int] | None = None) -> bytes:
        """The PNG of page ``page`` (1-based) of a PDF document, with the characters ``passage`` and ``sentence``
        (offsets into its text, as a hit gives them) lit by pdfium's own boxes; kept per generation
        (``PAGE_CACHE_BYTES``)."""
        doc = self.document(doc_id)
        if not doc.pages:
            raise QAError(f"{doc_id} has no pages to show: only a PDF's pages are drawn")
        if not 1 <= page <= doc.pages:
            raise NotFoundError(f"{doc_id} has {counted(doc.pages, 'page')}: there is no page {page}")
        for span in (passage, sentence):
            if span is not None and not 0 <= span[0] < span[1] <= len(doc.text):
                raise QAError(f"characters {span[0]}-{span[1]} are not in {doc_id}: start and end must satisfy "
                              f"0 <= start < end <= {len(doc.text)}")
        key = (doc_id, page, passage, sentence)
        png = self._pages.get(key)
        if png is None:
            png = render_lit_page(self.original(doc_id), page, doc.text, passage, sentence,
                                  ReadingBudget.of(self.settings))
            self._pages.put(key, png)
        return png

    def passages_of(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(ordinal, start, end) of every passage of a document, in order."""
        return self.db.passages_of(doc_id)

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored float32 vectors of passages ``ids``, in that order."""
        return self.db.vectors_of(ids)

    def passages(self) -> list[StoredPassage]:
        """Every passage of the index, in id order."""
        return [StoredPassage(*row) for row in self.db.passages()]

    # -- searching --

    def region(self, scope: Scope | dict | None) -> Region | None:
        """``scope`` resolved in this index (None for the whole corpus); a scope that holds no passage is a
        ``QAError`` that names it, never an answer from outside it."""
        if isinstance(scope, dict):
            scope = Scope.from_json(scope)
        if scope is None or scope.everything:
            return None
        found = self._regions.get(scope)
        if found is None:
            ids = self.db.scope_ids(scope)
            if len(ids) == 0:
                raise QAError(f"no passage lies within the scope {scope.describe()}: widen it, or check the "
                              f"document ids, folders and dates in the Library (GET /api/documents)")
            if len(self._regions) >= MAX_REGIONS:
                self._regions.clear()
            found = self._regions[scope] = Region(scope, ids, vx.Within(ids, self.size),
                                                  self.generation.lexical.mask(ids))
        return found

    def threshold(self, mode: str = DEFAULT_MODE) -> float:
        """Confidence below which answers of ``mode`` abstain: ``qa.rank.answers.DEFAULT_THRESHOLDS``, or what the build
        calibrated on the corpus's gold.jsonl."""
        cal = self.calibration
        return float(cal.modes[mode].threshold if cal and mode in cal.modes else DEFAULT_THRESHOLDS[mode])

    @property
    def calibration(self) -> Abstention | None:
        """The thresholds the build calibrated on the corpus's gold set, if it did so for this version's confidence
        model (an index built by another version answers with the default thresholds until it is rebuilt)."""
        cal = self.manifest.abstention
        return cal if cal is not None and cal.scoring == SCORING_KEY else None

    def rank(self, question: str, mode: str = DEFAULT_MODE, depth: int = DEPTH,
             scope: Scope | dict | None = None) -> Ranking:
        """(passage id, score) pairs, best first, as mode ``mode`` ranks them, re-ranked by sentence evidence where
        ``answer`` would be, but with no de-duplication (what an evaluation of whole documents needs). Each ranking
        reaches ``depth`` deep; hybrid returns the union of its two rankings, so up to twice as many."""
        query = Query(self, check_question(question, cut_long=True), self.region(scope))
        ranked = MODES[check_mode(mode)](query, depth)
        if not (SENTENCE_WEIGHT[mode] and is_question(query.text)):
            return ranked
        head, _ = self._rerank(query, mode, ranked, RERANK_DEPTH)
        seen = {pid for pid, _ in head}
        return head + [(pid, score) for pid, score in ranked if pid not in seen]

    def search(self, question: str, k: int = 5, mode: str = DEFAULT_MODE,
               scope: Scope | dict | None = None) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first, each with its citation."""
        return list(self.answer(question, k, mode, scope=scope).hits)

    def answer(self, question: str, k: int = 5, mode: str = DEFAULT_MODE, spans: bool = True,
               short: bool = True, scope: Scope | dict | None = None) -> Answer:
        """The best ``k`` distinct passages with their answer sentences, the short answer, and whether to abstain.
        The question is embedded once; its answer sentences cost dot products with vectors stored at build time.
        ``spans=False`` leaves the answer sentences (and so the conflicts between them and the short answer) out;
        ``short=False`` the short answer alone (and so its abstentions). ``scope`` (a ``qa.rank.scope.Scope`` or its
        JSON form): only passages within it are ranked, and the confidence is theirs."""
        check_mode(mode)
        k = check_k(k, most=None, text=False)
        question = check_question(question, cut_long=True)
        if self.size == 0:
            return Answer(question, mode, (), True, 0.0, self.threshold(mode))
        region = self.region(scope)
        query = Query(self, question, region)
        ranked = MODES[mode](query, max(int(k), DEPTH))
        head, rows = self._rerank(query, mode, ranked, max(3 * int(k), RERANK_DEPTH))
        kept = dedupe([pid for pid, _ in head], lambda p: rows[p]["shingles"],
                      lambda p: (rows[p]["doc_id"], rows[p]["ordinal"]), int(k))
        scores = dict(head)
        hits = []
        for pid, copies in kept:
            row = rows[pid]
            hits.append(Hit(
                len(hits) + 1, round(scores[pid], 6), row["text"], row["doc_id"], row["title"], row["source"],
                row["start"], row["end"], row["date"], row["ordinal"] + 1, row["n_passages"],
                answer_sentences(row) if spans else (),
                tuple(Place(rows[c]["doc_id"], rows[c]["title"], rows[c]["start"], rows[c]["end"]) for c in copies),
                pages_of(json.loads(row["page_starts"]), row["start"], row["end"]),
                row["kind"], row["context"],
            ))
        signals = self._signals(query, [rows[pid] for pid, _ in kept])
        conf, threshold = confidence(signals), self.threshold(mode)
        abstained = conf < threshold
        disagree = () if abstained else tuple(find_conflicts(question, [
            Evidence(h.rank, h.doc_id, h.date, h.text[s - h.start:e - h.start], s)
            for h in hits for s, e in h.answer_spans]))
        found, reason = None, None
        if abstained:
            reason = (f"The documents do not seem to answer this (confidence {conf:.2f} < {threshold:.2f}); "
                      "the passages below are only the nearest.")
        elif spans and short:
            found, reason = self._short_answer(query, [rows[pid] for pid, _ in kept], disagree)
            if reason is not None:
                abstained, disagree = True, ()
        return Answer(question, mode, tuple(hits), abstained, conf, threshold, disagree, signals, found, reason,
                      region.scope if region else EVERYTHING)

    def _short_answer(self, query: Query, top: list[dict], conflicts) -> tuple[ShortAnswer | None, str | None]:
        """The short answer read from the best sentences of the best hits ``top`` (``qa.rank.answers.short_answer``)."""
        terms, read = query.terms, []
        for rank, row in enumerate(top[:SHORT_HITS], 1):
            sentences = row["sentences"]
            for order, i in enumerate(answering(row)[:SHORT_SENTENCES]):
                s, e = sentences.spans[i]
                s = marker_end(row["text"], s, e)
                read.append(Sentence(rank, row["doc_id"], row["start"] + s, row["text"][s:e],
                                     float(row["evidence"][i]), order, terms.coverage(sentences.terms[i]),
                                     sentences.terms[i]))
        held = set().union(*(row["terms"] for row in top[:SHORT_HITS])) if top else set()
        return short_answer(query.text, read, lambda: key_words(query.text, terms.weights, held), conflicts)

    def _signals(self, query: Query, top: list[dict]) -> Signals:
        """What the confidence of an answer with the passages ``top`` (best first) is computed from."""
        terms, vocabulary = query.terms, self.generation.lexical.vocabulary
        dense = {pid for pid, _ in query.dense(5)}
        lex = {pid for pid, _ in lexical_ranking(query, 5)}
        unknown = sum(w for t, w in terms.weights.items() if t not in vocabulary)
        return Signals(
            cosine=query.top_cosine(),
            coverage=max((terms.coverage(row["terms"]) for row in top[:3]), default=0.0),
            sentence_cosine=max((float(row["cosines"].max()) for row in top[:5]), default=0.0),
            agreement=len(dense & lex) / 5,
            unknown=unknown / terms.total if terms.total > 0 else 1.0,
        )

    def _rerank(self, query: Query, mode: str, ranked: Ranking, size: int) -> tuple[Ranking, dict[int, dict]]:
        """The first ``size`` of a mode's candidates, re-ranked by their best sentence for a question
        (``SENTENCE_WEIGHT``), and their rows, each with its sentences' ``cosines`` to the question and
        ``evidence``: how well each answers it (``Sentences.scores``)."""
        head = ranked[:size]
        rows = self._rows([pid for pid, _ in head])
        for row in rows.values():  # dot products with stored vectors: no model call
            row["cosines"], row["evidence"] = row["sentences"].scores(query.vector[0], query.terms)
        if SENTENCE_WEIGHT[mode] and is_question(query.text):
            best = [(pid, float(rows[pid]["evidence"].max())) for pid, _ in head if pid in rows]
            head = minmax_fusion([head, best], [1.0, SENTENCE_WEIGHT[mode]])
        # equal scores (BM25 gives them to passages of one length that share one term) are ordered by where the
        # passages are, not by their ids, which differ between an incremental build and a full one
        head = sorted(((pid, score) for pid, score in head if pid in rows),
                      key=lambda item: (-item[1], rows[item[0]]["doc_id"], rows[item[0]]["ordinal"]))
        return head, rows

    def _rows(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        rows = self.db.candidates(ids)
        if len(self._derived) > 100_000:
            self._derived.clear()
        # read from a local copy: another thread may clear the shared cache meanwhile
        derived = {row[0]: self._derived.get(row[0]) for row in rows}
        unseen = [pid for pid, d in derived.items() if d is None]
        if unseen:
            dimension = self.manifest.dimension
            for pid, text, terms, described, packed in self.db.sentences_of(unseen):
                derived[pid] = self._derived[pid] = (shingles(text), frozenset(terms.split()),
                                                     Sentences.load(described, packed, dimension))
        out = {}
        for row in rows:
            out[row[0]] = d = dict(zip(CANDIDATE, row[1:]))
            d["shingles"], d["terms"], d["sentences"] = derived[row[0]]
        return out
