"""A sentence read: its tokens and its values, each with what it is about (remembered per sentence)."""

from __future__ import annotations

import re
from functools import lru_cache

from .context import _describe
from .mentions import _Mention, _quantity
from .tokens import _sentence_starts, _Tok, _tokens, _uncap_sentence_starts
from .vocabulary import _ORDINAL_WORDS, _SMALL

_MAY_HOLD_A_VALUE = re.compile(
    r"\d|\b(?:" + "|".join([*_SMALL, *_ORDINAL_WORDS, "dozen", "hundred", "twice", "thrice"]) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=20_000)
def read_sentence(text: str) -> tuple[list[_Tok], list[_Mention]]:
    """``_extract`` of one sentence, remembered: a corpus's answer sentences come up again and again, and reading
    one is most of what comparing costs. The mentions carry evidence index -1; callers stamp their own (on copies:
    the cached ones are never changed)."""
    return _extract(-1, text)


def _extract(ev_index: int, text: str) -> tuple[list[_Tok], list[_Mention]]:
    if not _MAY_HOLD_A_VALUE.search(text):
        return [], []  # no digit and no number word: nothing to read (most sentences of a passage)
    toks = _tokens(text)
    starts = _sentence_starts(toks)
    _uncap_sentence_starts(toks, starts)
    mentions: list[_Mention] = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        m = None
        if t.t == "date":
            lo, hi, disp = t.date
            m = _Mention(ev_index, "date", "", lo.toordinal(), hi.toordinal(), False, False, disp, i, i + 1, i)
        elif t.t == "num" or t.t == "word" and (t.low in _SMALL or t.low in ("a", "an") or t.low in _ORDINAL_WORDS
                                                  or t.low in ("twice", "thrice")):
            m = _quantity(ev_index, toks, i, text)
        if m is None:
            i += 1
            continue
        mentions.append(m)
        i = max(m.qe, i + 1)
    for m in mentions:
        _describe(m, toks, mentions, starts)
    return toks, mentions
