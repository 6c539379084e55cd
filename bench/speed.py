"""Speed and memory of qa, measured on this machine, printed as tables (median of several runs).

    python bench/speed.py [--runs 3] [--skip-faiss] [--skip-naive] [--faiss-only] [--sizes 10000,100000,1000000]

1. Indexing the bench corpus (bench/pydoc_corpus.py: >5 MB of the Python manual's HTML) with `qa index` in a new
   process, against a naive pipeline run in this process on the same passages (sentence-transformers fp32,
   batch 32, IndexFlatIP): wall time, passages/s, word pieces/s, peak RSS of the build.
2. Re-indexing after editing one document, as a fraction of the full build.
3. Warm query latency per mode on the seeds and on the bench corpus (retrieval alone, and with answer sentences).
4. Cold `qa ask` on a built seeds index: a new process, as a user types it.
5. FAISS at 10k, 100k and 1M clustered 384-d vectors: the index type qa would choose against exact search.
6. PDF: extraction speed (pages/s) on a generated 300-page report and its share of the build; reading ahead.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, recorded, table  # noqa: E402

QA = str(Path(sys.executable).parent / "qa")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def run_child(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of a command run in a new process."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); w = time.perf_counter() - t; "
            "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
            "print(r.returncode, w, m); print(r.stdout[-2000:] + r.stderr[-2000:], file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    rc, wall, rss = out.stdout.split()
    if rc != "0":
        sys.exit(f"bench: {' '.join(args)} failed: {out.stderr[-1000:]}")
    return float(wall), int(rss) / 1024, out.stderr


# --- 1 and 2: indexing ---------------------------------------------------------------------------------------


def indexing(corpus: Path, work: Path, runs: int, naive: bool) -> dict:
    builds, rss = [], []
    index_dir = work / "pydoc-index"
    for _ in range(runs):
        shutil.rmtree(index_dir, ignore_errors=True)
        wall, peak, _ = run_child([QA, "index", str(corpus), "--index-dir", str(index_dir), "-q"])
        builds.append(wall)
        rss.append(peak)
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    db = sqlite3.connect(gen / "passages.sqlite")
    texts = [t for (t,) in db.execute("SELECT text FROM passages ORDER BY id")]
    pieces = db.execute("SELECT SUM(n_tokens) FROM passages").fetchone()[0]
    db.close()
    full = statistics.median(builds)
    rows = [["qa index (onnx-int8, whole build, new process)", len(texts), full, len(texts) / full, pieces / full,
             max(rss), 1.0]]
    result = {"full": full, "passages": len(texts), "pieces": pieces, "rss": max(rss), "index_dir": index_dir}
    if naive:
        import faiss
        from sentence_transformers import SentenceTransformer

        from qa.models.embedding import model_dir

        model = SentenceTransformer(str(model_dir("all-MiniLM-L6-v2")), device="cpu")
        model.encode(texts[:64], batch_size=32)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
            flat = faiss.IndexFlatIP(vectors.shape[1])
            flat.add(vectors)
            times.append(time.perf_counter() - t)
        base = statistics.median(times)
        rows.append(["naive: sentence-transformers fp32 batch 32 + IndexFlatIP (embedding only)", len(texts), base,
                     len(texts) / base, pieces / base, "-", base / full])
        result["naive"] = base
    table(f"Indexing {corpus.name} ({sum(f.stat().st_size for f in corpus.rglob('*.html')) / 2**20:.1f} MB HTML), "
          f"median of {runs}; speed-up = naive time / qa time",
          ["pipeline", "passages", "seconds", "passages/s", "word pieces/s", "peak RSS MiB", "speed-up"], rows)

    # one document edited: a sentence added to its first paragraph
    files = sorted(corpus.rglob("*.html"))
    edits = []
    for n in range(runs):
        victim = files[(n * 7) % len(files)]
        original = victim.read_bytes()
        try:
            victim.write_bytes(original.replace(b"</p>", f" Edited for the bench, run {n}.</p>".encode(), 1))
            wall, _, _ = run_child([QA, "index", str(corpus), "--index-dir", str(index_dir), "-q"])
            edits.append(wall)
        finally:
            victim.write_bytes(original)
    run_child([QA, "index", str(corpus), "--index-dir", str(index_dir), "-q"])  # back to the pristine corpus
    edit = statistics.median(edits)
    table("Re-index after editing one document (new process, incremental)",
          ["what", "seconds", "fraction of full build"],
          [["full build", full, 1.0], ["one document edited", edit, edit / full]])
    result["edit"] = edit
    return result


# --- 3 and 4: questions --------------------------------------------------------------------------------------


def questions_from(index_dir: Path, n: int = 60) -> list[str]:
    """Questions for latency only: the opening words of random passages (deterministic)."""
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    db = sqlite3.connect(gen / "passages.sqlite")
    texts = [t for (t,) in db.execute("SELECT text FROM passages ORDER BY id")]
    rng = random.Random(0)
    return [" ".join(t.split()[:10]) for t in rng.sample(texts, min(n, len(texts)))]


def latency(index_dir: Path, questions: list[str], label: str) -> list[list]:
    from qa.config import Settings
    from qa.index import MODES, Index

    index = Index.open(index_dir, settings=Settings(), check=False)
    for q in questions[:5]:
        index.answer(q, 5, "hybrid")
    rows = []
    for mode in sorted(MODES):
        base = None
        for spans in (False, True):
            times = []
            for _ in range(3):
                for q in questions:
                    t = time.perf_counter()
                    index.answer(q, 5, mode, spans=spans)
                    times.append((time.perf_counter() - t) * 1000)
            base = base or pct(times, 50)
            rows.append([label, mode, "with answer sentences" if spans else "passages only", len(times),
                         pct(times, 50), pct(times, 95), pct(times, 50) / base])
    return rows


def conflicts_cost(index_dir: Path, questions: list[str], runs: int) -> list[list]:
    """What comparing the hits' answer sentences (qa.rank.conflicts) adds to a question: find_conflicts alone, on the
    evidence of each question's real hits."""
    from qa.config import Settings
    from qa.index import Index
    from qa.rank.conflicts import Evidence, find_conflicts

    index = Index.open(index_dir, settings=Settings(), check=False)
    evidence = []
    for q in questions:
        hits = index.answer(q, 5, "hybrid").hits
        evidence.append((q, [Evidence(h.rank, h.doc_id, h.date, h.text[s - h.start:e - h.start], s)
                             for h in hits for s, e in h.answer_spans]))
    times, flagged = [], 0
    for _ in range(runs):
        for q, ev in evidence:
            t = time.perf_counter()
            flagged += bool(find_conflicts(q, ev))
            times.append((time.perf_counter() - t) * 1000)
    return [["seeds", "hybrid", "find_conflicts on the top 5 hits' answer sentences", len(times), pct(times, 50),
             pct(times, 95), "-"]]


def gold_questions() -> list[str]:
    import json

    return [json.loads(line)["question"] for line in (ROOT / "seeds" / "gold.jsonl").read_text().splitlines()
            if line.strip()]


def cold_ask(seeds_index: Path, runs: int) -> list[float]:
    walls = []
    for _ in range(max(runs, 5)):
        wall, _, _ = run_child([QA, "ask", "Who issued Resolution 59?", "--index-dir", str(seeds_index), "-k", "3"])
        walls.append(wall)
    return walls


# --- 5: FAISS at scale ---------------------------------------------------------------------------------------


def clustered(n: int, d: int = 384, seed: int = 0) -> np.ndarray:
    """Unit vectors around 200 topics of 50 subtopics each, like embeddings of a corpus on many subjects."""
    g = np.random.default_rng(1234)
    topics = g.standard_normal((200, d)).astype(np.float32)
    subtopics = g.standard_normal((200, 50, d)).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        t, s = rng.integers(0, 200, m), rng.integers(0, 50, m)
        x = topics[t] + 0.7 * subtopics[t, s] + 0.6 * rng.standard_normal((m, d)).astype(np.float32)
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def single_query_ms(index, queries: np.ndarray, vectors_of=None) -> list[float]:
    """One FAISS thread, as an open Index searches; an IVF-PQ index's candidates re-ranked from the exact vectors
    (here in memory; an Index reads them from its database)."""
    from qa.rank.vectors import search_refined

    times = []
    for q in queries:
        t = time.perf_counter()
        search_refined(index, q[None], 10, vectors_of)
        times.append((time.perf_counter() - t) * 1000)
    return times


def faiss_scale(sizes: list[int]) -> None:
    import faiss

    from qa import vectors as vx
    from qa.config import Settings

    settings = Settings.from_env()
    limit = settings.exact_limit
    rows = []
    for n in sizes:
        data = clustered(n)
        queries = clustered(200, seed=n + 1)
        flat = faiss.IndexFlatIP(data.shape[1])
        flat.add(data)
        _, truth = flat.search(queries, 10)
        exact_ms = single_query_ms(flat, queries[:100])
        flat_mem = len(faiss.serialize_index(flat)) / 2**20
        rows.append([f"{n:,}", "exact (IndexFlatIP)", "-", 1.0, pct(exact_ms, 50), pct(exact_ms, 95), flat_mem,
                     4 * data.shape[1] + 8, 1.0])
        del flat
        if vx.kind_for(n, limit, settings.pq_limit) == "flat":
            continue
        ids = np.arange(n, dtype=np.int64)

        def chunks():
            for s in range(0, n, 50_000):
                yield ids[s:s + 50_000], data[s:s + 50_000]

        # qa's choice at this size, and the product-quantised index it chooses from pq_limit on (100M-scale)
        for pq_limit, what in ((settings.pq_limit, "qa"), (0, f"qa from {settings.pq_limit:,}")):
            rng = np.random.default_rng(0)
            t = time.perf_counter()
            sample = data[rng.choice(n, vx.training_size(n, limit, pq_limit), replace=False)]
            index = vx.build(data.shape[1], n, chunks, sample, limit, pq_limit)
            probe = np.sort(rng.choice(n, vx.RECALL_SAMPLE, replace=False))
            quality = vx.tune(index, data[probe], probe, chunks, lambda ids: data[ids])
            built = time.perf_counter() - t
            _, found = vx.search_refined(index, queries, 10, lambda ids: data[ids])  # as a question searches
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))
            ms = single_query_ms(index, queries[:100], lambda ids: data[ids])
            mem = len(faiss.serialize_index(index)) / 2**20
            rows.append([f"{n:,}", f"{what}: {vx.describe(index)} nprobe {quality.nprobe} (built+tuned {built:.0f} s)",
                         f"{quality.recall_at_10:.3f}", recall, pct(ms, 50), pct(ms, 95), mem,
                         quality.bytes_per_vector, pct(exact_ms, 50) / pct(ms, 50)])
            del index
    table(f"FAISS single-query search, 384-d clustered vectors, k=10, 100 queries (exact below "
          f"{limit:,} vectors)",
          ["vectors", "index", "recall@10 at build", "recall@10", "p50 ms", "p95 ms", "index MiB", "bytes/vector",
           "speed-up"], rows)


# --- 6: PDF ----------------------------------------------------------------------------------------------------


def pdf_builds(work: Path, runs: int, pages: int = 300) -> None:
    """Extraction of a Chromium-printed report (bench/pdf_extract.py) in pages per second, its share of a whole
    `qa index` of that PDF, and reading ahead (extraction in a thread beside embedding) on a folder of ten PDFs."""
    from pdf_extract import make_pdf

    from qa import Settings
    from qa import build as qa_build
    from qa.read.pdftext import pdf_to_text

    pdf = make_pdf(pages)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        extracted = pdf_to_text(pdf)
        times.append(time.perf_counter() - t)
    extract = statistics.median(times)
    one = work / "one-pdf"
    one.mkdir()
    (one / "report.pdf").write_bytes(pdf)
    walls = []
    for _ in range(runs):
        shutil.rmtree(work / "one-pdf-index", ignore_errors=True)
        wall, _, _ = run_child([QA, "index", str(one), "--index-dir", str(work / "one-pdf-index"), "-q"])
        walls.append(wall)
    build = statistics.median(walls)
    table(f"PDF: a {extracted.pages}-page report printed by Chromium ({len(pdf) / 2**20:.1f} MB, "
          f"{len(extracted.text):,} characters)", ["what", "seconds (median)", "pages/s", "share of the build"],
          [["extraction (qa.read.pdftext, in process)", extract, extracted.pages / extract, extract / build],
           ["qa index of the PDF alone (new process, real model)", build, extracted.pages / build, 1.0]])
    folder = work / "ten-pdfs"
    folder.mkdir()
    small = make_pdf(max(1, pages // 10))
    for i in range(10):
        (folder / f"part-{i}.pdf").write_bytes(small)
    rows, baseline = [], None
    for ahead in (False, True):
        qa_build.READ_AHEAD = ahead
        walls = []
        for _ in range(runs):
            index_dir = work / f"ten-{ahead}"
            shutil.rmtree(index_dir, ignore_errors=True)
            t = time.perf_counter()
            qa_build.write_generation(folder, index_dir, Settings())
            walls.append(time.perf_counter() - t)
        wall = statistics.median(walls)
        baseline = baseline or wall
        rows.append([f"read ahead: {'yes' if ahead else 'no (read, then embed)'}", wall, baseline / wall])
    qa_build.READ_AHEAD = True
    table("Ten PDFs of a tenth the size, whole build in this process (median)", ["reading", "seconds", "speed-up"],
          rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-faiss", action="store_true")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--faiss-only", action="store_true", help="only the FAISS table")
    ap.add_argument("--pdf-only", action="store_true", help="only the PDF tables")
    ap.add_argument("--latency-only", action="store_true", help="only the warm latency table of the seeds")
    args = ap.parse_args()
    from pydoc_corpus import corpus

    name = "speed-faiss" if args.faiss_only else "speed-pdf" if args.pdf_only else \
        "speed-latency" if args.latency_only else "speed"
    with recorded(name):
        print(f"qa speed bench on {machine(*versions())}")
        run(args, corpus)


def versions() -> list[str]:
    import faiss
    import onnxruntime

    return [f"onnxruntime {onnxruntime.__version__}", f"faiss {faiss.__version__}"]


def run(args, corpus) -> None:
    if args.faiss_only:
        faiss_scale([int(s) for s in args.sizes.split(",")])
        return
    if args.pdf_only:
        with tempfile.TemporaryDirectory() as tmp:
            pdf_builds(Path(tmp), args.runs)
        return
    if args.latency_only:
        with tempfile.TemporaryDirectory() as tmp:
            seeds_index = Path(tmp) / "seeds-index"
            run_child([QA, "index", str(ROOT / "seeds"), "--index-dir", str(seeds_index), "-q"])
            gold = gold_questions()
            table("Warm query latency (ms, k=5, after warm-up)",
                  ["corpus", "mode", "what", "queries", "p50", "p95", "p50 / passages only"],
                  latency(seeds_index, gold, "seeds") + conflicts_cost(seeds_index, gold, args.runs))
        return
    pydoc = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result = indexing(pydoc, work, args.runs, not args.skip_naive)
        seeds_index = work / "seeds-index"
        run_child([QA, "index", str(ROOT / "seeds"), "--index-dir", str(seeds_index), "-q"])
        walls = cold_ask(seeds_index, args.runs)
        table("Cold `qa ask` on a built seeds index (new process each time)", ["runs", "p50 s", "max s"],
              [[len(walls), statistics.median(walls), max(walls)]])
        gold = gold_questions()
        rows = latency(seeds_index, gold, "seeds") + conflicts_cost(seeds_index, gold, args.runs) + latency(
            result["index_dir"], questions_from(result["index_dir"]), "pydoc")
        table("Warm query latency (ms, k=5, after warm-up)",
              ["corpus", "mode", "what", "queries", "p50", "p95", "p50 / passages only"], rows)
        pdf_builds(work, args.runs)
    if not args.skip_faiss:
        faiss_scale([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
