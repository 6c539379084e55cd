"""Finding and opening the files of a corpus folder, which is hostile input.

* The folder is walked with ``os.fwalk``, which opens each subfolder relative to its parent's descriptor and checks
  that what it opened is what it listed: a subfolder swapped for a symlink during the walk is not entered.
* A file is opened relative to a descriptor of the corpus folder, one path component at a time, each with
  ``O_NOFOLLOW`` (``O_DIRECTORY`` for the folders on the way): a folder swapped for a symlink after the listing
  (issue 20, finding 7: an outside ``secret.txt`` got indexed) makes the open fail instead of leading outside.
* A name that is not UTF-8 gets a safe, reversible id: its bytes that are not printable ASCII, and ``%``, written
  as ``%XX`` (``b"caf\\xe9.txt"`` is ``caf%E9.txt``; ``urllib.parse.unquote_to_bytes`` gives the bytes back). Before
  (finding 5), such a name ended ``qa index`` in a UnicodeEncodeError and made ``/api/health`` answer 500.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote_from_bytes


@dataclass(frozen=True)
class FileInfo:
    """What a corpus listing knows without reading a file: enough to notice a change cheaply, and whether the entry
    may be read at all."""

    doc_id: str
    path: Path  # where to read it: the file itself, or the target of a link that stays inside the corpus
    size: int
    mtime_ns: int
    problem: str | None = None  # why it is not read, when the listing already knows (a link out, a FIFO, ...)
    #: the corpus folder (its real path) and ``path`` relative to it: the file is opened from a descriptor of the
    #: folder, component by component (``open_regular``); empty for a FileInfo made elsewhere (a cluster worker),
    #: which is then located against the folder it is read from
    root: str = ""
    rel: str = ""


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: characters a safe id keeps as they are (printable ASCII but "%"); every other byte of a non-UTF-8 name is %XX
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%/")


def not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"not a regular file ({kind}): not read"


def safe_name(name: str) -> str:
    """``name`` as listed by the OS, if it is UTF-8; else its bytes with the unsafe ones percent-encoded."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:  # os gives undecodable bytes as lone surrogates (surrogateescape)
        return quote_from_bytes(os.fsencode(name), safe=_SAFE)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def list_files(folder: Path, suffixes: tuple[str, ...], others: list[str] | None = None) -> list[FileInfo]:
    """Every file below ``folder`` whose name ends in one of ``suffixes``, sorted by id, each with what the listing
    knows about it; the ids of the other files that are not hidden go into ``others``, when given. Hidden files and folders are ignored; symlinked folders are not followed (so a link loop cannot
    trap the walk, and a folder swapped for a link while it is walked is not entered).

    A symlink whose target leaves the folder (``notes.txt -> ~/.ssh/id_rsa``) is never read, nor is anything that
    is not a regular file (a FIFO would block the build forever, a device never ends). A symlink to a file inside
    the folder is read under its own name, unless its target is itself listed: then it is skipped as the same file,
    so that no text is indexed twice.
    """
    root = os.path.realpath(folder)
    found = []
    for dirpath, dirnames, filenames, _fd in os.fwalk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            if name.startswith("."):
                continue
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if not name.lower().endswith(suffixes):
                if others is not None:
                    others.append("/".join(safe_name(part) for part in rel.split(os.sep)))
                continue
            found.append(_describe(Path(folder), root, rel))
    found.sort(key=lambda f: f.doc_id)
    return _unique_ids(_once_each(found, Path(folder)))


def _unique_ids(found: list[FileInfo]) -> list[FileInfo]:
    """A percent-encoded id that another file's own name already spells is not used twice: that file is skipped."""
    seen: dict[str, str] = {}
    out = []
    for f in found:
        if f.doc_id in seen and seen[f.doc_id] != f.rel:
            f = replace(f, doc_id=f"{f.doc_id}#{len(out)}", problem="its name is not UTF-8, and its safe id "
                        f"{f.doc_id} is the name of another file: rename it")
        seen.setdefault(f.doc_id, f.rel)
        out.append(f)
    return out


def _once_each(found: list[FileInfo], folder: Path) -> list[FileInfo]:
    """A file reached under several names (itself and links to it, or several links) is read under one of them:
    its own name if it is listed, else the first link's."""
    first: dict[str, str] = {}
    for linked in (False, True):
        for f in found:
            if f.problem is None and os.path.islink(os.path.join(f.root, f.rel_listed)) == linked:
                first.setdefault(os.path.realpath(f.path), f.doc_id)
    out = []
    for f in found:
        twin = first.get(os.path.realpath(f.path)) if f.problem is None else None
        out.append(f if twin in (None, f.doc_id) else replace(f, problem=f"the same file as {twin}: not read twice"))
    return [_Listed.plain(f) for f in out]


@dataclass(frozen=True)
class _Listed(FileInfo):
    """A FileInfo while it is listed: also the name it was listed under (a link's own name, not its target's)."""

    rel_listed: str = ""

    @staticmethod
    def plain(f: FileInfo) -> FileInfo:
        return FileInfo(f.doc_id, f.path, f.size, f.mtime_ns, f.problem, f.root, f.rel)


def _describe(folder: Path, root: str, rel: str) -> _Listed:
    doc_id = "/".join(safe_name(part) for part in rel.split(os.sep))
    path = os.path.join(root, rel)
    try:
        st = os.lstat(path)
    except OSError as e:
        return _Listed(doc_id, folder / rel, -1, -1, f"cannot be read ({e.strerror or e})", root, rel, rel)
    if stat.S_ISLNK(st.st_mode):
        target = os.path.realpath(path)
        if not _inside(target, root):
            return _Listed(doc_id, folder / rel, st.st_size, st.st_mtime_ns,
                           "a symlink to a file outside the corpus folder: not followed", root, rel, rel)
        try:
            st = os.stat(target)
        except OSError as e:  # a dangling link, or a loop
            return _Listed(doc_id, folder / rel, st.st_size, st.st_mtime_ns, f"cannot be read ({e.strerror or e})",
                           root, rel, rel)
        return _Listed(doc_id, Path(target), st.st_size, st.st_mtime_ns, not_regular(st.st_mode), root,
                       os.path.relpath(target, root), rel)
    return _Listed(doc_id, folder / rel, st.st_size, st.st_mtime_ns, not_regular(st.st_mode), root, rel, rel)


def locate(info: FileInfo, folder: Path | str) -> FileInfo:
    """``info`` with its corpus folder and relative path, for a FileInfo made without them (by a cluster worker)."""
    if info.root:
        return info
    root = os.path.realpath(folder)
    path = os.path.abspath(info.path)
    for base in (root, os.path.abspath(folder)):
        if _inside(path, base) and path != base:
            return replace(info, root=root, rel=os.path.relpath(path, base))
    return info


def open_regular(target: FileInfo | Path):
    """Open a file for reading only if it is a regular file, as a binary file object.

    A FileInfo from a listing is opened from a descriptor of its corpus folder, each folder on the way with
    ``O_NOFOLLOW | O_DIRECTORY`` and the file with ``O_NOFOLLOW``: a component swapped for a symlink since the
    listing is refused (ELOOP or ENOTDIR). A plain path (a gold set, say) is opened with ``O_NOFOLLOW`` on its last
    component. Either way ``O_NONBLOCK`` makes opening a FIFO return at once, and fstat checks what was opened.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | _O_CLOEXEC
    if isinstance(target, FileInfo) and target.root and target.rel:
        fd = _open_below(target.root, target.rel, flags)
    else:
        fd = os.open(target.path if isinstance(target, FileInfo) else target, flags)
    try:
        problem = not_regular(os.fstat(fd).st_mode)
        if problem:
            raise OSError(errno.EINVAL, problem)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_below(root: str, rel: str, flags: int) -> int:
    *folders, name = rel.split(os.sep)
    if name in ("", ".", "..") or any(part in ("", ".", "..") for part in folders):
        raise OSError(errno.EINVAL, "not a path inside the corpus folder")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _O_CLOEXEC)
    try:
        for part in folders:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(name, flags, dir_fd=fd)
    finally:
        os.close(fd)


def sha256_file(target: FileInfo | Path, max_bytes: int | None = None) -> str:
    """The sha256 of a regular file, read in 1 MiB pieces. Raises OSError for anything that is not a regular file
    (never blocks on a FIFO) or, with ``max_bytes``, is larger than that (never reads what would be skipped)."""
    digest = hashlib.sha256()
    with open_regular(target) as f:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise OSError(errno.EFBIG, "larger than the size limit")
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()
