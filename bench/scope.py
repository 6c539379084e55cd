"""What a scope costs: questions scoped to 1% of ~100,000 synthetic passages against the same questions unscoped,
in the index type qa chooses at that size (IVF-SQ8 from Settings.exact_limit on), with the fake embedder (the
model's cost is the same either way, and is measured by bench/speed.py). Per mode: p50 and p95 of Index.answer,
median of several runs, the ratio scoped / unscoped, and the recall of the scope's exact top 10 (dense, against
brute force over the scope's stored vectors) beside the unscoped recall of the corpus's exact top 10.

    python bench/scope.py [--passages 100000] [--runs 3] [--questions 200]

The corpus is built once into bench/data/scope-<passages>/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace

import numpy as np
from common import DATA, ROOT, machine, recorded, synthetic_corpus, table

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--questions", type=int, default=200)
    args = ap.parse_args()

    import faiss
    from helpers import HashEmbedder, register_fake_backend

    from qa import build_index
    from qa.config import Settings
    from qa.index import Index, Query
    from qa.rank.scope import Scope
    from qa.rank.vectors import describe

    register_fake_backend()
    fake = HashEmbedder()
    settings = replace(Settings(), backend=HashEmbedder.backend)
    rng = np.random.default_rng(1)
    data = DATA / f"scope-{args.passages}"
    corpus, index_dir = data / "corpus", data / "index"
    started = time.perf_counter()
    if not (index_dir / "CURRENT").exists():
        synthetic_corpus(corpus, args.passages, rng)
        build_index(corpus, index_dir, settings, embedder=fake)
        print(f"(built in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    index = Index.open(index_dir, settings=settings, embedder=fake)
    scope = Scope.of(folder="part007")
    region = index.region(scope)
    print(f"qa scope bench on {machine(f'faiss {faiss.__version__}')}")
    print(f"{index.size:,} passages in {describe(index.generation.vectors)} ({index.manifest.vectors.describe()}); "
          f"scope {scope.describe()}: {len(region):,} passages ({len(region) / index.size:.2%})")

    texts = [p.text for p in index.passages()[:: max(1, index.size // args.questions)]][:args.questions]
    questions = [" ".join(t.split()[3:11]) + "?" for t in texts]  # 8 words of a passage, as a question
    for mode in ("dense", "lexical", "hybrid"):  # warm: each passage's derived data is read once, then cached
        for s in (None, scope):
            for q in questions:
                index.answer(q, k=10, mode=mode, scope=s)
    rows = []
    for mode in ("dense", "lexical", "hybrid"):
        timings = {"unscoped": [], "scoped": []}
        for _ in range(args.runs):
            for name, s in (("unscoped", None), ("scoped", scope)):
                ms = []
                for q in questions:
                    t = time.perf_counter()
                    index.answer(q, k=10, mode=mode, scope=s)
                    ms.append((time.perf_counter() - t) * 1000)
                timings[name].append((statistics.median(ms), float(np.percentile(ms, 95))))
        p50 = {n: statistics.median(r[0] for r in v) for n, v in timings.items()}
        p95 = {n: statistics.median(r[1] for r in v) for n, v in timings.items()}
        rows.append([mode, p50["unscoped"], p95["unscoped"], p50["scoped"], p95["scoped"],
                     p50["scoped"] / p50["unscoped"]])
    table(f"Index.answer, k=10, {len(questions)} questions, median of {args.runs} runs (ms)",
          ["mode", "p50 whole", "p95 whole", "p50 scoped", "p95 scoped", "scoped / whole"], rows)

    # recall of the exact top 10, dense: within the scope against brute force over its vectors; and unscoped
    inside = index.vectors_of(region.ids)
    scoped_recall, whole_recall = [], []
    sample = questions[:50]
    everything = index.vectors_of(np.array([p.id for p in index.passages()]))
    all_ids = np.array([p.id for p in index.passages()])
    for q in sample:
        vector = fake.encode([q])[0]
        truth = set(region.ids[np.argsort(-(inside @ vector))[:10]].tolist())
        got = [pid for pid, _ in Query(index, q, region).dense(10)]
        scoped_recall.append(len(truth & set(got)) / 10)
        truth = set(all_ids[np.argsort(-(everything @ vector))[:10]].tolist())
        got = [pid for pid, _ in Query(index, q).dense(10)]
        whole_recall.append(len(truth & set(got)) / 10)
    print(f"\nrecall of the exact top 10 (dense, cosine before the short-passage discount), {len(sample)} questions: "
          f"within the scope {np.mean(scoped_recall):.3f}; whole corpus {np.mean(whole_recall):.3f}")
    ratio = max(r[5] for r in rows)
    print(f"acceptance: scoped p50 <= 1.5 x unscoped in every mode: {'yes' if ratio <= 1.5 else 'NO'} "
          f"(at most {ratio:.2f}); the same recall: {'yes' if np.mean(scoped_recall) >= np.mean(whole_recall) - 0.01 else 'NO'}")
    return 0


if __name__ == "__main__":
    with recorded("scope"):
        code = main()
    sys.exit(code)
