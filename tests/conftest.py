"""Shared fixtures: the real model, real FAISS and real SQLite; indexes are built into temporary folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Nothing a test does may touch the repository's own index/.
os.environ["QA_INDEX_DIR"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"qa-test-index-{os.getpid()}")

from qa.config import DEFAULT_MODEL, Settings  # noqa: E402
from qa.embedding import get_tokenizer, make_embedder  # noqa: E402


class CountingEmbedder:
    """The real embedder, counting what it embeds and optionally failing after ``fail_after`` texts."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.backend = inner.backend
        self.fail_after = fail_after
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts):
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            allowed = list(texts)[: self.fail_after - len(self.texts)]
            self.inner.encode(allowed)  # get as far as the failure point, then die
            self.texts.extend(allowed)
            raise RuntimeError("injected failure in the middle of embedding")
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="session")
def embedder():
    return make_embedder(Settings())


@pytest.fixture(scope="session")
def tokenizer():
    return get_tokenizer(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory, embedder, settings) -> Path:
    """The seeds indexed once for the whole session (tests must not modify it)."""
    from qa.store import build_index

    corpus = tmp_path_factory.mktemp("seeds-corpus") / "seeds"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path_factory.mktemp("seeds-index")
    build_index(corpus, index_dir, settings, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def seeds_search(seeds_index, embedder, settings):
    from qa.search import Index

    return Index.open(seeds_index, settings=settings, embedder=embedder)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of the seeds that a test may edit."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
