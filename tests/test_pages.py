"""A PDF shown as it looks: ``GET /api/documents/{id}/pages/{n}.png`` draws the page with the asked characters lit by
pdfium's own boxes, ``/file`` gives the original, both guarded like every route; the page's "show in document"
shows the lit page images, in a real browser."""

from __future__ import annotations

import io
import json
import os
import shutil

import pytest
from helpers import (
    FAKE_QA,
    HANDBOOK_PDF,
    PAGE_TWO_FACT,
    Server,
    basic_auth,
    chromium,
    fetch,
    make_corpus,
    print_pdfs,
)

from qa.read.pdftext import pdf_to_text

pytestmark = pytest.mark.server

#: A report whose one long paragraph runs from page 1 onto page 2, with a fact in the sentences around the break.
_LONG = " ".join(f"Clause {i} of the harbour charter sets the routine duties of the pilots and the tug crews."
                 for i in range(55))
REPORT_PDF = (f"""<!doctype html><html><head><title>Harbour Charter</title>
<style>body {{ font: 12pt serif; }}</style></head><body>
<h1>Harbour Charter</h1><p>{_LONG} The Skerry lighthouse keeper logged 1,284 ship movements in the winter of 2023.
{_LONG}</p></body></html>""", {})
AUTH = ("alice", "s3cret")


@pytest.fixture(scope="module")
def pdfs():
    return print_pdfs({"handbook": HANDBOOK_PDF, "report": REPORT_PDF})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, pdfs):
    root = tmp_path_factory.mktemp("pages")
    return make_corpus(root / "c", {"handbook.pdf": pdfs["handbook"], "reports/charter.pdf": pdfs["report"],
                                    "notes.txt": "Notes\nThe depot opens at seven.\n",
                                    "page.html": "<html><body><p>The ferry <script>alert(1)</script> leaves at "
                                                 "noon every day.</p></body></html>"})


@pytest.fixture(scope="module")
def server(tmp_path_factory, corpus):
    root = tmp_path_factory.mktemp("pages-server")
    auth = root / "auth"
    auth.write_text(":".join(AUTH) + "\n")
    server = Server(corpus, root / "index", "--auth-file", str(auth), command=FAKE_QA)
    yield server
    server.stop()


def api(server, path: str, auth=AUTH):
    return fetch(server.url + "api/" + path, headers=basic_auth(*auth) if auth else None)


def image(png: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def lit_share(png: bytes, plain: bytes, box: tuple[int, int, int, int]) -> float:
    """The share of the pixels in ``box`` (x0, y0, x1, y1) that differ between the lit and the plain page."""
    from PIL import ImageChops

    import numpy as np

    diff = np.asarray(ImageChops.difference(image(png), image(plain)).crop(box).convert("L"))
    return float((diff > 8).mean()) if diff.size else 0.0


def word_pixels(data: bytes, page: int, word: str, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """pdfium's own box of ``word``'s first occurrence on ``page``, in the pixels of a ``size`` rendering."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    p = pdf[page - 1]
    width, height = p.get_size()
    tp = p.get_textpage()
    first, count = tp.search(word).get_next()
    bs = [tp.get_charbox(i) for i in range(first, first + count)]
    scale = size[0] / width
    left, bottom, right, top = min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)
    return int(left * scale), int((height - top) * scale), int(right * scale) + 1, int((height - bottom) * scale) + 1


def test_a_page_is_a_png_with_the_cited_word_lit_by_its_pdfium_box(server, pdfs):
    text = pdf_to_text(pdfs["handbook"]).text
    start = text.index("412,000")
    status, headers, plain = api(server, "documents/handbook.pdf/pages/2.png")
    assert status == 200 and headers["content-type"] == "image/png" and plain.startswith(b"\x89PNG")
    assert max(image(plain).size) == 1800
    status, _, png = api(server, f"documents/handbook.pdf/pages/2.png?start={start}&end={start + 7}")
    assert status == 200
    box = word_pixels(pdfs["handbook"], 2, "412,000", image(png).size)
    assert lit_share(png, plain, box) > 0.9  # the word's own box is lit...
    x0, y0, x1, y1 = box
    assert lit_share(png, plain, (x0, y1 + 40, x1, y1 + 80)) == 0  # ...and the line below it is not
    # the answer sentence is lit more strongly than the passage around it
    sentence = (text.index(PAGE_TWO_FACT), text.index(PAGE_TWO_FACT) + len(PAGE_TWO_FACT))
    status, _, both = api(server, f"documents/handbook.pdf/pages/2.png?start={sentence[0] - 12}&end={sentence[1] + 20}"
                                  f"&sentence_start={sentence[0]}&sentence_end={sentence[1]}")
    assert status == 200 and both != png


def test_a_passage_across_a_page_break_lights_both_pages(server, pdfs):
    ex = pdf_to_text(pdfs["report"])
    start, end = ex.page_starts[1] - 40, ex.page_starts[1] + 40
    for page in (1, 2):
        _, _, plain = api(server, f"documents/reports/charter.pdf/pages/{page}.png")
        status, _, lit = api(server, f"documents/reports/charter.pdf/pages/{page}.png?start={start}&end={end}")
        assert status == 200 and lit != plain, page


def test_a_page_the_file_does_not_have_is_404_and_bad_offsets_400(server):
    status, _, body = api(server, "documents/handbook.pdf/pages/9.png")
    assert status == 404 and "3 pages" in json.loads(body)["error"]
    assert api(server, "documents/nothing.pdf/pages/1.png")[0] == 404
    assert api(server, "documents/notes.txt/pages/1.png")[0] == 400  # only a PDF has pages to draw
    assert api(server, "documents/handbook.pdf/pages/1.png?start=5")[0] == 400
    assert api(server, "documents/handbook.pdf/pages/1.png?start=9&end=3")[0] == 400
    assert api(server, "documents/handbook.pdf/pages/1.png?start=0&end=99999999")[0] == 400
    assert api(server, "documents/handbook.pdf/pages/one.png")[0] in (404, 422)


def test_the_routes_want_credentials_under_auth(server):
    for path in ("documents/handbook.pdf/pages/1.png", "documents/handbook.pdf/file"):
        status, headers, _ = api(server, path, auth=None)
        assert status == 401 and "Basic" in headers.get("www-authenticate", "")
        assert api(server, path, auth=("alice", "wrong"))[0] == 401


def test_the_original_file_is_served_as_itself_and_markup_as_text(server, pdfs):
    status, headers, body = api(server, "documents/handbook.pdf/file")
    assert status == 200 and body == pdfs["handbook"] and headers["content-type"] == "application/pdf"
    status, headers, body = api(server, "documents/page.html/file")
    assert status == 200 and b"<script>" in body
    assert headers["content-type"].startswith("text/plain") and "sandbox" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_a_file_swapped_for_a_link_out_of_the_corpus_is_not_followed(tmp_path, pdfs):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(pdfs["report"])
    corpus = make_corpus(tmp_path / "c", {"handbook.pdf": pdfs["handbook"]})
    server = Server(corpus, tmp_path / "index", command=FAKE_QA)
    try:
        assert fetch(server.url + "api/documents/handbook.pdf/pages/1.png")[0] == 200
        os.remove(corpus / "handbook.pdf")
        os.symlink(outside, corpus / "handbook.pdf")
        for path in ("pages/2.png", "file"):
            status, _, body = fetch(server.url + f"api/documents/handbook.pdf/{path}")
            assert status == 404 and b"link" in body, path
        # the same file changed in place since the build: its offsets would light the wrong characters
        os.remove(corpus / "handbook.pdf")
        shutil.copy(outside, corpus / "handbook.pdf")
        status, _, body = fetch(server.url + "api/documents/handbook.pdf/pages/1.png?start=0&end=10")
        assert status == 409 and b"rebuild" in body
    finally:
        server.stop()


# --- the page, in a real browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page_server(tmp_path_factory, corpus):
    root = tmp_path_factory.mktemp("pages-browser")
    server = Server(corpus, root / "index")  # the real model: what a user sees
    yield server
    server.stop()


def _show_in_document(page, server, question: str):
    page.goto(server.url)
    box = page.get_by_label("Question")
    box.fill(question)
    box.press("Enter")
    card = page.locator("#results .qa-card").first
    card.wait_for(timeout=60_000)
    card.locator("details.qa-doc > summary").click()
    return card


@pytest.mark.model
@pytest.mark.browser
def test_show_in_document_shows_the_lit_page_of_a_pdf(page_server, pdfs):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        card = _show_in_document(page, page_server, "How many tonnes of air freight did the Tan Son Nhat cargo "
                                                    "terminal handle?")
        assert card.get_attribute("data-doc-id") == "handbook.pdf"
        img = card.locator(".qa-page-image img").first
        img.wait_for()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        assert img.evaluate("(img) => img.naturalWidth") == 1273  # A4 at 1,800 px high
        src = img.get_attribute("src")
        assert "/pages/2.png?start=" in src and "sentence_start=" in src
        # the image the browser shows lights pdfium's box of a word of the answer sentence
        png = page.request.get(page_server.url + src).body()
        plain = page.request.get(page_server.url + "api/documents/handbook.pdf/pages/2.png").body()
        assert lit_share(png, plain, word_pixels(pdfs["handbook"], 2, "412,000", image(png).size)) > 0.9
        link = card.locator("a.qa-original").first
        assert link.get_attribute("href").endswith("/file#page=2") and link.get_attribute("target") == "_blank"
        assert page.request.get(page_server.url + link.get_attribute("href").split("#")[0]).body() == pdfs["handbook"]

        card = _show_in_document(page, page_server, "How many ship movements did the Skerry lighthouse keeper log "
                                                    "in the winter of 2023?")
        assert card.get_attribute("data-doc-id") == "reports/charter.pdf"
        # its passage runs from page 1 onto page 2: both pages are shown, each lit
        assert "pages 1–2" in card.locator(".qa-cite").inner_text()
        figures = card.locator(".qa-page-image")
        assert [figures.nth(i).get_attribute("data-page") for i in range(figures.count())] == ["1", "2"]
        for i, n in enumerate((1, 2)):
            shown = figures.nth(i).locator("img")
            page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=shown.element_handle())
            lit = page.request.get(page_server.url + shown.get_attribute("src")).body()
            plain = page.request.get(page_server.url + f"api/documents/reports/charter.pdf/pages/{n}.png").body()
            assert lit != plain, n
        page.close()



def test_a_browser_logged_in_to_the_page_sees_its_images_without_basic_auth(server):
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"username": AUTH[0], "password": AUTH[1]}).encode()
    assert opener.open(server.url + "login", form, timeout=30).status == 200
    assert any(c.name.startswith("access-token") for c in jar)
    with opener.open(server.url + "api/documents/handbook.pdf/pages/1.png", timeout=60) as r:
        assert r.status == 200 and r.read().startswith(b"\x89PNG")
    # the page's own heartbeat, which wants the login, takes it too (it used to be refused to a logged-in page)
    with opener.open(server.url + "gradio_api/heartbeat/abc", timeout=30) as r:
        assert r.status == 200
    # the page's login opens only what the page links to, and only to read it
    status = fetch(server.url + "api/ask?q=depot", headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)})[0]
    assert status == 401
