"""Building on a Ray cluster (qa.store.cluster): a local cluster of this machine's cores must give the index a local
build gives, also when a worker is killed midway; Ray's absence and a wrong address are one-line errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from helpers import QA, SEEDS

from qa import MODES, Index, build_index
from qa.errors import QAError
from qa.evaluate import load_gold
from qa.rank.sentences import unpack
from qa.store.cluster import ray_source
from qa.store.database import DATABASE
from qa.store.layout import current_generation

pytestmark = [pytest.mark.model, pytest.mark.ray]


def stored(index_dir):
    """id -> (doc_id, ordinal, start, end, text, kind, sentences, vector, sentence vectors) of every passage."""
    db = sqlite3.connect(current_generation(index_dir) / DATABASE)
    out = {}
    for r in db.execute("SELECT id, doc_id, ordinal, start, end, text, kind, sentences, vector, sentence_vectors "
                        "FROM passages"):
        out[r[0]] = (*r[1:8], np.frombuffer(r[8], dtype=np.float32), r[9])
    db.close()
    return out


def same_index(a, b) -> None:
    """Same passages under the same ids, vectors (and sentence vectors) at cosine >= 0.999."""
    left, right = stored(a), stored(b)
    assert left.keys() == right.keys()
    for pid, row in left.items():
        other = right[pid]
        assert row[:7] == other[:7], pid
        assert float(row[7] @ other[7]) >= 0.999
        n = len(json.loads(row[6]))
        mine, theirs = unpack(row[8], n, len(row[7])), unpack(other[8], n, len(row[7]))
        cos = (mine * theirs).sum(1) / np.linalg.norm(mine, axis=1) / np.linalg.norm(theirs, axis=1)
        assert cos.min() >= 0.999


@pytest.fixture(scope="module")
def builds(tmp_path_factory, settings, embedder):
    root = tmp_path_factory.mktemp("cluster")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    local = build_index(corpus, root / "local", settings, embedder=embedder)
    on_ray = build_index(corpus, root / "ray", settings, embedder=embedder, ray="local")
    return root, corpus, local, on_ray


def test_a_build_on_a_local_cluster_is_the_local_build(builds, settings, embedder):
    root, _, local, on_ray = builds
    assert (on_ray.documents, on_ray.passages, on_ray.embedded) == (local.documents, local.passages, local.passages)
    same_index(root / "local", root / "ray")
    a, b = (Index.open(root / d, settings=settings, embedder=embedder) for d in ("local", "ray"))
    for g in load_gold(SEEDS / "gold.jsonl"):
        for mode in sorted(MODES):
            assert [(h.doc_id, h.start) for h in a.search(g.question, 5, mode)] == \
                   [(h.doc_id, h.start) for h in b.search(g.question, 5, mode)], (g.id, mode)
    assert a.manifest.abstention.modes == b.manifest.abstention.modes


def test_an_incremental_build_on_the_cluster_sends_only_what_changed(builds, settings, embedder):
    root, corpus, _, _ = builds
    with open(corpus / "004_fa2311fb06af83e6.txt", "a", encoding="utf-8") as f:
        f.write("\nThe committee will meet again in March to review every commitment.\n")
    report = build_index(corpus, root / "ray", settings, embedder=embedder, ray="local")
    assert report.incremental and report.read == 1
    local = build_index(corpus, root / "local", settings, embedder=embedder)
    same_index(root / "local", root / "ray")
    # only the changed passages were embedded again, on the cluster as here: the file's others kept their vectors
    assert 1 <= report.embedded == local.embedded < local.passages // 5


def test_a_worker_killed_midway_is_restarted_and_the_build_completes(tmp_path, settings, embedder, monkeypatch):
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    marker = tmp_path / "killed"
    monkeypatch.setenv("QA_FAULT_AT", f"worker:2:{marker}")  # the first worker to read its 2nd file dies (SIGKILL)
    report = build_index(corpus, tmp_path / "ray", settings, embedder=embedder, ray="local")
    assert marker.exists()  # it did die, and Ray gave its file to a new worker
    monkeypatch.delenv("QA_FAULT_AT")
    build_index(corpus, tmp_path / "local", settings, embedder=embedder)
    assert report.documents == 5
    same_index(tmp_path / "local", tmp_path / "ray")


def test_a_driver_killed_midway_leaves_the_previous_index_answering_and_no_cluster_behind(tmp_path, settings,
                                                                                         embedder):
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "ix"
    assert subprocess.run([QA, "index", corpus, "--index-dir", index_dir, "-q"], timeout=600).returncode == 0
    live = (index_dir / "CURRENT").read_text()
    with open(corpus / "004_fa2311fb06af83e6.txt", "a", encoding="utf-8") as f:
        f.write("\nThe committee will meet again in March.\n")
    killed = subprocess.run([QA, "index", corpus, "--index-dir", index_dir, "-q", "--ray", "local"],
                            env={**os.environ, "QA_FAULT_AT": "inserting"}, capture_output=True, timeout=600)
    assert killed.returncode == -9  # SIGKILL, with the cluster's results half written
    assert (index_dir / "CURRENT").read_text() == live
    old = Index.open(index_dir, settings=settings, embedder=embedder, check=False)  # it answers (and is stale)
    assert old.generation.path.name == live.strip()
    assert old.search("Which university is Tran Le Hung from?", k=1)[0].doc_id == "003_ac1e5deb08e04087.txt"
    gone = subprocess.run(["pgrep", "-f", "raylet|gcs_server"], capture_output=True, text=True)
    assert gone.stdout == ""  # the local cluster shares the driver's fate
    assert subprocess.run([QA, "index", corpus, "--index-dir", index_dir, "-q", "--ray", "local"],
                          timeout=600).returncode == 0
    assert not list(index_dir.glob("*.tmp"))


def test_qa_index_on_a_local_cluster_from_the_command_line(tmp_path):
    out = subprocess.run([QA, "index", str(SEEDS), "--index-dir", str(tmp_path / "ix"), "--ray", "local", "-q"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "indexed 5 documents into" in out.stdout and "embedded" in out.stdout


@pytest.mark.parametrize("address, message", [
    ("cluster-7", r"Unknown Ray address 'cluster-7'\. Choose from: local, local:N, auto, ray://HOST:PORT"),
    ("local:0", r"Unknown Ray address 'local:0'"),
    ("ray://127.0.0.1:9", "cannot connect to the Ray cluster at ray://127.0.0.1:9"),
])
def test_a_wrong_address_is_one_line(tmp_path, address, message):
    out = subprocess.run([QA, "index", str(SEEDS), "--index-dir", str(tmp_path / "ix"), "--ray", address, "-q"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert re.search(message, out.stderr), out.stderr
    assert current_generation(tmp_path / "ix") is None  # nothing was built


def test_without_ray_the_option_says_how_to_install_it(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where it is not installed
    with pytest.raises(QAError, match=r"pip install 'qa\[ray\]'"):
        ray_source("local", settings)
