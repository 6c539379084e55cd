"""Conflicting values across the answer sentences of different documents (qa.rank.conflicts).

tests/data/conflict_rules.json holds one case per rule; tests/data/conflicts.jsonl
holds 102 cases (real seed sentences at their real offsets, and written news sentences), over which flagged
conflicts must have precision >= 0.9; recall is printed, per batch too. The rules were tuned on that file: the two
held-out batches scored precision 3/4 and recall 3/9 each when first run. Nothing here times anything:
bench/conflicts.py measures the cost.
"""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.rank.conflicts import Conflict, Evidence, Value, find_conflicts

ROOT = Path(__file__).resolve().parent.parent
CASES = [json.loads(line) for line in (ROOT / "tests" / "data" / "conflicts.jsonl").open(encoding="utf-8")]


def evidence(*texts) -> list[Evidence]:
    """One hit per text, each from its own document unless given as (doc_id, text)."""
    out = []
    for i, t in enumerate(texts, 1):
        doc, text = t if isinstance(t, tuple) else (f"doc{i}.txt", t)
        out.append(Evidence(i, doc, None, text, 100 * i))
    return out


def flagged(question: str, *texts) -> list[set[str]]:
    return [{v.value for v in c.values} for c in find_conflicts(question, evidence(*texts))]


#: One case per rule: (name, question, texts — "text" or ["doc_id", "text"] —, the sets of values flagged).
UNIT_CASES = json.loads((ROOT / "tests" / "data" / "conflict_rules.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", UNIT_CASES, ids=[c["name"] for c in UNIT_CASES])
def test_rule(case):
    texts = [tuple(t) if isinstance(t, list) else t for t in case["texts"]]
    assert flagged(case["question"], *texts) == [set(e) for e in case["expected"]]


def test_conflict_names_values_quotes_hits_and_spans():
    text_a = "From a once-isolated country, Vietnam has established diplomatic relations with 194 countries worldwide."
    text_b = "Currently, Vietnam has diplomatic relations with more than 195 countries and territories, including all."
    ev = [Evidence(1, "a.txt", "2025-05-01", text_a, 1000), Evidence(2, "b.txt", None, text_b, 50),
          Evidence(3, "c.txt", None, "The country has diplomatic relations with 194 countries.", 7)]
    [conflict] = find_conflicts("How many countries does Vietnam have diplomatic relations with?", ev)
    assert "diplomatic relations" in conflict.about
    first, second = conflict.values
    assert (first.value, first.hits, second.value, second.hits) == ("194", (1, 3), "> 195", (2,))
    assert first.quote == "194 countries worldwide" and second.quote == "more than 195 countries and territories"
    assert first.spans[0] == ("a.txt", 1000 + text_a.index("194"), 1000 + text_a.index("194") + len(first.quote))
    assert second.spans == (("b.txt", 50 + text_b.index("more"), 50 + text_b.index("more") + len(second.quote)),)
    d = conflict.to_dict()
    assert d["about"] == conflict.about and [v["value"] for v in d["values"]] == ["194", "> 195"]
    assert d["values"][0]["hits"] == [1, 3] and d["values"][0]["spans"][0][0] == "a.txt"
    json.dumps(d)
    with pytest.raises(FrozenInstanceError):
        conflict.about = "x"
    assert isinstance(conflict, Conflict) and isinstance(first, Value)


def test_nothing_to_compare():
    assert find_conflicts("How many?", []) == []
    assert find_conflicts("How many?", evidence("", "No numbers here at all.", "  ")) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80), st.lists(st.text(max_size=200), max_size=6))
def test_any_text_is_read_without_error(question, texts):
    conflicts = find_conflicts(question, evidence(*texts))
    assert all(len(c.values) >= 2 for c in conflicts)


NUMBERISH = st.lists(st.sampled_from(
    ["194", "more than", "195", "countries", "US$", "1.2", "billion", "USD", "%", "per cent", "-", "–", "fold",
     "January 24, 2025", "24/1/2025", "2025-01-24", "ranked", "32nd", "top", "one of the", "40", "largest", ",", ".",
     "fourteen", "twenty-one", "a dozen", "nearly", "about", "at least", "up to", "or more", "No.", "59-NQ/TW",
     "Resolution", "issued", "dated", "on", "in", "from", "to", "by", "the", "Vietnam's", "(", ")", ";", "G20",
     "12,345.678", "1.200.000", "9,", "0", "00", "2100", "1800", "31/31/2025"]), max_size=30).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(NUMBERISH, st.lists(NUMBERISH, min_size=1, max_size=5))
def test_number_soup_is_read_without_error(question, texts):
    for c in find_conflicts(question, evidence(*texts)):
        docs = {s[0] for v in c.values for s in v.spans}
        assert len(docs) >= 2  # a conflict always involves two documents


# --- the gold file ---------------------------------------------------------------------------------------------

def test_gold_file_is_well_formed_and_cites_the_seeds_exactly():
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    without = sum(not c["conflicts"] for c in CASES)
    assert 0.35 <= without / len(CASES) <= 0.75  # about half agree, differ in kind, or have one source
    seeds = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")}
    cited = 0
    for case in CASES:
        assert set(case) >= {"id", "question", "evidence", "conflicts"}
        for e in case["evidence"]:
            assert set(e) == {"hit", "doc_id", "date", "text", "start"}
            if e["doc_id"] in seeds:
                assert seeds[e["doc_id"]][e["start"]:e["start"] + len(e["text"])] == e["text"], case["id"]
                cited += 1
        for c in case["conflicts"]:
            assert len(c["values"]) >= 2 and isinstance(c["about_contains"], str)
    assert cited >= 30


def score(cases: list[dict]) -> tuple[int, int, int, list[str]]:
    """True positives, false positives and false negatives of flagged conflicts; a flagged conflict is right when
    its values are exactly a gold conflict's and its ``about`` contains the gold ``about_contains``."""
    tp = fp = fn = 0
    wrong = []
    for case in cases:
        found = find_conflicts(case["question"], [Evidence(**e) for e in case["evidence"]])
        gold = case["conflicts"]
        matched = set()
        for c in found:
            values = {v.value for v in c.values}
            hit = next((i for i, g in enumerate(gold) if i not in matched and set(g["values"]) == values
                        and g["about_contains"].lower() in c.about.lower()), None)
            if hit is None:
                fp += 1
                wrong.append(f"false alarm in {case['id']}: {c.about} {sorted(values)}")
            else:
                tp += 1
                matched.add(hit)
        for i, g in enumerate(gold):
            if i not in matched:
                fn += 1
                wrong.append(f"missed in {case['id']}: {g['values']}")
    return tp, fp, fn, wrong


def test_gold_precision_and_recall(capsys):
    tp, fp, fn, wrong = score(CASES)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    with capsys.disabled():
        print(f"\nconflicts.jsonl: {len(CASES)} cases, precision {precision:.3f} ({tp}/{tp + fp}), "
              f"recall {recall:.3f} ({tp}/{tp + fn})")
        for batch in sorted({c.get("batch", "") for c in CASES}):
            b_tp, b_fp, b_fn, _ = score([c for c in CASES if c.get("batch", "") == batch])
            print(f"  {batch}: precision {b_tp / max(1, b_tp + b_fp):.3f}, recall {b_tp / max(1, b_tp + b_fn):.3f}")
        for line in wrong:
            print("  " + line)
    assert precision >= 0.9, wrong


@pytest.mark.parametrize("case_id", ["seed-diplomatic-relations", "seed-comprehensive-strategic-partners",
                                     "seed-resolution-59-date"])
def test_the_issue_acceptance_questions(case_id):
    """The three disagreements of the bundled seeds, each with both values and the documents that state them."""
    case = next(c for c in CASES if c["id"] == case_id)
    [conflict] = find_conflicts(case["question"], [Evidence(**e) for e in case["evidence"]])
    docs = {v.value: sorted({s[0][:3] for s in v.spans}) for v in conflict.values}
    assert docs == {"seed-diplomatic-relations": {"194": ["000", "001"], "> 195": ["002"]},
                    "seed-comprehensive-strategic-partners": {"13": ["000"], "14": ["002"]},
                    "seed-resolution-59-date": {"2025-01-24": ["000", "001"], "2024-12-22": ["002"]}}[case_id]
    seeds = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")}
    for v in conflict.values:
        for doc, start, end in v.spans:
            assert seeds[doc][start:end].startswith(v.quote.split()[0])


BLIND = [json.loads(line) for line in (ROOT / "tests" / "data" / "conflicts_blind.jsonl").open(encoding="utf-8")]


def test_blind_set_precision(capsys):
    """95 cases written by someone who never saw this module or the other file (world news: counts, money, ranks,
    dates; 58 hard negatives). Scored by case: a flag where the reader found no conflict is a false alarm. First run,
    before any change: 10 right, 1 false alarm ("between 30 and 40" vs 34), 27 missed; the one fix since is the
    general rule for "between X and Y" ranges."""
    right = wrong = missed = 0
    for case in BLIND:
        found = find_conflicts(case["question"], [Evidence(**e) for e in case["evidence"]])
        right += bool(found and case["conflicts"])
        wrong += bool(found and not case["conflicts"])
        missed += bool(case["conflicts"] and not found)
    with capsys.disabled():
        print(f"\nblind set: {right} flagged right, {wrong} false alarms, {missed} missed; precision "
              f"{right / max(1, right + wrong):.2f}, recall {right / max(1, right + missed):.2f}")
    assert len(BLIND) == 95 and right / max(1, right + wrong) >= 0.9 and right >= 10


@pytest.mark.parametrize("text, expected", [
    ("In 1066, Duke William II of Normandy conquered England.", [("date", "1066")]),
    ("Edward returned from exile in 1041.", [("date", "1041")]),
    ("In 1169 the Normans landed at Bannow Bay.", [("date", "1169")]),
    ("Rollo received the land in 911.", [("date", "911")]),
    ("Between 1402 and 1405 the expedition took the islands.", [("date", "1402"), ("date", "1405")]),
    ("Prices rose in 1500 shops.", [("count", "1,500")]),  # a count of the noun after it, not a year
    ("He scored 1066 points.", [("count", "1,066")]),  # no word of time before it
    ("In 300 cases it failed.", [("count", "300")]),
    ("In 2024, exports rose.", [("date", "2024")]),
])
def test_years_before_1800_are_dates_where_written_as_years(text, expected):
    from qa.rank.conflicts import read_sentence

    _, mentions = read_sentence(text)
    assert [(m.kind, m.display) for m in mentions] == expected
