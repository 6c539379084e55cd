"""Cost of the conflict step (qa.rank.conflicts.find_conflicts), measured on this machine.

    python bench/conflicts.py [--runs 5] [--repeat 20]

Prints the machine, the import time of qa.rank.conflicts in a new process, and the per-question cost over the cases of
tests/data/conflicts.jsonl (each case: a question and the answer sentences of its hits), as p50/p95 in
milliseconds; each of ``--runs`` runs times every case ``--repeat`` times, and the medians over runs are printed.
Also times the same step on inputs shaped like the engine's (5 hits with 2 answer sentences each), built from the
seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, recorded  # noqa: E402

from qa.rank.conflicts import Evidence, find_conflicts, read_sentence  # noqa: E402
from qa.text import sentence_spans  # noqa: E402

CASES = ROOT / "tests" / "data" / "conflicts.jsonl"


def import_ms(runs: int) -> tuple[float, float]:
    """Median wall times, in a new process, of `import qa` (the package: numpy and the engine's modules) and of
    `import qa.rank.conflicts` after it (the module's own cost: its regular expressions and tables)."""
    code = ("import time; t = time.perf_counter(); import qa; u = time.perf_counter(); import qa.rank.conflicts; "
            "print(u - t, time.perf_counter() - u)")
    # with byte code cached, as an installed package has it (a first run writes it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True, cwd=ROOT)
    package, module = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                             cwd=ROOT).stdout.split()
        package.append(float(out[0]) * 1000)
        module.append(float(out[1]) * 1000)
    return statistics.median(package), statistics.median(module)


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def time_cases(cases: list[tuple[str, list[Evidence]]], runs: int, repeat: int, cold: bool) -> tuple[float, float]:
    """p50 and p95 per question. ``cold``: every sentence read anew each time (its reading forgotten: the first
    time a corpus's sentence is an answer); else as a serving process meets sentences it has read before."""
    p50s, p95s = [], []
    for _ in range(runs):
        per_case = []
        for question, evidence in cases:
            find_conflicts(question, evidence)  # warm caches (lemmas) as a serving process has them
            t = time.perf_counter()
            for _ in range(repeat):
                if cold:
                    read_sentence.cache_clear()
                find_conflicts(question, evidence)
            per_case.append((time.perf_counter() - t) / repeat * 1000)
        p50, p95 = percentiles(per_case)
        p50s.append(p50)
        p95s.append(p95)
    return statistics.median(p50s), statistics.median(p95s)


def engine_shaped() -> list[tuple[str, list[Evidence]]]:
    """Five 'hits' of two consecutive seed sentences each, for each question of the seeds' gold set."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("0*.txt"))}
    sentences = [(d, s, e) for d, t in texts.items() for s, e in sentence_spans(t) if e - s > 40]
    questions = [json.loads(line)["question"] for line in (ROOT / "seeds" / "gold.jsonl").open()]
    out = []
    for qi, question in enumerate(questions):
        evidence = []
        for h in range(5):
            for k in range(2):
                d, s, e = sentences[(qi * 7 + h * 11 + k) % len(sentences)]
                evidence.append(Evidence(h + 1, d, None, texts[d][s:e], s))
        out.append((question, evidence))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cases = []
    for line in CASES.open(encoding="utf-8"):
        c = json.loads(line)
        cases.append((c["question"], [Evidence(**e) for e in c["evidence"]]))
    print(machine())
    package, module = import_ms(args.runs)
    print(f"import (new process, median of {args.runs}): qa package {package:.0f} ms, "
          f"then qa.rank.conflicts {module:.1f} ms")
    shaped = engine_shaped()
    for name, group in ((f"{CASES.relative_to(ROOT)} ({len(cases)} questions)", cases),
                        (f"seeds gold questions, 5 hits x 2 sentences ({len(shaped)} questions)", shaped)):
        sentences = statistics.mean(len(ev) for _, ev in group)
        for cold in (True, False):
            p50, p95 = time_cases(group, args.runs, args.repeat, cold)
            print(f"{name}, {sentences:.1f} sentences per question, {'read anew' if cold else 'read before'}: "
                  f"p50 {p50:.3f} ms, p95 {p95:.3f} ms per question (median of {args.runs} runs x {args.repeat} "
                  f"repeats)")


if __name__ == "__main__":
    with recorded("conflicts"):
        main()
