"""A sentence as tokens (words, numbers, symbols, with their offsets), its dates and its sentence starts."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from ...text import fold_accents
from .vocabulary import (
    _ABBREVIATIONS,
    _DATE_RE,
    _IRREGULAR_PLURALS,
    _MONTH_NUMBERS,
    _SYNONYMS,
    _TOKEN_RE,
    FUNCTION_WORDS,
)


class _Tok:
    __slots__ = ("cap", "date", "e", "lem", "low", "plural", "poss", "raw", "s", "t")

    def __init__(self, s, e, raw, t, date_value=None):
        self.s, self.e, self.raw, self.t, self.date = s, e, raw, t, date_value
        self.low = self.lem = ""
        self.cap = self.plural = self.poss = False
        if t == "word":
            self.low, self.lem, self.plural, self.poss, self.cap = _word_info(raw)

    @property
    def content(self) -> bool:
        return self.t == "word" and self.low not in FUNCTION_WORDS and len(self.low) > 1

    def __repr__(self):
        return f"<{self.t}:{self.raw}>"


@lru_cache(maxsize=100_000)
def _word_info(raw: str) -> tuple[str, str, bool, bool, bool]:
    """(folded lower case, lemma, plural, possessive, capitalised) of a word; cached, as words repeat."""
    low = (raw if raw.isascii() else fold_accents(raw).replace("’", "'")).lower()
    poss = low.endswith("'s")
    if poss:
        low = low[:-2]
    lem, plural = _lemma(low)
    return low, lem, plural, poss, raw[0].isupper()


@lru_cache(maxsize=50_000)
def _lemma(w: str) -> tuple[str, bool]:
    """('countries' -> 'country', plural) with British spellings folded and a few synonyms merged."""
    if w in _IRREGULAR_PLURALS:
        return _SYNONYMS.get(_IRREGULAR_PLURALS[w], _IRREGULAR_PLURALS[w]), True
    w = w.replace("isation", "ization")
    plural = False
    if len(w) > 4 and w.endswith("ies"):
        w, plural = w[:-3] + "y", True
    elif len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        w, plural = w[:-2], True
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) or w.isupper() and len(w) > 2 and w.endswith("s"):
        w, plural = w[:-1], True
    return _SYNONYMS.get(w, w), plural


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    for dm in _DATE_RE.finditer(text):
        value = _date_value(dm)
        if value is None:
            continue
        toks.extend(_plain_tokens(text, pos, dm.start()))
        toks.append(_Tok(dm.start(), dm.end(), dm.group(), "date", value))
        pos = dm.end()
    toks.extend(_plain_tokens(text, pos, len(text)))
    return toks


def _plain_tokens(text: str, start: int, end: int) -> list[_Tok]:
    out = []
    for m in _TOKEN_RE.finditer(text, start, end):
        kind = m.lastgroup
        out.append(_Tok(m.start(), m.end(), m.group(), kind))
    return out


def _date_value(m: re.Match) -> tuple[date, date, str] | None:
    """(first day, last day, display) of a matched date, or None when it is no real date."""
    g = m.groupdict()
    try:
        if g["y1"]:
            y, mo, d = int(g["y1"]), _MONTH_NUMBERS[g["m1"].lower()], int(g["d1"])
        elif g["y2"]:
            y, mo, d = int(g["y2"]), _MONTH_NUMBERS[g["m2"].lower()], int(g["d2"])
        elif g["y3"]:
            y, mo = int(g["y3"]), _MONTH_NUMBERS[g["m3"].lower()]
            first = date(y, mo, 1)
            last = date(y + (mo == 12), mo % 12 + 1, 1).toordinal() - 1
            return first, date.fromordinal(last), f"{y:04d}-{mo:02d}"
        elif g["y4"]:
            y, mo, d = int(g["y4"]), int(g["m4"]), int(g["d4"])
        else:
            # day first, as in most of the world; month first only where the day-first reading is impossible
            d, mo, y = int(g["d5"]), int(g["m5"]), int(g["y5"])
            if mo > 12 >= d:
                d, mo = mo, d
        day = date(y, mo, d)
    except (ValueError, KeyError):
        return None
    if not 1000 <= y <= 2999:
        return None
    return day, day, day.isoformat()


def _year_value(y: int) -> tuple[date, date, str]:
    return date(y, 1, 1), date(y, 12, 31), str(y)


def _uncap_sentence_starts(toks: list[_Tok], starts: list[bool]) -> None:
    """A capital that only opens a sentence ("Core inflation ...") does not make a name; one followed by another
    capital ("Ho Chi Minh City", "Brand Finance") or an acronym does."""
    for k, t in enumerate(toks):
        if starts[k] and t.cap and not _acronym(t.raw) and not (k + 1 < len(toks) and toks[k + 1].cap):
            t.cap = False


def _sentence_starts(toks: list[_Tok]) -> list[bool]:
    """Whether each token begins a sentence (the first token does)."""
    starts = [False] * len(toks)
    if toks:
        starts[0] = True
    for i, t in enumerate(toks[:-1]):
        if t.t == "p" and t.raw in "!?" or t.raw == "." and not (
                i > 0 and toks[i - 1].t == "word" and (toks[i - 1].low in _ABBREVIATIONS or len(toks[i - 1].raw) == 1)):
            starts[i + 1] = True
    return starts


def _acronym(raw: str) -> bool:
    """'GDP', 'FTAs', 'UN'."""
    core = raw.removesuffix("s")
    return len(core) > 1 and core.isupper() and core.isalpha()
