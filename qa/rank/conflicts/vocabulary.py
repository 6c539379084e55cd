"""The words, tables and patterns that the reader of values knows."""

from __future__ import annotations

import re

from ...text import STOPWORDS

FUNCTION_WORDS = STOPWORDS | frozenset(
    ["since", "per", "via", "among", "amid", "across", "along", "upon", "within", "without", "toward", "towards", "onto", "also", "already", "yet", "still", "even", "just", "only", "nearly", "almost", "about", "around", "approximately", "roughly", "some", "least", "less", "fewer", "over", "under", "below", "above", "up", "down", "than", "like", "including", "include", "includes", "included", "according", "accordingly", "currently", "now", "today", "date"]
) | frozenset(_w for _w in ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])
_MONTH_NUMBERS = {m: i for i, ms in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december"], 1) for m in ms.split()}
_SMALL = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_SMALL.update({w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)})
_ORDINAL_WORDS = {w: i for i, w in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"], 1)}
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
_RANK_VERBS = frozenset(["rank", "ranks", "ranked", "ranking", "place", "placed", "places", "came", "comes", "come", "finished", "finishes", "stood", "stands", "stand", "sits", "sat", "position", "positioned"])
_RANK_AFTER = frozenset(["place", "position", "spot", "rank", "ranking"])
_CHANGE_WORDS = frozenset(["increase", "increased", "increases", "increasing", "rise", "rose", "risen", "rising", "grow", "grew", "grown", "growing", "slipped", "slip", "slips", "moved", "move", "climbs", "falls", "drops", "jumps", "rises", "growth", "up", "down", "fall", "fell", "fallen", "falling", "decline", "declined", "declining", "drop", "dropped", "jump", "jumped", "surge", "surged", "gain", "gained", "climb", "climbed", "decrease", "decreased"])
#: verbs that link a quantity to its subject: not what the value is about
_QUANTITY_VERBS = frozenset(
    ["reach", "reached", "reaches", "reaching", "total", "totalled", "totaled", "totals", "totalling", "stand", "stood", "stands", "hit", "hits", "amount", "amounted", "amounts", "record", "recorded", "records", "post", "posted", "exceed", "exceeded", "exceeding", "estimate", "estimated", "maintain", "maintains", "maintained", "establish", "established", "set", "signed", "sign", "has", "have", "had", "bring", "bringing", "brought", "make", "made", "making", "achieve", "achieved", "register", "registered", "account", "accounts", "accounted", "become", "became", "be", "represent", "represents", "represented", "comprise", "comprises", "constitute", "constitutes", "put", "puts", "left", "leave", "leaves", "welcomed", "welcome", "welcomes", "received", "receive", "receives", "spent", "spend", "spends", "spending", "cost", "costs", "costing", "averaged", "averages", "averaging", "stretch", "stretches", "span", "spans", "measure", "measures", "cover", "covers", "weigh", "weighs"])
#: modifiers too vague to tell two things apart ("the total number" is the number)
_IGNORED_MODIFIERS = frozenset(["total", "overall", "current", "existing", "combined", "whole", "entire", "new", "latest", "various", "some", "around", "nearly", "average", "annual", "yearly"])
_GENERIC = frozenset(["year", "month", "day", "time", "total", "number", "world", "global", "country", "people", "last", "past", "next", "first", "new", "record", "per", "top"])
#: question words that do not say what is asked about
_QUESTION_GENERIC = frozenset(["many", "much", "number", "total", "big", "large", "high", "amount", "value", "size", "often", "long", "far"])
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
_INTENT_VERBS = frozenset(["aim", "aims", "aimed", "target", "targets", "targeted", "plan", "plans", "planned", "seek", "seeks", "expect", "expects", "expected", "want", "wants", "hope", "hopes", "said", "says", "say", "told", "reported"])
#: units of measure, to a base unit: (base, factor); "ton" is taken as the metric tonne
_MEASURES = {"km": ("m", 1e3), "kilometre": ("m", 1e3), "kilometer": ("m", 1e3), "m": ("m", 1.0), "metre": ("m", 1.0),
             "meter": ("m", 1.0), "cm": ("m", 0.01), "mm": ("m", 0.001), "mile": ("m", 1609.344),
             "kg": ("kg", 1.0), "kilogram": ("kg", 1.0), "kilo": ("kg", 1.0), "tonne": ("kg", 1e3),
             "ton": ("kg", 1e3), "hectare": ("m2", 1e4), "ha": ("m2", 1e4), "km2": ("m2", 1e6),
             "kw": ("W", 1e3), "mw": ("W", 1e6), "gw": ("W", 1e9), "megawatt": ("W", 1e6), "gigawatt": ("W", 1e9)}
_COMPLEMENT_WORDS = frozenset(["of", "in", "among", "with", "on", "at", "for", "to", "from"])
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
_ABBREVIATIONS = frozenset(["no", "mr", "mrs", "ms", "dr", "st", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "co", "inc", "ltd", "corp", "gov", "approx", "est", "nos"])
_QUESTION_DATE_RE = re.compile(r"\b(when|what date|which date|what year|which year|what day|since when)\b", re.IGNORECASE)

_ROUND_QUANTITY = {"count", "money", "percent", "pp", "multiple"}
