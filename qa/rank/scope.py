"""A question's scope: which passages it may be answered from, by document, folder, file type, passage kind, date
and PDF page. Fields combine with AND; the values within one field with OR ("pdf or docx"). A scope is applied
*inside* both searches (``qa.rank.vectors.Within`` for FAISS, a row mask for BM25), so a question's ``k`` hits come
from the scope whenever it holds ``k`` passages, and its confidence and conflicts are computed within it.

This module only reads and checks what a person, a script or an assistant wrote; the database finds the passages
(``qa.store.database.Reader.scope_ids``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import QAError

#: Passage kinds: body text, a photo caption (a passage of its own), a table row group, text read by OCR.
KINDS = ("caption", "ocr", "table", "text")
#: File types by suffix, as the readers take them (qa.read.documents.READERS); "htm" and "markdown" are aliases.
TYPES = {"txt": (".txt",), "md": (".md", ".markdown"), "markdown": (".md", ".markdown"),
         "html": (".html", ".htm"), "htm": (".html", ".htm"), "pdf": (".pdf",), "docx": (".docx",)}
#: The most values one field may list (a bound on the SQL a question may ask for).
MAX_VALUES = 100

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_PAGES = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class Scope:
    docs: tuple[str, ...] = ()  # document ids (paths inside the corpus, forward slashes)
    folders: tuple[str, ...] = ()  # path prefixes inside the corpus, without a trailing slash
    types: tuple[str, ...] = ()  # file suffixes, with the dot: ".pdf"
    kinds: tuple[str, ...] = ()  # passage kinds (KINDS)
    since: str | None = None  # ISO date: documents dated on or after it (undated documents are out)
    until: str | None = None  # ISO date: documents dated on or before it
    pages: tuple[int, int] | None = None  # first and last page (1-based) of a paged document (PDF); others are out

    @property
    def everything(self) -> bool:
        return self == EVERYTHING

    @classmethod
    def of(cls, doc: Any = None, folder: Any = None, type: Any = None, kind: Any = None, since: Any = None,
           until: Any = None, pages: Any = None) -> Scope:
        """A scope from what a command line, a query string or a JSON body gives: each list field takes one
        string, a comma-separated string or a list of strings. Raises ``QAError`` naming a field it cannot read."""
        types = tuple(dict.fromkeys(s for t in _strings("type", type) for s in _type(t)))
        kinds = _strings("kind", kind)
        for k in kinds:
            if k not in KINDS:
                raise QAError(f"Unknown kind '{k}'. Choose from: {', '.join(KINDS)}")
        first, last = _date("since", since, end=False), _date("until", until, end=True)
        if first and last and first > last:
            raise QAError(f"since {first} is after until {last}: nothing can lie between them")
        return cls(_strings("doc", doc), tuple(_folder(f) for f in _strings("folder", folder)), types, kinds,
                   first, last, _pages(pages))

    @classmethod
    def from_json(cls, data: Any) -> Scope:
        """A scope from a JSON object with the fields of ``of`` (doc, folder, type, kind, since, until, pages)."""
        if data is None:
            return EVERYTHING
        if not isinstance(data, dict):
            raise QAError('scope must be a JSON object, e.g. {"type": "pdf", "since": "2025-01-01"}')
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise QAError(f"Unknown scope field '{unknown[0]}'. Choose from: {', '.join(FIELDS)}")
        return cls.of(**data)

    def to_dict(self) -> dict:
        """The scope as ``from_json`` reads it, without its empty fields."""
        out = {"doc": list(self.docs), "folder": list(self.folders), "type": [t.lstrip(".") for t in self.types],
               "kind": list(self.kinds), "since": self.since, "until": self.until,
               "pages": f"{self.pages[0]}-{self.pages[1]}" if self.pages else None}
        return {k: v for k, v in out.items() if v}

    def describe(self) -> str:
        """The scope in a few words, as errors and tables name it: 'type pdf · since 2025-01-01'."""
        parts = [f"{name} {', '.join(v) if isinstance(v, list) else v}" for name, v in self.to_dict().items()]
        return " · ".join(parts) or "the whole corpus"


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise QAError(f"scope {name} must be text or a list of text")
    out = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(out) > MAX_VALUES:
        raise QAError(f"scope {name} lists {len(out)} values; at most {MAX_VALUES} are taken")
    if any("\x00" in v or len(v) > 4096 for v in out):
        raise QAError(f"scope {name} holds a value that cannot be a path")
    return out


def _type(value: str) -> tuple[str, ...]:
    found = TYPES.get(value.lower().lstrip("."))
    if found is None:
        raise QAError(f"Unknown type '{value}'. Choose from: {', '.join(sorted(TYPES))}")
    return found


def _folder(value: str) -> str:
    path = value.replace("\\", "/").strip("/")
    while path.startswith("./"):
        path = path[2:]
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts or value.startswith("/"):
        raise QAError(f"scope folder '{value}' must be a folder inside the corpus, e.g. reports/2025")
    return "/".join(parts)


def _date(name: str, value: Any, end: bool) -> str | None:
    """An ISO date from YYYY, YYYY-MM or YYYY-MM-DD: a year or month ``until`` means its last day."""
    if value is None or value == "":
        return None
    m = _DATE.match(value.strip()) if isinstance(value, str) else None
    try:
        if m is None:
            raise ValueError
        year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
        day = int(day) if day else (calendar.monthrange(year, month)[1] if end else 1)
        return date(year, month, day).isoformat()
    except ValueError:
        raise QAError(f"scope {name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}") from None


def _pages(value: Any) -> tuple[int, int] | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(type(v) is int for v in value):
        value = f"{value[0]}-{value[1]}"
    m = _PAGES.match(value) if isinstance(value, str) else None
    first, last = (int(m[1]), int(m[2] or m[1])) if m else (0, 0)
    if not m or first < 1 or last < first:
        raise QAError(f"scope pages must be a page or a range of pages from 1, e.g. 3 or 2-5, got {value!r}")
    return first, last


FIELDS = ("doc", "folder", "type", "kind", "since", "until", "pages")
EVERYTHING = Scope()
