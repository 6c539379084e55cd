"""Whether two values are about the same thing, and whether they can both be true."""

from __future__ import annotations

from .mentions import _Mention
from .vocabulary import _EVENT_VERBS, _GENERIC, _QUANTITY_VERBS


def _family(kind: str) -> str:
    return "rank" if kind in ("rank", "tier") else kind


def _heads_match(a: _Mention, b: _Mention) -> bool:
    """The counted nouns agree: the same lemma (synonyms merged), a missing one, or an acronym of the other's noun
    phrase ("17 FTAs" / "19 free trade agreements")."""
    if a.head is None or b.head is None or a.head == b.head:
        return True
    for x, y in ((a, b), (b, a)):
        if x.head_alias:
            letters = x.head_alias[0]
            unit = [lem for k, lem in y.context if k in y.unit_tokens]
            if len(unit) >= len(letters) and "".join(w[0] for w in unit[-len(letters):]) == letters:
                return True
    return False


def _modifiers_clash(ma: dict, mb: dict, shared: frozenset, nearest_only: bool = False,
                     keys: frozenset = frozenset()) -> bool:
    """A word both contexts use with different modifiers, or with modifiers on one side only: 'comprehensive
    strategic partnerships' is not 'strategic and comprehensive partnerships', 'free trade agreements' not
    'new-generation free trade agreements'. Against a question (``ma``) only the nearest modifier must agree, and
    a mention may be more specific than the question. Between mentions, modifiers on one side only count for
    ``keys``, the words that name the thing (the counted noun, the word the value hangs on)."""
    for w in shared:
        ra, rb = ma.get(w), mb.get(w)
        if not ra and not rb or nearest_only and (not ra or not rb):
            continue  # a question's word order is inverted ("will the plant hire"): one-sided runs say nothing
        if not ra or not rb:
            if w in keys:
                return True  # "core inflation" is not "inflation", "new-generation FTAs" not "FTAs"
            continue
        nearest = nearest_only or ra[0] is None or rb[0] is None
        ra, rb = [x for x in ra if x is not None], [x for x in rb if x is not None]
        if ra[0] != rb[0] if nearest else set(ra) != set(rb):
            return True
    return False


def _same_thing(a: _Mention, b: _Mention) -> bool:
    if _family(a.kind) != _family(b.kind) or a.unit != b.unit or a.role != b.role:
        return False
    if a.kind == "date":
        return _same_event(a, b)
    if a.years and b.years and not a.years & b.years:
        return False
    if not _heads_match(a, b):
        return False
    shared = a.words & b.words
    keys = frozenset(w for w in (a.head, b.head, a.frame_head, b.frame_head) if w)
    if _modifiers_clash(a.modifiers or {}, b.modifiers or {}, shared, keys=keys):
        return False
    # most of what the shorter context names is in the other ("export turnover" alone does not make
    # "industrial products in export turnover" the same as "foreign-invested firms' export turnover")
    if a.nouns and b.nouns and len(a.nouns & b.nouns) < 0.5 * min(len(a.nouns), len(b.nouns)):
        return False
    # the words the values hang on must not name two different things ("Coal accounts for 50%" / "Gas accounts
    # for 30%")
    # (a counted noun on both sides names the thing well enough: "Vietnam has signed 19 FTAs")
    if (a.head is None or b.head is None) and a.frame_head and b.frame_head and a.frame_head != b.frame_head \
            and a.frame_head not in b.words and b.frame_head not in a.words:
        return False
    # names after the values that the other side lacks, on both sides: "30 million doses from COVAX" and "10
    # million doses from the United States" are two deliveries
    if a.after_names - b.words and b.after_names - a.words:
        return False
    if a.bigrams & b.bigrams:
        return True
    # the word one value hangs on is named around the other: "The board has nine members" / "The 11-member
    # board approved the plan"
    if (a.frame_head or b.frame_head) and all(x.frame_head is None or x.frame_head == y.frame_head
                                              or x.frame_head in y.nouns for x, y in ((a, b), (b, a))) and (
            a.head is not None and b.head is not None or a.kind in ("money", "percent", "pp")):
        return True
    if a.base is not None and a.base == b.base:
        return True
    return False


def _same_event(a: _Mention, b: _Mention) -> bool:
    if a.role not in ("at", "since") or not a.verbs or not b.verbs:
        return False
    if not a.verbs & b.verbs:
        return False
    if a.idnums != b.idnums:
        return False
    if a.idnums:
        return True
    # the same names, or two shared words ("the contract for the metro line" / "the metro line contract")
    shared = {w for w in (a.words | a.ids) & (b.words | b.ids)
              if w not in _GENERIC and w not in _EVENT_VERBS and w not in _QUANTITY_VERBS}
    return bool(shared & (a.ids | b.ids)) or len(shared) >= 2


def _incompatible(a: _Mention, b: _Mention) -> bool:
    if a.kind == "tier" and b.kind == "tier":
        return a.hi != b.hi  # the sources name different tiers ("34 largest" / "40 largest"): see the module notes
    if a.kind == "tier" or b.kind == "tier":
        tier, rank = (a, b) if a.kind == "tier" else (b, a)
        return rank.lo > tier.hi
    if a.hi < b.lo or b.hi < a.lo:
        return True
    if a.hi == b.lo and (a.hi_open or b.lo_open):
        return True
    if b.hi == a.lo and (b.hi_open or a.lo_open):
        return True
    return False
