"""Values read from a sentence's tokens: counts, amounts, percentages, multiples, measures, ranks, ordinals
and dates, each an interval."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tokens import _Tok, _year_value
from .vocabulary import (
    _BOUNDS_BY_LAST,
    _CHANGE_WORDS,
    _CURRENCY_SYMBOLS,
    _CURRENCY_WORDS,
    _GLUED_SCALES,
    _MEASURES,
    _MONTH_NUMBERS,
    _ORDINAL_WORDS,
    _RANK_AFTER,
    _RANK_VERBS,
    _SCALE_NAMES,
    _SCALES,
    _SMALL,
    _TRAILING_BOUNDS,
    FUNCTION_WORDS,
)


@dataclass
class _Mention:
    ev: int  # index into evidence
    kind: str  # count money percent pp multiple rank tier ordinal date
    unit: str  # currency code for money, else ""
    lo: float
    hi: float
    lo_open: bool
    hi_open: bool
    display: str
    qs: int  # quote: token range
    qe: int
    vi: int  # token index of the value
    role: str = ""
    head: str | None = None
    head_alias: tuple[str, ...] = ()  # the counted noun when it is an acronym: ("fta",) for "17 FTAs"
    words: frozenset = frozenset()
    bigrams: frozenset = frozenset()
    modifiers: dict | None = None
    frame_head: str | None = None
    years: frozenset = frozenset()
    context: tuple = ()  # (token index, lemma) of the context words, in order
    unit_tokens: tuple = ()  # token indexes of the counted noun phrase
    idnums: frozenset = frozenset()  # dates: identifying numbers of the event ("59")
    ids: frozenset = frozenset()  # dates: identifying names of the event
    verbs: frozenset = frozenset()  # dates: event classes
    clause_nums: frozenset = frozenset()  # numbers written in the clause (for the question's "Resolution 59")
    nouns: frozenset = frozenset()  # context words less verbs and generic words: for the overlap test
    after_names: frozenset = frozenset()  # names read after the value: "doses from COVAX"
    base: str | None = None  # percentages: what they are a share of
    segment: tuple[int, int] = (0, 0)  # dates: token range of the event
    quote_end: int = 0  # the quote runs to the end of the counted noun phrase: "194 countries"
    compound: bool = False  # "50,000-seat stadium": the word after the hyphen is what is counted
    extent_end: int = 0  # the end of the words read after the value (noun phrase and complement)


def _parse_digits(raw: str) -> tuple[float, int, int] | None:
    """(value, decimals, trailing zeros) of '5,000', '786.29', '1.200.000'; None for '5,5'."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", raw):
        plain = raw.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", raw):
        plain = raw.replace(".", "")
    else:
        return None
    if "." in plain:
        return float(plain), len(plain.split(".")[1]), 0
    stripped = plain.rstrip("0")
    return float(plain), 0, (len(plain) - len(stripped)) if stripped else 0


def _read_word_number(toks: list[_Tok], i: int) -> tuple[float, int] | None:
    """'fourteen', 'twenty-one', 'two hundred and five', 'a dozen', 'two dozen' -> (value, next index)."""
    n = len(toks)

    def chunk(j: int) -> tuple[int, int] | None:  # below 100: 'seven', 'forty', 'forty-two', 'forty two'
        if j >= n or toks[j].t != "word" or toks[j].low not in _SMALL:
            return None
        v = _SMALL[toks[j].low]
        j += 1
        if v >= 20 and v % 10 == 0:
            k = j + 1 if j < n and toks[j].raw == "-" else j
            if k < n and toks[k].t == "word" and 0 < _SMALL.get(toks[k].low, 0) < 10:
                v, j = v + _SMALL[toks[k].low], k + 1
        return v, j

    if toks[i].low in ("a", "an"):
        if i + 1 < n and toks[i + 1].low in ("dozen", "hundred"):
            value, j = 1, i + 1
        elif i + 1 < n and toks[i + 1].low in _SCALES:
            return 1, i + 1  # "a million": the caller reads the scale
        else:
            return None
    else:
        first = chunk(i)
        if first is None:
            return None
        value, j = first
    if j < n and toks[j].low == "hundred":
        value, j = value * 100, j + 1
        k = j + 1 if j < n and toks[j].low == "and" else j
        rest = chunk(k)
        if rest is not None:
            value, j = value + rest[0], rest[1]
    if j < n and toks[j].low == "dozen":
        value, j = value * 12, j + 1
    if value == 1 and toks[i].low == "one":
        return None  # "one of the", "one-stop": never a count worth comparing
    return value, j


def _match_phrase(toks: list[_Tok], end: int, phrase: str) -> int | None:
    """Start index if the words of ``phrase`` end right before token ``end``."""
    words = phrase.split()
    start = end - len(words)
    if start < 0:
        return None
    for k, w in enumerate(words):
        if toks[start + k].t != "word" or toks[start + k].low != w:
            return None
    return start


def _is_identifier(toks: list[_Tok], i: int, text: str) -> bool:
    """A number that names rather than counts: 'Resolution 59', 'No. 59-NQ/TW', 'G20', 'Apollo 11', '4.0'."""
    t = toks[i]
    if t.s > 0 and (text[t.s - 1].isalpha() or text[t.s - 1] in "#№"):
        return True
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if nxt is not None and nxt.s == t.e:
        if nxt.t == "word" and nxt.low not in ("st", "nd", "rd", "th") and nxt.low not in _GLUED_SCALES:
            return True
        if nxt.raw in ("-", "/", ":") and i + 2 < len(toks) and toks[i + 2].s == nxt.e:
            after = toks[i + 2]
            if after.t == "num" or after.t == "word" and (after.raw[0].isupper()):
                return True
    if i > 0:
        prev = toks[i - 1]
        if prev.raw == "." and i > 1 and toks[i - 2].low in ("no", "nos"):
            return True
        if prev.t == "word" and prev.low in ("no", "number", "nos", "article", "clause", "section", "chapter"):
            return True
        if prev.t == "word" and prev.cap and prev.low not in FUNCTION_WORDS and prev.low not in _MONTH_NUMBERS \
                and prev.lem not in _CURRENCY_WORDS and prev.low not in ("top", "usd", "vnd") \
                and not _is_bound_word(prev.low):
            return True
    return False


def _is_bound_word(w: str) -> bool:
    return w in _BOUNDS_BY_LAST


#: Words before a number that make an earlier year of it ("in 1066", "until 1405", "between 1402 and 1405"): a
#: number from 1800 on is a year by itself, an earlier one only where it is written as a year.
_YEAR_BEFORE = frozenset(["in", "since", "until", "till", "from", "before", "after", "during", "circa", "c",
                          "between", "year", "ad"])
_ERAS = frozenset(["ad", "ce"])  # not BC: a year before Christ is not a date this reader can hold


def _old_year(toks: list[_Tok], i: int, j: int) -> bool:
    """Whether the number at ``i`` (``j``: the token after it) is a year before 1800: 100 to 1799, after a word of
    ``_YEAR_BEFORE`` and not before a noun it counts ("in 1500 cases"); three digits only at a clause's end or
    before an era ("in 911,", "in 500 BC"), where "in 300 cases" cannot be meant."""
    t, n = toks[i], len(toks)
    if not re.fullmatch(r"1[0-7]\d\d|[1-9]\d\d", t.raw) or i == 0:
        return False
    ranged = i >= 3 and toks[i - 1].low in ("and", "to") and toks[i - 3].low in ("between", "from") \
        and re.fullmatch(r"1?\d\d\d", toks[i - 2].raw)  # "between 1402 and 1405", "from 1066 to 1087"
    if toks[i - 1].low not in _YEAR_BEFORE and not ranged:
        return False
    if j < n and toks[j].low in _ERAS:
        return True
    if len(t.raw) == 3:
        return j >= n or toks[j].t == "p" and toks[j].raw not in ("%", "-", "/", ".") or \
            toks[j].raw == "." and (j + 1 >= n or toks[j + 1].s > toks[j].e)
    return j >= n or toks[j].t == "p" and toks[j].raw not in ("%", "-", "/") or toks[j].cap or not toks[j].content


def _quantity(ev: int, toks: list[_Tok], i: int, text: str) -> _Mention | None:
    n = len(toks)
    t = toks[i]
    kind = None
    ordinal = None
    eps = 0.0
    if t.t == "num":
        if i + 1 < n and toks[i + 1].s == t.e and toks[i + 1].low in ("st", "nd", "rd", "th"):
            parsed = _parse_digits(t.raw)
            if parsed is None or parsed[1]:
                return None
            ordinal, j = int(parsed[0]), i + 2
        else:
            if _is_identifier(toks, i, text):
                return None
            parsed = _parse_digits(t.raw)
            if parsed is None:
                return None
            value, decimals, zeros = parsed
            j = i + 1
    elif t.low in _ORDINAL_WORDS:
        ordinal, j = _ORDINAL_WORDS[t.low], i + 1
    elif t.low in ("twice", "thrice"):
        value, decimals, zeros, j, kind = (2.0 if t.low == "twice" else 3.0), 0, 0, i + 1, "multiple"
    else:
        read = _read_word_number(toks, i)
        if read is None:
            return None
        value, j = float(read[0]), read[1]
        decimals, zeros = 0, 0
        if j == i + 1 and toks[i].low in _SMALL and (j >= n or not toks[j].content and toks[j].low not in _SCALES):
            return None  # a lone number word with no noun after it ("one", "two of them") is not compared
    if ordinal is not None:
        return _ordinal(ev, toks, i, j, ordinal)

    # bound before
    op, qs = "=", i
    for phrase, bop in _BOUNDS_BY_LAST.get(toks[i - 1].low, ()) if i > 0 else ():
        s = _match_phrase(toks, qs, phrase)
        if s is not None:
            op, qs = bop, s
            break
    # currency before the number
    currency = None
    if qs > 0 and toks[qs - 1].t == "cur" and toks[qs - 1].raw != "%" and toks[qs - 1].e == toks[i].s:
        currency, qs = _CURRENCY_SYMBOLS[toks[qs - 1].raw], qs - 1
        for phrase, bop in _BOUNDS_BY_LAST.get(toks[qs - 1].low, ()) if qs > 0 else ():  # "over US$500 million"
            s = _match_phrase(toks, qs, phrase)
            if s is not None and op == "=":
                op, qs = bop, s
                break
    elif qs == i and i > 0 and toks[i - 1].t == "word" and toks[i - 1].raw.isupper() \
            and toks[i - 1].lem in _CURRENCY_WORDS:
        currency, qs = _CURRENCY_WORDS[toks[i - 1].lem], i - 1  # "VND 20 trillion"
    # a year is a date, not a count
    if t.t == "num" and currency is None and op == "=" and (re.fullmatch(r"1[89]\d\d|20\d\d|2100", t.raw) and not (
            j < n and (toks[j].low in _SCALES or toks[j].raw == "%" or toks[j].low in ("percent", "per")))
            or _old_year(toks, i, j)):
        y = int(t.raw)
        lo, hi, disp = _year_value(y)
        return _Mention(ev, "date", "", lo.toordinal(), hi.toordinal(), False, False, disp, i, i + 1, i)
    # range: 28-29, 10 to 20, between 30 and 40
    hi_value = None
    between = qs > 0 and toks[qs - 1].low == "between"
    if j + 1 < n and (toks[j].raw in ("-", "–", "—") or toks[j].low == "to" and not (
            qs > 0 and toks[qs - 1].low in ("from", "between")) or toks[j].low == "and" and between) \
            and toks[j + 1].t == "num" and op == "=":
        parsed2 = _parse_digits(toks[j + 1].raw)
        glued = j + 2 < n and toks[j + 2].s == toks[j + 1].e and toks[j + 2].t == "word" \
            and toks[j + 2].low not in _GLUED_SCALES
        if parsed2 and parsed2[0] > value and not glued:
            hi_value, j = parsed2[0], j + 2
            decimals = max(decimals, parsed2[1])
            if between:
                qs -= 1
    # scale
    scale = 1.0
    if j < n and toks[j].t == "word":
        glued = toks[j].s == toks[j - 1].e
        if toks[j].low in _SCALES or glued and toks[j].low in _GLUED_SCALES:
            scale = _SCALES.get(toks[j].low) or _GLUED_SCALES[toks[j].low]
            j += 1
    # a compound adjective: "50,000-seat stadium", "1.5-kilometre bridge" (but "100-fold" is a multiple)
    compound = False
    if j + 1 < n and toks[j].raw in ("-", "–") and toks[j].s == toks[j - 1].e and toks[j + 1].s == toks[j].e \
            and toks[j + 1].t == "word" and not toks[j + 1].cap and toks[j + 1].low != "fold":
        j, compound = j + 1, True
    # unit after the number
    measure = None
    if j + 1 < n and toks[j].low == "square" and toks[j + 1].lem in _MEASURES and _MEASURES[toks[j + 1].lem][0] == "m":
        measure, j = ("m2", _MEASURES[toks[j + 1].lem][1] ** 2), j + 2
    elif j < n and toks[j].t == "word" and toks[j].lem in _MEASURES and not toks[j].cap and (
            toks[j].lem not in ("m", "ha") or toks[j].s > toks[j - 1].e or toks[j].low == "ha"):
        measure, j = _MEASURES[toks[j].lem], j + 1
    if measure is not None:
        kind = "measure"
    elif j < n and toks[j].raw == "%" or j < n and toks[j].low in ("percent", "pct"):
        kind, j = "percent", j + 1
    elif j + 1 < n and toks[j].low == "per" and toks[j + 1].low == "cent":
        kind, j = "percent", j + 2
    elif j + 1 < n and toks[j].low == "percentage" and toks[j + 1].lem == "point":
        kind, j = "pp", j + 2
    elif kind is None and j < n and (toks[j].low in ("times", "fold", "folds") or toks[j].raw == "-" and j + 1 < n
                                    and toks[j + 1].low == "fold"):
        kind, j = "multiple", j + (2 if toks[j].raw == "-" else 1)
    if kind is None or kind == "measure" and currency is not None:
        if j < n and toks[j].t == "word" and toks[j].lem in _CURRENCY_WORDS and currency is None:
            currency = _CURRENCY_WORDS[toks[j].lem]
            j += 1
        elif j + 1 < n and toks[j].low in ("us", "u.s") and toks[j + 1].lem == "dollar" and currency is None:
            currency, j = "USD", j + 2
        kind = "money" if currency else "count"
    elif kind == "multiple" and t.low == "twice":
        pass
    # a trailing bound: "70 or more", "200 or so"
    for words, bop in _TRAILING_BOUNDS.items():
        if op == "=" and all(j + k < n and toks[j + k].low == w for k, w in enumerate(words)):
            op, j = bop, j + len(words)
            break
    # tiers: "one of the 40 largest", "among the top 20", "top 10"
    if kind == "count" and op == "=" and hi_value is None:
        k = qs - 1
        if k >= 0 and toks[k].t == "word" and toks[k].poss:
            k -= 1  # the world's 34 largest
        while k >= 0 and toks[k].low == "the":
            k -= 1
        if k >= 0 and toks[k].low == "top" or k >= 0 and toks[k].low == "among" or k >= 1 and toks[k].low == "of" \
                and toks[k - 1].low == "one":
            if k >= 0 and toks[k].low == "top":
                qs = k
            v = value * scale
            return _Mention(ev, "tier", "", 1, v, False, False, f"top {_fmt(v)}", qs, j, i)
    if kind == "measure":
        scale *= measure[1]
    v = value * scale
    if kind in ("count", "percent", "pp", "multiple") and scale == 1.0:
        eps = 10.0 ** -decimals if decimals else (10.0 ** zeros if zeros >= 2 else 0.0)
    else:
        eps = scale * (10.0 ** -decimals if decimals else 10.0 ** zeros if zeros >= 2 else 1.0)
    lo, hi = v - eps / 2, (hi_value * scale if hi_value is not None else v) + eps / 2
    lo_open, hi_open = False, eps > 0  # a rounding: "60,000" is 55,000 up to, not including, 65,000
    if op == ">":
        lo, hi, lo_open, hi_open = v, float("inf"), True, True
    elif op == ">=":
        lo, hi = v, float("inf")
    elif op == "<":
        lo, hi, lo_open, hi_open = float("-inf"), v, True, True
    elif op == "<=":
        lo, hi = float("-inf"), v
    elif op == "nearly":
        lo, hi = v - max(0.1 * v, eps), v
    elif op == "about":
        lo, hi = v - max(0.1 * v, eps / 2), v + max(0.1 * v, eps / 2)
    num = _fmt(v) if hi_value is None else f"{_fmt(v)}-{_fmt(hi_value * scale)}"
    if scale >= 1e6:
        num = _fmt_money(v, hi_value * scale if hi_value is not None else None)
    if kind == "measure":
        num = _fmt_measure(v, hi_value * scale if hi_value is not None else None, measure[0])
    if kind == "money":
        num = _fmt_money(v, hi_value * scale if hi_value is not None else None) + " " + currency
    elif kind == "percent":
        num += "%"
    elif kind == "pp":
        num += " percentage points"
    elif kind == "multiple":
        num += " times"
    prefix = {"=": "", ">": "> ", ">=": ">= ", "<": "< ", "<=": "<= ", "nearly": "nearly ", "about": "about "}[op]
    unit = measure[0] if kind == "measure" else currency or ""
    mention = _Mention(ev, kind, unit, lo, hi, lo_open, hi_open, prefix + num, qs, j, i)
    mention.compound = compound
    return mention


def _ordinal(ev: int, toks: list[_Tok], i: int, j: int, ordinal: int) -> _Mention | None:
    """'ranked 32nd', 'the third-largest', '32nd place' are ranks; '9th consecutive year' an ordinal; '14th
    National Party Congress' a name."""
    n = len(toks)
    k = j + 1 if j < n and toks[j].raw == "-" else j
    nxt = toks[k] if k < n else None
    qs = i
    prev = [toks[p].low for p in range(max(0, i - 2), i) if toks[p].t == "word"]
    rank = any(p in _RANK_VERBS for p in prev) or len(prev) == 2 and prev[1] == "to" and prev[0] in _CHANGE_WORDS
    if rank:  # "ranked 32nd", "dropped to 116th"
        qs = next(p for p in range(max(0, i - 2), i) if toks[p].low in _RANK_VERBS or toks[p].low in _CHANGE_WORDS)
    if nxt is not None and nxt.t == "word" and (nxt.low in _RANK_AFTER or nxt.low.endswith("est") and len(nxt.low) > 4
                                                 or nxt.low in ("most", "least")):
        rank = True
        j = k + 1 if nxt.low in _RANK_AFTER or nxt.low.endswith("est") else j
    if rank:
        return _Mention(ev, "rank", "", ordinal, ordinal, False, False, _ordinal_text(ordinal), qs, j, i)
    if nxt is None or nxt.t != "word" or nxt.cap:
        return None
    if toks[i].t == "word" and nxt.low not in ("consecutive", "straight", "successive", "running"):
        return None  # "for the first time", "the third quarter": too common to compare
    return _Mention(ev, "ordinal", "", ordinal, ordinal, False, False, _ordinal_text(ordinal), i, j, i)


def _ordinal_text(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _fmt(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6f}".rstrip("0").rstrip(".")


def _fmt_measure(v: float, hi: float | None, unit: str) -> str:
    big = {"m": (1e3, "km"), "kg": (1e3, "tonnes"), "m2": (1e6, "km2"), "W": (1e6, "MW")}
    size, name = big[unit] if unit in big and v >= big[unit][0] else (1.0, unit)
    low = _fmt(round(v / size, 6))
    return (f"{low}-{_fmt(round(hi / size, 6))}" if hi is not None else low) + f" {name}"


def _fmt_money(v: float, hi: float | None) -> str:
    for size, name in _SCALE_NAMES:
        if v >= size:
            low = _fmt(round(v / size, 6))
            return (f"{low}-{_fmt(round(hi / size, 6))}" if hi is not None else low) + f" {name}"
    return _fmt(v) if hi is None else f"{_fmt(v)}-{_fmt(hi)}"
