"""A messy folder: `qa index` finishes, names every skipped file and why, and indexes the rest."""

import os
import subprocess
from pathlib import Path

from helpers import FAKE_QA, XSS, write

from qa.documents import iter_documents, list_files


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
