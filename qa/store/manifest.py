"""A generation's manifest: what it was built from and with, as a typed dataclass saved as JSON; and the checks that
compare it with the settings and the corpus on disk (settings mismatch, corpus changes, freshness).

Every other module reads manifest fields as attributes; the JSON keys are spelled out here only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..config import Settings, default_corpus, default_index_dir
from ..errors import QAError, StaleIndexError
from ..rank.lexical import SETTINGS as LEXICAL_SETTINGS
from ..rank.vectors import VectorQuality
from ..read.documents import SUFFIXES, FileInfo, list_files, sha256_file

#: The on-disk format; bump it when what a generation holds changes. 2: a BM25 index in lexical/; 3: reading
#: settings (size limit); 4: stable passage ids, stored terms; 5: page starts of paged documents; 6: sentence vectors
#: and passage kinds (photo captions); 7: a passage's context (the headings it lies under), read with it by the model
#: and BM25.
FORMAT = 7
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Reading:
    """How files were read: which suffixes, and the size above which a file is skipped."""

    suffixes: tuple[str, ...]
    max_file_mb: float

    @classmethod
    def of(cls, settings: Settings) -> Reading:
        return cls(tuple(SUFFIXES), settings.max_file_mb)


@dataclass(frozen=True)
class Chunking:
    max_tokens: int
    overlap_tokens: int
    splitter: str = "blingfire"

    @classmethod
    def of(cls, settings: Settings) -> Chunking:
        return cls(settings.max_tokens, settings.overlap_tokens)


@dataclass(frozen=True)
class FileRecord:
    """A corpus file as the build saw it: enough to notice a change cheaply (size and time, then the hash)."""

    sha256: str | None
    size: int
    mtime_ns: int
    passages: int | None = None  # a document: how many passages it gave
    reason: str | None = None  # a skipped file: why
    pages: int | None = None  # a paged document (PDF): how many pages
    notes: tuple[str, ...] | None = None  # a document read in part: what could not be read

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v is not None or k == "sha256"}
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FileRecord:
        return cls(**{**d, "notes": tuple(d["notes"])} if "notes" in d else d)


@dataclass(frozen=True)
class Counts:
    documents: int
    passages: int
    embedded: int
    reused: int
    read: int


@dataclass(frozen=True)
class HeldBack:
    """A threshold calibrated on one half of a gold set, scored on the other half."""

    threshold: float
    held_back_caught: int
    held_back_unanswerable: int
    held_back_wrong: int
    held_back_answerable: int


@dataclass(frozen=True)
class ModeCalibration:
    """One mode's abstention threshold as calibrated on a gold set, with how it did there and held back."""

    threshold: float
    caught: int  # unanswerable gold questions abstained on
    wrongly_abstained: int  # answerable ones abstained on
    held_back: tuple[HeldBack, ...]


@dataclass(frozen=True)
class Abstention:
    """The abstention thresholds of every mode, calibrated on a corpus's gold set (``qa.rank.answers.calibrate``)."""

    calibrated_on: str
    answerable: int
    unanswerable: int
    modes: dict[str, ModeCalibration]
    key: str = ""  # what it was calibrated on (gold set, documents, settings): reused while this is unchanged
    scoring: str = ""  # the confidence model it was calibrated for (qa.index.SCORING_KEY): used only with that one

    def to_dict(self) -> dict:
        return {**asdict(self), "modes": {m: {**asdict(c), "held_back": [asdict(h) for h in c.held_back]}
                                          for m, c in self.modes.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> Abstention:
        modes = {m: ModeCalibration(**{**c, "held_back": tuple(HeldBack(**h) for h in c["held_back"])})
                 for m, c in d["modes"].items()}
        return cls(**{**d, "modes": modes})


@dataclass(frozen=True)
class Manifest:
    generation: str
    built_at: str
    build_seconds: float
    incremental: bool
    corpus: str
    model: str
    backend: str
    dimension: int
    max_seq_length: int
    reading: Reading
    chunking: Chunking
    index_type: str  # FAISS factory-style name, e.g. IDMap2,Flat or IVF1000,SQ8
    vectors: VectorQuality
    lexical: dict  # the BM25 settings (qa.rank.lexical.SETTINGS), compared as a whole
    counts: Counts
    documents: dict[str, FileRecord]
    skipped: dict[str, FileRecord]
    abstention: Abstention | None = None
    metric: str = "inner_product"  # on L2-normalised vectors: cosine similarity
    format: int = FORMAT

    # -- JSON --

    def to_dict(self) -> dict:
        out = {
            "format": self.format, "generation": self.generation, "built_at": self.built_at,
            "build_seconds": self.build_seconds, "incremental": self.incremental, "corpus": self.corpus,
            "model": self.model, "backend": self.backend, "dimension": self.dimension,
            "max_seq_length": self.max_seq_length,
            "reading": {"suffixes": list(self.reading.suffixes), "max_file_mb": self.reading.max_file_mb},
            "chunking": asdict(self.chunking), "index_type": self.index_type, "vectors": self.vectors.to_dict(),
            "lexical": self.lexical, "metric": self.metric, "counts": asdict(self.counts),
            "documents": {d: r.to_dict() for d, r in self.documents.items()},
            "skipped": {d: r.to_dict() for d, r in self.skipped.items()},
        }
        if self.abstention is not None:
            out["abstention"] = self.abstention.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> Manifest:
        if d.get("format") != FORMAT:
            raise OtherFormatError(f"written by another version of qa (format {d.get('format')}, expected {FORMAT})",
                                   corpus=d.get("corpus"))
        cal = d.get("abstention")
        return cls(
            generation=d["generation"], built_at=d["built_at"], build_seconds=d["build_seconds"],
            incremental=d["incremental"], corpus=d["corpus"], model=d["model"], backend=d["backend"],
            dimension=d["dimension"], max_seq_length=d["max_seq_length"],
            reading=Reading(tuple(d["reading"]["suffixes"]), d["reading"]["max_file_mb"]),
            chunking=Chunking(**d["chunking"]), index_type=d["index_type"],
            vectors=VectorQuality.from_dict(d["vectors"]), lexical=d["lexical"], counts=Counts(**d["counts"]),
            documents={k: FileRecord.from_dict(v) for k, v in d["documents"].items()},
            skipped={k: FileRecord.from_dict(v) for k, v in d["skipped"].items()},
            abstention=None if cal is None else Abstention.from_dict(cal),
            metric=d["metric"], format=d["format"],
        )

    @classmethod
    def read(cls, gen: Path) -> Manifest:
        """The manifest of the generation folder ``gen``; a one-line error when it is damaged or of another format."""
        try:
            return cls.from_dict(json.loads((Path(gen) / MANIFEST).read_text(encoding="utf-8")))
        except OtherFormatError as e:
            raise OtherFormatError(f"index at {gen} was {e}; run `qa index` to rebuild it", corpus=e.corpus) from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise QAError(f"index at {gen} is damaged ({e!r}); run `qa index` to rebuild it") from None

    def write(self, gen: Path) -> None:
        (Path(gen) / MANIFEST).write_text(self.to_json(), encoding="utf-8")

    def with_abstention(self, abstention: Abstention | None) -> Manifest:
        return replace(self, abstention=abstention)

    # -- facts --

    @property
    def corpus_path(self) -> Path:
        return Path(self.corpus)

    def files(self) -> dict[str, FileRecord]:
        """Every file the build saw: skipped ones and documents."""
        return {**self.skipped, **self.documents}


class OtherFormatError(QAError):
    """A generation written by another version of qa: it cannot be read, only rebuilt (for the same corpus)."""

    def __init__(self, message: str, corpus: str | None):
        super().__init__(message)
        self.corpus = corpus


# --- comparing with settings and with the corpus on disk ----------------------------------------------------------


def settings_mismatch(manifest: Manifest, settings: Settings, backend: str) -> str | None:
    """Why an index built with other settings cannot answer for ``settings``, or None."""
    if manifest.model != settings.model:
        return f"it was built with model {manifest.model}, but {settings.model} is configured"
    if manifest.backend != backend:
        return f"it was built with the {manifest.backend} backend, but {backend} is configured"
    if manifest.reading != Reading.of(settings):
        return f"it was built reading {_show(manifest.reading)}, but {_show(Reading.of(settings))} is configured"
    if manifest.chunking != Chunking.of(settings):
        return (f"it was built with chunking {_show(manifest.chunking)}, but {_show(Chunking.of(settings))} is "
                f"configured")
    return None


def _show(settings: Reading | Chunking) -> dict:
    d = asdict(settings)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def can_update(manifest: Manifest | None, settings: Settings, backend: str) -> bool:
    """Whether a generation can be the starting point of an incremental build with these settings."""
    return manifest is not None and settings_mismatch(manifest, settings, backend) is None \
        and manifest.lexical == LEXICAL_SETTINGS


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed) + len(self.modified)

    def describe(self, most: int = 3) -> str:
        parts = [f"{d} {what}" for what, ids in (("modified", self.modified), ("added", self.added),
                                                  ("removed", self.removed)) for d in ids]
        more = f", +{len(parts) - most} more" if len(parts) > most else ""
        return ", ".join(parts[:most]) + more


def corpus_changes(manifest: Manifest, files: list[FileInfo]) -> Changes:
    """What differs between the corpus on disk and the one the manifest recorded (cheap: hashes only files whose
    size or modification time moved, and never one that would not be read: too large, a link out of the folder,
    not a regular file; for those a move in size or time is the change)."""
    recorded = manifest.files()
    now = {f.doc_id: f for f in files}
    max_bytes = int(manifest.reading.max_file_mb * 2**20)
    modified = []
    for doc_id in sorted(recorded.keys() & now.keys()):
        old, f = recorded[doc_id], now[doc_id]
        if (old.size, old.mtime_ns) == (f.size, f.mtime_ns):
            continue
        try:
            if f.problem or old.sha256 is None or sha256_file(f, max_bytes) != old.sha256:
                modified.append(doc_id)
        except OSError:
            modified.append(doc_id)
    return Changes(
        added=tuple(sorted(now.keys() - recorded.keys())),
        removed=tuple(sorted(recorded.keys() - now.keys())),
        modified=tuple(modified),
    )


def index_command(corpus: Path, index_dir: Path) -> str:
    """The `qa index` command line that rebuilds this index."""
    cmd = "qa index" if corpus == default_corpus() else f"qa index {corpus}"
    if Path(index_dir).resolve() != default_index_dir(corpus):
        cmd += f" --index-dir {index_dir}"
    return cmd


def check_fresh(index_dir: Path, manifest: Manifest, settings: Settings, backend: str) -> None:
    """Raise StaleIndexError when the index would give answers for another corpus, model or settings."""
    corpus = manifest.corpus_path
    command = index_command(corpus, index_dir)
    why = settings_mismatch(manifest, settings, backend)
    if why:
        raise StaleIndexError(f"index is stale: {why}; run `{command}`")
    if not corpus.is_dir():
        raise StaleIndexError(f"index is stale: its corpus folder {corpus} is gone; run `qa index FOLDER`")
    changes = corpus_changes(manifest, list_files(corpus))
    if changes:
        n = len(changes)
        raise StaleIndexError(
            f"index is stale: {n} document{'s' if n != 1 else ''} changed ({changes.describe()}); run `{command}`"
        )
