"""Fixtures: the real model, real FAISS and real SQLite, indexes built into temporary folders; and a fake embedder
(tests/helpers.py) for tests of build and storage logic, which then run in seconds.

Tests that use the real model are marked ``model`` (automatically, through the fixtures below that load it, or by
their module); tests that start servers are marked ``server``: ``pytest -m "not model and not server"`` runs the
logic alone, ``./dev.sh test`` runs everything. Tests that drive Debian's chromium (the page, or printing PDFs) are
marked ``browser``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import SEEDS, HashEmbedder, register_fake_backend

# Nothing a test does may touch the repository's own index/.
os.environ["QA_INDEX_DIR"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"qa-test-index-{os.getpid()}")
# Nor its bench results: a bench a test runs small keeps what it prints in a temporary folder, not bench/results/
# (a short load run in the suite had replaced the acceptance run's load.txt).
os.environ["QA_BENCH_RESULTS"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"qa-test-bench-results-{os.getpid()}")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # as the qa command sets it
register_fake_backend()

from qa.config import DEFAULT_MODEL, Settings  # noqa: E402
from qa.models.embedding import get_tokenizer, make_embedder  # noqa: E402

#: Fixtures that load the real model: a test using one of them is marked ``model``.
MODEL_FIXTURES = {"embedder", "seeds_index", "seeds_search"}
#: Fixtures that print PDFs with Debian's chromium: a test using one of them is marked ``browser``.
BROWSER_FIXTURES = {"pdfs", "printed_folder"}


def pytest_collection_modifyitems(items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if MODEL_FIXTURES & used:
            item.add_marker(pytest.mark.model)
        if BROWSER_FIXTURES & used:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def embedder():
    return make_embedder(Settings())


@pytest.fixture(scope="session")
def tokenizer():
    return get_tokenizer(DEFAULT_MODEL)  # word pieces only: no weights are loaded


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def fake() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def fake_settings() -> Settings:
    return replace(Settings(), backend=HashEmbedder.backend)


def _seeds_index(tmp_path_factory, name: str, settings: Settings, embedder) -> Path:
    """The seeds copied and indexed into temporary folders."""
    from qa import build_index

    corpus = tmp_path_factory.mktemp(f"{name}-corpus") / "seeds"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path_factory.mktemp(f"{name}-index")
    build_index(corpus, index_dir, settings, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory, embedder, settings) -> Path:
    """The seeds indexed once for the whole session with the real model (tests must not modify it)."""
    return _seeds_index(tmp_path_factory, "seeds", settings, embedder)


@pytest.fixture(scope="session")
def seeds_search(seeds_index, embedder, settings):
    from qa import Index

    return Index.open(seeds_index, settings=settings, embedder=embedder)


@pytest.fixture(scope="session")
def fake_seeds_index(tmp_path_factory, fake, fake_settings) -> Path:
    """The seeds indexed once with the fake embedder (tests must not modify it)."""
    return _seeds_index(tmp_path_factory, "fake-seeds", fake_settings, fake)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of the seeds that a test may edit."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    """`qa serve --auth-file` (alice / s3cret) with --allow-rebuild, on one private note."""
    from helpers import FAKE_QA, Server, write

    root = tmp_path_factory.mktemp("auth")
    write(root / "c", "a.txt", "Private notes\nThe launch code is in the blue folder.\n")
    (root / "login").write_text("alice:s3cret\n")
    s = Server(root / "c", root / "index", "--auth-file", str(root / "login"), "--allow-rebuild", command=FAKE_QA)
    yield s
    s.stop()
