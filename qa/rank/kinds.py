"""What kind of answer a question asks for, read from the question alone: a date, a number, a name (a person or an
organisation), a place, or a phrase (anything else: "what", "which X", "why", "how" -- the sentence itself answers).

A lookup table of question openings, tried in order, first match wins; not a model. Each row was written for a way
questions are asked in the seeds' gold set and gold/'s question sets (tests/test_kinds.py holds one case a row).
"""

from __future__ import annotations

import re

DATE, NUMBER, NAME, PLACE, PHRASE = "date", "number", "name", "place", "phrase"
#: Every kind, and what a question of it asks, as the reason of an abstention says it ("do not say when").
KINDS = {DATE: "when", NUMBER: "how many or how much", NAME: "who", PLACE: "where", PHRASE: "what"}

_P = r"(?:in|on|at|for|to|from|by|of|during|since|until|with|after|before|around)"
_WHAT = r"(?:what|which)"
#: Words after "what"/"which" that name the kind asked for ("In which year", "What percentage", "Which company").
_DATE_NOUNS = r"(?:year|years|date|day|month|decade|century|time|period|era)"
_NUMBER_NOUNS = (r"(?:number|amount|percentage|percent|share|proportion|fraction|rate|price|cost|population|size|"
                 r"length|height|width|depth|distance|area|total|sum|value|figure|score|speed|temperature|age)")
_NAME_NOUNS = (r"(?:person|people|man|woman|king|queen|president|leader|minister|author|writer|scientist|company|"
               r"companies|firm|organi[sz]ation|organi[sz]ations|agency|group|team|party|university|school|"
               r"institution|body|bank|brand|duke|emperor|pope|general|founder|owner|ruler|chairman|director)")
_PLACE_NOUNS = (r"(?:country|countries|city|cities|town|towns|place|region|province|state|area|continent|island|"
                r"location|village|county|district|nation|port|river|capital)")

#: (pattern on the question, kind), first match wins. Patterns are matched case-insensitively from the question's
#: start (after an optional preposition), so "What year" is a date but "What happened that year" a phrase.
TABLE: tuple[tuple[str, str], ...] = (
    (rf"when\b|{_P}?\s*{_WHAT}\s+(?:\w+\s+)?{_DATE_NOUNS}\b|how\s+long\s+ago\b", DATE),
    (r"how\s+(?:many|much|far|long|old|big|large|tall|high|deep|wide|often|fast)\b", NUMBER),
    (rf"{_P}?\s*{_WHAT}\s+(?:\w+\s+)?{_NUMBER_NOUNS}\b|what\s+(?:is|was|are|were)\s+the\s+(?:\w+\s+)?"
     rf"(?:{_NUMBER_NOUNS})\s+of\b", NUMBER),
    (r"(?:who|whom|whose)\b", NAME),
    (rf"{_P}?\s*{_WHAT}\s+(?:\w+\s+)?{_NAME_NOUNS}\b", NAME),
    (rf"where\b|{_P}?\s*{_WHAT}\s+(?:\w+\s+)?{_PLACE_NOUNS}\b", PLACE),
)
#: Words of a question that name the kind of value asked ("In which year", "What share", "how many"): not part of
#: what the answer's sentence must say (``qa.rank.spans.AskedFor.predicate``).
VALUE_NOUNS = frozenset(re.findall(r"[a-z]+", _DATE_NOUNS + _NUMBER_NOUNS)) | {"many", "much", "long", "old", "far",
                                                                               "big", "large", "often"}
_COMPILED = tuple((re.compile(r"(?i)^\W*(?:" + pattern + ")"), kind) for pattern, kind in TABLE)


def question_kind(question: str) -> str:
    """The kind of answer ``question`` asks for: one of ``KINDS`` (``PHRASE`` when no row of ``TABLE`` matches)."""
    text = " ".join(question.split())[:300]
    for pattern, kind in _COMPILED:
        if pattern.search(text):
            return kind
    return PHRASE


#: The kind of answer each kind of value that ``qa.rank.conflicts`` reads can be.
VALUE_KINDS = {"date": DATE, "count": NUMBER, "money": NUMBER, "percent": NUMBER, "pp": NUMBER,
               "multiple": NUMBER, "measure": NUMBER, "tier": NUMBER, "rank": NUMBER, "ordinal": NUMBER}
