"""How the ranking choices of qa.index were made: sentence evidence (its weight per mode, pooled or separately
embedded sentence vectors) and the discount of very short passages, each measured on the same question sets.

    .venv/bin/python bench/quality.py          # about 5 minutes on 2 cores

Question sets: the seeds' gold set (seeds/gold.jsonl) and our paraphrased questions (gold/seeds-paraphrased.jsonl),
SQuAD 2.0 dev questions on 173 Wikipedia paragraphs (gold/squad), split by article: the weights were chosen on the
"dev" articles (Normans, Computational complexity theory, Southern California); "held" (Sky (United Kingdom),
Victoria (Australia)) was looked at only to report; and CACM (../shared/datasets/cacm; MAP and nDCG@10). Cells are
Hit@1 / MRR@10 over answerable questions.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, recorded  # noqa: E402

import qa.index as qi  # noqa: E402
import qa.rank.vectors as vx  # noqa: E402
from qa import Index, Settings  # noqa: E402
from qa.evaluate import evaluate_beir, evaluate_gold, load_beir, load_gold, materialise_beir  # noqa: E402
from qa.rank.sentences import Sentences  # noqa: E402
from qa.service import ensure_index  # noqa: E402

CACM = ROOT.parent / "shared" / "datasets" / "cacm"
HELD = {"Sky_(United_Kingdom)", "Victoria_(Australia)"}


def setup():
    settings = Settings.from_env()
    ensure_index(ROOT / "seeds", ROOT / "index", settings, rebuild_stale=True)
    ensure_index(ROOT / "gold" / "squad", None, settings, rebuild_stale=True)
    corpus, queries, qrels = load_beir(CACM)
    work = ROOT / "index" / "beir" / "cacm"
    names = materialise_beir(corpus, work / "corpus")
    ensure_index(work / "corpus", work / "index", settings, rebuild_stale=True)
    seeds = Index.open(ROOT / "index", settings=settings)
    squad = Index.open(corpus=ROOT / "gold" / "squad", settings=settings)
    article = {json.loads(line)["id"]: json.loads(line)["article"]
               for line in open(ROOT / "gold" / "squad" / "gold.jsonl", encoding="utf-8")}
    squad_gold = [g for g in load_gold(ROOT / "gold" / "squad" / "gold.jsonl")]
    sets = {
        "seeds gold": (seeds, [g for g in load_gold(ROOT / "seeds" / "gold.jsonl") if g.answerable]),
        "paraphrased": (seeds, [g for g in load_gold(ROOT / "gold" / "seeds-paraphrased.jsonl") if g.answerable]),
        "squad dev": (squad, [g for g in squad_gold if article[g.id] not in HELD]),
        "squad held": (squad, [g for g in squad_gold if article[g.id] in HELD]),
    }
    return sets, (Index.open(work / "index", settings=settings), queries, qrels, names)


@contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextmanager
def separate_sentence_vectors(indexes):
    """Every passage's sentence vectors embedded as texts of their own, instead of pooled from its own pass."""
    from qa.rank.answers import shingles

    for index in indexes:
        derived = {}
        ids = [p.id for p in index.passages()]
        for pid, text, terms, described, packed in index.db.sentences_of(ids):
            pooled = Sentences.load(described, packed, index.manifest.dimension)
            alone = index.embedder.encode([text[s:e] for s, e in pooled.spans])
            derived[pid] = (shingles(text), frozenset(terms.split()), Sentences(pooled.spans, pooled.terms, alone))
        index._derived = derived
    try:
        yield
    finally:
        for index in indexes:
            index._derived = {}


def measure(sets, cacm, mode: str) -> list[str]:
    cells = []
    for name, (index, gold) in sets.items():
        m = evaluate_gold(index, gold, [mode])[mode].metrics
        cells.append(f"{m['hit@1']:.3f}/{m['mrr@10']:.3f}")
    index, queries, qrels, names = cacm
    m = evaluate_beir(index, queries, qrels, names, [mode])[mode].metrics
    cells.append(f"{m['map']:.3f}/{m['ndcg@10']:.3f}")
    return cells


def main() -> None:
    started = time.perf_counter()
    sets, cacm = setup()
    print(f"qa ranking choices on {machine()}")
    header = ["mode", "variant", *sets, "CACM MAP/nDCG@10"]
    rows = []
    chosen_penalty = vx.SHORT_PENALTY
    for mode in ("hybrid", "dense"):
        chosen = qi.SENTENCE_WEIGHT[mode]
        for weight in sorted({0.0, 0.5, 1.0, 2.0, chosen}):
            with patched(qi, "SENTENCE_WEIGHT", {**qi.SENTENCE_WEIGHT, mode: weight}):
                label = f"sentence weight {weight:g}" + (" (chosen)" if weight == chosen else "")
                rows.append([mode, label, *measure(sets, cacm, mode)])
        with separate_sentence_vectors([sets["seeds gold"][0], sets["squad dev"][0], cacm[0]]):
            rows.append([mode, f"weight {chosen:g}, sentences embedded alone", *measure(sets, cacm, mode)])
        for penalty in (0.0, 0.16):
            with patched(vx, "SHORT_PENALTY", penalty):
                rows.append([mode, f"weight {chosen:g}, short-passage discount {penalty:g} (chosen: {chosen_penalty:g})",
                             *measure(sets, cacm, mode)])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for cells in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    with recorded("quality"):
        main()
