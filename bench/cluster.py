"""Building on Ray (qa index --ray) against building here, on the bench corpus, and what a cluster would take.

    .venv/bin/python bench/cluster.py [--runs 2]        # about 6 minutes on 2 cores; needs pip install -e '.[ray]'

1. The bench corpus (bench/pydoc_corpus.py: the Python manual's prose, 73 HTML files) built from nothing in a new
   process: here, and on a local Ray cluster with 1 and with 2 worker CPUs (`--ray local:N`, the cluster started and
   stopped within the run). Wall time, passages/s.
2. What the driver alone costs: a build in this process fed documents that arrive already read, cut and embedded
   (with their lexical terms), as the workers' results do: writing SQLite, BM25 and FAISS. This bounds what one
   driver can take in, however many workers feed it.
3. A scaling estimate for 10M passages on 1, 8 and 64 workers, from the measured per-worker rate (1-worker cluster
   build, start-up removed) and the driver's rate: hours = 10M / min(workers x per-worker, driver) + start-up.
   An estimate: it assumes the workers' cores are like these and the corpus sits on storage every worker reads.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine, recorded, table  # noqa: E402

QA = str(Path(sys.executable).parent / "qa")
TARGET = 10_000_000


def build(corpus: Path, index_dir: Path, *extra: str) -> tuple[float, int]:
    """Wall seconds of a `qa index` in a new process, and the passages it reports."""
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    out = subprocess.run([QA, "index", str(corpus), "--index-dir", str(index_dir), "-q", *extra],
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    return wall, int(re.search(r"into (\d+) passages", out.stdout).group(1))


def cluster_start() -> float:
    """Seconds to start and stop a local Ray cluster with nothing to do."""
    code = ("import time, ray; t = time.perf_counter(); ray.init(num_cpus=2, include_dashboard=False, "
            "log_to_driver=False); ray.shutdown(); print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.strip().splitlines()[-1])


def driver_only(corpus: Path, work: Path) -> tuple[float, int]:
    """What the driver of a cluster build does, alone: a build in this process whose source hands it every document
    already read, cut and embedded (as the workers' results arrive), so that it only writes SQLite, BM25 and FAISS.
    The documents come from a first build, untimed."""
    import sqlite3

    sys.path.insert(0, str(ROOT))
    from qa.config import Settings
    from qa.models.embedding import get_tokenizer
    from qa.read.chunking import chunk_document
    from qa.read.documents import Document, iter_documents, list_files
    from qa.store.build import Embedded, passage_hash, passage_terms, write_generation
    from qa.store.database import DATABASE
    from qa.store.layout import current_generation

    settings = Settings.from_env()
    build(corpus, work / "first")
    db = sqlite3.connect(current_generation(work / "first") / DATABASE)
    stored = {h: (v, s, sv) for h, v, s, sv in db.execute(
        "SELECT text_sha256, vector, sentences, sentence_vectors FROM passages")}
    tokenizer = get_tokenizer(settings.model)
    items = []
    for item in iter_documents(corpus, list_files(corpus), int(settings.max_file_mb * 2**20)):
        if isinstance(item, Document):
            passages = tuple(chunk_document(item, tokenizer, settings.max_tokens, settings.overlap_tokens))
            items.append(Embedded(item, passages,
                                  tuple(stored[passage_hash(p)] for p in passages),
                                  tuple(passage_terms(p) for p in passages)))
        else:
            items.append(item)
    started = time.perf_counter()
    report = write_generation(corpus, work / "driver", settings, source=lambda *_: iter(items))
    return time.perf_counter() - started, report.passages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    from pydoc_corpus import corpus

    pydoc = corpus()
    import ray

    print(f"qa cluster build bench on {machine(f'Ray {ray.__version__}')}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows, rates = [], {}
        for label, extra in (("here (no Ray)", ()), ("--ray local:1 (1 worker)", ("--ray", "local:1")),
                             ("--ray local:2 (2 workers)", ("--ray", "local:2"))):
            walls = []
            for _ in range(args.runs):
                wall, passages = build(pydoc, work / "ix", *extra)
                walls.append(wall)
            wall = statistics.median(walls)
            rates[label] = (wall, passages)
            rows.append([label, passages, wall, passages / wall])
        start = statistics.median(cluster_start() for _ in range(args.runs))
        base = rates["here (no Ray)"][0]
        for row in rows:
            row.append(row[2] / base)
        table(f"Building the bench corpus from nothing, new process, median of {args.runs}",
              ["where", "passages", "seconds", "passages/s", "time / here"], rows)
        driver_wall, driver_passages = driver_only(pydoc, work)
        print(f"\nstarting and stopping a local Ray cluster: {start:.1f} s (inside the cluster builds above)")
        print(f"driver alone (writing SQLite, BM25 and FAISS from documents that arrive embedded): "
              f"{driver_wall:.1f} s, {driver_passages / driver_wall:.0f} passages/s")
        one_wall, one_passages = rates["--ray local:1 (1 worker)"]
        per_worker = one_passages / max(one_wall - start, 1e-9)
        driver_rate = driver_passages / driver_wall
        estimate = []
        for workers in (1, 8, 64):
            rate = min(workers * per_worker, driver_rate)
            estimate.append([workers, workers * per_worker, driver_rate, rate, (TARGET / rate + start) / 3600,
                             "driver" if driver_rate < workers * per_worker else "workers"])
        table(f"Estimate for {TARGET:,} passages from these rates (per worker {per_worker:.0f} passages/s)",
              ["workers", "workers' passages/s", "driver's passages/s", "passages/s", "hours", "bound by"],
              estimate)


if __name__ == "__main__":
    with recorded("cluster"):
        main()
