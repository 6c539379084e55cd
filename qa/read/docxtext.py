"""The text of a Word .docx file: the body's paragraphs and tables in document order, one block per line.

python-docx opens the package; the body is read from its XML directly, because python-docx's own iteration skips
content controls (Word puts cover pages in them) and repeats merged table cells. What is read:

* each paragraph with text, runs and hyperlinks and field results joined; a tab or line break inside it becomes a
  space; deleted (tracked) text and field codes are left out; text boxes anchored in a paragraph follow it;
* each table row as one block, its cells joined by " | "; a merged cell counts once (Word stores it once, with a
  span), cells that continue a vertical merge and empty cells are skipped;
* headings: paragraphs whose style is (or is based on) Title or Heading 1-9, or that carry an outline level;
* table-of-contents entries (styles "toc 1"...) are left out: they repeat the headings with page numbers.

Headers, footers, footnotes and comments are not read: like a PDF's running heads, they are not the body text.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from .extracted import CELL_SEPARATOR, Extracted, Unreadable, assemble, cell_spans, iso_date, real_title, tables_of

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_P, _TBL, _TR, _TC, _T = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "t"
_SDT, _SDT_CONTENT, _CUSTOM_XML = _W + "sdt", _W + "sdtContent", _W + "customXml"
_TEXT_BOX = _W + "txbxContent"
_SPACES = {_W + "tab", _W + "ptab", _W + "br", _W + "cr"}
#: Subtrees whose text is not the paragraph's: text boxes (read as blocks of their own), the fallback copy Word
#: keeps of every text box, deleted and moved-away text, and properties.
_NOT_TEXT = {_TEXT_BOX, _MC + "Fallback", _W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr"}
_HEADING_NAME_RE = re.compile(r"(?i)(heading [1-9]|title)")
_TOC_NAME_RE = re.compile(r"(?i)toc [1-9]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, and password-protected .docx


class _Styles:
    """Which paragraph styles are headings or table-of-contents entries, following basedOn chains."""

    def __init__(self, document):
        self.styles: dict[str, tuple[str, str | None, int | None]] = {}  # id -> (name, based on, outline level)
        self.kinds: dict[str | None, tuple[str, int]] = {}
        try:
            root = document.styles.element
        except (KeyError, AttributeError):  # a package without styles.xml
            return
        for style in root.iterchildren(_W + "style"):
            sid = style.get(_W + "styleId")
            name = style.find(_W + "name")
            based = style.find(_W + "basedOn")
            outline = style.find(f"{_W}pPr/{_W}outlineLvl")
            level = outline.get(_W + "val", "9") if outline is not None else "9"
            self.styles[sid] = (name.get(_W + "val", "") if name is not None else "",
                                based.get(_W + "val") if based is not None else None,
                                int(level) if level.isdigit() and int(level) < 9 else None)

    def kind(self, style_id: str | None) -> tuple[str, int]:
        """("heading", its level), ("toc", 0) or ("text", 0): Title is level 0, above Heading 1."""
        if style_id not in self.kinds:
            kind, seen, sid = ("text", 0), set(), style_id
            while sid in self.styles and sid not in seen and len(seen) < 10:
                seen.add(sid)
                name, based, outline = self.styles[sid]
                if _TOC_NAME_RE.fullmatch(name):
                    kind = ("toc", 0)
                    break
                if outline is not None or _HEADING_NAME_RE.fullmatch(name):
                    named = re.fullmatch(r"(?i)heading ([1-9])", name)
                    kind = ("heading", int(named.group(1)) if named else 0 if name.lower() == "title"
                            else outline + 1)
                    break
                sid = based
            self.kinds[style_id] = kind
        return self.kinds[style_id]

    def of(self, p) -> tuple[str, int]:
        ppr = p.find(_W + "pPr")
        style = ppr.find(_W + "pStyle") if ppr is not None else None
        outline = ppr.find(_W + "outlineLvl") if ppr is not None else None
        if outline is not None and outline.get(_W + "val", "9").isdigit() and int(outline.get(_W + "val")) < 9:
            return "heading", int(outline.get(_W + "val")) + 1
        return self.kind(style.get(_W + "val") if style is not None else None)


def _gather(el, parts: list[str]) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):  # an XML comment or processing instruction
            continue
        if tag == _T:
            parts.append(child.text or "")
        elif tag in _SPACES:
            parts.append(" ")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag not in _NOT_TEXT and len(child):
            _gather(child, parts)


def _clean(text: str) -> str:
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\xad]", "", text.replace("\xa0", " "))
    return re.sub(r"\s+", " ", text).strip()


def paragraph_text(p) -> str:
    parts: list[str] = []
    _gather(p, parts)
    return _clean("".join(parts))


def _text_boxes(p):
    """Text boxes anchored in paragraph ``p`` (the DrawingML copy; the VML fallback holds the same text)."""
    for box in p.iter(_TEXT_BOX):
        node = box.getparent()
        while node is not None and node is not p and node.tag != _MC + "Fallback":
            node = node.getparent()
        if node is p:
            yield box


def _cell_text(tc) -> str:
    parts = []
    for p in tc.iter(_P):  # nested tables included, their cells joined with spaces
        node = p.getparent()
        while node is not None and node is not tc and node.tag != _MC + "Fallback":
            node = node.getparent()
        if node is tc:
            parts.append(paragraph_text(p))
    return _clean(" ".join(parts))


def _rows(container):
    for child in container.iterchildren():
        if child.tag == _TR:
            yield child
        elif child.tag in (_SDT, _SDT_CONTENT, _CUSTOM_XML):  # rows inside a content control
            yield from _rows(child)


#: Between the cells of a table row in the text (a cell's own " | " would read as two cells: rare, and harmless).
def _continues_vertical_merge(tc) -> bool:
    merge = tc.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(_W + "val", "continue") == "continue"


def _walk(container, out: list[tuple[str, str, Any]], styles: _Styles, tables: Iterator[int] | None = None) -> None:
    """Append (text, kind, heading level) for every block below ``container``, in document order; a table row's
    level is its table's number, drawn from ``tables``, and its cells' text."""
    tables = tables or itertools.count(1)
    for child in container.iterchildren():
        tag = child.tag
        if tag == _P:
            kind, level = styles.of(child)
            text = paragraph_text(child)
            if text and kind != "toc":
                out.append((text, kind, level))
            for box in _text_boxes(child):
                _walk(box, out, styles, tables)
        elif tag == _TBL:
            table = next(tables)  # rows carry their table's number
            for tr in _rows(child):
                cells = [_cell_text(tc) for tc in tr.iterchildren(_TC) if not _continues_vertical_merge(tc)]
                cells = [c for c in cells if c]
                if cells:  # a row's level: its table's number, and its cells
                    out.append((CELL_SEPARATOR.join(cells), "row", (table, tuple(cells))))
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                _walk(content, out, styles, tables)
        elif tag == _CUSTOM_XML:
            _walk(child, out, styles, tables)


def _why_not_docx(data: bytes, error: Exception) -> str:
    if data.startswith(_OLE_MAGIC):
        return "an old Word 97-2003 .doc file renamed? save it as .docx in Word"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return "not a zip archive, as every .docx is"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        return f"a damaged zip archive: {e}"
    if "word/document.xml" not in names:
        kind = ("an Excel workbook" if "xl/workbook.xml" in names else
                "a PowerPoint file" if "ppt/presentation.xml" in names else
                "an OpenDocument file; save it as .docx" if "content.xml" in names else "a zip archive")
        return f"{kind} without word/document.xml"
    detail = re.sub(r"\s+", " ", str(error)).strip()[:200]
    return f"python-docx: {type(error).__name__}{': ' + detail if detail else ''}"


def _open(data: bytes):
    import docx

    if data.startswith(_OLE_MAGIC) and "EncryptedPackage".encode("utf-16-le") in data:
        raise Unreadable("encrypted: qa cannot read it")  # Word keeps a password-protected .docx in an OLE file
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - python-docx raises KeyError, ValueError, zip and XML errors alike
        raise Unreadable(f"not a Word .docx file ({_why_not_docx(data, e)})") from None


#: The creation and modification time in python-docx's own default template: a file made with python-docx that never
#: set them carries it, and it says nothing of when the document was written (issue 22).
_PYTHON_DOCX_TEMPLATE = (2013, 12, 23, 23, 15)


def _template_date(when) -> bool:
    return (when.year, when.month, when.day, when.hour, when.minute) == _PYTHON_DOCX_TEMPLATE and not when.second


def _metadata(document) -> tuple[str | None, str | None]:
    """(title, ISO date) from docProps/core.xml; none when the file has no core properties.

    python-docx makes up core properties (title "Word Document", modified now) for a file without them, so their
    presence is checked first.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    if not any(rel.reltype == RT.CORE_PROPERTIES for rel in document.part.package.rels.values()):
        return None, None
    try:
        props = document.core_properties
        dates = [d for d in (props.created, props.modified) if d is not None and not _template_date(d)]
        title, when = props.title, (dates or [None])[0]
    except (ValueError, KeyError, AttributeError):  # an unparseable date, a damaged part
        return None, None
    return real_title(title), iso_date(when.year, when.month, when.day) if when else None


def _unpacked(data: bytes) -> int:
    """What the zip's parts unpack to, by its directory (0 when it is not a zip: python-docx then says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def docx_to_text(data: bytes, max_unpacked: int | None = None) -> Extracted:
    """The body text of a .docx; raises ``Unreadable`` when it is not one, holds no text, or its parts unpack to
    more than ``max_unpacked`` bytes (judged from the zip's directory, before anything is inflated; a directory
    that lies is caught by the reading worker's memory limit)."""
    if max_unpacked is not None and (size := _unpacked(data)) > max_unpacked:
        raise Unreadable(f"over the reading budget: its parts unpack to {size / 2**20:,.0f} MB, more than "
                         f"{max_unpacked / 2**20:g} MB (QA_READ_UNPACKED_MB)")
    document = _open(bytes(data))
    found: list[tuple[str, str, Any]] = []
    _walk(document.element.body, found, _Styles(document))
    if not found:
        raise Unreadable("no text")
    text, spans = assemble([t for t, _, _ in found])
    rows = [(level[0], cell_spans(s, level[1])) for (s, _), (_, kind, level) in zip(spans, found) if kind == "row"]
    title, when = _metadata(document)
    if title is None:
        heads = [t for t, kind, _ in found if kind == "heading" and len(t) <= 200]
        short = [t for t, kind, _ in found if kind == "text" and len(t) <= 120
                 and not t.endswith((".", ",", ";", ":"))]
        title = (heads or short or [None])[0]
    return Extracted(
        text=text,
        blocks=spans,
        headings=tuple(s for (s, _), (_, kind, _) in zip(spans, found) if kind == "heading"),
        page_starts=(),
        title=title,
        date=when,
        pages=0,
        warnings=(),
        levels=tuple(level for _, kind, level in found if kind == "heading"),
        tables=tables_of(rows),
    )
