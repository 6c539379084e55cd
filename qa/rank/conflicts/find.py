"""The whole step: a question's evidence in, its conflicts out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from .compare import _incompatible, _same_thing
from .evidence import Conflict, Evidence, Value
from .mentions import _Mention
from .question import _pair_relevant, _read_question, _relevant
from .reading import read_sentence
from .tokens import _Tok
from .vocabulary import FUNCTION_WORDS


def find_conflicts(question: str, evidence: Sequence[Evidence]) -> list[Conflict]:
    """The values that the evidence states about the same, question-relevant thing and that cannot all be true,
    where at least two different documents disagree; best-ranked first."""
    q = _read_question(question)
    mentions: list[_Mention] = []
    tokens: list[list[_Tok]] = []
    for e_index, ev in enumerate(evidence):
        toks, found = read_sentence(ev.text)
        tokens.append(toks)
        mentions.extend(replace(m, ev=e_index) for m in found if _relevant(m, q))
    n = len(mentions)
    same = {}
    for x in range(n):
        for y in range(x + 1, n):
            a, b = mentions[x], mentions[y]
            if _same_thing(a, b) and _pair_relevant(a, b, q):
                same[(x, y)] = _incompatible(a, b)
    # conflicting pairs across documents, and the clusters they form with their agreeing neighbours
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    conflicting = [(x, y) for (x, y), bad in same.items()
                   if bad and evidence[mentions[x].ev].doc_id != evidence[mentions[y].ev].doc_id]
    if not conflicting:
        return []
    for x, y in same:
        parent[find(x)] = find(y)
    clusters: dict[int, list[tuple[int, int]]] = {}
    for x, y in conflicting:
        clusters.setdefault(find(x), []).append((x, y))
    out = []
    for root, pairs in clusters.items():
        members = [k for k in range(n) if find(k) == root]
        in_conflict = {k for pair in pairs for k in pair}
        groups: dict[str, list[int]] = {}
        for k in members:
            groups.setdefault(mentions[k].display, []).append(k)
        values = []
        for disp, ks in groups.items():
            if not in_conflict & set(ks):
                continue
            ks.sort(key=lambda k: (evidence[mentions[k].ev].hit, mentions[k].qs))
            first = mentions[ks[0]]
            ev0, toks0 = evidence[first.ev], tokens[first.ev]
            quote = ev0.text[toks0[first.qs].s:toks0[first.quote_end - 1].e]
            spans = []
            for k in ks:
                mk, evk, tk = mentions[k], evidence[mentions[k].ev], tokens[mentions[k].ev]
                span = (evk.doc_id, evk.start + tk[mk.qs].s, evk.start + tk[mk.quote_end - 1].e)
                if span not in spans:
                    spans.append(span)
            hits = tuple(sorted({evidence[mentions[k].ev].hit for k in ks}))
            values.append(Value(disp, quote, hits, tuple(spans)))
        if len(values) < 2:
            continue
        values.sort(key=lambda v: v.hits[0])
        x, y = pairs[0]
        out.append(Conflict(_about(mentions[x], mentions[y], tokens, evidence), tuple(values)))
    out.sort(key=lambda c: min(v.hits[0] for v in c.values))
    return out


def _about(a: _Mention, b: _Mention, tokens: list[list[_Tok]], evidence: Sequence[Evidence]) -> str:
    toks, text = tokens[a.ev], evidence[a.ev].text
    if a.kind == "date":
        s, e = a.segment
        while e - 1 > s and (toks[e - 1].t == "p" or toks[e - 1].low in FUNCTION_WORDS):
            e -= 1
        while s < e - 1 and (toks[s].t == "p" or toks[s].low in FUNCTION_WORDS):
            s += 1
        return f"date: {text[toks[s].s:toks[e - 1].e]}"
    shared = (a.words & b.words) - {a.head, b.head}
    context = []
    for k, lem in a.context:
        raw = re.sub(r"['’]s$", "", toks[k].raw)
        if lem in shared and k not in a.unit_tokens and raw.lower() not in [c.lower() for c in context]:
            context.append(raw)
    if a.unit_tokens and (a.head or b.head):
        noun = text[toks[a.unit_tokens[0]].s:toks[a.unit_tokens[-1]].e]
    else:
        noun = ""
    ctx = " ".join(context)
    if a.kind in ("tier", "rank"):
        what = f"rank among the {noun}" if noun else "rank"
    elif a.kind == "money":
        what = f"amount in {a.unit}"
    elif a.kind == "measure":
        what = {"m": "length", "kg": "mass", "m2": "area", "W": "power"}[a.unit]
    elif a.kind in ("percent", "pp"):
        what = "percentage"
    elif a.kind == "multiple":
        what = "multiple"
    elif a.kind == "ordinal":
        what = f"ordinal ({noun})" if noun else "ordinal"
    else:
        what = f"number of {noun}" if noun else "number"
    return f"{what} ({ctx})" if ctx else what
