"""Short answers (qa.rank.spans): fit the span model, report it on held-out folds, measure abstention, time it.

    .venv/bin/python bench/answers.py          # the report: EM/F1 on held-out folds, abstention, cost (~5 minutes)
    .venv/bin/python bench/answers.py --fit    # also write qa/rank/span_weights.json from every fitting set

Fitting sets (the only ones): seeds/gold.jsonl and gold/seeds-paraphrased.jsonl on the seeds, gold/squad's 705
questions on its 173 paragraphs (open retrieval over all of them). gold/near-topic.jsonl is never fitted on.

The span model is a conditional logit over ``qa.rank.spans.FEATURES``: a question's candidates compete in one
softmax, the target shared by the candidates that match a gold answer exactly (else the best-F1 one, if F1 >= 0.5),
L2-regularised; every question weighs the same. (Measured on the held-out folds: per-candidate logistic regression
with F1 or exact-match labels reached EM 0.19-0.26 on gold/squad; the softmax 0.31.) Held out: seven folds --
each SQuAD article, the seeds' gold set, the paraphrases -- each scored with weights fitted on the other six.
KEY_COVERAGE (qa.rank.answers) is checked the same way: on each half of the answerable questions (alternate lines)
the largest share that refuses at most 2 %, scored on the other half.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, recorded, table

import qa.rank.answers as answers_module
import qa.rank.spans as sp
from qa import Index, Settings
from qa.evaluate import load_gold, wilson
from qa.service import ensure_index

WEIGHTS = ROOT / "qa" / "rank" / "span_weights.json"
L2 = 1.0
TARGET = 0.02


def indexes() -> dict[str, Index]:
    settings = Settings.from_env()
    ensure_index(ROOT / "seeds", ROOT / "index", settings, rebuild_stale=True)
    ensure_index(ROOT / "gold" / "squad", None, settings, rebuild_stale=True)
    return {"seeds": Index.open(ROOT / "index", settings=settings),
            "squad": Index.open(corpus=ROOT / "gold" / "squad", settings=settings)}


def question_sets():
    """(fold, collection, questions): the fitting sets, by fold."""
    sets = [("seeds gold", "seeds", load_gold(ROOT / "seeds" / "gold.jsonl")),
            ("paraphrases", "seeds", load_gold(ROOT / "gold" / "seeds-paraphrased.jsonl"))]
    by_article: dict[str, list] = {}
    for g in load_gold(ROOT / "gold" / "squad" / "gold.jsonl"):
        by_article.setdefault(g.doc_ids[0].rsplit("-", 1)[0], []).append(g)
    sets += [(f"squad {a}", "squad", qs) for a, qs in by_article.items()]
    return sets


def collect(index: Index, questions) -> list[dict]:
    """For each question: its candidates as short_answer sees them (before the kind check), the sentences read,
    whether confidence abstained, and ``held``: the highest coverage of a sentence holding a candidate of the kind
    asked (None for a question of no abstaining kind), which decides the kind abstention for any KEY_COVERAGE."""
    seen: dict = {}
    original = sp.candidates

    def capture(question, sentences, limit=None):
        seen["sentences"], seen["found"] = sentences, original(question, sentences, limit=None)
        return seen["found"]

    answers_module.sp.candidates = capture
    rows = []
    try:
        for g in questions:
            seen.clear()
            a = index.answer(g.question, k=5)
            kind = sp.asked_for(g.question).kind
            found, held, held_score = seen.get("found", []), None, None
            if kind in answers_module.ABSTAINING_KINDS:
                found = [c for c in found if c.source in sp.ANSWERS_KIND[kind]]
                held = max((seen["sentences"][c.sentence].coverage for c in found), default=0.0)
                held_score = max((seen["sentences"][c.sentence].score for c in found), default=0.0)
            confident = "found" in seen
            rows.append({"g": g, "found": found if confident else [], "confident": confident, "held": held,
                         "held_score": held_score,
                         "X": np.array([c.features for c in found], dtype=np.float64).reshape(-1, len(sp.FEATURES)),
                         "y": np.array([sp.f1(c.text, g.answers) for c in found]) if g.answerable else None})
    finally:
        answers_module.sp.candidates = original
    return rows


def abstains(row: dict, key: float) -> bool:
    return not row["confident"] or row["held"] is not None and row["held"] < key


def kind_abstains(row: dict, key: float) -> bool:
    return row["confident"] and row["held"] is not None and row["held"] < key


def choose_key(rows: list[dict]) -> float:
    """The largest KEY_COVERAGE (in steps of 0.05) that refuses at most TARGET of the answerable ``rows``."""
    answerable = [r for r in rows if r["g"].answerable and r["confident"]]
    best = 0.0
    for key in np.arange(0.0, 1.0001, 0.05):
        if sum(kind_abstains(r, key) for r in answerable) <= TARGET * len(answerable):
            best = float(key)
    return round(best, 2)


def fit(rows: list[dict]) -> tuple[np.ndarray, float]:
    """A conditional logit: each question's candidates compete in one softmax, the gold ones (exact match, else the
    best F1 if it is at least 0.5) sharing the target; L2-regularised on standardised features."""
    usable = []
    for r in rows:
        if r["y"] is None or not len(r["found"]):
            continue
        target = (r["y"] >= 1.0).astype(float)
        if not target.any() and r["y"].max() >= 0.5:
            target = (r["y"] == r["y"].max()).astype(float)
        if target.any():
            usable.append((r["X"], target / target.sum()))
    X = np.vstack([x for x, _ in usable])
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    groups = np.repeat(np.arange(len(usable)), [len(t) for _, t in usable])
    Z = (X - mu) / sd
    T = np.concatenate([t for _, t in usable])
    bounds = np.cumsum([0] + [len(t) for _, t in usable])

    def loss(w):
        z = Z @ w
        zmax = np.maximum.reduceat(z, bounds[:-1])
        e = np.exp(z - zmax[groups])
        denom = np.add.reduceat(e, bounds[:-1])
        logp = z - zmax[groups] - np.log(denom[groups])
        p = e / denom[groups]
        value = -(T * logp).sum() + L2 * (w @ w) / 2
        grad = Z.T @ (p - T) + L2 * w
        return value, grad

    w = minimize(loss, np.zeros(Z.shape[1]), jac=True, method="L-BFGS-B").x / sd
    return w, 0.0


def predict(row: dict, weights, key: float) -> str:
    if not row["found"] or abstains(row, key):
        return ""
    return sp.rank_spans(row["found"], sp.score(row["found"], weights))[0].text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="write qa/rank/span_weights.json")
    args = parser.parse_args()
    idx = indexes()
    sets = question_sets()
    collected = {name: collect(idx[coll], qs) for name, coll, qs in sets}
    print(machine())

    # held-out folds
    out_rows = []
    totals = {"squad": [0, 0.0, 0.0], "all": [0, 0.0, 0.0]}
    for name in collected:
        weights = fit([r for other, rs in collected.items() if other != name for r in rs])
        rows = [r for r in collected[name] if r["g"].answerable]
        key = answers_module.KEY_COVERAGE
        em = [sp.exact_match(predict(r, weights, key), r["g"].answers) for r in rows]
        f = [sp.f1(predict(r, weights, key), r["g"].answers) for r in rows]
        out_rows.append([name, len(rows), f"{np.mean(em):.3f}", f"{np.mean(f):.3f}"])
        for key in ("all", "squad") if name.startswith("squad") else ("all",):
            totals[key][0] += len(rows)
            totals[key][1] += sum(em)
            totals[key][2] += sum(f)
    for key, (n, em, f) in totals.items():
        out_rows.append([f"{key} (pooled)", n, f"{em / n:.3f}", f"{f / n:.3f}"])
    table("First short answer, held-out folds (weights fitted on the other folds; open retrieval, hybrid, k=5)",
          ["fold", "answerable", "EM", "F1"], out_rows)

    # abstention: false on every answerable set, caught on the near-topic set
    near = load_gold(ROOT / "gold" / "near-topic.jsonl")
    by_corpus = {"seeds": [], "squad": []}
    for line, g in zip((ROOT / "gold" / "near-topic.jsonl").read_text().splitlines(), near):
        by_corpus["seeds" if json.loads(line)["corpus"] == "seeds" else "squad"].append(g)
    everything = [r for rs in collected.values() for r in rs]
    halves = [[r for n, r in enumerate(everything) if n % 2 == part] for part in (0, 1)]
    chosen = [choose_key(h) for h in halves]
    held_rows = []
    for part in (0, 1):
        other = [r for r in halves[1 - part] if r["g"].answerable]
        wrong = sum(abstains(r, chosen[part]) for r in other)
        held_rows.append([f"chosen on half {part + 1}, scored on half {2 - part}", f"{chosen[part]:.2f}",
                          f"{wrong}/{len(other)} = {wrong / len(other):.1%}"])
    table(f"KEY_COVERAGE on held-back halves of every answerable question (target: at most {TARGET:.0%} refused; "
          f"in use: {answers_module.KEY_COVERAGE})", ["split", "KEY_COVERAGE", "abstained (either reason)"],
          held_rows)
    near_rows = {corpus: collect(idx[corpus], qs) for corpus, qs in by_corpus.items()}
    near_all = [r for rs in near_rows.values() for r in rs]
    answerable_all = [r for r in everything if r["g"].answerable]
    sweep = []
    for k in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5):
        wrong = sum(abstains(r, k) for r in answerable_all)
        sweep.append([f"{k:.2f}", f"{wrong}/{len(answerable_all)} = {wrong / len(answerable_all):.1%}",
                      f"{sum(abstains(r, k) for r in near_all)}/{len(near_all)}"])
    table("Each KEY_COVERAGE: answerable questions refused (either reason) and near-topic ones caught",
          ["KEY_COVERAGE", "answerable refused", "near-topic caught"], sweep)
    key = answers_module.KEY_COVERAGE
    ab_rows = []
    for name, rows in collected.items():
        answerable = [r for r in rows if r["g"].answerable]
        wrong = sum(abstains(r, key) for r in answerable)
        kind = sum(kind_abstains(r, key) for r in answerable)
        lo, hi = wilson(wrong, len(answerable))
        ab_rows.append([name, len(answerable), f"{wrong} ({kind} by kind)", f"{wrong / len(answerable):.1%}",
                        f"{lo:.1%}-{hi:.1%}"])
    table("False abstention on answerable questions (confidence or kind)", ["set", "answerable", "abstained",
          "share", "95% interval"], ab_rows)
    caught_rows = []
    for corpus, rows in near_rows.items():
        caught = sum(abstains(r, key) for r in rows)
        kind = sum(kind_abstains(r, key) for r in rows)
        lo, hi = wilson(caught, len(rows))
        caught_rows.append([f"near-topic ({corpus})", len(rows), f"{caught} ({kind} by kind)",
                            f"{caught / len(rows):.1%}", f"{lo:.1%}-{hi:.1%}"])
        for r in rows:
            if not abstains(r, key):
                print(f"  not caught: {r['g'].question}")
    table("Near-topic unanswerable questions caught (gold/near-topic.jsonl, never fitted on)",
          ["set", "questions", "caught", "share", "95% interval"], caught_rows)

    # cost: Index.answer with the short answer against without it, same process, interleaved
    qs = [g.question for _, coll, gs in sets if coll == "seeds" for g in gs][:60]
    index = idx["seeds"]
    for q in qs:
        index.answer(q), index.answer(q, short=False)
    with_short, without = [], []
    for _ in range(5):
        for q in qs:
            t = time.perf_counter()
            index.answer(q, short=False)
            without.append(time.perf_counter() - t)
            t = time.perf_counter()
            index.answer(q)
            with_short.append(time.perf_counter() - t)
    p50w, p50o = statistics.median(with_short) * 1000, statistics.median(without) * 1000
    table("Index.answer on the seeds (5 rounds of 60 questions, interleaved, p50)", ["call", "p50 ms", "ratio"],
          [["without the short answer", f"{p50o:.2f}", "1.00"], ["with the short answer", f"{p50w:.2f}",
                                                                  f"{p50w / p50o:.2f}"]])

    if args.fit:
        w, b = fit([r for rs in collected.values() for r in rs])
        data = {"fitted_on": "seeds/gold.jsonl, gold/seeds-paraphrased.jsonl, gold/squad/gold.jsonl (bench/answers.py)",
                "model": "conditional logit: softmax over a question's candidates of features @ weights",
                "bias": round(b, 5), "weights": {f: round(float(x), 5) for f, x in zip(sp.FEATURES, w)}}
        tmp = WEIGHTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(WEIGHTS)
        print(f"wrote {WEIGHTS.relative_to(ROOT)}")


if __name__ == "__main__":
    with recorded("answers"):
        main()
