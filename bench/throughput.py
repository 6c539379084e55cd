"""Build throughput of a text-only folder, this checkout against an earlier commit, alternating in one run: what the
reading of PDFs as they look (headings as context, tables, OCR) costs a folder that has none of them.

    python bench/throughput.py [--baseline 5cacd44] [--passages 20000] [--runs 5]

The folder: the seeds and a synthetic corpus of ``--passages`` passages in plain-text files (bench/common.py), built
from nothing with the fake embedder (so that reading, cutting, storing and indexing are measured, not the model,
whose rate bench/speed.py measures). Each build runs in a child process whose ``qa`` is that checkout's (the
baseline is checked out into bench/data/, git-ignored); median of ``--runs`` builds of each, alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import DATA, ROOT, machine, recorded, synthetic_corpus, table

BUILD = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from dataclasses import replace
from helpers import HashEmbedder, register_fake_backend
from qa import build_index
from qa.config import Settings
register_fake_backend()
started = time.perf_counter()
report = build_index(sys.argv[2], sys.argv[3], replace(Settings(), backend=HashEmbedder.backend),
                     embedder=HashEmbedder())
print(json.dumps({"seconds": time.perf_counter() - started, "passages": report.passages}))
"""


def checkout(rev: str) -> Path:
    """The commit ``rev`` checked out (once) into bench/data/."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    target = DATA / f"checkout-{sha}"
    if not (target / "qa").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def build(code: Path, corpus: Path, index_dir: Path) -> dict:
    shutil.rmtree(index_dir, ignore_errors=True)
    out = subprocess.run([sys.executable, "-c", BUILD, str(code), str(corpus), str(index_dir)], cwd=code,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(code)})
    if out.returncode:
        raise SystemExit(f"the build with {code} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="5cacd44", help="the commit to compare with (default: before issue 22's "
                    "reading work)")
    ap.add_argument("--passages", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"qa throughput bench on {machine()}")
    base = checkout(args.baseline)
    corpus = DATA / f"throughput-{args.passages}"
    if not corpus.exists():
        synthetic_corpus(corpus / "synthetic", args.passages, np.random.default_rng(3))
        shutil.copytree(ROOT / "seeds", corpus / "seeds", ignore=shutil.ignore_patterns("gold.jsonl"))
    ways = {f"baseline {args.baseline}": base, "this checkout": ROOT}
    times: dict[str, list[float]] = {name: [] for name in ways}
    passages: dict[str, int] = {}
    for _ in range(args.runs):
        for name, code in ways.items():  # alternating, so that the machine's load falls on both alike
            started = time.perf_counter()
            result = build(code, corpus, DATA / "throughput-index")
            times[name].append(time.perf_counter() - started)
            passages[name] = result["passages"]
    first = statistics.median(times[next(iter(ways))])
    rows = [[name, passages[name], statistics.median(t), min(t), passages[name] / statistics.median(t),
             statistics.median(t) / first] for name, t in times.items()]
    table(f"qa index of a text-only folder (the seeds and {args.passages:,} synthetic passages in plain text), from "
          f"nothing, fake embedder; median of {args.runs} builds each, alternating (wall seconds, child process "
          f"start included)", ["code", "passages", "seconds", "best", "passages/s", "x baseline"], rows)
    return 0


if __name__ == "__main__":
    with recorded("throughput"):
        code = main()
    sys.exit(code)
