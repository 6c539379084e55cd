"""The answer box on the page, in a real browser (Debian's chromium driven by Playwright, against `qa serve`):
it shows the short answer above the cards, its [n] links reach the cards, markup in a document runs nothing, and on
a phone it is on the first screen."""

from __future__ import annotations

import shutil

import pytest
from helpers import ROOT, SEEDS, Server, chromium, make_corpus

pytestmark = [pytest.mark.model, pytest.mark.browser]

SHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def seeds_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("answer-box")
    shutil.copytree(SEEDS, root / "seeds")
    server = Server(root / "seeds", root / "index")
    yield server
    server.stop()


#: The answer ("Acme Bridge Works") sits in a sentence full of markup; the file's name is markup too.
HOSTILE = {
    "<img src=x onerror=alert(1)>.txt": "Harbour bridge\nThe Harbour Bridge was built by Acme Bridge Works "
                                        "<script>alert(2)</script><img src=x onerror=alert(3)> for the city.\n",
    "other.txt": "Parks\nThe city parks are open every day of the week.\n"}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("answer-box-hostile")
    server = Server(make_corpus(root / "c", HOSTILE), root / "index")
    yield server
    server.stop()


def open_page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return context, page


def ask(page, url: str, question: str) -> None:
    page.goto(url)
    box = page.get_by_label("Question")
    box.fill(question)
    box.press("Enter")
    page.wait_for_selector("#results .qa-card, #results .qa-note", timeout=60_000)


def test_the_answer_box_shows_above_the_cards_and_its_links_reach_them(browser, seeds_server):
    context, page = open_page(browser, 1280, 900)
    try:
        ask(page, seeds_server.url, "How many countries does Vietnam have diplomatic relations with?")
        box = page.locator("#results .qa-answer-box")
        box.wait_for()
        assert box.locator(".qa-short").inner_text() == "194"
        assert box.locator("mark.qa-span").inner_text() == "194"
        text = box.inner_text()
        assert "confidence" in text and "195" in text and "Copy" in text
        first_card = page.locator("#results .qa-card").first
        assert box.bounding_box()["y"] < first_card.bounding_box()["y"]  # above the cards
        links = box.locator("a.qa-jump")
        assert links.count() >= 2
        last = links.last
        card = page.locator(f"#qa-hit-{last.get_attribute('data-rank')}")
        page.mouse.wheel(0, -10_000)
        last.click()
        page.wait_for_timeout(500)
        where, view = card.bounding_box(), page.viewport_size
        assert -2 <= where["y"] < view["height"], where  # scrolled to the card (to a fraction of a pixel)
        assert page.dialogs == []
    finally:
        context.close()


def test_a_question_the_documents_do_not_answer_says_why(browser, seeds_server):
    context, page = open_page(browser, 1280, 900)
    try:
        ask(page, seeds_server.url, "When was To Lam elected Party General Secretary?")
        note = page.locator("#results .qa-abstain")
        note.wait_for()
        assert "The documents mention" in note.inner_text() and "but do not say when." in note.inner_text()
        assert page.locator("#results .qa-answer-box").count() == 0
        assert page.locator("#results .qa-low .qa-card").count() >= 1
    finally:
        context.close()


def test_markup_around_the_answer_is_shown_as_text_and_runs_nothing(browser, hostile_server):
    context, page = open_page(browser, 1280, 900)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        ask(page, hostile_server.url, "Who built the Harbour Bridge?")
        box = page.locator("#results .qa-answer-box")
        box.wait_for()
        assert box.locator(".qa-short").inner_text() == "Acme Bridge Works"
        sentence = box.locator(".qa-short-sentence").inner_text()
        assert "<script>alert(2)</script>" in sentence and "<img src=x onerror=alert(3)>" in sentence
        page.wait_for_timeout(1000)
        assert page.dialogs == []
        assert page.evaluate("document.querySelectorAll('#results script, #results img').length") == 0
        assert all(r.startswith(hostile_server.url) or r.startswith("data:") for r in requests), requests
    finally:
        context.close()


def test_on_a_phone_the_answer_is_on_the_first_screen(browser, seeds_server):
    context, page = open_page(browser, 390, 844)
    try:
        ask(page, seeds_server.url, "Which university is Tran Le Hung from?")
        short = page.locator("#results .qa-answer-box .qa-short")
        short.wait_for()
        assert short.inner_text() == "Gustave Eiffel University"
        page.evaluate("window.scrollTo(0, 0)")
        where = short.bounding_box()
        assert 0 <= where["y"] and where["y"] + where["height"] <= 844, where
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "answer-box-phone.png"), full_page=False)
    finally:
        context.close()
