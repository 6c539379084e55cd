"""What the question asks about, which decides the values compared for it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .compare import _modifiers_clash
from .context import _modifier_runs
from .mentions import _Mention
from .tokens import _acronym, _sentence_starts, _tokens
from .vocabulary import _EVENT_VERBS, _QUESTION_DATE_RE, _QUESTION_GENERIC, FUNCTION_WORDS


@dataclass
class _Question:
    dates: bool
    common: frozenset  # lemmas of its content words, proper names and generic words aside
    years: frozenset
    numbers: frozenset
    modifiers: dict
    verbs: frozenset
    names: frozenset  # its proper names, folded: "resolution", "wto"


def _read_question(question: str) -> _Question:
    toks = _tokens(question[:2000])
    starts = _sentence_starts(toks)
    common, years, numbers, verbs, names = set(), set(), set(), set(), set()
    # names that say what is asked about: acronyms ("FTAs", "GDP") and words of multiword names ("Human Rights
    # Council"); a lone capitalised word is most often the subject ("Vietnam"), present in every hit
    topical = set()
    for k, t in enumerate(toks):
        if t.t == "word" and (_acronym(t.raw) or t.cap and not starts[k] and (
                k > 0 and toks[k - 1].cap and not starts[k - 1] or k + 1 < len(toks) and toks[k + 1].cap)):
            topical.add(k)
    for k, t in enumerate(toks):
        if t.t == "num":
            if re.fullmatch(r"1[89]\d\d|20\d\d", t.raw):
                years.add(int(t.raw))
            else:
                numbers.add(t.raw.lstrip("0") or "0")
        elif t.t == "date":
            years.add(t.date[0].year)
        elif t.content:
            if t.low in _EVENT_VERBS:
                verbs.add(_EVENT_VERBS[t.low])
            if t.cap and not starts[k] or _acronym(t.raw):
                names.add(t.lem)
                if k in topical and t.low not in FUNCTION_WORDS:
                    common.add(t.lem)
                continue
            if t.low in _QUESTION_GENERIC:
                continue
            common.add(t.lem)
    ctx = [k for k, t in enumerate(toks) if t.content]
    return _Question(bool(_QUESTION_DATE_RE.search(question)), frozenset(common), frozenset(years),
                     frozenset(numbers), _modifier_runs(toks, ctx), frozenset(verbs), frozenset(names))


def _similar(q: str, w: str) -> bool:
    """The same word, or one that starts with the other ('partner' / 'partnership'); 'larger' is not 'largest'."""
    if q == w:
        return True
    short, long_ = (q, w) if len(q) < len(w) else (w, q)
    return len(short) >= 5 and long_.startswith(short)


def _relevant(m: _Mention, q: _Question) -> bool:
    if q.dates != (m.kind == "date"):
        return False
    if q.numbers and not q.numbers <= (m.idnums if m.kind == "date" else m.clause_nums):
        return False
    if m.kind == "date":
        if q.verbs and not q.verbs & m.verbs:
            return False
        return bool(q.numbers or q.names & m.ids or any(_similar(w, x) for w in q.common for x in m.words))
    if q.years and m.years and not q.years & m.years:
        return False
    keys = frozenset(w for w in (m.head, m.frame_head) if w)
    if _modifiers_clash(q.modifiers, m.modifiers or {}, frozenset(q.modifiers) & m.words, nearest_only=True,
                        keys=keys):
        return False
    return any(_similar(w, x) for w in q.common for x in m.words)


def _pair_relevant(a: _Mention, b: _Mention, q: _Question) -> bool:
    """The two contexts share a word of the question other than the counted noun; or, where the question has
    nothing but that noun ("How many countries are there?"), they share the noun."""
    if a.kind == "date":
        return True
    heads = {h for h in (a.head, b.head) if h}
    terms = [w for w in q.common if not any(_similar(w, h) for h in heads)]
    shared = a.words & b.words
    if terms:
        return any(_similar(w, x) for w in terms for x in shared - heads)
    return a.head is not None and a.head == b.head and any(_similar(w, a.head) for w in q.common)
