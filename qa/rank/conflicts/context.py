"""What a value is about: its counted noun, the clause it sits in, its modifiers, the event a date dates."""

from __future__ import annotations

from .mentions import _Mention
from .tokens import _acronym, _Tok
from .vocabulary import (
    _CHANGE_WORDS,
    _COMPLEMENT_WORDS,
    _CURRENCY_WORDS,
    _DATE_ROLES,
    _EVENT_VERBS,
    _GENERIC,
    _IGNORED_MODIFIERS,
    _INTENT_VERBS,
    _QUANTITY_VERBS,
    _RANK_VERBS,
    _SCALES,
    FUNCTION_WORDS,
)


def _describe(m: _Mention, toks: list[_Tok], mentions: list[_Mention], starts: list[bool]) -> None:
    n = len(toks)
    # the clause the mention sits in, for years and numbers: between sentence ends, semicolons and colons
    cs = m.qs
    while cs > 0 and not starts[cs] and toks[cs - 1].raw not in ";:":
        cs -= 1
    ce = m.qe
    while ce < n and toks[ce].raw not in ";:" and not starts[ce]:
        ce += 1
    m.clause_nums = frozenset(t.raw for t in toks[cs:ce] if t.t == "num")
    m.quote_end = m.extent_end = m.qe
    if m.kind == "date":
        _describe_date(m, toks, cs, ce, starts)
        return
    _describe_time_and_role(m, toks, mentions, cs, ce)
    # context before: back to a clause boundary, an earlier mention, or a comma once two content words are in
    previous_end = max((max(o.qe, o.extent_end) for o in mentions
                        if o.qe <= m.qs and o is not m and o.kind != "date"), default=0)
    previous_end = min(previous_end, m.qs)
    before: list[int] = []
    k = m.qs - 1
    while k >= max(cs, previous_end) and len(before) < 8:
        if toks[k].raw == "," and len(before) >= 2:
            break
        if toks[k].content:
            before.append(k)
        k -= 1
    if len(before) < 2 and previous_end > cs:
        # cut short by an earlier value whose noun phrase is the subject: "5% broken rice was offered at 397 USD"
        prev = max((o for o in mentions if o is not m and o.kind != "date" and o.qe <= m.qs), key=lambda o: o.qe)
        before.extend(u for u in reversed(prev.unit_tokens) if u not in before and len(before) < 3)
    before.sort()
    subject = not any(toks[p].content for p in range(max(cs, previous_end, _comma_before(toks, m.qs, cs)), m.qs))
    # the counted noun phrase after the value
    unit: list[int] = []
    head = None
    k = m.qe
    if m.kind == "tier":
        k = m.vi + 1
        while k < n and (toks[k].t == "num" or toks[k].low in _SCALES):
            k += 1
    if m.kind != "date":
        while k < n and len(unit) < 6:
            tk = toks[k]
            if tk.content and (not tk.cap or tk.raw.isupper() and len(tk.raw) > 1) and tk.lem not in _CURRENCY_WORDS:
                unit.append(k)
                if head is None and tk.plural:
                    head = k
                k += 1
            elif tk.raw in ("-", "–") and unit and k + 1 < n and toks[k + 1].content or tk.low == "and" and unit and k + 1 < n and toks[k + 1].content and not toks[k + 1].cap and (
                    head is None or toks[k + 1].plural):
                k += 1
            else:
                break
        if m.kind in ("count", "tier", "ordinal") and unit and (head is None or m.compound):
            head = unit[0] if m.compound else unit[-1]
    # what follows: a complement ("members of the United Nations", "allocated US$1.2 billion to the flood relief
    # fund", "40 per cent of enterprises"); for a value in subject position, its predicate ("Fourteen people were
    # injured in the bus crash")
    after: list[int] = []
    limit = 8 if subject else 4
    p = k
    if p < n and (toks[p].low in _COMPLEMENT_WORDS or subject and toks[p].t == "word"):
        while p < ce and len(after) < limit:
            tk = toks[p]
            if tk.t == "p" and tk.raw not in ("-", "–", "(", ")") or tk.t in ("num", "date") and m.kind != "rank" \
                    or any(o.qs == p and not (m.kind == "rank" and o.kind == "tier") for o in mentions if o is not m):
                break
            if tk.content:
                after.append(p)
            p += 1
    # an acronym in the noun phrase: "17 FTAs" spelt out from the words before it ("free trade agreements (FTAs)")
    alias: tuple[str, ...] = ()
    if head is not None and toks[head].raw.isupper() and len(toks[head].lem) >= 2:
        alias = (toks[head].lem.lower(),)
    m.unit_tokens = tuple(unit)
    m.quote_end = max(m.qe, unit[-1] + 1) if unit and m.kind in ("count", "tier", "ordinal", "multiple") else m.qe
    m.extent_end = max([m.qe, *(u + 1 for u in unit), *(c + 1 for c in after)])
    m.head = toks[head].lem if head is not None and m.kind not in ("money", "percent", "pp", "measure") else None
    m.head_alias = alias
    ctx = before + unit + after
    m.context = tuple((k, toks[k].lem) for k in ctx)
    m.words = frozenset(toks[k].lem for k in ctx) | _initials(toks, ctx)
    m.after_names = frozenset(toks[k].lem for k in after if toks[k].cap)
    m.nouns = frozenset(toks[k].lem for k in ctx if not _verb_like(toks[k]) and toks[k].lem not in _GENERIC)
    bigrams = set()
    for x, y in zip(ctx, ctx[1:]):
        if y == x + 1 or y == x + 2 and toks[x + 1].raw in ("-", "–"):
            bigrams.add((toks[x].lem, toks[y].lem))
    m.bigrams = frozenset(bg for bg in bigrams if not (bg[0] in _GENERIC and bg[1] in _GENERIC))
    m.modifiers = _modifier_runs(toks, ctx)
    if m.compound and m.head:  # "11-member board": the counted noun is no kind of board
        m.modifiers = {w: run for w, run in m.modifiers.items() if m.head not in run}
    # (for values with no counted noun, "offered at 397 USD" / "quoted at 405 USD": participles are no heads)
    strict = "participles" if m.kind in ("money", "percent", "pp", "measure", "multiple", "rank") else True
    heads = [k for k in before if not _verb_like(toks[k], strict=strict) and toks[k].lem not in _GENERIC]
    if not heads and subject:
        heads = [k for k in after if not _verb_like(toks[k], strict=strict) and toks[k].lem not in _GENERIC][:1]
    m.frame_head = toks[heads[-1]].lem if heads else None
    # the base of a share: "40 per cent of enterprises"
    if m.kind in ("percent", "pp") and k < n and toks[k].low == "of" and after:
        m.base = toks[after[0]].lem


def _initials(toks: list[_Tok], ctx: list[int]) -> frozenset:
    """What runs of three or four adjacent content words would be abbreviated to: 'free trade agreements' ->
    'fta', so that a question about 'FTAs' finds them."""
    out = set()
    for size in (3, 4):
        for x in range(len(ctx) - size + 1):
            run = ctx[x:x + size]
            if run[-1] - run[0] == size - 1:
                out.add("".join(toks[k].lem[0] for k in run))
    return frozenset(out)


def _comma_before(toks: list[_Tok], k: int, floor: int) -> int:
    while k > floor and toks[k - 1].raw != ",":
        k -= 1
    return k


def _describe_time_and_role(m: _Mention, toks: list[_Tok], mentions: list[_Mention], cs: int, ce: int) -> None:
    # years that qualify it: those of its comma-clause, else the only one of its clause
    years_at = {o.vi for o in mentions if o.kind == "date" and o is not m}
    year_tokens = [k for k in range(cs, ce) if toks[k].t == "date" or k in years_at]
    near = [k for k in year_tokens if not any(toks[p].raw == "," for p in range(min(k, m.qs), max(k, m.qe)))]
    chosen = near or (year_tokens if len(year_tokens) == 1 else [])
    m.years = frozenset(toks[k].date[0].year if toks[k].t == "date" else int(toks[k].raw) for k in chosen)
    # the link word before the value gives its role
    link = toks[m.qs - 1] if m.qs > 0 else None
    if link is not None and link.low == "from":
        m.role = "from"
    elif link is not None and link.low == "since":
        m.role = "since"
    elif link is not None and link.low == "by" and m.kind in ("percent", "pp", "money", "count", "multiple") and any(
            toks[p].low in _CHANGE_WORDS for p in range(max(cs, m.qs - 4), m.qs - 1)):
        m.role = "change"  # "rose by 5%"; "signed by 65 countries" is no change
    elif m.kind in ("percent", "pp", "money", "count") and any(
            toks[p].low in _CHANGE_WORDS for p in range(max(cs, m.qs - 2), m.qs)) and not (link and link.low == "to"):
        m.role = "change"


def _modifier_runs(toks: list[_Tok], ctx: list[int]) -> dict[str, tuple]:
    """For each context word, the content words right before it that modify it, nearest first ('strategic',
    'comprehensive' for 'partnerships'); words whose run is empty are left out."""
    runs: dict[str, tuple] = {}
    ctx_set = set(ctx)
    for k in ctx:
        run = []
        p = k - 1
        while p in ctx_set or p >= 0 and toks[p].raw == "-" and p - 1 in ctx_set:
            if p in ctx_set:
                w = toks[p]
                if _verb_like(w) or w.poss or _acronym(w.raw) or w.cap != toks[k].cap or w.plural and not w.cap:
                    break  # "established diplomatic relations", "the world's largest", "Vietnam maintains ...",
                    # "people injured"
                run.append(w.lem)
            p -= 1
        mods = tuple(w for w in run if w not in _IGNORED_MODIFIERS)
        if mods:
            # a capitalised compound is a name: "UN Human Rights Council" is "United Nations Human Rights
            # Council", so only its nearest modifier counts (marked by a leading None)
            runs[toks[k].lem] = (None, *mods) if toks[k].cap else mods
    return runs


def _verb_like(t: _Tok, strict: bool = False) -> bool:
    """A verb, as far as word lists tell; ``strict`` also takes '-ing' words and verbs of intent, and with
    ``strict="participles"`` '-ed' words too."""
    if t.low in _QUANTITY_VERBS or t.low in _EVENT_VERBS or t.low in _CHANGE_WORDS or t.low in _RANK_VERBS:
        return True
    if not strict:
        return False
    return t.low.endswith(("ing", "ed") if strict == "participles" else "ing") and len(t.low) > 5 \
        or t.low in _INTENT_VERBS


def _describe_date(m: _Mention, toks: list[_Tok], cs: int, ce: int, starts: list[bool]) -> None:
    """An event date: the event verb before it in its clause ('issued Resolution 59 on ...', '... dated ...'), or
    after it when the date opens the clause ('On December 22, 2024, the Politburo issued ...')."""
    i = m.vi
    prev = toks[i - 1] if i > 0 else None
    role = "at"
    if prev is not None and prev.t == "word":
        role = _DATE_ROLES.get(prev.low, "at")
        if prev.low == "of" and i > 1 and toks[i - 2].low == "as":
            role = "asof"
        elif prev.low == "of":
            role = "at"
    m.role = role
    # comma-clause around the date
    a = i
    while a > cs and toks[a - 1].raw != ",":
        a -= 1
    verb = None
    for p in range(i - 1, max(a, i - 14) - 1, -1):
        if toks[p].t == "word" and toks[p].low in _EVENT_VERBS:
            verb = p
            break
    if verb is not None:
        seg = (max(cs, _back_words(toks, verb, 8, cs)), i)
    else:
        opener = all(not toks[p].content or toks[p].low in ("accordingly", "notably", "meanwhile", "then", "later")
                     for p in range(a, i))
        if not opener:
            return
        p, words = i + 1, 0
        while p < ce and words < 8:
            if toks[p].t == "word" and toks[p].low in _EVENT_VERBS:
                verb = p
                break
            if toks[p].t in ("word", "num"):
                words += 1
            p += 1
        if verb is None:
            return
        seg = (i + 1, _forward_words(toks, verb, 8, ce))
    m.segment = seg
    ids, nums, verbs = set(), set(), set()
    for p in range(*seg):
        tk = toks[p]
        if tk.t == "word" and tk.low in _EVENT_VERBS:
            verbs.add(_EVENT_VERBS[tk.low])
        elif tk.t == "num" and p != i:
            nums.add(tk.raw.lstrip("0") or "0")
        elif tk.t == "word" and (tk.cap and not starts[p] or tk.raw.isupper() and len(tk.raw) > 1) \
                and tk.low not in FUNCTION_WORDS:
            ids.add(tk.lem)
    m.ids, m.idnums, m.verbs = frozenset(ids), frozenset(nums), frozenset(verbs)
    m.words = frozenset(toks[p].lem for p in range(*seg) if toks[p].content)


def _back_words(toks: list[_Tok], k: int, count: int, floor: int) -> int:
    p = k
    while p > floor and count > 0:
        p -= 1
        if toks[p].raw == ",":
            return p + 1
        if toks[p].t in ("word", "num"):
            count -= 1
    return p


def _forward_words(toks: list[_Tok], k: int, count: int, ceil: int) -> int:
    p = k + 1
    while p < ceil and count > 0:
        if toks[p].raw == "," and p > k + 2:
            break
        if toks[p].t in ("word", "num"):
            count -= 1
        p += 1
    return p
