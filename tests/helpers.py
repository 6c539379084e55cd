"""What several test files share: paths, file writing, the fake embedder, hostile payloads and a served page."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QA = str(Path(sys.executable).parent / "qa")
#: Runs the qa command with the fake embedder registered as backend "test-hash" (see fake_qa.py).
FAKE_QA = [sys.executable, str(Path(__file__).resolve().parent / "fake_qa.py")]


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """A corpus folder holding ``files`` (relative name -> content)."""
    for name, content in files.items():
        write(folder, name, content)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- embedders ---------------------------------------------------------------------------------------------------


class HashEmbedder:
    """A fake model for tests of build and storage logic: each folded word gets a fixed pseudo-random vector (seeded
    by its CRC-32, so every process agrees), a text is the normalised sum of its words. Texts that share words are
    close, as with a real model, but nothing is learnt and nothing needs torch or ONNX Runtime."""

    backend = "test-hash"
    dimension = 64

    def __init__(self, name: str = "", batch_size: int = 0):
        self._words: dict[str, np.ndarray] = {}

    @classmethod
    def for_settings(cls, settings, threads: int | None = None) -> HashEmbedder:
        return cls(settings.model)  # no model to run: threads are of no use

    def _word(self, word: str) -> np.ndarray:
        vec = self._words.get(word)
        if vec is None:
            vec = self._words[word] = np.random.default_rng(zlib.crc32(word.encode())).standard_normal(
                self.dimension).astype(np.float32)
        return vec

    def encode(self, texts: list[str]) -> np.ndarray:
        from qa.text import word_spans

        # every word's vector looked up once, then summed per text in one numpy call: the scale bench measures
        # everything but the model, and a loop per word here was a third of its build time
        words = [[w for _, _, w in word_spans(text)] for text in texts]
        lengths = np.array([len(ws) for ws in words])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if lengths.sum():
            rows = np.vstack([self._word(w) for ws in words for w in ws])
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            filled = lengths > 0
            out[filled] = np.add.reduceat(rows, starts[filled], axis=0)
        norms = np.linalg.norm(out, axis=1)
        empty = norms == 0
        out[~empty] /= norms[~empty, None]
        out[empty] = self._word("")
        return out

    def encode_pooled(self, texts, spans):
        """As the real backends do, a sentence's vector is pooled from its text's own pass: here, the words inside
        its span (a bag of words has no context, so that equals embedding the sentence alone)."""
        rows = self.encode([t[s:e] for t, sp in zip(texts, spans) for s, e in sp])  # one call for all sentences
        bounds = np.cumsum([0] + [len(sp) for sp in spans])
        return self.encode(texts), [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def register_fake_backend() -> None:
    """Add the fake embedder to qa's table of backends, as a plugin would: Settings(backend="test-hash")."""
    from qa.models.embedding import BACKENDS

    BACKENDS[HashEmbedder.backend] = HashEmbedder


class CountingEmbedder:
    """Another embedder, counting what it embeds and optionally failing after ``fail_after`` texts."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.backend = inner.backend
        self.fail_after = fail_after
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts):
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            allowed = list(texts)[: self.fail_after - len(self.texts)]
            self.inner.encode(allowed)  # get as far as the failure point, then die
            self.texts.extend(allowed)
            raise RuntimeError("injected failure in the middle of embedding")
        self.texts.extend(texts)
        return self.inner.encode(texts)

    def encode_pooled(self, texts, spans):
        vectors = self.encode(texts)  # counts (and fails) as encode does; the sentences cost no more model work
        return vectors, self.inner.encode_pooled(texts, spans)[1]


# --- hostile input -----------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<svg onload=alert(3)>",
    '<a href="javascript:alert(4)">click</a>', "[link](javascript:alert(5))", '![img](x" onerror="alert(6))',
    '<iframe src="javascript:alert(7)"></iframe>', "<body onload=alert(8)>",
    '<div style="background:url(javascript:alert(9))">', '<div style="width: expression(alert(10))">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>", '"><script>alert(12)</script>',
    "'><img src=x onerror=alert(13)>", "<details open ontoggle=alert(14)>", "<input autofocus onfocus=alert(15)>",
    "<video><source onerror=alert(16)></video>", '<object data="javascript:alert(17)"></object>',
    '<link rel=stylesheet href="http://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    "${alert(20)} {{constructor.constructor('alert(20)')()}}",
]


# --- a served page -----------------------------------------------------------------------------------------------


class Server:
    """`qa serve` in a subprocess on a free loopback port, until ``stop``."""

    def __init__(self, corpus: Path, index_dir: Path, *extra: str, command: list[str] | None = None,
                 env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.index_dir = index_dir
        self.log = open(index_dir.parent / f"serve-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [*(command or [QA]), "serve", str(corpus), "--index-dir", str(index_dir), "--port", str(self.port),
             *extra],
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})})
        deadline = time.time() + 240
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qa serve exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("qa serve did not start within 240 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def serve_seeds(root: Path, *extra: str) -> Server:
    """`qa serve` (with the fake embedder) on a copy of the seeds in ``root``."""
    shutil.copytree(SEEDS, root / "seeds")
    return Server(root / "seeds", root / "index", *extra, command=FAKE_QA)


# --- talking to a served page -----------------------------------------------------------------------------------


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None,
          timeout: float = 60) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a request, whatever the status."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post_json(url: str, payload, headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return fetch(url, body, {"Content-Type": "application/json", **(headers or {})}, "POST", timeout)


def gradio_call(base: str, name: str, data: list) -> str:
    """The result (or error) a Gradio event route streams back, as text."""
    status, _, body = post_json(f"{base}gradio_api/call/{name}", {"data": data})
    assert status == 200, body
    event_id = json.loads(body)["event_id"]
    return fetch(f"{base}gradio_api/call/{name}/{event_id}")[2].decode()


def post_upload(base: str, name: str, content: bytes) -> tuple[int, bytes]:
    """(status, body) of an upload of one file to the page's upload route."""
    boundary = "qa-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    status, _, raw = fetch(base + "gradio_api/upload", body,
                           {"Content-Type": f"multipart/form-data; boundary={boundary}"}, "POST")
    return status, raw


def upload(base: str, name: str, content: bytes) -> str:
    """The server's path of a file uploaded to the page."""
    status, raw = post_upload(base, name, content)
    assert status == 200, raw
    return json.loads(raw)[0]


def basic_auth(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --- a real browser ------------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PDF_MARGIN = {"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"}


@contextmanager
def chromium():
    """Debian's chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install -y chromium (./dev.sh does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def print_pdfs(documents: dict[str, tuple[str, dict]], browser=None) -> dict[str, bytes]:
    """Each (HTML, page.pdf options) printed to PDF bytes by the real Chromium, on A4 with 2 cm margins (in
    ``browser`` when one is open already: Playwright runs one at a time per thread)."""
    if browser is None:
        with chromium() as browser:
            return print_pdfs(documents, browser)
    page = browser.new_page()
    out = {}
    for name, (html, options) in documents.items():
        page.set_content(html)
        out[name] = page.pdf(format="A4", margin=PDF_MARGIN, **options)
    page.close()
    return out


def scan_pdf(data: bytes, dpi: int = 200, pages: list[int] | None = None) -> bytes:
    """The PDF as a scanner would give it back: each page (or those of ``pages``, 0-based; the others kept as they
    are) drawn grey at ``dpi`` by pypdfium2 and written back by Pillow as an image-only page of the same size, no
    text layer."""
    import pypdfium2
    from PIL import Image

    src = pypdfium2.PdfDocument(data)
    out, kept = pypdfium2.PdfDocument.new(), []  # each page's document lives until the output is written
    for i in range(len(src)):
        if pages is not None and i not in pages:
            out.import_pages(src, [i])
            continue
        image: Image.Image = src[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        buf = io.BytesIO()
        image.save(buf, "PDF", resolution=float(dpi))
        kept.append(pypdfium2.PdfDocument(buf.getvalue()))
        out.import_pages(kept[-1], [0])
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    """The PDF locked with a user password (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


#: A three-page handbook with a running header and "Page N of 3" footers; one fact stands only on page 2.
PAGE_TWO_FACT = "The Tan Son Nhat cargo terminal handled 412,000 tonnes of air freight in 2024."
_SMALL = "font-size:9pt;width:100%;text-align:center"
_FILLER = " ".join(f"Section {i} describes the routine maintenance of warehouse shelving and forklifts."
                   for i in range(45))
HANDBOOK_PDF = (f"""<!doctype html><html><head><title>Logistics Handbook 2024</title>
<style>body {{ font: 12pt serif; }}</style></head><body>
<h1>Logistics Handbook</h1><p>{_FILLER}</p>
<h2 style="break-before: page">Air cargo</h2><p>{PAGE_TWO_FACT} Most of it was electronics bound for Korea.</p>
<h2 style="break-before: page">Warehousing</h2><p>Cold storage near Binh Duong doubled its capacity for seafood.</p>
</body></html>""", {"display_header_footer": True,
                    "header_template": f'<div style="{_SMALL}">Logistics Handbook 2024</div>',
                    "footer_template": f'<div style="{_SMALL}">Page <span class="pageNumber"></span> of '
                                       f'<span class="totalPages"></span></div>'})


def hand_pdf(pages: list[list[tuple[float, float, float, str]]]) -> bytes:
    """A PDF written here byte by byte: each page a list of (x, y, font size, text) in Helvetica, in that order.

    For layouts Chromium does not write: lines of two columns drawn row by row, running heads that alternate.
    """
    objects = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    contents = []
    for items in pages:
        ops = "\n".join(f"BT /F1 {size} Tf {x} {y} Td ({text}) Tj ET" for x, y, size, text in items).encode("cp1252")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops))
        contents.append(len(objects))
    parent = len(objects) + len(pages) + 1
    kids = []
    for c in contents:
        objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 1 0 R >> >> "
                       b"/Contents %d 0 R >>" % (parent, c))
        kids.append(len(objects))
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % parent)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(objects), xref)
    return bytes(out)
