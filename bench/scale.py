"""What one machine holds: a synthetic corpus of N passages built with the fake embedder (everything but the model,
whose rate bench/speed.py measures), then the index on disk by file, open time, the memory of 1 and 2 answering
processes (RSS and PSS from /proc/PID/smaps_rollup, and the PSS of the index's own mapped files from
/proc/PID/smaps), with the index memory-mapped as qa opens it against each process reading its own copy (as qa did
before), then the whole process tree of `qa serve --processes 1` and `2` as a user starts it, and p50/p95 of each mode, unscoped and scoped to 1%.

    python bench/scale.py [--passages 1000000] [--runs 3] [--questions 200]

The corpus and its index go to bench/data/scale-<passages>/ (git-ignored) and are reused; --rebuild builds again.
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
from common import DATA, ROOT, machine, recorded, synthetic_corpus, table, wait_for_health

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

#: An answering process: opens the index (mmapped as qa does, or with its own copy), answers questions so that
#: what a question touches is resident, then reports and waits to be measured.
WORKER = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from dataclasses import replace
from helpers import HashEmbedder, register_fake_backend
from qa.config import Settings
from qa.index import Index
register_fake_backend()
settings = replace(Settings(), backend=HashEmbedder.backend)
started = time.perf_counter()
index = Index.open(sys.argv[2], settings=settings, embedder=HashEmbedder(), check=False)
opened = time.perf_counter() - started
if sys.argv[3] == "copy":  # each process its own copy: the FAISS index read, BM25 loaded without mmap
    import bm25s, faiss, numpy as np
    gen = index.generation
    gen.vectors = faiss.read_index(str(gen.path / "vectors.faiss"))
    gen.lengths = np.array(gen.lengths)
    gen.lexical._bm25 = bm25s.BM25.load(str(gen.path / "lexical"), mmap=False)
    gen.lexical._ids = np.array(gen.lexical._ids)
for q in json.loads(sys.argv[4]):
    for mode in ("dense", "lexical", "hybrid"):
        index.answer(q, k=10, mode=mode)
print(json.dumps({"open_s": opened}), flush=True)
sys.stdin.read()
"""


def _smaps(pid: int, folder: Path) -> dict[str, int]:
    """RSS and PSS of a process, and the PSS of its mappings of files under ``folder`` (kB)."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key.lower()] = int(value.split()[0])
    mapped, current = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and "-" in parts[0] and ":" in parts[3]:  # a mapping's header line
            current = parts[5].startswith(str(folder))
        elif current and line.startswith("Pss:"):
            mapped += int(parts[1])
    out["index_pss"] = mapped
    return out


def processes(index_dir: Path, gen: Path, how: str, n: int, questions: list[str]) -> dict:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), str(index_dir), how, json.dumps(questions)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    try:
        opened = [json.loads(p.stdout.readline())["open_s"] for p in procs]
        time.sleep(1)
        mem = [_smaps(p.pid, gen) for p in procs]
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(60)
    return {"open_s": statistics.median(opened), "rss": sum(m["rss"] for m in mem) / 1024,
            "pss": sum(m["pss"] for m in mem) / 1024, "index_pss": sum(m["index_pss"] for m in mem) / 1024,
            "per_process_pss": [m["pss"] / 1024 for m in mem]}


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def served(corpus: Path, index_dir: Path, n: int, questions: list[str]) -> dict:
    """``qa serve --processes n`` (the fake embedder) as a user starts it: the server, its fork server and its
    answering processes, after each answered questions through /api/ask. RSS of the tree (each process counts the
    pages it shares) and PSS (each shared page split among its sharers: what the server takes of the machine)."""
    import urllib.parse
    import urllib.request

    from helpers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_qa.py"), "serve", str(corpus), "--index-dir",
                             str(index_dir), "--port", str(port), "--processes", str(n)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's qa, whatever is installed
    try:
        wait_for_health(port, proc, 600)
        for q in questions * n:  # each process answers some (the pool hands them out)
            for mode in ("dense", "lexical", "hybrid"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ask?" + urllib.parse.urlencode(
                    {"q": q, "mode": mode}), timeout=60).read()
        time.sleep(1)
        mem = [_smaps(p, index_dir) for p in _tree(proc.pid)]
        return {"processes": len(mem), "rss": sum(m["rss"] for m in mem) / 1024,
                "pss": sum(m["pss"] for m in mem) / 1024}
    finally:
        proc.terminate()
        proc.wait(60)


#: A build in a child process, timing its stages by the phases its progress reports, with each stage's own peak RSS
#: (VmHWM, reset between stages through /proc/self/clear_refs).
BUILDER = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from dataclasses import replace
from helpers import HashEmbedder, register_fake_backend
from qa import build_index
from qa.config import Settings
register_fake_backend()
STAGE = {"reading": "read, cut, embed, insert", "pages": "read, cut, embed, insert",
         "embedding": "read, cut, embed, insert", "lexical": "BM25 and lengths", "vectors": "FAISS: train, add, tune", "switching": "fsync, manifest, switch"}
stages, current = [], ["list the files, load the tokenizer", time.perf_counter()]
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
def close(now):
    if current[0] is not None:
        stages.append([current[0], now - current[1], peak_mb()])
    try:
        open("/proc/self/clear_refs", "w").write("5")  # the next stage's peak is its own
    except OSError:
        pass
def progress(phase, done, total):
    stage = STAGE.get(phase, phase)
    if stage != current[0]:
        now = time.perf_counter()
        close(now)
        current[:] = [stage, now]
started = time.perf_counter()
report = build_index(sys.argv[2], sys.argv[3], replace(Settings(), backend=HashEmbedder.backend),
                     embedder=HashEmbedder(), progress=progress)
close(time.perf_counter())
print(json.dumps({"seconds": time.perf_counter() - started, "stages": stages, "passages": report.passages}))
"""


def build(corpus: Path, index_dir: Path) -> dict:
    """Build in a child process: its seconds, and each stage's seconds and peak RSS (MB)."""
    out = subprocess.run([sys.executable, "-c", BUILDER, str(ROOT), str(corpus), str(index_dir)], check=True,
                         stdout=subprocess.PIPE, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # the peak of the whole build is its worst stage's (resetting VmHWM between stages resets ru_maxrss too)
    result["peak"] = max(peak for _, _, peak in result["stages"])
    return result


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--rebuild", action="store_true")
    return ap.parse_args()


def main(args: argparse.Namespace) -> int:
    import faiss

    from qa.store.layout import current_generation

    data = DATA / f"scale-{args.passages}"
    corpus, index_dir = data / "corpus", data / "index"
    print(f"qa scale bench on {machine(f'faiss {faiss.__version__}')}")
    if args.rebuild and index_dir.exists():
        shutil.rmtree(index_dir)
    if not corpus.exists():
        synthetic_corpus(corpus, args.passages, np.random.default_rng(1))
    measured = data / "build.json"  # the build's own measurement, kept beside it: a rerun measures the rest again
    if current_generation(index_dir) is None:
        built = build(corpus, index_dir)
        built["date"] = time.strftime("%Y-%m-%d")
        measured.write_text(json.dumps(built))
    gen = current_generation(index_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    n = manifest["counts"]["passages"]
    if measured.exists():
        built = json.loads(measured.read_text())
        rows = [[stage, seconds, n / seconds, peak] for stage, seconds, peak in built["stages"]]
        rows.append(["qa index, from nothing", built["seconds"], n / built["seconds"], built["peak"]])
        table(f"build of {n:,} passages in {manifest['counts']['documents']:,} files (fake embedder), by stage "
              f"(the first runs reading, cutting, embedding and SQLite inserts side by side; built "
              f"{built.get('date', 'before this run')})", ["stage", "seconds", "passages/s", "peak RSS MB"], rows)
    files = sorted((p for p in gen.rglob("*") if p.is_file()), key=lambda p: -p.stat().st_size)
    table("the index on disk", ["file", "MB"], [[str(p.relative_to(gen)), p.stat().st_size / 2**20] for p in files])
    loaded = sum(p.stat().st_size for p in files if p.name != "passages.sqlite" and p.suffix != ".json") / 2**20

    texts = _texts(gen, args.questions)
    questions = [" ".join(t.split()[3:11]) + "?" for t in texts]
    rows = []
    for how in ("copy", "mmap"):
        for count in (1, 2):
            m = processes(index_dir, gen, how, count, questions[:20])
            rows.append([f"{count} process{'es' if count > 1 else ''}, {how}", m["open_s"], m["rss"], m["pss"],
                         m["index_pss"]])
    table(f"answering processes (index files loaded: {loaded:.0f} MB; MB unless said)",
          ["processes, index", "open s", "RSS total", "PSS total", "PSS of mapped index files"], rows)
    copy_extra, mmap_extra = rows[1][3] - rows[0][3], rows[3][3] - rows[2][3]
    print(f"an extra process adds PSS: {copy_extra:.0f} MB with its own copy, {mmap_extra:.0f} MB mapped; "
          f"2-process RSS / 1-process: {rows[1][2] / rows[0][2]:.2f} copy, {rows[3][2] / rows[2][2]:.2f} mapped")
    servers = [served(corpus, index_dir, n, questions[:10]) for n in (1, 2)]
    table("qa serve --processes N: the whole process tree (the server, its fork server and multiprocessing's resource "
          "tracker, the answering processes; MB)",
          ["server", "processes", "RSS total", "PSS total"],
          [[f"--processes {n}", m["processes"], m["rss"], m["pss"]] for n, m in zip((1, 2), servers)])
    extra = servers[1]["pss"] - servers[0]["pss"]
    print(f"a second answering process adds {extra:.0f} MB PSS = {extra / loaded:.0%} of the index files loaded "
          f"({loaded:.0f} MB); 2-process server / 1-process: RSS {servers[1]['rss'] / servers[0]['rss']:.2f}, "
          f"PSS {servers[1]['pss'] / servers[0]['pss']:.2f}")

    from dataclasses import replace

    from helpers import HashEmbedder, register_fake_backend

    from qa.config import Settings
    from qa.index import Index
    from qa.rank.scope import Scope

    register_fake_backend()
    index = Index.open(index_dir, settings=replace(Settings(), backend=HashEmbedder.backend),
                       embedder=HashEmbedder(), check=False)
    scope = Scope.of(folder="part007")
    for mode in ("dense", "lexical", "hybrid"):  # warm
        for s in (None, scope):
            for q in questions:
                index.answer(q, k=10, mode=mode, scope=s)
    rows = []
    for mode in ("dense", "lexical", "hybrid"):
        for name, s in (("whole", None), ("1% scope", scope)):
            p50, p95 = [], []
            for _ in range(args.runs):
                ms = []
                for q in questions:
                    t = time.perf_counter()
                    index.answer(q, k=10, mode=mode, scope=s)
                    ms.append((time.perf_counter() - t) * 1000)
                p50.append(statistics.median(ms))
                p95.append(float(np.percentile(ms, 95)))
            rows.append([mode, name, statistics.median(p50), statistics.median(p95)])
    table(f"Index.answer, k=10, {len(questions)} questions, median of {args.runs} runs (ms); "
          f"{index.manifest.vectors.describe()}", ["mode", "within", "p50", "p95"], rows)
    bm25_alone(index, questions, args.runs)
    return 0


def bm25_alone(index, questions: list[str], runs: int) -> None:
    """BM25's 100 best for each question: bm25s's get_scores (an array of every passage) ranked by argpartition,
    as qa searched before, against qa's search over the question's postings only; interleaved, same process."""
    from qa.text import analyze_query

    lexical = index.generation.lexical

    def every_passage(q):
        terms = analyze_query(q, lexical.vocabulary)
        if terms:
            scores = lexical._bm25.get_scores(terms)
            top = np.argpartition(-scores, 99)[:100]
            top[np.argsort(-scores[top], kind="stable")]

    timed = {"bm25s get_scores, every passage": [], "qa max-score, postings only": []}
    for _ in range(runs):
        for q in questions:
            for name, call in zip(timed, (every_passage, lambda q: lexical.search(q, 100))):
                t = time.perf_counter()
                call(q)
                timed[name].append((time.perf_counter() - t) * 1000)
    base = statistics.median(timed["bm25s get_scores, every passage"])
    table(f"BM25 alone, the 100 best of {len(questions)} questions x {runs} runs, interleaved (ms)",
          ["search", "p50", "p95", "ratio"],
          [[name, statistics.median(ms), float(np.percentile(ms, 95)), statistics.median(ms) / base]
           for name, ms in timed.items()])


def _texts(gen: Path, n: int) -> list[str]:
    import sqlite3

    db = sqlite3.connect(f"file:{gen / 'passages.sqlite'}?mode=ro", uri=True)
    total = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    step = max(1, total // n)
    return [t for (t,) in db.execute("SELECT text FROM passages WHERE id % ? = 0 LIMIT ?", (step, n))]


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = arguments()
    with recorded(f"scale-{args.passages}"):  # one results file per size: scale-100000.txt, scale-1000000.txt
        code = main(args)
    sys.exit(code)
