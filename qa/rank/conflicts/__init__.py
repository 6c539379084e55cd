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
measured (see docs/conflicts.md); none fits the budget and the need (offsets kept, bounds, scales) better than a few
regular expressions.
"""

from .evidence import Conflict, Evidence, Value
from .find import find_conflicts
from .reading import read_sentence

__all__ = ["Conflict", "Evidence", "Value", "find_conflicts", "read_sentence"]
