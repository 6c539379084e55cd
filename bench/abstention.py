"""Fit the confidence model of qa.rank.answers (CONFIDENCE_WEIGHTS, CONFIDENCE_BIAS, DEFAULT_THRESHOLDS) and report
how it does on questions held back from the fit.

Collections and question sets (all in this repository or beside it):
  seeds    seeds/ with seeds/gold.jsonl (68 answerable, 8 not) and gold/seeds-paraphrased.jsonl (60 answerable
           questions asked as people ask, not in the articles' words, and 20 the articles do not answer)
  squad    gold/squad: 173 Wikipedia paragraphs of SQuAD 2.0's dev set with its 705 answerable questions
  cacm     ../shared/datasets/cacm: 3,204 abstracts with 52 judged queries
Every question set is also asked of the other collections, where it is unanswerable by construction (SQuAD's
"Computational complexity theory" questions are not asked of CACM, nor CACM's queries of SQuAD: they overlap).

Each (collection, question set, answerable) group weighs the same in the fit, so that 700 easy off-topic
questions do not drown 20 hard ones. The threshold of each mode is where the model wrongly abstains on 2 % of the
answerable questions, each group counted equally. Held back: the fit and the thresholds are made without one half
of the seeds' two question sets (alternate lines) and scored on that half, both ways round.

    .venv/bin/python bench/abstention.py            # about 3 minutes; prints the constants and the tables
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, recorded  # noqa: E402

from qa import Index, Settings  # noqa: E402
from qa.evaluate import is_relevant, load_beir, load_gold, materialise_beir, wilson  # noqa: E402
from qa.rank.answers import Signals  # noqa: E402
from qa.service import ensure_index  # noqa: E402

CACM = ROOT.parent / "shared" / "datasets" / "cacm"
FEATURES = list(Signals.__dataclass_fields__)
MODES = ("dense", "hybrid", "lexical")
TARGET = 0.02
OVERLAPPING = {("squad-complexity", "cacm"), ("cacm", "squad")}


def collections():
    """(name, Index, how to tell a relevant hit for each of its own questions)."""
    settings = Settings.from_env()
    seeds_dir = ROOT / "index"
    ensure_index(ROOT / "seeds", seeds_dir, settings, rebuild_stale=True)
    squad = ROOT / "gold" / "squad"
    ensure_index(squad, None, settings, rebuild_stale=True)
    corpus, queries, qrels = load_beir(CACM)
    work = ROOT / "index" / "beir" / "cacm"
    names = materialise_beir(corpus, work / "corpus")
    ensure_index(work / "corpus", work / "index", settings, rebuild_stale=True)
    return ({"seeds": Index.open(seeds_dir, settings=settings), "squad": Index.open(corpus=squad, settings=settings),
             "cacm": Index.open(work / "index", settings=settings)}, queries, qrels, names)


def question_sets(queries, qrels, names):
    """name -> (home collection, [(id, question, answerable at home, relevant(hit) or None)])."""
    def gold(path):
        return [(g.id, g.question, g.answerable, (lambda g: lambda h: is_relevant(g, h.doc_id, h.text))(g))
                for g in load_gold(path)]
    by_id = {v: k for k, v in names.items()}
    squad_lines = [json.loads(line) for line in open(ROOT / "gold" / "squad" / "gold.jsonl", encoding="utf-8")]
    squad = gold(ROOT / "gold" / "squad" / "gold.jsonl")
    complexity = {g["id"] for g in squad_lines if g["article"] == "Computational_complexity_theory"}
    return {
        "seeds-gold": ("seeds", gold(ROOT / "seeds" / "gold.jsonl")),
        "seeds-para": ("seeds", gold(ROOT / "gold" / "seeds-paraphrased.jsonl")),
        "squad": ("squad", [q for q in squad if q[0] not in complexity]),
        "squad-complexity": ("squad", [q for q in squad if q[0] in complexity]),
        "cacm": ("cacm", [(q, text, True, (lambda rel: lambda h: h.doc_id in rel)({by_id.get(d) for d in qrels[q]}))
                          for q, text in queries.items() if q in qrels]),
    }


def collect(indexes, sets) -> list[dict]:
    rows = []
    for set_name, (home, questions) in sets.items():
        for collection, index in indexes.items():
            if collection != home and ((set_name, collection) in OVERLAPPING or (home, collection) in OVERLAPPING):
                continue
            for qid, question, answerable, relevant in questions:
                at_home = collection == home
                for mode in MODES:
                    a = index.answer(question, k=5, mode=mode)
                    first = next((h.rank for h in a.hits if at_home and answerable and relevant(h)), None)
                    rows.append({"collection": collection, "set": set_name, "id": qid, "mode": mode,
                                 "answerable": bool(at_home and answerable), "first": first,
                                 **a.signals.to_dict()})
    return rows


def group(r: dict) -> tuple:
    return r["collection"], r["set"], r["answerable"]


def fit(rows: list[dict], l2: float = 1e-2, steps: int = 4000, rate: float = 0.5) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent, each group weighing the same (and both classes half)."""
    x = np.array([[r[f] for f in FEATURES] for r in rows])
    y = np.array([float(r["answerable"]) for r in rows])
    count = Counter(group(r) for r in rows)
    weight = np.array([1.0 / count[group(r)] for r in rows])
    weight = np.where(y == 1, weight / weight[y == 1].sum(), weight / weight[y == 0].sum()) * len(rows) / 2
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = (p - y) * weight
        w -= rate * (x.T @ g / len(y) + l2 * w)
        b -= rate * g.mean()
    return w, b


def probability(r: dict, w: np.ndarray, b: float) -> float:
    return float(1 / (1 + np.exp(-(np.array([r[f] for f in FEATURES]) @ w + b))))


def threshold(rows: list[dict], w: np.ndarray, b: float) -> float:
    """The highest threshold whose false abstention, each answerable group counted equally, stays at TARGET."""
    answerable = [r for r in rows if r["answerable"]]
    groups = {}
    for r in answerable:
        groups.setdefault(group(r), []).append(probability(r, w, b))
    def false_rate(t):
        return float(np.mean([np.mean(np.array(v) < t) for v in groups.values()]))
    best = 0.0
    for t in sorted({p for v in groups.values() for p in v}):
        if false_rate(t + 1e-9) > TARGET:
            break
        best = t + 1e-9
    return best


def main() -> None:
    started = time.perf_counter()
    indexes, queries, qrels, names = collections()
    sets = question_sets(queries, qrels, names)
    rows = collect(indexes, sets)
    print(f"qa abstention fit on {machine()}; {len(rows) // len(MODES)} question-collection pairs "
          f"({time.perf_counter() - started:.0f} s)\n")
    w, b = fit(rows)
    thresholds = {m: threshold([r for r in rows if r["mode"] == m], w, b) for m in MODES}
    print("constants for qa/answers.py:")
    print("CONFIDENCE_WEIGHTS = Signals(" + ", ".join(f"{f}={v:.2f}" for f, v in zip(FEATURES, w)) + ")")
    print(f"CONFIDENCE_BIAS = {b:.2f}")
    print("DEFAULT_THRESHOLDS = {" + ", ".join(f'"{m}": {t:.3f}' for m, t in thresholds.items()) + "}\n")

    order = {}
    for path in (ROOT / "seeds" / "gold.jsonl", ROOT / "gold" / "seeds-paraphrased.jsonl"):
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()):
            order[json.loads(text)["id"]] = i
    held_rows = []
    for part in (0, 1):
        def held(r):
            return r["collection"] == "seeds" and r["set"] in ("seeds-gold", "seeds-para") and order[r["id"]] % 2 != part
        train = [r for r in rows if not held(r)]
        wp, bp = fit(train)
        for m in MODES:
            t = threshold([r for r in train if r["mode"] == m], wp, bp)
            held_rows += [(r, probability(r, wp, bp) < t) for r in rows if held(r) and r["mode"] == m]
    print("held back (fit and thresholds made without the half they are scored on; both halves):")
    header = f"{'mode':8s}{'question set':14s}{'wrongly abstained (95% interval)':>36s}{'unanswerable caught':>22s}"
    print(header + "\n" + "-" * len(header))
    for m in MODES:
        for s in ("seeds-gold", "seeds-para"):
            a = [ab for r, ab in held_rows if r["mode"] == m and r["set"] == s and r["answerable"]]
            u = [ab for r, ab in held_rows if r["mode"] == m and r["set"] == s and not r["answerable"]]
            lo, hi = wilson(sum(a), len(a))
            print(f"{m:8s}{s:14s}{f'{sum(a)}/{len(a)} = {sum(a) / len(a):.1%} ({lo:.1%}-{hi:.1%})':>36s}"
                  f"{f'{sum(u)}/{len(u)} = {sum(u) / len(u):.0%}':>22s}")
    print("\nin the fit (all questions), by collection and question set:")
    header = f"{'mode':8s}{'collection':11s}{'question set':18s}{'answerable':>11s}{'abstained':>10s}"
    print(header + "\n" + "-" * len(header))
    for m in MODES:
        for g in sorted({group(r) for r in rows if r["mode"] == m}):
            members = [r for r in rows if r["mode"] == m and group(r) == g]
            abstained = sum(probability(r, w, b) < thresholds[m] for r in members)
            print(f"{m:8s}{g[0]:11s}{g[1]:18s}{'yes' if g[2] else 'no':>11s}"
                  f"{f'{abstained}/{len(members)}':>10s}")


if __name__ == "__main__":
    with recorded("abstention"):
        main()
