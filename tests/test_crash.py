"""`qa index` killed with SIGKILL at ten moments of a rebuild, and a disk-full error: the previous index keeps
answering, the next build completes, nothing is left behind. The command runs with the fake embedder (the build's
logic is what is tested; the model only makes it slower)."""

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from helpers import FAKE_QA, SEEDS

from qa import Index, build_index
from qa.store.layout import CURRENT, FAULT_POINTS, current_generation
from qa.store.manifest import Manifest

QUESTION = "Which university is Tran Le Hung from?"


def answers(index_dir, settings, embedder):
    hits = Index.open(index_dir, settings=settings, embedder=embedder, check=False).search(QUESTION, k=3)
    return [(h.doc_id, h.start, h.end) for h in hits]


def leftovers(index_dir: Path) -> list[str]:
    live = (index_dir / CURRENT).read_text().strip()
    out = [p.name for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    gens = sorted(p.name for p in index_dir.glob("gen-*"))
    out += [g for g in gens if g > live]  # renamed but never made live
    if len(gens) > 2:
        out.append(f"{len(gens)} generations")
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, fake_settings, fake):
    """The seeds indexed once; each test gets its own copy, made at the same path (an index belongs to its
    corpus's path)."""
    work = tmp_path_factory.mktemp("built")
    shutil.copytree(SEEDS, work / "corpus")
    build_index(work / "corpus", work / "index", fake_settings, embedder=fake)
    return work, answers(work / "index", fake_settings, fake)


@pytest.fixture
def rebuilt_corpus(built):
    work, before = built
    keep = work.parent / f"{work.name}-kept"
    if not keep.exists():
        shutil.copytree(work, keep, symlinks=True)
    shutil.rmtree(work)
    shutil.copytree(keep, work, symlinks=True)  # the index as first built, at the path it was built for
    corpus, index_dir = work / "corpus", work / "index"
    for f in corpus.glob("*.txt"):  # every passage changes, so the rebuild embeds, writes and switches for real
        f.write_text(re.sub(r"(?m)^(?=\w)", "» ", f.read_text(encoding="utf-8")), encoding="utf-8")
    return corpus, index_dir, before


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_sigkill_at_any_moment_leaves_a_working_index(rebuilt_corpus, fake_settings, fake, point):
    settings, embedder = fake_settings, fake
    corpus, index_dir, before = rebuilt_corpus
    live = (index_dir / CURRENT).read_text()
    result = subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "QA_FAULT_AT": point})
    assert result.returncode == -signal.SIGKILL, (point, result.returncode, result.stderr[-500:])
    if point == "switched":  # killed after the switch: the new generation is complete and live
        assert (index_dir / CURRENT).read_text() != live
        Index.open(index_dir, settings=settings, embedder=embedder)  # fresh for the edited corpus
    else:
        assert (index_dir / CURRENT).read_text() == live
        assert answers(index_dir, settings, embedder) == before
    report = build_index(corpus, index_dir, settings, embedder=embedder)  # the next build completes
    assert report.documents == 5
    assert leftovers(index_dir) == []
    fresh = Index.open(index_dir, settings=settings, embedder=embedder)
    assert fresh.search(QUESTION, k=1)[0].doc_id == "003_ac1e5deb08e04087.txt"


@pytest.mark.parametrize("point", ["reading", "vectors", "manifest"])
def test_disk_full_is_a_clear_error_and_keeps_the_old_index(rebuilt_corpus, fake_settings, fake, point):
    settings, embedder = fake_settings, fake
    corpus, index_dir, before = rebuilt_corpus
    live = (index_dir / CURRENT).read_text()
    result = subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "QA_FAULT_AT": f"{point}:enospc"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"qa: error: No space left on device: {point}"
    assert (index_dir / CURRENT).read_text() == live and answers(index_dir, settings, embedder) == before
    assert not list(index_dir.glob("*.tmp")) and Manifest.read(current_generation(index_dir)).counts.documents == 5
