"""The objects that flow through conflict finding: a hit's answer sentence in, the values that disagree out."""

from __future__ import annotations

from dataclasses import dataclass


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
