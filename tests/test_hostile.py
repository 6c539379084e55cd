"""A messy folder: `qa index` finishes, names every skipped file and why, and indexes the rest; and a hostile one:
links out of the folder, FIFOs, devices and huge sparse files are never read."""

import os
import subprocess
import sys
from pathlib import Path

from helpers import FAKE_QA, XSS, write

from qa.read.documents import iter_documents, list_files


def hostile_article(n: int) -> str:
    lines = [f"Trade report number {n}", f"Exports of rice and coffee rose in quarter {n}."]
    lines += [f"Analysts quoted the string {p} in note {i}." for i, p in enumerate(XSS[n::4])]
    return "\n".join(lines) + "\n"


def make_messy_folder(folder: Path) -> dict[str, str]:
    """Writes the folder; returns each bad file with a word its reason must contain."""
    for n in range(4):
        write(folder, f"articles/article{n}.txt", hostile_article(n))
    write(folder, "utf16.txt", "UTF-16 page\nA document saved as UTF-16 about pepper exports.\n".encode("utf-16"))
    bad = {
        "invalid.txt": "not UTF-8",
        "binary.txt": "binary",
        "big.txt": "too large",
        "empty.txt": "empty",
        "loop-a.txt": "cannot be read",
        "loop-b.txt": "cannot be read",
    }
    write(folder, "invalid.txt", b"caf\xe9 cr\xe8me, not UTF-8 \xff\xfe at the end")
    write(folder, "binary.txt", bytes(range(256)) * 64)
    with open(folder / "big.txt", "w", encoding="utf-8") as f:  # 50 MB of text
        line = "A long log line that repeats itself over and over again for a very long time.\n"
        f.write(line * (50 * 2**20 // len(line) + 1))
    write(folder, "empty.txt", b"")
    os.symlink("loop-b.txt", folder / "loop-a.txt")
    os.symlink("loop-a.txt", folder / "loop-b.txt")
    os.symlink(".", folder / "articles" / "self")  # a folder loop: never followed
    write(folder, "locked.txt", "Locked page\nA document nobody may read.\n")
    os.chmod(folder / "locked.txt", 0)
    if os.geteuid() != 0:  # root reads it anyway: permission bits do not bind root
        bad["locked.txt"] = "cannot be read"
    return bad


def test_messy_folder_is_indexed_and_every_bad_file_is_named(tmp_path):
    folder = tmp_path / "messy"
    bad = make_messy_folder(folder)
    result = subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name, reason in bad.items():
        line = next((l for l in result.stderr.splitlines() if f"skipped {name}:" in l), None)
        assert line and reason in line, (name, result.stderr)
    good = 4 + 1 + (0 if "locked.txt" in bad else 1)
    assert f"indexed {good} documents" in result.stdout
    assert len([l for l in result.stderr.splitlines() if "skipped" in l]) == len(bad)


def test_a_file_that_vanishes_between_listing_and_reading_is_skipped(tmp_path):
    write(tmp_path, "stays.txt", "Stays here.\n")
    write(tmp_path, "goes.txt", "Goes away.\n")
    files = list_files(tmp_path)
    (tmp_path / "goes.txt").unlink()
    items = {i.doc_id: i for i in iter_documents(tmp_path, files)}
    assert items["stays.txt"].title == "Stays here."
    assert "cannot be read" in items["goes.txt"].reason and "No such file" in items["goes.txt"].reason


# --- what a folder may hold that is not a document ---------------------------------------------------------------


def make_trapped_folder(folder: Path) -> dict[str, str]:
    """A folder with links out of it, a FIFO, a device link, a link to a FIFO inside it, links inside it and a huge
    sparse file; returns each entry that must be skipped with a word its reason must contain."""
    write(folder, "article.txt", "Coffee exports\nThe Central Highlands grew most of the country's coffee.\n")
    write(folder, ".hidden/kept.txt", "Pepper exports\nPepper farmers in Binh Phuoc sold their crop early.\n")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    os.symlink("../outside.txt", folder / "escape.md")
    os.mkfifo(folder / "pipe.txt")
    os.symlink("pipe.txt", folder / "pipe-link.txt")
    os.symlink("article.txt", folder / "alias.txt")  # the same file under a second name
    os.symlink(".hidden/kept.txt", folder / "pepper.txt")  # a file inside the folder, listed only through the link
    with open(folder / "sparse.txt", "wb") as f:  # 3 GB that take no disk space
        f.truncate(3 * 2**30)
    return {"passwd.txt": "outside the corpus folder", "zero.txt": "outside the corpus folder",
            "escape.md": "outside the corpus folder", "pipe.txt": "a FIFO", "pipe-link.txt": "a FIFO",
            "alias.txt": "the same file as article.txt", "sparse.txt": "too large"}


def test_links_out_fifos_devices_and_huge_files_are_skipped_and_nothing_leaks(tmp_path):
    write(tmp_path, "outside.txt", "Secret outside\nThe launch code is 0000.\n")
    folder = tmp_path / "trapped"
    bad = make_trapped_folder(folder)
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
            "timeout=300); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(r.returncode); sys.stderr.write(r.stdout + r.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix",
                             "-q"], capture_output=True, text=True, timeout=320)
    peak_kib, returncode = map(int, result.stdout.split())
    assert returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert peak_kib < 500 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"  # the 3 GB file was never read
    for name, reason in bad.items():
        line = next((l for l in result.stderr.splitlines() if f"skipped {name}:" in l), None)
        assert line and reason in line, (name, result.stderr)
    assert "indexed 2 documents" in result.stderr  # article.txt and pepper.txt (a link that stays inside)

    from helpers import HashEmbedder

    from qa import Index, Settings

    index = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend), embedder=HashEmbedder())
    assert {d.doc_id for d in index.documents()} == {"article.txt", "pepper.txt"}
    everything = " ".join(d.text for d in index.documents())
    assert "root:" not in everything and "launch code" not in everything
    for question in ("root x 0 0 root bin bash", "What is the launch code?"):
        for hit in index.search(question, k=10, mode="lexical") + index.search(question, k=10, mode="dense"):
            assert "root:" not in hit.text and "launch code" not in hit.text


def test_checking_for_changes_never_reads_what_a_build_skips(tmp_path):
    """The page's status refresh and every `qa ask` compare the folder with the manifest: a touched 3 GB file and a
    FIFO must not be read (before, the file was hashed whole, 3.2 GB resident)."""
    folder = tmp_path / "c"
    bad = make_trapped_folder(folder)
    assert subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                          timeout=300).returncode == 0
    os.utime(folder / "sparse.txt")
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
            "timeout=120); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(r.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *FAKE_QA, "ask", "coffee", "--corpus", folder,
                             "--index-dir", tmp_path / "ix"], capture_output=True, text=True, timeout=150)
    assert int(result.stdout) < 500 * 1024
    assert "index is stale: 1 document changed (sparse.txt modified)" in result.stderr
    assert "sparse.txt" in bad


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(tmp_path):
    write(tmp_path, "secret.txt", "Secret\nThe vault opens at noon.\n")
    write(tmp_path / "c", "doc.txt", "A plain page.\n")
    files = list_files(tmp_path / "c")
    (tmp_path / "c" / "doc.txt").unlink()
    os.symlink(tmp_path / "secret.txt", tmp_path / "c" / "doc.txt")
    (item,) = iter_documents(tmp_path / "c", files)
    assert "cannot be read" in item.reason
