"""The bench corpus: the prose half of the Python 3.11 manual (tutorial, language reference, HOWTOs, FAQ, ...) as
HTML, taken from Debian's ``python3.11-doc`` package with ``apt-get download`` (no root, nothing installed).

    python bench/pydoc_corpus.py [FOLDER]     # default: bench/data/pydoc
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "python3.11-doc"
HTML = Path("usr/share/doc/python3.11/html")
#: The manual's prose sections; library/ (28 MB of API reference) and whatsnew/ are left out to keep a bench run
#: within minutes while staying over 5 MB.
SECTIONS = ("tutorial", "reference", "howto", "faq", "using", "extending", "installing", "distributing")
DEFAULT = Path(__file__).resolve().parent / "data" / "pydoc"


def corpus(folder: Path = DEFAULT) -> Path:
    """Make the corpus in ``folder`` unless it is there; returns the folder."""
    if (folder / ".complete").exists():
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"bench: cannot fetch {PACKAGE} with apt-get download ({getattr(e, 'stderr', '') or e}); "
                     f"on a non-Debian machine, pass a folder of at least 5 MB of HTML or text instead")
        deb = next(Path(tmp).glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), "x"], cwd=tmp, check=True)
        staging = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        for section in SECTIONS:
            shutil.copytree(Path(tmp) / "x" / HTML / section, staging / section,
                            ignore=shutil.ignore_patterns("*.txt", "*.js", "*.css", "*.png"))
        (staging / ".complete").write_text(PACKAGE + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    return folder


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*.html")) / 2**20


if __name__ == "__main__":
    out = corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    print(f"{out}: {sum(1 for _ in out.rglob('*.html'))} HTML files, {size_mb(out):.1f} MB")
