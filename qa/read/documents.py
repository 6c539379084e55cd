"""Reading a corpus folder into Documents: decoding, web-debris removal and citation metadata.

A Document keeps the decoded file text untouched, so that every offset handed out later slices the file itself.
Debris is not deleted from the text; instead ``segments`` lists the spans that are article text, and passages are
cut only from inside them.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from ..config import GOLD, ReadingBudget
from ..errors import QAError
from ..text import normalize, sentence_spans
from .docxtext import docx_to_text
from .extracted import Extracted, Unreadable
from .files import FileInfo, locate, open_regular, sha256_file
from .files import list_files as _list_files
from .htmltext import html_to_text
from .markdowntext import markdown_structure
from .pdftext import pdf_to_text
from .worker import reader

#: Called while a long document is read: (doc_id, pages done, pages in all).
OnPage = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, with forward slashes
    text: str  # the decoded file (for HTML: its visible text); offsets everywhere refer to it
    title: str
    source: str | None  # a URL named by the text, if any
    date: str | None  # ISO date of publication, if the text gives one
    sha256: str  # of the file's bytes
    segments: tuple[tuple[int, int], ...] = field(repr=False)  # article text spans, in order
    #: photo captions (their credit left out), each a passage of its own kind; a caption a page repeats is once here
    captions: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    page_starts: tuple[int, ...] = ()  # paged documents (PDF): offset where page i + 1 begins; () for the others
    breaks: tuple[int, ...] = ()  # offsets where a passage must start (a Word or PDF heading)
    #: (start, end, level) of each heading, level 1 the highest: never a passage of its own, the context of the
    #: passages of its section (``qa.read.chunking``); a heading starts a new passage as a break does
    headings: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()  # what the reader could not read, when it read the rest ("no text on pages 9-12")
    ocr_pages: tuple[int, ...] = ()  # the (1-based) pages read by OCR, having no text layer (a scan)
    #: each table (``qa.read.extracted.Table``): rows of cell spans, the first row its header; a table's rows are
    #: cut into passages of their own that name each cell by its column (``qa.read.chunking``)
    tables: tuple = field(default=(), repr=False)

    @property
    def pages(self) -> int:
        return len(self.page_starts)


@dataclass(frozen=True)
class Skipped:
    doc_id: str
    reason: str


# --- finding files -------------------------------------------------------------------------------------------

def check_folder(folder: Path | str) -> Path:
    """``folder`` if it is a folder qa can read documents from, else the error that says what it is instead."""
    folder = Path(folder)
    if not folder.exists():
        raise QAError(f"corpus folder not found: {folder}")
    if not folder.is_dir():
        raise QAError(f"{folder} is a file, not a folder: give the folder that holds your documents "
                      f"({', '.join(SUFFIXES)})")
    return folder


def list_files(folder: Path, unread: list[Skipped] | None = None) -> list[FileInfo]:
    """Every corpus file below ``folder`` (``qa.read.files.list_files``: links out, FIFOs and devices are named,
    names that are not UTF-8 get a safe id), after checking that ``folder`` is one. With ``unread``, the files of
    other types are added to it, each with its reason (``not_read``)."""
    others: list[str] = []
    found = _list_files(check_folder(folder), SUFFIXES, others)
    if unread is not None:
        unread.extend(not_read(others))
    return found


#: Files of other types named one by one in a build's summary; past this many, the rest in one line by type (a
#: cloned repository holds thousands of source files).
NAMED_UNREAD = 20


def not_read(doc_ids: list[str]) -> list[Skipped]:
    """The files a build does not read for their type, each with "unsupported type .xlsx"; the corpus's gold set
    (read by qa eval and the build's calibration) is not one of them."""
    ids = sorted(d for d in doc_ids if d != GOLD)
    out = [Skipped(d, f"unsupported type {Path(d).suffix.lower() or '(no suffix)'}") for d in ids[:NAMED_UNREAD]]
    if len(ids) > NAMED_UNREAD:
        rest = Counter(Path(d).suffix.lower() or "(no suffix)" for d in ids[NAMED_UNREAD:])
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in rest.most_common())
        out.append(Skipped(f"{len(ids) - NAMED_UNREAD:,} more files", f"unsupported types ({kinds})"))
    return out


class _Skip(Exception):
    pass


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is kept as a character so offsets match the file) or UTF-16 with a BOM; anything else is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise _Skip(f"invalid UTF-16 at byte {e.start}") from None
    if b"\x00" in data[:8192]:
        raise _Skip("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Skip(f"not UTF-8 text (invalid byte at offset {e.start}); convert it to UTF-8") from None
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 8192):
        raise _Skip("binary file (control characters)")
    return text


def load_documents(folder: Path, max_bytes: int | None = None) -> tuple[list[Document], list[Skipped]]:
    """Read every corpus file below ``folder``; files that cannot be used are returned as ``Skipped`` with why."""
    docs, skipped = [], []
    for item in iter_documents(folder, list_files(folder), max_bytes):
        (docs if isinstance(item, Document) else skipped).append(item)
    return docs, skipped


def _too_large(size: int, max_bytes: int) -> str:
    return (f"too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:g} MB limit; "
            f"raise it with --max-file-mb or QA_MAX_FILE_MB)")


#: Parse each file in the reading worker (``qa.read.worker``), under the time and memory budget. Off only for
#: bench/reading.py, which measures what the worker costs a build against parsing here.
ISOLATE = True


def iter_documents(folder: Path, files: list[FileInfo], max_bytes: int | None = None,
                   on_page: OnPage | None = None, budget: ReadingBudget | None = None) -> Iterator[Document | Skipped]:
    """Read each listed file into a Document, or say why it was skipped. The size limit is decided from the file's
    size before anything is read, and nothing past it is ever read (the file may grow meanwhile). Each file is
    opened from a descriptor of the corpus folder (``files.open_regular``) and parsed in the reading worker, within
    ``budget`` (default: the defaults, with the text limit of ``max_bytes``)."""
    if budget is None:
        budget = ReadingBudget() if max_bytes is None else ReadingBudget(chars=max_bytes)
    worker = reader(budget.memory_mb)
    for info in files:
        if info.problem:
            yield Skipped(info.doc_id, info.problem)
            continue
        if max_bytes is not None and info.size > max_bytes:
            yield Skipped(info.doc_id, _too_large(info.size, max_bytes))
            continue
        try:
            with open_regular(locate(info, folder)) as f:
                size = os.fstat(f.fileno()).st_size
                if max_bytes is not None and size > max_bytes:
                    yield Skipped(info.doc_id, _too_large(size, max_bytes))
                    continue
                data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except OSError as e:
            yield Skipped(info.doc_id, f"cannot be read ({e.strerror or e})")
            continue
        if max_bytes is not None and len(data) > max_bytes:
            yield Skipped(info.doc_id, _too_large(len(data), max_bytes))
            continue
        progress = (lambda done, total, d=info.doc_id: on_page(d, done, total)) if on_page else None
        answer = worker.read({"doc_id": info.doc_id}, data, budget, progress) if ISOLATE else \
            read_request({"doc_id": info.doc_id, "budget": asdict(budget)}, data, progress or (lambda d, t: None))
        yield _document(answer["document"]) if "document" in answer else Skipped(info.doc_id, answer["skipped"])


# --- cleaning ------------------------------------------------------------------------------------------------

# A line that ends the article: what follows is a block of teasers for other stories.
_TRAILER_RE = re.compile(
    r"(?i)(see more|read more|related (news|articles|posts|stories)|more news|you may also like|"
    r"most read|latest news|recommended( for you)?)\s*:?"
)
# Page furniture that a copy-and-paste of a news page brings along.
_WIDGET_RE = re.compile(
    r"(?i)leftcenterrightdel|comments?\s*\(\d+\)|share|print|tweet|e-?mail|back to top|advertisement|"
    r"tags?:.*|follow us.*|copy link"
)
_IMAGE_FILE_RE = re.compile(r"(?i)\S+\.(jpe?g|png|gif|webp|svg|bmp|tiff?)")
_AGENCY_RE = re.compile(r"[A-Z]{2,6}(/[A-Z]{2,6})*")  # a lone byline such as "VNA" or "VNA/VNS"
# Photo credits, which mark a line as a caption: "... (Photo: VNA)", "- Illustrative image (Photo: VNA)",
# "Illustrative image (Source: VNA)", "VNA/VNS Photo Công Trường |".
_CREDIT_RES = (
    re.compile(r"\s*(?:[-–—]\s*)?(?:Illustrative (?:image|photo)\s*)?\((?:Photo|Source|Image|Ảnh)\s*:[^)]*\)\W*$", re.IGNORECASE),
    re.compile(r"\s*\b[A-Z]{2,}(?:/[A-Z]{2,})*\s+Photo\b.*$"),
    re.compile(r"\s*(?:[-–—]\s*)?\bIllustrative (?:image|photo)\W*$", re.IGNORECASE),
)
_SOURCE_RE = re.compile(r"(?i)(?:source|nguồn|url|link)\s*:\s*(.+)")
_URL_RE = re.compile(r"https?://\S+")
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], 1)}
_DMY = r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
_ISO = r"(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2})"
_MDY = r"(?P<mn>[A-Za-z]+)\.?\s+(?P<md>\d{1,2}),?\s+(?P<my>\d{4})"
_DAY_MONTH = r"(?P<dd>\d{1,2})\s+(?P<dmn>[A-Za-z]+)\s+(?P<dy>\d{4})"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?"
_DATE_ANY = rf"(?:{_ISO}|{_DMY}|{_MDY}|{_DAY_MONTH})"
# A line that is only a time stamp ("- 07:58 29/11/2025") or a labelled date ("Published: May 2, 2025").
_DATE_LINE_RE = re.compile(
    rf"(?i)[-–—•|\s]*(?:(?:published|posted|updated|date)\s*(?:on|at)?\s*:?\s*)?(?:{_TIME}\s*,?\s*)?"
    rf"(?:[A-Za-z]+,\s*)?{_DATE_ANY}(?:\s*,?\s*{_TIME})?(?:\s*\(?GMT[+-]\d+\)?)?\s*"
)
# "Hanoi (VNA) – " at the start of a wire story: not part of a title.
_DATELINE_RE = re.compile(r"^[A-Z][\w .,'-]{0,40}?\s*\([A-Z]{2,8}\)\s*[-–—:]\s*")
_FRONT_MATTER_RE = re.compile(r"\A(?:\ufeff)?---\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def _parse_date(m: re.Match) -> str | None:
    g = m.groupdict()
    try:
        if g.get("Y"):
            d = date(int(g["Y"]), int(g["M"]), int(g["D"]))
        elif g.get("y"):
            # Day first, as in most of the world; an impossible month then fails and the date is dropped.
            d = date(int(g["y"]), int(g["m"]), int(g["d"]))
        elif g.get("my"):
            d = date(int(g["my"]), _MONTHS[g["mn"].lower()], int(g["md"]))
        else:
            d = date(int(g["dy"]), _MONTHS[g["dmn"].lower()], int(g["dd"]))
    except (KeyError, ValueError):
        return None
    return d.isoformat()


def _lines(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each line's stripped content, skipping blank lines."""
    for m in re.finditer(r"[^\n]+", text[start:]):
        s, e = m.start() + start, m.end() + start
        while s < e and (text[s].isspace() or text[s] == "\ufeff"):  # a byte-order mark is no text
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            yield s, e


@dataclass
class _Meta:
    title: str | None = None
    source: str | None = None
    date: str | None = None


def _front_matter(text: str, meta: _Meta) -> int:
    """Read ``key: value`` front matter of a Markdown file into ``meta``; returns where the body starts."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return 0
    for line in m.group(1).splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip().strip("\"'")
        if not value:
            continue
        if key == "title":
            meta.title = value
        elif key in ("source", "url", "link") and _URL_RE.match(value):
            meta.source = value
        elif key in ("date", "published"):
            dm = re.search(_DATE_ANY, value)
            meta.date = _parse_date(dm) if dm else None
    return m.end()


def front_matter_end(text: str) -> int:
    """Where the body of a Markdown file starts, after its front matter (0 without one)."""
    return _front_matter(text, _Meta())


def _caption(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The span of a caption line without its photo credit, or None when it is a credit and nothing else."""
    line = text[s:e]
    cut = min((m.start() for credit in _CREDIT_RES if (m := credit.search(line))), default=len(line))
    end = s + cut
    while end > s and (text[end - 1].isspace() or text[end - 1] in "-–—|"):
        end -= 1
    return (s, end) if len(_WORDS_RE.findall(text[s:end])) >= _CAPTION_WORDS else None


_WORDS_RE = re.compile(r"\w+")
#: A caption needs this many words once its credit is gone ("Illustrative image" alone says nothing).
_CAPTION_WORDS = 3


def clean(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]], _Meta]:
    """Split a document into article spans, photo captions and metadata, leaving debris out of the spans."""
    meta = _Meta()
    body_start = _front_matter(text, meta)
    segments: list[tuple[int, int]] = []
    captions: list[tuple[int, int]] = []
    seen_captions: set[str] = set()
    previous = None  # normalised previous non-blank line, kept or not
    previous_kept = False  # whether that line's span is segments[-1]
    for s, e in _lines(text, body_start):
        line = text[s:e]
        norm = normalize(line)
        if norm == previous and previous_kept:
            # A doubled line: keep the later copy, which sits next to the paragraph it belongs to.
            segments.pop()
        previous, previous_kept = norm, False
        if _TRAILER_RE.fullmatch(line) and segments:
            break  # everything after "See more" is other stories
        if (source := _SOURCE_RE.fullmatch(line)) is not None:
            url = _URL_RE.search(source.group(1))
            if url and meta.source is None:
                meta.source = url.group().rstrip(".,;)")
            continue
        if (stamp := _DATE_LINE_RE.fullmatch(line)) is not None:
            meta.date = meta.date or _parse_date(stamp)
            continue
        if _WIDGET_RE.fullmatch(line) or _IMAGE_FILE_RE.fullmatch(line) or _AGENCY_RE.fullmatch(line):
            continue
        if any(credit.search(line) for credit in _CREDIT_RES):
            # A photo caption: it may state what the text does not (where a pictured port lies), so it is kept, as
            # a passage of its own kind; pages repeat captions, so each is kept once.
            span = _caption(text, s, e)
            if span and (key := normalize(text[span[0]:span[1]])) not in seen_captions:
                seen_captions.add(key)
                captions.append(span)
            continue
        segments.append((s, e))
        previous_kept = True
    return segments, captions, meta


# --- titles --------------------------------------------------------------------------------------------------

_TITLE_WORDS = 14


def _is_headline(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 20 and len(line) <= 160 and not line.rstrip().endswith((".", ",", ";", ":", "/."))


def _strip_decoration(line: str) -> str:
    """'📝OP-ED: ...' -> 'OP-ED: ...'; '# Title' -> 'Title'."""
    return re.sub(r"^[^\w\"'“‘(]+", "", line).strip()


def _lead(sentence: str) -> str:
    sentence = _DATELINE_RE.sub("", sentence).strip()
    words = sentence.split()
    if len(words) <= _TITLE_WORDS:
        return sentence
    return " ".join(words[:_TITLE_WORDS]).rstrip(",;:-–—") + "…"


def make_title(text: str, segments: list[tuple[int, int]], first_sentence_end: int | None = None) -> str:
    """A headline where the document starts with one, else a short lead from the first sentence."""
    first = text[segments[0][0] : segments[0][1]]
    if _is_headline(first):
        return _strip_decoration(first) or first
    end = first_sentence_end if first_sentence_end is not None else segments[0][1]
    return _lead(text[segments[0][0] : min(end, segments[0][1])])


def parse_document(doc_id: str, data: bytes, on_page: OnPage | None = None,
                   budget: ReadingBudget | None = None) -> Document:
    """The Document of a file's bytes, read as its suffix says (``READERS``) in this process, with the counters of
    ``budget`` (pages, characters, unpacked bytes) but not its time and memory limits, which need the worker
    (``iter_documents``); raises ``_Skip``/``Unreadable`` with the reason when there is nothing to index."""
    budget = budget or ReadingBudget()
    reader = READERS.get(Path(doc_id).suffix.lower(), _parse_text)
    doc = reader(doc_id, data, on_page, budget)
    if len(doc.text) > budget.chars:
        raise _Skip(f"over the reading budget: its text is {len(doc.text) / 1e6:.1f} million characters, more than "
                    f"the {budget.chars / 1e6:.1f} million a text file may hold (--max-file-mb)")
    return doc


def read_request(request: dict, data: bytes, progress: Callable[[int, int], None]) -> dict:
    """What the reading worker answers for one file: the Document as a dict, or the reason it is skipped. A reader
    that fails in a way nobody foresaw skips the file with its error: one odd file must not end a build."""
    doc_id = request["doc_id"]
    try:
        doc = parse_document(doc_id, data, lambda _, done, total: progress(done, total),
                             ReadingBudget(**request["budget"]))
    except (_Skip, Unreadable) as e:
        return {"skipped": str(e)}
    except RecursionError:
        return {"skipped": "over the reading budget: nested too deeply to read"}
    except Exception as e:  # noqa: BLE001 - a bug in a reader, met on hostile input: say which, skip, go on
        return {"skipped": f"the reader failed on it ({type(e).__name__}: {str(e)[:200]}); please report it"}
    return {"document": asdict(doc)}


def _document(d: dict) -> Document:
    """A Document from the worker's JSON (lists back to tuples)."""
    pairs = ("segments", "captions", "headings")
    d = dict(d)
    d["tables"] = tuple(tuple(tuple(tuple(cell) for cell in row) for row in table) for table in d.get("tables", ()))
    return Document(**{k: tuple(tuple(x) for x in v) if k in pairs else tuple(v) if isinstance(v, list) else v
                       for k, v in d.items()})


def _parse_text(doc_id: str, data: bytes, on_page: OnPage | None, budget: ReadingBudget) -> Document:
    text = decode(data)
    if not text.strip():
        raise _Skip("empty file")
    segments, captions, meta = clean(text)
    if not segments:
        raise _Skip("no article text left after removing page debris")
    title = meta.title or _title(text, segments)
    # a headline that opens the text is its title: the context of its passages, never a passage alone
    s, e = segments[0]
    headings = ((s, e, 1),) if len(segments) > 1 and _is_headline(text[s:e]) else ()
    return Document(doc_id=doc_id, text=text, title=title, source=meta.source, date=meta.date,
                    sha256=hashlib.sha256(data).hexdigest(), segments=tuple(segments), captions=tuple(captions),
                    headings=headings)


def _title(text: str, segments: list[tuple[int, int]]) -> str:
    first_sentences = sentence_spans(text, *segments[0])
    return make_title(text, segments, first_sentences[0][1] if first_sentences else None)


def _parse_markdown(doc_id: str, data: bytes, on_page: OnPage | None, budget: ReadingBudget) -> Document:
    """Markdown read as structure (``qa.read.markdowntext``): headings are the context of their sections, list and
    quotation markers and markup lines are left out of the text's spans."""
    text = decode(data)
    if not text.strip():
        raise _Skip("empty file")
    segments, captions, meta = clean(text)
    found = markdown_structure(text, front_matter_end(text), segments)
    if not found.segments:
        raise _Skip("no article text left after removing page debris")
    heads = found.headings
    title = meta.title or (" ".join(text[heads[0][0]:heads[0][1]].split()) if heads and heads[0][2] == 1 else None) \
        or _title(text, list(found.segments))
    return Document(doc_id=doc_id, text=text, title=title, source=meta.source, date=meta.date,
                    sha256=hashlib.sha256(data).hexdigest(), segments=found.segments, captions=tuple(captions),
                    headings=heads, tables=found.tables)


def _parse_html(doc_id: str, data: bytes, on_page: OnPage | None, budget: ReadingBudget) -> Document:
    markup = decode(data)
    if not markup.strip():
        raise _Skip("empty file")
    headings: list[tuple[int, int, int]] = []
    tables: list = []
    text, title, canonical = html_to_text(markup, headings, tables)
    # every non-blank line is article text: the furniture was left out by the extractor, not by line rules
    segments = [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    if not segments:
        raise _Skip("no visible text in the page")
    first = sentence_spans(text, *segments[0])
    return Document(
        doc_id=doc_id,
        text=text,
        title=title or make_title(text, segments, first[0][1] if first else None),
        source=canonical,
        date=None,
        sha256=hashlib.sha256(data).hexdigest(),
        segments=tuple(segments),
        headings=tuple(headings),
        tables=tuple(tables),
    )


def _parse_pdf(doc_id: str, data: bytes, on_page: OnPage | None, budget: ReadingBudget) -> Document:
    progress = (lambda done, total: on_page(doc_id, done, total)) if on_page else None
    return _from_extracted(doc_id, pdf_to_text(data, progress, budget.pages, budget.chars, seconds=budget.seconds),
                           data)


def _parse_docx(doc_id: str, data: bytes, on_page: OnPage | None, budget: ReadingBudget) -> Document:
    return _from_extracted(doc_id, docx_to_text(data, budget.unpacked_bytes), data)


def _from_extracted(doc_id: str, ex: Extracted, data: bytes) -> Document:
    """A Document of what the PDF or Word reader built: its text is the extracted text, one block a line."""
    first = sentence_spans(ex.text, *ex.blocks[0])
    return Document(
        doc_id=doc_id,
        text=ex.text,
        title=ex.title or make_title(ex.text, list(ex.blocks), first[0][1] if first else None),
        source=None,
        date=ex.date,
        sha256=hashlib.sha256(data).hexdigest(),
        segments=ex.blocks,
        page_starts=ex.page_starts,
        breaks=ex.headings,
        notes=ex.warnings,
        ocr_pages=ex.ocr_pages,
        headings=_levelled(ex),
        tables=ex.tables,
    )


def _levelled(ex: Extracted) -> tuple[tuple[int, int, int], ...]:
    """(start, end, level) of the headings of a PDF or Word file: each heading is one of its blocks."""
    ends = dict(ex.blocks)
    levels = ex.levels or (1,) * len(ex.headings)
    return tuple((s, ends[s], level) for s, level in zip(ex.headings, levels) if s in ends)


def pages_of(page_starts: tuple[int, ...] | list[int], start: int, end: int) -> tuple[int, ...]:
    """The 1-based pages that the text ``[start, end)`` of a paged document lies on; () for a document without
    pages."""
    if not page_starts:
        return ()
    first = max(1, bisect_right(page_starts, start))
    last = max(first, bisect_right(page_starts, max(start, end - 1)))
    return tuple(range(first, last + 1))


#: How each file type is read, by suffix. Plain text keeps the file's own text (offsets slice the file); HTML, PDF
#: and Word give the text a reader sees, which the index stores (offsets slice that).
READERS: dict[str, Callable[[str, bytes, OnPage | None, ReadingBudget], Document]] = {
    ".txt": _parse_text, ".md": _parse_markdown, ".markdown": _parse_markdown,
    ".html": _parse_html, ".htm": _parse_html,
    ".pdf": _parse_pdf, ".docx": _parse_docx,
}
SUFFIXES = tuple(READERS)
