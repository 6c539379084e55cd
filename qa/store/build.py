"""Building a generation: read the corpus, cut passages, embed them, write SQLite, BM25 and FAISS, then switch.

When the previous generation was built with the same settings, the build is incremental: it starts from a copy of
its database and FAISS index, reads only the files whose size, time or content changed, removes their old passages
and adds the new ones (ids of unchanged passages stay), and rebuilds BM25 from the stored terms. Otherwise every
file is read, and vectors of passages whose text is unchanged are still copied from the previous generation
instead of being embedded again.

A ``finalize`` hook sees the finished generation before it goes live and may return an amended manifest (the
service layer calibrates abstention there, which needs the query layer that this module must not import).
"""

from __future__ import annotations

import datetime as _dt
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from hashlib import sha256
from pathlib import Path
from queue import Empty, Queue

import numpy as np

from ..config import ReadingBudget, Settings
from ..errors import QAError
from ..models.embedding import Embedder, encode_with_sentences, get_tokenizer, make_embedder
from ..rank import lexical, sentences
from ..rank import vectors as vx
from ..rank.vectors import VectorQuality
from ..read.chunking import OCR, Passage, chunk_document, model_text
from ..read.worker import reader
from ..read.documents import SUFFIXES, Document, FileInfo, OnPage, Skipped, iter_documents, list_files, sha256_file
from ..text import analyze
from .database import DATABASE, Reuse, Stored, Writer
from .layout import LENGTHS, LEXICAL, VECTORS, Progress, fault, new_generation
from .manifest import Chunking, Counts, FileRecord, Manifest, Reading, can_update, corpus_changes


@dataclass(frozen=True)
class Embedded:
    """A document read, cut into passages and embedded elsewhere (on a cluster's worker): with each passage, its
    vector, its sentences and their vectors as the database stores them, and its lexical terms — what the driver
    would otherwise compute itself."""

    document: Document
    passages: tuple[Passage, ...]
    stored: tuple[Stored, ...]
    terms: tuple[str, ...]  # space-separated lexical terms of each passage


#: Where a build's documents come from: (corpus, files to read, size limit in bytes, page progress) -> each file
#: as a Document, a Skipped or an Embedded one. The default reads them here (``iter_documents``); qa.store.cluster reads
#: and embeds them on a Ray cluster.
#: Called as source(corpus, files, max_bytes, on_page, known=...): ``known(doc_id)`` gives the text hashes of the
#: passages the previous generation holds of that document, whose vectors a source that embeds need not compute.
Source = Callable[..., Iterator[Document | Skipped | Embedded]]


def embed_document(doc: Document, tokenizer, embedder: Embedder, settings: Settings,
                   known: Collection[str] = ()) -> Embedded:
    """A document's passages and what the database stores of each, computed where the document was read; a passage
    whose text hash is ``known`` (the previous generation has it) is not embedded: its stored part is None, and the
    build takes it from the previous generation, as a local build does."""
    passages = chunk_document(doc, tokenizer, settings.max_tokens, settings.overlap_tokens)
    todo = [i for i, p in enumerate(passages) if passage_hash(p) not in known]
    fresh = dict(zip(todo, embed_passages(embedder, [passages[i] for i in todo])))
    return Embedded(doc, tuple(passages), tuple(fresh.get(i) for i in range(len(passages))),
                    tuple(passage_terms(p) for p in passages))


def embed_texts(embedder: Embedder, texts: list[str], contexts: list[str] | None = None) -> list[Stored]:
    """What the database stores of each passage text: its vector, its sentences, their vectors (one pass each).
    With ``contexts``, the model reads each text after its context (``qa.read.chunking.model_text``): the vector
    and the sentence vectors are of that, the sentences' offsets still into the text alone."""
    contexts = contexts or [""] * len(texts)
    spans = [sentences.split(t) for t in texts]
    inputs = [model_text(c, t) for c, t in zip(contexts, texts)]
    shifted = [[(s + len(i) - len(t), e + len(i) - len(t)) for s, e in sp] for i, t, sp in zip(inputs, texts, spans)]
    vectors, per_sentence = encode_with_sentences(embedder, inputs, shifted)
    return [(v.astype(np.float32).tobytes(), sentences.describe(t, sp), sentences.pack(r))
            for t, sp, v, r in zip(texts, spans, vectors, per_sentence)]


def embed_passages(embedder: Embedder, passages: list[Passage]) -> list[Stored]:
    """``embed_texts`` of passages, each read after its context."""
    return embed_texts(embedder, [p.text for p in passages], [p.context for p in passages])


def passage_terms(p: Passage) -> str:
    """A passage's lexical terms, space-separated: those of its context and its text."""
    return " ".join(analyze(p.model_text))


def passage_hash(p: Passage) -> str:
    """What decides whether a stored vector may be reused: the hash of what the model read (context and text; a
    passage without context hashes as its text alone, as before contexts)."""
    return _text_hash(p.model_text)


#: Runs on the finished generation folder before it goes live; returns the manifest to save with it.
Finalize = Callable[[Path, Manifest, Settings, Embedder, "Manifest | None"], Manifest]

@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    generation: str
    documents: int
    passages: int
    embedded: int
    reused: int
    skipped: tuple[Skipped, ...]
    seconds: float
    settings: Settings = field(repr=False)
    read: int = 0  # files read this time (an incremental build reads only what changed)
    incremental: bool = False
    vectors: VectorQuality | None = None  # index type and its recall against exact search
    notes: tuple[Skipped, ...] = ()  # documents read only in part this time, each with what could not be read
    ocr_pages: int = 0  # PDF pages without a text layer read by OCR this time (scans)
    ocr_passages: int = 0  # the passages cut from them (kind "ocr")


def write_generation(
    corpus: Path,
    index_dir: Path,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    finalize: Finalize | None = None,
    source: Source | None = None,
) -> BuildReport:
    """Index every document of ``corpus`` into a new generation of ``index_dir`` and make it live. ``source`` reads
    the files that changed (default: here, in a thread ahead of the embedding)."""
    started = time.perf_counter()
    corpus = Path(corpus).resolve()
    index_dir = Path(index_dir).resolve()
    unread: list[Skipped] = []  # files of other types: named in the report, not recorded (they are never read)
    files = list_files(corpus, unread)  # raises a clear error for a missing folder
    if source is None:
        reader(settings.read_memory_mb).prepare()  # the reading worker starts while the model loads
    tokenizer = get_tokenizer(settings.model)
    embedder = embedder or make_embedder(settings)
    with new_generation(index_dir, corpus, progress) as gen:
        base = gen.previous if can_update(gen.previous_manifest, settings, embedder.backend) else None
        same_model = gen.previous_manifest is not None and gen.previous_manifest.model == settings.model \
            and gen.previous_manifest.backend == embedder.backend
        reuse = Reuse(gen.previous / DATABASE if same_model else None)
        try:
            build = _Build(gen.path, corpus, settings, tokenizer, embedder, reuse, progress, source)
            report = build.run(files, base, gen.previous_manifest if base else None)
        finally:
            reuse.close()
        manifest = Manifest(
            generation=gen.name,
            built_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            incremental=base is not None,
            corpus=str(corpus),
            model=settings.model,
            backend=embedder.backend,
            dimension=report.dimension,
            max_seq_length=tokenizer.max_seq_length,
            reading=Reading.of(settings),
            chunking=Chunking.of(settings),
            index_type=report.index_type,
            vectors=report.quality,
            lexical=lexical.SETTINGS,
            counts=report.counts,
            documents=report.files,
            skipped=report.skipped_files,
        )
        manifest.write(gen.path)
        if finalize is not None:
            manifest = finalize(gen.path, manifest, settings, embedder, gen.previous_manifest)
            manifest.write(gen.path)
        fault("manifest")
    counts = report.counts
    return BuildReport(
        index_dir=index_dir,
        generation=gen.name,
        documents=counts.documents,
        passages=counts.passages,
        embedded=counts.embedded,
        reused=counts.reused,
        skipped=tuple(report.skipped) + tuple(unread),
        seconds=time.perf_counter() - started,
        settings=settings,
        read=counts.read,
        incremental=base is not None,
        vectors=report.quality,
        notes=tuple(report.notes),
        ocr_pages=report.scanned[0],
        ocr_passages=report.scanned[1],
    )


@dataclass
class _Result:
    counts: Counts
    dimension: int
    files: dict[str, FileRecord]
    skipped_files: dict[str, FileRecord]
    skipped: list[Skipped]
    index_type: str
    quality: VectorQuality
    notes: list[Skipped]
    scanned: tuple[int, int] = (0, 0)  # pages read by OCR, and the passages cut from them


class _Build:
    """Writes one generation into ``tmp``: from nothing, or from a copy of the previous one plus the changes."""

    #: Passages embedded and written per step: memory stays bounded however large the corpus.
    STEP = 512

    def __init__(self, tmp: Path, corpus: Path, settings: Settings, tokenizer, embedder: Embedder,
                 reuse: Reuse, progress: Progress | None, source: Source | None = None):
        self.tmp, self.corpus, self.settings = tmp, corpus, settings
        self.tokenizer, self.embedder, self.reuse, self.progress = tokenizer, embedder, reuse, progress
        self.source = source or partial(_read_here, budget=ReadingBudget.of(settings))
        self.embedded = self.read = self.written = 0
        # passages waiting to be written: each with its text hash, and what to store and its terms if it came embedded
        self.pending: list[tuple[Passage, str, Stored | None, str | None]] = []
        self.notes: list[Skipped] = []
        self.scanned = [0, 0]  # pages read by OCR, passages of kind "ocr"

    def run(self, files: list[FileInfo], base: Path | None, base_manifest: Manifest | None) -> _Result:
        import faiss

        info = {f.doc_id: f for f in files}
        if base is not None:
            shutil.copyfile(base / DATABASE, self.tmp / DATABASE)  # generations are immutable: a plain copy
            self.db = Writer(self.tmp / DATABASE, new=False)
            index = faiss.read_index(str(base / VECTORS))
            changes = corpus_changes(base_manifest, files)
            gone = [*changes.removed, *changes.modified]
            # touched but not changed: remember the new size and time
            recorded = {d: _touched(r, info.get(d)) for d, r in base_manifest.documents.items() if d not in gone}
            skipped_files = {d: _touched(r, info.get(d)) for d, r in base_manifest.skipped.items() if d not in gone}
            old_ids = self.db.remove_documents(gone)
            if len(old_ids):
                index.remove_ids(old_ids)
            to_read = [info[d] for d in sorted({*changes.added, *changes.modified})]
            skipped = [Skipped(d, r.reason) for d, r in skipped_files.items()]
        else:
            self.db = Writer(self.tmp / DATABASE, new=True)
            index, recorded, skipped_files, skipped, to_read = None, {}, {}, [], files
        self.next_id = first_new = self.db.next_id()
        self._read(to_read, info, recorded, skipped_files, skipped)
        fault("committing")
        self.db.commit()
        n, documents, d = self.db.counts()
        if not n:
            raise QAError(f"no documents to index in {self.corpus}: it has no readable {', '.join(SUFFIXES)} files"
                          + (f" ({len(skipped)} skipped: {skipped[0].doc_id}: {skipped[0].reason})"
                             if skipped else ""))
        counts = Counts(documents, n, self.embedded, n - self.embedded, self.read)
        if self.progress:
            self.progress("lexical", 0, 1)
        # word pieces by passage id, filled on the way: one pass over the passages for BM25 and the lengths
        lengths = np.zeros(self.db.next_id(), dtype=np.int16)

        def terms():
            for i, t, n_tokens in self.db.terms():
                lengths[i] = n_tokens
                yield i, t.split()

        lexical.build_from_terms(terms, self.tmp / LEXICAL)  # read twice: it streams
        np.save(self.tmp / LENGTHS, lengths)
        fault("lexical")
        if self.progress:
            self.progress("vectors", 0, 1)
        limits = self.settings.exact_limit, self.settings.pq_limit
        if index is not None and not vx.needs_rebuild(index, n, *limits):
            for ids, vectors in self.db.chunks(after=first_new - 1):  # in place: only the new passages
                index.add_with_ids(vectors, ids)
        else:
            # trained on a sample drawn from every stored vector (uniform over the corpus, not the first files read),
            # then filled chunk by chunk from the database
            index = vx.build(d, n, self.db.chunks, self._sample(vx.training_size(n, *limits)), *limits)
        if vx.kind_of(index) == "flat":
            quality = vx.tune(index)  # exact: nothing to check
        else:
            sample_ids = self._sample_ids(vx.RECALL_SAMPLE)
            quality = vx.tune(index, self.db.vectors_of(sample_ids), sample_ids, self.db.chunks, self.db.vectors_of)
        self.db.close()
        faiss.write_index(index, str(self.tmp / VECTORS))
        fault("vectors")
        return _Result(counts, d, recorded, skipped_files, skipped, vx.describe(index), quality, self.notes,
                       tuple(self.scanned))

    # -- the documents that changed --

    def _read(self, to_read: list[FileInfo], info: dict[str, FileInfo], recorded: dict[str, FileRecord],
              skipped_files: dict[str, FileRecord], skipped: list[Skipped]) -> None:
        max_bytes = int(self.settings.max_file_mb * 2**20)
        on_page = (lambda doc_id, done, total: self.progress("pages", done, total)) if self.progress else None
        source = self.source(self.corpus, to_read, max_bytes, on_page, known=self.reuse.hashes_of)
        for n, item in enumerate(source, 1):
            f = info[item.doc_id if not isinstance(item, Embedded) else item.document.doc_id]
            self.read += 1
            if isinstance(item, Skipped):
                skipped.append(item)
                self.db.add_skipped(item.doc_id, item.reason)
                skipped_files[item.doc_id] = FileRecord(_hash_or_none(f, max_bytes), f.size, f.mtime_ns,
                                                        reason=item.reason)
            else:
                if isinstance(item, Embedded):
                    doc, passages, stored, terms = item.document, item.passages, item.stored, item.terms
                    self.embedded += sum(v is not None for v in stored)  # the others come from the previous one
                else:
                    doc = item
                    passages = chunk_document(doc, self.tokenizer, self.settings.max_tokens,
                                              self.settings.overlap_tokens)
                    stored = terms = (None,) * len(passages)
                self.db.add_document(doc, len(passages))
                recorded[doc.doc_id] = FileRecord(doc.sha256, f.size, f.mtime_ns, passages=len(passages),
                                                  pages=doc.pages or None, notes=doc.notes or None)
                self.notes += [Skipped(doc.doc_id, note) for note in doc.notes]
                self.scanned[0] += len(doc.ocr_pages)
                self.scanned[1] += sum(p.kind == OCR for p in passages)
                self.pending.extend((p, passage_hash(p), v, t) for p, v, t in zip(passages, stored, terms))
                if len(self.pending) >= self.STEP:
                    self._flush()
            if self.progress:
                self.progress("reading", n, len(to_read))
            fault("reading")
        self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        stored: list[Stored | None] = [v or self.reuse.get(h) for _, h, v, _ in self.pending]
        missing = [i for i, v in enumerate(stored) if v is None]
        if missing:
            fresh = embed_passages(self.embedder, [self.pending[i][0] for i in missing])
            fault("embedding")
            for i, v in zip(missing, fresh):
                stored[i] = v
        ids = np.arange(self.next_id, self.next_id + len(self.pending), dtype=np.int64)
        self.next_id += len(self.pending)
        self.db.add_passages(
            [(int(i), p.doc_id, p.ordinal, p.start, p.end, p.text, p.n_tokens, h, t or passage_terms(p),
              p.kind, p.context, *v) for i, (p, h, _, t), v in zip(ids, self.pending, stored)],
        )
        fault("inserting")
        self.embedded += len(missing)
        self.written += len(self.pending)
        self.pending.clear()
        if self.progress:
            self.progress("embedding", self.written, -1)  # passages written so far: the bar shows their rate

    # -- reading the stored vectors back --

    def _sample_ids(self, n: int) -> np.ndarray:
        if n <= 0:  # an exact index trains on nothing
            return np.zeros(0, dtype=np.int64)
        ids = self.db.ids()
        rng = np.random.default_rng(0)  # the same sample for the same corpus: reproducible reports
        return np.sort(rng.choice(ids, size=min(n, len(ids)), replace=False))

    def _sample(self, n: int) -> np.ndarray:
        return self.db.vectors_of(self._sample_ids(n))


#: Read the next documents in a thread while the passages of this one are embedded. Measured by bench/speed.py --pdf
#: on a folder of PDFs (reading is PDFium and file I/O, which let go of the GIL).
READ_AHEAD = True


def _read_here(corpus: Path, files: list[FileInfo], max_bytes: int, on_page,
               known: Callable[[str], frozenset[str]] | None = None,
               budget: ReadingBudget | None = None) -> Iterator[Document | Skipped]:
    """The default source: the files read on this machine (each parsed in the reading worker, within ``budget``),
    ahead of the embedding (``READ_AHEAD``); ``known`` is for sources that embed where they read (the build reuses
    stored vectors of what this one reads)."""
    documents = iter_documents(corpus, files, max_bytes, on_page, budget)
    return _ahead(documents) if READ_AHEAD else documents


def _ahead(items: Iterator, size: int = 2) -> Iterator:
    """``items``, produced by a thread up to ``size`` ahead of the consumer; its exceptions reach the consumer."""
    queue: Queue = Queue(maxsize=size)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put((item, None))
        except BaseException as e:  # handed over, raised where the consumer is
            queue.put((None, e))
            return
        queue.put((done, None))

    worker = threading.Thread(target=produce, name="qa-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = queue.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full queue see the stop
            try:
                queue.get_nowait()
            except Empty:
                worker.join(0.05)


def _touched(record: FileRecord, now: FileInfo | None) -> FileRecord:
    if now is None:
        return record
    return replace(record, size=now.size, mtime_ns=now.mtime_ns)


def _text_hash(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()


def _hash_or_none(f: FileInfo, max_bytes: int) -> str | None:
    """The hash of a skipped file, to notice when it changes; None for what is never read (too large, a link out,
    not a regular file): a change in its size or time then counts as a change."""
    if f.problem:
        return None
    try:
        return sha256_file(f, max_bytes)
    except OSError:
        return None
