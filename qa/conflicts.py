"""When the sources disagree, say so.

``find_conflicts(question, evidence)`` reads the values that the answer sentences of a question's hits state --
counts ("194 countries"), amounts ("US$786.29 billion"), percentages, multiples ("100-fold"), measures ("1.5 km"),
ranks ("ranked 32nd", "one of the 40 largest"), ordinals ("9th consecutive year") and dates -- decides which are
about the same thing, and reports values that cannot all be true when two different documents state them.

No false alarm is the priority, so every rule leans towards silence.

Reading values. Digits with thousands commas ("5,000", "786.29"); number words up to ninety-nine with "hundred"
and "dozen" ("fourteen", "sixty-two", "two dozen"; a lone "one" never counts); scales (thousand, million, mn, bn,
billion, trillion, "5bn"); currencies ("US$", "$" taken as USD, "USD", "VND", "dong", "EUR", ...; never
converted into each other); "%", "per cent", "percentage points" (a kind of its own); "times", "-fold"; units of
measure converted to a base unit (km/m, tonne/kg, hectare/km2, MW/W; "ton" is the metric tonne); dates with month
names, ISO, d/m/yyyy read day first (month first only where day first is impossible), month-year and years
(1800-2100; never counts). Numbers that name ("Resolution 59", "No. 59-NQ/TW", "G20", "Industry 4.0") are skipped.

Values are intervals. "194" is a point; "more than 195" is (195, inf), "at least" [x, inf), "under" (-inf, x),
"up to" (-inf, x]; "nearly 5,000" is [4,500, 5,000]; "about 200" is +-10%; "28-29 billion" and "between 30
and 40" are ranges; a figure is as precise as it is written ("786 billion" = 785.5..786.5 billion, a round "5,000 USD" = 4,500..5,500); a date is
its day, month or year. Two values conflict when their intervals are disjoint, so equal values phrased differently
("fourteen" / "14", "US$1.2 billion" / "1,200 million USD", "24/1/2025" / "January 24, 2025") agree, and so does a
bound that admits the other value ("more than 190" / "194"). Ranks: "ranked 32nd" is a point; "one of the N
largest" / "among the top N" is the tier the source names: two tiers conflict when N differs (the seeds' "34
largest" / "40 largest"), a rank conflicts with a tier when it is outside it.

What a value is about is read from the words around it: the counted noun after it ("countries"), the clause
before it back to a boundary or an earlier value ("diplomatic relations with"), a complement ("of enterprises",
"to the flood relief fund") or, for a value that opens its clause, the predicate ("Fourteen people were injured in
the bus crash"). Two values are about the same thing when their counted nouns agree (synonyms and acronyms merged)
and their contexts share a compound (two adjacent content words: "diplomatic relations", "comprehensive
strategic") or the word the value hangs on; and none of these tells them apart:

* a shared word with different modifiers ("comprehensive strategic partnerships" is not "strategic and
  comprehensive partnerships"), or, on the counted noun or the word the value hangs on, a modifier on one side only
  ("core inflation" is not "inflation");
* fewer than half of the shorter context's nouns in the other;
* different words the values hang on where no counted noun says what is counted ("Coal ... 50%" / "Gas ... 30%");
* names after the value that the other side lacks, on both sides ("doses from COVAX" / "doses from the United
  States");
* different years in the two clauses, or different roles of the link word before the value ("from 100 USD to
  5,000 USD": starts are compared with starts; "rose by 5%" is a change, not a level).

Dates are compared only when they date an event: an event verb or noun ("issued", "dated", "adopted", "joined",
"opened", "landfall") before the date in its clause, or after a date that opens the clause; the same identifying
numbers ("Resolution 57" is not "Resolution 59") and a shared name or two shared words.

The question picks what is compared: "when ..." questions compare dates, all others quantities; both values'
contexts must share a content word of the question other than the counted noun (a lone capitalised name such as
"Vietnam" does not count; acronyms and multiword names do); a number in the question must be in the value's
clause; a year in the question excludes values of other years.

A conflict needs two different documents: one document giving two values is more often two things these rules
failed to tell apart than a document contradicting itself.

Stdlib only: dateparser, quantulum3, number-parser, text2num, word2number, price-parser and python-dateutil were
measured (see the README); none fits the budget and the need (offsets kept, bounds, scales) better than a few
regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from .text import STOPWORDS, fold_accents

__all__ = ["Conflict", "Evidence", "Value", "find_conflicts"]


@dataclass(frozen=True)
class Evidence:
    """One hit's answer text as the engine hands it over."""

    hit: int  # 1-based rank of the hit
    doc_id: str
    date: str | None  # ISO date of the document, if known
    text: str  # the sentence(s) to read values from
    start: int  # document offset of text[0]


@dataclass(frozen=True)
class Value:
    value: str  # canonical display: "194", "> 195", "2025-01-24", "786.29 billion USD", "top 40", "32nd"
    quote: str  # the exact words of the first occurrence: "more than 195 countries and territories"
    hits: tuple[int, ...]  # the hits that state it
    spans: tuple[tuple[str, int, int], ...]  # (doc_id, start, end) document offsets of every occurrence


@dataclass(frozen=True)
class Conflict:
    about: str  # what the values are about: "number of countries (diplomatic relations)"
    values: tuple[Value, ...]  # two or more values that cannot all be true

    def to_dict(self) -> dict:
        return {"about": self.about,
                "values": [{"value": v.value, "quote": v.quote, "hits": list(v.hits),
                            "spans": [list(s) for s in v.spans]} for v in self.values]}


# --- vocabulary ------------------------------------------------------------------------------------------------

FUNCTION_WORDS = STOPWORDS | frozenset(
    "since per via among amid across along upon within without toward towards onto also already yet still even "
    "just only nearly almost about around approximately roughly some least less fewer over under below above "
    "up down than like including include includes included according accordingly currently now today date".split()
) | frozenset(_w for _w in "zero one two three four five six seven eight nine ten".split())
_MONTH_NUMBERS = {m: i for i, ms in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december"], 1) for m in ms.split()}
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_SMALL.update({w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)})
_ORDINAL_WORDS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), 1)}
_SCALES = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12}
_GLUED_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "tn": 1e12, "trn": 1e12}
_SCALE_NAMES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_CURRENCY_SYMBOLS = {"US$": "USD", "$": "USD", "S$": "SGD", "A$": "AUD", "C$": "CAD", "HK$": "HKD", "NZ$": "NZD",
                     "€": "EUR", "£": "GBP", "¥": "JPY", "₫": "VND", "₹": "INR"}
_CURRENCY_WORDS = {"usd": "USD", "dollar": "USD", "vnd": "VND", "dong": "VND", "eur": "EUR", "euro": "EUR",
                   "gbp": "GBP", "jpy": "JPY", "yen": "JPY", "cny": "CNY", "rmb": "CNY", "yuan": "CNY",
                   "sgd": "SGD", "aud": "AUD", "krw": "KRW", "inr": "INR", "rupee": "INR", "baht": "THB"}
# bound phrases before a number, longest first: (words, operator)
_BOUNDS = sorted([
    *((p, ">") for p in ["more than", "over", "above", "exceeding", "exceeded", "exceeds", "exceed",
                         "in excess of", "upwards of", "beyond", "surpassing", "surpassed", "just over", "well over",
                         "topping", "greater than", "higher than"]),
    *((p, ">=") for p in ["at least", "no fewer than", "no less than", "not less than", "a minimum of",
                          "minimum of"]),
    *((p, "<") for p in ["less than", "fewer than", "under", "below", "lower than", "just under"]),
    *((p, "<=") for p in ["up to", "at most", "no more than", "not more than", "a maximum of", "maximum of"]),
    *((p, "nearly") for p in ["nearly", "almost", "close to", "approaching", "nearing"]),
    *((p, "about") for p in ["about", "around", "approximately", "approx", "roughly", "some", "an estimated",
                             "estimated at", "circa", "an approximate", "about some"]),
], key=lambda b: -len(b[0].split()))
_BOUNDS_BY_LAST: dict[str, list[tuple[str, str]]] = {}
for _phrase, _op in _BOUNDS:
    _BOUNDS_BY_LAST.setdefault(_phrase.split()[-1], []).append((_phrase, _op))
_TRAILING_BOUNDS = {("or", "more"): ">=", ("or", "above"): ">=", ("or", "less"): "<=", ("or", "fewer"): "<=",
                    ("or", "so"): "about", ("plus",): ">="}
_RANK_VERBS = frozenset("rank ranks ranked ranking place placed places came comes come finished finishes stood "
                        "stands stand sits sat position positioned".split())
_RANK_AFTER = frozenset("place position spot rank ranking".split())
_CHANGE_WORDS = frozenset("increase increased increases increasing rise rose risen rising grow grew grown growing "
                          "slipped slip slips moved move climbs falls drops jumps rises "
                          "growth up down fall fell fallen falling decline declined declining drop dropped jump "
                          "jumped surge surged gain gained climb climbed decrease decreased".split())
#: verbs that link a quantity to its subject: not what the value is about
_QUANTITY_VERBS = frozenset(
    "reach reached reaches reaching total totalled totaled totals totalling stand stood stands hit hits amount "
    "amounted amounts record recorded records post posted exceed exceeded exceeding estimate estimated maintain "
    "maintains maintained establish established set signed sign has have had bring bringing brought make made "
    "making achieve achieved register registered account accounts accounted become became be represent represents "
    "represented comprise comprises constitute constitutes put puts left leave leaves welcomed welcome welcomes "
    "received receive receives spent spend spends spending cost costs costing averaged averages averaging stretch "
    "stretches span spans measure measures cover covers weigh weighs".split())
#: modifiers too vague to tell two things apart ("the total number" is the number)
_IGNORED_MODIFIERS = frozenset("total overall current existing combined whole entire new latest various some "
                               "around nearly average annual yearly".split())
_GENERIC = frozenset("year month day time total number world global country people last past next first new "
                     "record per top".split())
#: question words that do not say what is asked about
_QUESTION_GENERIC = frozenset("many much number total big large high amount value size often long far".split())
_IRREGULAR_PLURALS = {"people": "person", "children": "child", "men": "man", "women": "woman", "staff": "staff",
                      "personnel": "personnel", "cattle": "cattle", "data": "data", "media": "media"}
_SYNONYMS = {"nation": "country", "fold": "time", "firm": "company", "enterprise": "company",
             "business": "company", "corporation": "company", "organisation": "organization",
             "programme": "program", "percent": "%", "pct": "%", "cent": "%", "resident": "person",
             "inhabitant": "person", "metre": "meter", "kilometre": "kilometer", "litre": "liter"}
_EVENT_VERBS = {}
for _cls, _bases in {
    "issue": "issue adopt promulgate sign pass approve enact ratify release publish decree date",
    "join": "join admit accede enter",
    "launch": "launch start begin began begun introduce initiate unveil",
    "open": "open inaugurate",
    "found": "found establish create form",
    "hold": "hold held convene organize organise host",
    "normalize": "normalize normalise resume",
    "happen": "happen occur take took taken land landfall die born elect appoint",
    "effect": "effect enforce",
}.items():
    for _b in _bases.split():
        for _f in (_b, _b + "s", _b + "d", _b + "ed", _b + "ing", _b[:-1] + "ing" if _b.endswith("e") else _b,
                   _b + _b[-1] + "ed" if _b[-1] in "pnt" else _b, _b + _b[-1] + "ing" if _b[-1] in "pnt" else _b):
            _EVENT_VERBS.setdefault(_f, _cls)
_EVENT_VERBS.update({"signed": "issue", "set": "found", "founded": "found", "held": "hold", "began": "launch",
                     "took": "happen", "born": "happen", "came": "effect", "dated": "issue"})
_INTENT_VERBS = frozenset("aim aims aimed target targets targeted plan plans planned seek seeks expect expects "
                          "expected want wants hope hopes said says say told reported".split())
#: units of measure, to a base unit: (base, factor); "ton" is taken as the metric tonne
_MEASURES = {"km": ("m", 1e3), "kilometre": ("m", 1e3), "kilometer": ("m", 1e3), "m": ("m", 1.0), "metre": ("m", 1.0),
             "meter": ("m", 1.0), "cm": ("m", 0.01), "mm": ("m", 0.001), "mile": ("m", 1609.344),
             "kg": ("kg", 1.0), "kilogram": ("kg", 1.0), "kilo": ("kg", 1.0), "tonne": ("kg", 1e3),
             "ton": ("kg", 1e3), "hectare": ("m2", 1e4), "ha": ("m2", 1e4), "km2": ("m2", 1e6),
             "kw": ("W", 1e3), "mw": ("W", 1e6), "gw": ("W", 1e9), "megawatt": ("W", 1e6), "gigawatt": ("W", 1e9)}
_COMPLEMENT_WORDS = frozenset("of in among with on at for to from".split())
_DATE_ROLES = {"on": "at", "in": "at", "dated": "at", "at": "at", "since": "since", "from": "since", "by": "by",
               "until": "by", "till": "by", "before": "by", "after": "after", "of": "asof"}

_MONTH_RE = (r"(?P<{0}>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
             r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_RE = re.compile(
    r"\b(?:" + _MONTH_RE.format("m1") + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE.format("m2") + r",?\s+(?P<y2>\d{4})"
    r"|" + _MONTH_RE.format("m3") + r",?\s+(?P<y3>\d{4})"
    r"|(?P<y4>\d{4})-(?P<m4>\d{1,2})-(?P<d4>\d{1,2})"
    r"|(?P<d5>\d{1,2})[/.](?P<m5>\d{1,2})[/.](?P<y5>\d{4})"
    r")(?![\w/-])"
)
_TOKEN_RE = re.compile(
    r"(?P<cur>US\$|S\$|A\$|C\$|HK\$|NZ\$|\$|€|£|¥|₫|₹|%)"
    r"|(?P<num>\d+(?:[.,]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<p>[^\w\s])"
)
_ABBREVIATIONS = frozenset("no mr mrs ms dr st vs jan feb mar apr jun jul aug sep sept oct nov dec co inc ltd corp "
                           "gov approx est nos".split())
_QUESTION_DATE_RE = re.compile(r"\b(when|what date|which date|what year|which year|what day|since when)\b", re.I)

_ROUND_QUANTITY = {"count", "money", "percent", "pp", "multiple"}


# --- tokens ----------------------------------------------------------------------------------------------------

class _Tok:
    __slots__ = ("s", "e", "raw", "t", "low", "lem", "cap", "date", "plural", "poss")

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
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w, plural = w[:-1], True
    elif w.isupper() and len(w) > 2 and w.endswith("s"):
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
    return date(y, 1, 1), date(y, 12, 31), f"{y:04d}"


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


# --- mentions --------------------------------------------------------------------------------------------------

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


_MAY_HOLD_A_VALUE = re.compile(
    r"\d|\b(?:" + "|".join([*_SMALL, *_ORDINAL_WORDS, "dozen", "hundred", "twice", "thrice"]) + r")\b", re.I)


@lru_cache(maxsize=20_000)
def _read_sentence(text: str) -> tuple[list[_Tok], list[_Mention]]:
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
    if t.t == "num" and currency is None and op == "=" and re.fullmatch(r"1[89]\d\d|20\d\d|2100", t.raw) and not (
            j < n and (toks[j].low in _SCALES or toks[j].raw == "%" or toks[j].low in ("percent", "per"))):
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
    elif j < n and toks[j].raw == "%":
        kind, j = "percent", j + 1
    elif j < n and toks[j].low in ("percent", "pct"):
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


# --- what a mention is about -----------------------------------------------------------------------------------

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
            elif tk.raw in ("-", "–") and unit and k + 1 < n and toks[k + 1].content:
                k += 1
            elif tk.low == "and" and unit and k + 1 < n and toks[k + 1].content and not toks[k + 1].cap and (
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


# --- comparing -------------------------------------------------------------------------------------------------

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


# --- the question ----------------------------------------------------------------------------------------------

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


def _acronym(raw: str) -> bool:
    """'GDP', 'FTAs', 'UN'."""
    core = raw[:-1] if raw.endswith("s") else raw
    return len(core) > 1 and core.isupper() and core.isalpha()


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


# --- the whole step --------------------------------------------------------------------------------------------

def find_conflicts(question: str, evidence: Sequence[Evidence]) -> list[Conflict]:
    """The values that the evidence states about the same, question-relevant thing and that cannot all be true,
    where at least two different documents disagree; best-ranked first."""
    q = _read_question(question)
    mentions: list[_Mention] = []
    tokens: list[list[_Tok]] = []
    for e_index, ev in enumerate(evidence):
        toks, found = _read_sentence(ev.text)
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
