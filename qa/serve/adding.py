"""Documents added from the page (a server started with --allow-upload or --auth): each uploaded file is checked
(its name, its kind, its size) and written into the corpus folder under a hidden temporary name, then linked to
its final name, which never replaces a file already there. Indexing them is the service's update
(``LiveIndex.update``); this module only decides what may be written and writes it.

A name is hostile input: ``../../x.txt``, ``/etc/passwd``, ``a\\b.txt``, control characters and hidden names are
refused with the reason, not repaired into something the sender did not mean; other odd characters are replaced.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import QAError
from ..read.documents import SUFFIXES

#: At most this many files in one addition (each still within the size limit and the guard's upload totals).
MAX_ADD_FILES = 20
#: A name's most UTF-8 bytes (file systems allow 255; room is left for the temporary name's prefix).
MAX_NAME_BYTES = 200
_ODD = re.compile(r"[^\w .,()+&'@-]")
_TEMP_PREFIX = ".qa-add-"


@dataclass(frozen=True)
class Outcome:
    """One file offered: the name it came with, the name written (None when refused) and why it was refused."""

    offered: str
    written: str | None = None
    reason: str | None = None


def safe_name(name: str) -> str:
    """The name a file offered as ``name`` gets in the corpus folder, or QAError with the reason it cannot have one."""
    if not isinstance(name, str) or not name.strip():
        raise QAError("the file has no name")
    if "/" in name or "\\" in name or name.strip() in (".", ".."):
        raise QAError("a name may not hold a folder (/, \\ or ..): files are added to the corpus folder itself")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise QAError("the name holds control characters")
    name = _ODD.sub("_", unicodedata.normalize("NFC", name)).strip()
    name = re.sub(r"\s+", " ", name)
    if name.startswith("."):
        raise QAError("a hidden name (starting with a dot) would not be read")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise QAError(f"{suffix or 'a file without a suffix'} is not a kind qa reads; it reads {', '.join(SUFFIXES)}")
    stem = Path(name).stem
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


def add_files(corpus: Path, files: list[tuple[str, Path]], max_file_mb: float) -> list[Outcome]:
    """Write each (name offered, uploaded file) into ``corpus``: checked, under a temporary name, then linked to
    its final name. Files over ``max_file_mb`` (the limit the build reads with), beyond ``MAX_ADD_FILES`` or of a
    name already in the folder are refused."""
    corpus = Path(corpus)
    root = corpus.resolve(strict=True)
    limit = int(max_file_mb * 2**20)
    out = []
    for n, (offered, path) in enumerate(files):
        try:
            if n >= MAX_ADD_FILES:
                raise QAError(f"at most {MAX_ADD_FILES} files at a time")
            name = safe_name(offered)
            size = Path(path).stat().st_size
            if size > limit:
                raise QAError(f"{size / 2**20:.1f} MB is over the {max_file_mb:g} MB a file may have "
                              f"(the build's --max-file-mb / QA_MAX_FILE_MB)")
            target = root / name
            if target.parent != root:  # safe_name makes this impossible; checked all the same
                raise QAError("the name leaves the corpus folder")
            if os.path.lexists(target):
                raise QAError("a file of that name is already in the folder")
            _write(Path(path), root, target, limit)
            out.append(Outcome(str(offered), name))
        except (QAError, OSError) as e:
            out.append(Outcome(str(offered), None, str(e) if isinstance(e, QAError) else e.strerror or str(e)))
    return out


def _write(source: Path, root: Path, target: Path, limit: int) -> None:
    """Copy ``source`` to a hidden temporary file in ``root`` (at most ``limit`` bytes), flush it, then link it to
    ``target``: a link fails where a file of that name appeared meanwhile, so nothing is ever replaced."""
    fd = None
    temp = root / f"{_TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.part"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
            fd = None
            shutil.copyfileobj(src, dst)
            if dst.tell() > limit:
                raise QAError("the file grew over the size limit while it was copied")
            dst.flush()
            os.fsync(dst.fileno())
        try:
            os.link(temp, target)
        except FileExistsError:
            raise QAError("a file of that name is already in the folder") from None
    finally:
        if fd is not None:
            os.close(fd)
        temp.unlink(missing_ok=True)
