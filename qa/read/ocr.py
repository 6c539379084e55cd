"""Reading the words of a picture of text (a scanned page): OCR, with each word's box, by an engine from a table.

The engine is Tesseract 5 (Debian's ``tesseract-ocr``, Apache 2.0), its program run on each page's PNG (stdin to
stdout, hOCR: words with boxes, lines with their font's size and baseline). Not through ``pytesseract``: it can
give the child no environment of its own, so its one-thread setting would have to be this process's. Chosen by measuring
(``bench/ocr.py``, ``bench/results/ocr.txt``) against RapidOCR (``rapidocr-onnxruntime``, PaddleOCR's models): on
A4 pages of news prose in 11 pt and 8 pt, scanned clean at 300 dpi and as an office scan (150 dpi, turned 0.7°,
JPEG, noise), Tesseract's character error rate was 0.04-0.6 % where RapidOCR's was 13-45 % (it runs English words
together: "theglobal current over thenext 10 to20years"), at a fifth to a seventh of the CPU (1.7-3.0 s a page
at 200 dpi against 12-24 s); and RapidOCR gives a box per line, not per word, which a lit passage needs. Tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``): the build's embedding threads share the
cores, and one thread keeps the result the same from run to run, which the page view relies on (the boxes of an
OCR'd page are found by reading it again, ``qa.read.pdfboxes``).

``QA_OCR`` picks the engine by name, or ``off`` for none. Without an engine, ``engine()`` raises ``NoEngine`` with
what to install: a scanned page is then named in the build's notes, never dropped in silence.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from ..config import ocr_engine

#: What to do when no engine is found: named in the build summary beside the pages it left unread.
HOW_TO_ENABLE = ("install Tesseract to read them: apt-get install tesseract-ocr (Debian/Ubuntu; brew install "
                 "tesseract on macOS), as ./dev.sh does")


@dataclass(frozen=True)
class Word:
    """A word read from the image, and its box in pixels (x0, y0, x1, y1; y down from the image's top)."""

    text: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Line:
    """A line of words, and the height its font spans at the line's middle (pixels, y down): from the baseline up
    by the font's size less its descent, down by its descent — the same for every line set in one font, as
    pdfium's font box is, whatever letters the line holds (a word box of "aim" is shorter than one of "Judge")."""

    words: tuple[Word, ...]
    top: float
    bottom: float


@dataclass(frozen=True)
class Engine:
    name: str  # "tesseract 5.3.0"
    #: (image, seconds it may take) -> the lines of the image in the engine's reading order
    read: Callable[[object, float], list[Line]]


class NoEngine(Exception):
    """No OCR engine can be used here; ``str(e)`` says why and how to install one."""


class TooSlow(Exception):
    """The engine did not finish the page in the time it was given."""


def _tesseract() -> Engine:
    program = shutil.which("tesseract")
    if program is None:
        raise NoEngine(f"Tesseract is not installed (no tesseract program on PATH); {HOW_TO_ENABLE}")
    # One thread, set for the Tesseract process alone: OMP_THREAD_LIMIT in this process's own environment would
    # reach FAISS's and PyTorch's OpenMP too (a FAISS training then hung, measured in the test run).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        shown = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NoEngine(f"Tesseract ({program}) does not run ({e}); {HOW_TO_ENABLE}") from None
    version = (shown.stdout or shown.stderr).split("\n", 1)[0].split()[-1:] or ["?"]

    def read(image, seconds: float) -> list[Line]:
        png = io.BytesIO()
        image.save(png, "PNG")
        try:
            # stdin to stdout, hOCR; --psm 3: the page's own layout (columns, blocks), as a scanned page needs.
            # subprocess.run kills it past the time; it inherits the worker's memory limit and process group.
            done = subprocess.run([program, "stdin", "stdout", "-l", "eng", "--psm", "3", "hocr"],
                                  input=png.getvalue(), capture_output=True, timeout=max(1.0, seconds), env=env)
        except subprocess.TimeoutExpired:
            raise TooSlow(f"Tesseract did not read the page within {seconds:.0f} s") from None
        if done.returncode:
            raise NoEngine(f"Tesseract failed (exit status {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-200:]}); {HOW_TO_ENABLE}")
        return _hocr_lines(done.stdout)

    return Engine(f"tesseract {version[0]}", read)


_LINE_CLASSES = frozenset(["ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"])


def _title(node) -> dict[str, list[str]]:
    """hOCR's ``title="bbox 1 2 3 4; x_size 63"`` as {"bbox": ["1", "2", "3", "4"], "x_size": ["63"]}."""
    out = {}
    for part in (node.get("title") or "").split(";"):
        key, *values = part.split()
        out[key] = values
    return out


def _hocr_lines(hocr: bytes) -> list[Line]:
    """The lines of Tesseract's hOCR (an XHTML page, parsed without entities or network), in document order."""
    from lxml import etree

    root = etree.fromstring(hocr, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    out = []
    for node in root.iter("{*}span"):
        if node.get("class") not in _LINE_CLASSES:
            continue
        words = []
        for w in node.iter("{*}span"):
            text = "".join(w.itertext()).strip()
            if w.get("class") == "ocrx_word" and text:
                x0, y0, x1, y1 = map(int, _title(w)["bbox"])
                words.append(Word(text, (x0, y0, x1, y1)))
        if not words:
            continue
        title = _title(node)
        x0, y0, x1, y1 = map(int, title["bbox"])
        slope, offset = map(float, title.get("baseline", ["0", "0"]))
        baseline = y1 + offset + slope * (x1 - x0) / 2  # where the baseline is at the line's middle
        size = float(title.get("x_size", [y1 - y0])[0])
        descent = float(title.get("x_descenders", [0.2 * size])[0])
        out.append(Line(tuple(words), baseline + descent - size, baseline + descent))
    return out


#: The engines qa can use, by the name ``QA_OCR`` gives; the first is the default.
ENGINES: dict[str, Callable[[], Engine]] = {"tesseract": _tesseract}
_FOUND: dict[str, Engine] = {}


def engine() -> Engine:
    """The OCR engine ``QA_OCR`` names (default: Tesseract), loaded once per process; raises ``NoEngine``."""
    name = ocr_engine() or next(iter(ENGINES))
    if name == "off":
        raise NoEngine(f"OCR is off (QA_OCR=off); unset QA_OCR to read them, or {HOW_TO_ENABLE}")
    if name not in ENGINES:
        raise NoEngine(f"QA_OCR={name} names no OCR engine qa knows (known: {', '.join(ENGINES)}, off)")
    if name not in _FOUND:
        _FOUND[name] = ENGINES[name]()
    return _FOUND[name]
