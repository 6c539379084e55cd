"""A corpus file opened again after the build, for the page a person looks at: the original bytes, and a PDF page
rendered with the cited characters lit (``qa.read.pagerender``, in the reading worker).

The corpus is hostile input here as at build time: the file is opened from a descriptor of the corpus folder, one
component at a time with ``O_NOFOLLOW`` (``qa.read.files.open_regular``), so a file swapped for a link out of the
corpus since the build is refused, not followed; a file over the size limit is not read; and rendering runs in the
reading worker under its memory and time budget, so a page that draws without end costs the worker, not the server.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

from ..config import ReadingBudget
from ..errors import NotFoundError, QAError, StaleIndexError
from .files import FileInfo, open_regular
from .lru import LRU
from .worker import reader

#: A rendered page waits at most this long (or the reading budget, if shorter): a person is looking at a spinner.
RENDER_SECONDS = 20.0


def _candidates(doc_id: str) -> list[str]:
    """Relative paths a document id may name: itself, and for an id made from a name that is not UTF-8 (``%XX``
    escapes, ``qa.read.files.safe_name``) the name its escapes spell."""
    paths = [doc_id]
    if "%" in doc_id:
        try:
            paths.append(os.fsdecode(unquote_to_bytes(doc_id)))
        except ValueError:
            pass
    return paths


def read_original(corpus: Path | str, doc_id: str, max_bytes: int) -> bytes:
    """The bytes of document ``doc_id`` as the corpus folder holds them now. NotFoundError when it is gone or is no
    longer a regular file inside the corpus (a link out is not followed), QAError when it is over ``max_bytes``."""
    root = os.path.realpath(corpus)
    for rel in _candidates(doc_id):
        info = FileInfo(doc_id, Path(root, rel), 0, 0, root=root, rel=rel.replace("/", os.sep))
        try:
            with open_regular(info) as f:
                size = os.fstat(f.fileno()).st_size
                if size > max_bytes:
                    raise QAError(f"{doc_id} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit "
                                  f"(--max-file-mb / QA_MAX_FILE_MB)")
                return f.read(max_bytes + 1)[:max_bytes]
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EINVAL):
                raise QAError(f"cannot open {doc_id}: {e.strerror}") from None
    raise NotFoundError(f"{doc_id} is no longer a file in the corpus folder (moved, deleted, or now a link)")


def render_lit_page(data: bytes, page: int, text: str, passage: tuple[int, int] | None = None,
                    sentence: tuple[int, int] | None = None, budget: ReadingBudget | None = None) -> bytes:
    """The PNG of page ``page`` (1-based) of the PDF ``data``, with characters ``passage`` and ``sentence`` of its
    indexed ``text`` lit, rendered in the reading worker. NotFoundError for a page the file does not have,
    StaleIndexError when the file changed since it was indexed, QAError when the worker could not render it within
    its budget."""
    budget = budget or ReadingBudget()
    budget = replace(budget, seconds=min(budget.seconds, RENDER_SECONDS))
    job = {"page": page, "passage": list(passage) if passage else None,
           "sentence": list(sentence) if sentence else None,
           "text_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}
    answer = reader(budget.memory_mb).read({"render": job}, data, budget)
    if "png" in answer:
        return base64.b64decode(answer["png"])
    if answer.get("missing"):
        raise NotFoundError(answer["skipped"])
    if answer.get("stale"):
        raise StaleIndexError(answer["skipped"])
    raise QAError(f"page {page} could not be shown: {answer.get('skipped', 'the renderer gave no image')}")


def PageCache(max_bytes: int) -> LRU:
    """Rendered pages of one generation, the least recently shown dropped first once they hold more than
    ``max_bytes`` (a page is ~0.2-1 MB of PNG). Thread-safe: the server renders in a thread pool."""
    return LRU(max_bytes, len)
