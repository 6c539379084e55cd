"""Mending a word a PDF hyphenated at a line end (``join_hyphen``), decided by the words the document itself writes
out inside its lines (``vocabulary_of``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: Words that often start a compound broken at its own hyphen ("well-" / "known"), and the endings that make a
#: plain word of them instead ("ill-" / "ness" is "illness").
_COMPOUND_HEADS = frozenset(["well", "self", "ill", "half", "cross", "long", "short", "low", "full"])
_SUFFIXES = frozenset(["s", "es", "ed", "er", "ers", "est", "ing", "ings", "ly", "ness", "ment", "ments", "ity", "ful", "less", "ship", "ward", "wards", "age", "ish", "y"])
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-‐][^\W\d_]+)*")


def vocabulary_of(lines: Iterable[str]) -> set[str]:
    """Every word and hyphenated compound the document writes out inside a line (case-folded)."""
    words = set()
    for line in lines:
        words.update(w.lower().replace("‐", "-") for w in _WORD_RE.findall(line))
    return words


def join_hyphen(left: str, right: str, vocabulary: Callable[[], set[str]]) -> str:
    """Join a line that ends in a hyphen to the next one.

    A soft hyphen (U+00AD) only ever marks a break: dropped. Otherwise, when the next line starts with a lowercase
    letter, the document decides: "well-known" written elsewhere keeps the hyphen, "international" written
    elsewhere drops it; failing both, a head word from ``_COMPOUND_HEADS`` ("well", "self", "long") keeps it unless
    the rest is a plain ending ("ill-" / "ness"), and any other fragment drops it, since most line-end hyphens in
    typeset text are hyphenation. Known limit: without a dictionary, a compound broken at its own hyphen whose head
    is not in that list and that the document never writes on one line ("cost-" / "effective") loses its hyphen;
    before an uppercase letter or a digit the hyphen is always kept ("pre-" / "COVID").
    """
    head = re.search(r"([^\W\d_]*)[-‐\xad]$", left)
    tail = re.match(r"[^\W\d_]+", right)
    if left.endswith("\xad"):
        return left[:-1] + right
    if head is None or tail is None or not right[:1].islower() or not head.group(1):
        return left + right
    h, t = head.group(1).lower(), tail.group().lower()
    if f"{h}-{t}" in vocabulary():
        return left[:-1] + "-" + right
    if h + t in vocabulary():
        return left[:-1] + right
    if h in _COMPOUND_HEADS and t not in _SUFFIXES:
        return left[:-1] + "-" + right
    return left[:-1] + right
