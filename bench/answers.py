"""Short answers (qa.rank.spans): fit the span model, report it on held-out folds, measure abstention, time it.

    .venv/bin/python bench/answers.py          # the report: EM/F1 on held-out folds, abstention, cost (~5 minutes)
    .venv/bin/python bench/answers.py --fit    # also write qa/rank/span_weights.json from every fitting set

Fitting sets (the only ones): seeds/gold.jsonl and gold/seeds-paraphrased.jsonl on the seeds, gold/squad's 705
questions on its 173 paragraphs (open retrieval over all of them), and gold/near-topic-fit.jsonl's 32 unanswerable
questions. gold/near-topic.jsonl is never fitted on: it is where abstention is measured.

The span model is a conditional logit over ``qa.rank.spans.FEATURES``: a question's candidates compete in one
softmax, the target shared by the candidates that match a gold answer exactly (else the best-F1 one, if F1 >= 0.5),
L2-regularised; every question weighs the same. (Measured on the held-out folds: per-candidate logistic regression
with F1 or exact-match labels reached EM 0.19-0.26 on gold/squad; the softmax 0.31.) Held out: seven folds --
each SQuAD article, the seeds' gold set, the paraphrases -- each scored with weights fitted on the other six.

The answerability model (``qa.rank.answers.ANSWERABLE_FEATURES``, for questions asking for a date or a number) is a
logistic regression of "a value read is the one asked for". Its unanswerable examples are the answerable questions
asked again without their answers (``MASKS``: every sentence stating one taken out of what the short answer reads,
or only the value itself; the documents still speak of the subject, not of the value: "the documents mention X but
do not say when"), and near-topic-fit's questions. Its held-out probabilities come from the same seven folds
(span weights and answerability weights both fitted on the other six; near-topic-fit by halves). Its threshold is checked like any limit: on each half of the
answerable questions (alternate lines) the largest that refuses at most 2 % (confidence and kind together), scored
on the other half; the one kept is chosen so on all of them.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, recorded, table

import qa.index as index_module
import qa.rank.answers as answers_module
import qa.rank.spans as sp
from qa import Index, Settings
from qa.evaluate import load_gold, wilson
from qa.service import ensure_index

WEIGHTS = ROOT / "qa" / "rank" / "span_weights.json"
ANSWERABLE = ROOT / "qa" / "rank" / "answerable_weights.json"
#: The held-back near-topic sets, never fitted on; near-topic-2 was written after the answerability model was.
NEAR = (ROOT / "gold" / "near-topic.jsonl", ROOT / "gold" / "near-topic-2.jsonl")
NEAR_FIT = ROOT / "gold" / "near-topic-fit.jsonl"
L2 = 1.0
#: The answerability model's L2 on standardised features (sklearn's C = 0.1): of C 0.1, 0.3 and 1, and of four
#: feature sets, the one that caught most of near-topic-fit (held out by halves) at 2 % refused.
ANSWERABLE_L2 = 10.0
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


@contextmanager
def without_answers(answers):
    """What the short answer reads with every sentence holding one of ``answers`` taken out (None: as it is)."""
    original = index_module.answering
    gold = [f" {sp.squad_normalize(a)} " for a in answers or () if sp.squad_normalize(a)]

    def answering(row):
        order = original(row)
        spans, text = row["sentences"].spans, row["text"]
        return [i for i in order if not any(g in f" {sp.squad_normalize(text[spans[i][0]:spans[i][1]])} "
                                            for g in gold)]

    if gold:
        index_module.answering = answering
    try:
        yield
    finally:
        index_module.answering = original


def _outside_answers(found, sentences, answers) -> list:
    """``found`` less the candidates that overlap a place where a sentence states one of ``answers``."""
    out = []
    for c in found:
        sent = sentences[c.sentence]
        s, e = c.start - sent.start, c.end - sent.start
        if not any(m.start() < e and s < m.end() for a in answers if a.strip()
                   for m in re.finditer(re.escape(a.strip()), sent.text, re.IGNORECASE)):
            out.append(c)
    return out


#: The two ways an answerable question is asked again without its answer: every sentence stating it taken out of
#: what the short answer reads (the documents speak of the subject elsewhere), or only the value itself (the
#: sentence that speaks of the event is there, its date or number is not: "Vietnam signed the CPTPP").
MASKS = ("sentences", "values")


def collect(index: Index, questions, masked: str | None = None) -> list[dict]:
    """For each question (answerable ones only when ``masked``: asked with their answers taken out, one of
    ``MASKS``): its candidates as short_answer sees them (all of them, before the kind check), the sentences read,
    whether confidence abstained, and its typed candidates (None for a question of no abstaining kind)."""
    seen: dict = {}
    original = sp.candidates
    values_out: list = []

    def capture(question, sentences, limit=None):
        found = original(question, sentences, limit=None)
        if values_out:
            found = _outside_answers(found, sentences, values_out)
        seen["sentences"], seen["found"] = sentences, found
        return found

    answers_module.sp.candidates = capture
    rows = []
    try:
        for g in questions:
            if masked and not g.answerable:
                continue
            seen.clear()
            values_out[:] = g.answers if masked == "values" else []
            with without_answers(g.answers if masked == "sentences" else None):
                index.answer(g.question, k=5)
            kind = sp.asked_for(g.question).kind
            found = seen.get("found", [])
            typed = answers_module.typed_candidates(found, seen.get("sentences", []), kind) \
                if kind in answers_module.ABSTAINING_KINDS else None
            ranked = found if typed is None else typed  # what the span model ranks: the typed ones where asked
            rows.append({"g": g, "masked": bool(masked), "found": found, "confident": "found" in seen,
                         "sentences": seen.get("sentences", []), "typed": typed,
                         "answerable": g.answerable and not masked,
                         "X": np.array([c.features for c in ranked], dtype=np.float64).reshape(-1, len(sp.FEATURES)),
                         "y": np.array([sp.f1(c.text, g.answers) for c in ranked]) if g.answerable else None})
    finally:
        answers_module.sp.candidates = original
    return rows


def by_corpus(path: Path) -> dict[str, list]:
    """A near-topic set's questions by the collection they are about ("seeds" or "squad"; each line names its
    ``corpus``)."""
    out: dict[str, list] = {}
    for line, g in zip(path.read_text(encoding="utf-8").splitlines(), load_gold(path)):
        out.setdefault("seeds" if json.loads(line)["corpus"] == "seeds" else "squad", []).append(g)
    return out


def features_of(row: dict, span_weights) -> np.ndarray | None:
    """The row's ``ANSWERABLE_FEATURES`` under ``span_weights`` (None: no typed candidate, or no abstaining kind)."""
    if not row["typed"] or not row["confident"]:
        return None
    return answers_module.answerable_features(row["g"].question, row["sentences"], row["found"], row["typed"],
                                              span_weights)


def fit_answerable(samples: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, L2 (``ANSWERABLE_L2``; the bias is not penalised); returned
    in the features' own scale, as qa.rank.answers reads it."""
    X = np.array([x for x, _ in samples])
    y = np.array([t for _, t in samples], dtype=np.float64)
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])

    def loss(w):
        z = Z @ w
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.logaddexp(0, z).sum() - y @ z + ANSWERABLE_L2 * (w[:-1] @ w[:-1]) / 2
        grad = Z.T @ (p - y)
        grad[:-1] += ANSWERABLE_L2 * w[:-1]
        return value, grad

    w = minimize(loss, np.zeros(Z.shape[1]), jac=True, method="L-BFGS-B").x
    return w[:-1] / sd, float(w[-1] - (w[:-1] * mu / sd).sum())


def answerable_samples(rows: list[dict], span_weights) -> list[tuple[np.ndarray, int]]:
    out = []
    for r in rows:
        x = features_of(r, span_weights)
        if x is not None:
            out.append((x, int(r["answerable"])))
    return out


def kind_refuses(row: dict, p: float | None, threshold: float) -> bool:
    """Whether the short answer says the documents do not say, given the row's answerability probability."""
    if row["typed"] is None or not row["confident"]:
        return False
    return not row["typed"] or p < threshold


def refuses(row: dict, p: float | None, threshold: float) -> bool:
    return not row["confident"] or kind_refuses(row, p, threshold)


def choose_threshold(rows: list[dict], p: dict) -> float:
    """The largest threshold (steps of 0.01) that refuses at most TARGET of the answerable ``rows``."""
    answerable = [r for r in rows if r["answerable"]]
    best = 0.0
    for t in np.arange(0.0, 0.6001, 0.01):
        if sum(refuses(r, p.get(id(r)), t) for r in answerable) <= TARGET * len(answerable):
            best = float(t)
    return round(best, 2)


def fit(rows: list[dict]) -> tuple[np.ndarray, float]:
    """A conditional logit: each question's candidates compete in one softmax, the gold ones (exact match, else the
    best F1 if it is at least 0.5) sharing the target; L2-regularised on standardised features."""
    usable = []
    for r in rows:
        if r["y"] is None or r["masked"] or not len(r["y"]):
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


def predict(row: dict, weights, p: float | None, threshold: float) -> str:
    """The first short answer, or "" where the answer abstains (confidence, or the documents do not say)."""
    if not row["found"] or refuses(row, p, threshold):
        return ""
    found = row["typed"] if row["typed"] else row["found"]
    return sp.rank_spans(found, sp.score(found, weights))[0].text


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true",
                        help="write qa/rank/span_weights.json and qa/rank/answerable_weights.json")
    args = parser.parse_args()
    idx = indexes()
    sets = question_sets()
    collected = {name: collect(idx[coll], qs) + [r for how in MASKS for r in collect(idx[coll], qs, how)]
                 for name, coll, qs in sets}
    near_fit_rows = [r for corpus, qs in by_corpus(NEAR_FIT).items() for r in collect(idx[corpus], qs)]
    print(machine())

    # held-out folds: span weights and answerability fitted on the other six (and all of near-topic-fit)
    p_out: dict[int, float] = {}
    span_out = {}
    for name in collected:
        others = [r for other, rs in collected.items() if other != name for r in rs]
        span_out[name] = weights = fit(others)
        model = fit_answerable(answerable_samples(others + near_fit_rows, weights))
        for r in collected[name]:
            x = features_of(r, weights)
            if x is not None:
                p_out[id(r)] = answers_module.answerable(x, (*model, 0.0))
    everything = [r for rs in collected.values() for r in rs]
    span_all = fit(everything)
    for part in (0, 1):  # near-topic-fit, by halves
        model = fit_answerable(answerable_samples(everything + near_fit_rows[1 - part::2], span_all))
        for r in near_fit_rows[part::2]:
            x = features_of(r, span_all)
            if x is not None:
                p_out[id(r)] = answers_module.answerable(x, (*model, 0.0))
    answerable_all = [r for r in everything if r["answerable"]]
    halves = [answerable_all[part::2] for part in (0, 1)]
    chosen = [choose_threshold(h, p_out) for h in halves]
    threshold = choose_threshold(answerable_all, p_out)
    final = fit_answerable(answerable_samples(everything + near_fit_rows, span_all))

    out_rows = []
    totals = {"squad": [0, 0.0, 0.0], "all": [0, 0.0, 0.0]}
    for name in collected:
        rows = [r for r in collected[name] if r["answerable"]]
        preds = [predict(r, span_out[name], p_out.get(id(r)), threshold) for r in rows]
        em = [sp.exact_match(p, r["g"].answers) for p, r in zip(preds, rows)]
        f = [sp.f1(p, r["g"].answers) for p, r in zip(preds, rows)]
        out_rows.append([name, len(rows), f"{np.mean(em):.3f}", f"{np.mean(f):.3f}"])
        for key in ("all", "squad") if name.startswith("squad") else ("all",):
            totals[key][0] += len(rows)
            totals[key][1] += sum(em)
            totals[key][2] += sum(f)
    for key, (n, em, f) in totals.items():
        out_rows.append([f"{key} (pooled)", n, f"{em / n:.3f}", f"{f / n:.3f}"])
    table("First short answer, held-out folds (weights fitted on the other folds; open retrieval, hybrid, k=5)",
          ["fold", "answerable", "EM", "F1"], out_rows)

    held_rows = []
    for part in (0, 1):
        other = halves[1 - part]
        wrong = sum(refuses(r, p_out.get(id(r)), chosen[part]) for r in other)
        held_rows.append([f"chosen on half {part + 1}, scored on half {2 - part}", f"{chosen[part]:.2f}",
                          f"{wrong}/{len(other)} = {wrong / len(other):.1%}"])
    table(f"Answerability threshold: chosen on all 833 held-out probabilities (at most {TARGET:.0%} refused, "
          f"confidence and kind together): {threshold:.2f}; checked on held-back halves of the answerable questions",
          ["split", "threshold", "refused (either reason)"], held_rows)

    # the near-topic questions, never fitted on: read with the final models
    near_rows = {f"{path.stem} ({corpus})": collect(idx[corpus], qs) for path in NEAR
                 for corpus, qs in by_corpus(path).items()}  # by set and collection
    near_sets = {path.stem: [r for corpus in by_corpus(path) for r in near_rows[f"{path.stem} ({corpus})"]]
                 for path in NEAR}  # by set
    for r in (r for rs in near_rows.values() for r in rs):
        x = features_of(r, span_all)
        if x is not None:
            p_out[id(r)] = answers_module.answerable(x, (*final, 0.0))
    masked_all = [r for r in everything if r["masked"]]
    sweep = []
    for t in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        wrong = sum(refuses(r, p_out.get(id(r)), t) for r in answerable_all)
        sweep.append([f"{t:.2f}", f"{wrong}/{len(answerable_all)} = {wrong / len(answerable_all):.1%}",
                      f"{sum(refuses(r, p_out.get(id(r)), t) for r in masked_all)}/{len(masked_all)}",
                      f"{sum(refuses(r, p_out.get(id(r)), t) for r in near_fit_rows)}/{len(near_fit_rows)}",
                      *(f"{sum(refuses(r, p_out.get(id(r)), t) for r in rs)}/{len(rs)}" for rs in near_sets.values())])
    table("Each threshold: answerable questions refused and unanswerable ones caught (held-out probabilities; "
          "near-topic with the final model)",
          ["threshold", "answerable refused", "answers taken out", "near-topic-fit",
           *(f"{stem} (never fitted)" for stem in near_sets)], sweep)
    ab_rows = []
    for name, rows in collected.items():
        answerable = [r for r in rows if r["answerable"]]
        wrong = sum(refuses(r, p_out.get(id(r)), threshold) for r in answerable)
        kind = sum(kind_refuses(r, p_out.get(id(r)), threshold) for r in answerable)
        lo, hi = wilson(wrong, len(answerable))
        ab_rows.append([name, len(answerable), f"{wrong} ({kind} by kind)", f"{wrong / len(answerable):.1%}",
                        f"{lo:.1%}-{hi:.1%}"])
    wrong = sum(refuses(r, p_out.get(id(r)), threshold) for r in answerable_all)
    lo, hi = wilson(wrong, len(answerable_all))
    ab_rows.append(["all", len(answerable_all), str(wrong), f"{wrong / len(answerable_all):.1%}",
                    f"{lo:.1%}-{hi:.1%}"])
    table(f"False abstention on answerable questions (confidence or kind; threshold {threshold:.2f})",
          ["set", "answerable", "abstained", "share", "95% interval"], ab_rows)
    caught_rows = []
    for name, rows in [*near_rows.items(), *((f"{stem} (all)", rs) for stem, rs in near_sets.items())]:
        caught = sum(refuses(r, p_out.get(id(r)), threshold) for r in rows)
        kind = sum(kind_refuses(r, p_out.get(id(r)), threshold) for r in rows)
        lo, hi = wilson(caught, len(rows))
        caught_rows.append([name, len(rows), f"{caught} ({kind} by kind)", f"{caught / len(rows):.1%}",
                            f"{lo:.1%}-{hi:.1%}"])
    for r in (r for rs in near_sets.values() for r in rs):
        if not refuses(r, p_out.get(id(r)), threshold):
            print(f"  not caught: {r['g'].question}")
    table("Near-topic unanswerable questions caught (gold/near-topic.jsonl and near-topic-2.jsonl, never fitted on)",
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
        w, b = span_all
        write_json(WEIGHTS, {
            "fitted_on": "seeds/gold.jsonl, gold/seeds-paraphrased.jsonl, gold/squad/gold.jsonl (bench/answers.py)",
            "model": "conditional logit: softmax over a question's candidates of features @ weights",
            "bias": round(b, 5), "weights": {f: round(float(x), 5) for f, x in zip(sp.FEATURES, w)}})
        w, b = final
        write_json(ANSWERABLE, {
            "fitted_on": "seeds/gold.jsonl, gold/seeds-paraphrased.jsonl, gold/squad/gold.jsonl, each also asked "
                         "with its answers taken out; gold/near-topic-fit.jsonl (bench/answers.py)",
            "model": "logistic regression: P(the documents state the value asked) = sigmoid(features @ weights + "
                     "bias); below threshold the short answer abstains",
            "threshold": threshold, "bias": round(b, 5),
            "weights": {f: round(float(x), 5) for f, x in zip(answers_module.ANSWERABLE_FEATURES, w)}})


if __name__ == "__main__":
    with recorded("answers"):
        main()
