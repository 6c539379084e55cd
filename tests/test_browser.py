"""The web page in a real browser: Debian's chromium driven by Playwright, against `qa serve` in a subprocess.

Screenshots of each tab land in test-output/screenshots/.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from helpers import HANDBOOK_PDF, PAGE_TWO_FACT, QA, ROOT, SEEDS, XSS, Server, chromium, make_corpus, print_pdfs, write

pytestmark = [pytest.mark.model, pytest.mark.browser]

SHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def seeds_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    server = Server(corpus, root / "index", "--allow-rebuild", "--allow-evaluate")
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def ask(page, url: str, question: str) -> None:
    page.goto(url)
    box = page.get_by_label("Question")
    box.fill(question)
    box.press("Enter")
    page.wait_for_selector("#results .qa-card, #results .qa-note", timeout=60_000)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_enter_answers_with_the_right_document_highlighted_and_shown_in_context(page, seeds_server):
    ask(page, seeds_server.url, "Which university is Tran Le Hung from?")
    first = page.locator("#results .qa-card").first
    assert first.get_attribute("data-doc-id") == "003_ac1e5deb08e04087.txt"
    assert "Gustave Eiffel University" in first.locator(".qa-text .qa-answer").inner_text()
    assert first.locator(".qa-text mark.qa-term", has_text="University").count() >= 1
    assert "passage" in first.locator(".qa-cite").inner_text()
    assert "ms" in page.locator(".qa-took").inner_text()
    first.locator("summary", has_text="show in document").click()
    passage = first.locator(".qa-doc-passage").first
    passage.wait_for(state="visible")
    box, doc = passage.bounding_box(), first.locator(".qa-doc-text").bounding_box()
    assert box and doc and doc["y"] - 1 <= box["y"] <= doc["y"] + doc["height"]  # scrolled into the view
    assert "Trần Lê Hưng" in first.locator(".qa-doc-text").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ask-1280.png"))


def test_both_figures_with_their_two_sources_in_the_first_three_cards(page, seeds_server):
    ask(page, seeds_server.url, "How many countries does Vietnam have diplomatic relations with?")
    cards = page.locator("#results .qa-card")
    found = {}
    for i in range(3):
        text, doc = cards.nth(i).locator(".qa-text").inner_text(), cards.nth(i).get_attribute("data-doc-id")
        for figure in ("194 countries", "195 countries"):
            if figure in text:
                found.setdefault(figure, set()).add(doc)
    assert set(found) == {"194 countries", "195 countries"}
    assert found["194 countries"] != found["195 countries"]


def test_abstention_banner_and_gentle_empty_question(page, seeds_server):
    ask(page, seeds_server.url, "Who won the 2022 FIFA World Cup?")
    assert "do not seem to answer" in page.locator(".qa-abstain").inner_text()
    box = page.get_by_label("Question")
    box.fill("   ")
    box.press("Enter")
    page.wait_for_selector("text=Type a question", timeout=30_000)
    assert page.locator(".qa-card").count() == 0


def test_a_ten_thousand_character_question_works(page, seeds_server):
    page.goto(seeds_server.url)
    box = page.get_by_label("Question")
    box.fill(("Vietnam trade surplus billion USD " * 300)[:10_000])
    box.press("Enter")
    page.wait_for_selector("#results .qa-card", timeout=60_000)
    assert page.locator("#results .qa-card").count() == 5


@pytest.mark.parametrize("width", [1280, 390])
def test_every_tab_fits_the_width_and_works(browser, seeds_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        ask(page, seeds_server.url, "When was Resolution 59 issued?")
        assert no_horizontal_scroll(page)
        page.screenshot(path=str(SHOTS / f"ask-{width}.png"), full_page=True)

        page.get_by_role("tab", name="Library").click()
        table = page.locator("#library-table")
        table.get_by_text("004_fa2311fb06af83e6.txt").first.click()
        view = page.locator("#library-document .qa-doc-text")
        view.wait_for(state="visible", timeout=30_000)
        assert view.locator(".qa-pb").count() >= 5 and "leftcenterrightdel" in view.locator(".qa-debris").first.inner_text()
        assert no_horizontal_scroll(page)
        page.screenshot(path=str(SHOTS / f"library-{width}.png"), full_page=True)

        page.get_by_role("tab", name="Index").click()
        status = page.locator("#index-status")
        assert "fresh" in status.locator(".qa-fresh").inner_text()
        assert "all-MiniLM-L6-v2" in status.inner_text()
        assert no_horizontal_scroll(page)
        page.screenshot(path=str(SHOTS / f"index-{width}.png"), full_page=True)

        if width == 1280:  # the evaluation runs once
            page.get_by_role("tab", name="Evaluate").click()
            page.get_by_role("button", name="Run evaluation").click()
            metrics = page.locator("#eval-metrics")
            # one progress bar, and it moves: the bars drawn in the tab and the share each says, while it runs
            bars, shares = set(), set()
            while "questions from" not in page.locator("#eval-note").inner_text():
                drawn = page.evaluate("Array.from(document.querySelectorAll('.progress-text')).filter("
                                      "(e) => e.offsetParent !== null).map((e) => [e.closest('[id]').id, "
                                      "(e.parentElement.querySelector('.progress-level') || e).innerText])")
                bars.add(tuple(sorted(d[0] for d in drawn)))
                shares.update(d[1] for d in drawn)
                page.wait_for_timeout(250)
            metrics.get_by_text("hybrid").first.wait_for(timeout=180_000)
            assert max(len(b) for b in bars) == 1 and len(shares) >= 2, (bars, shares)
            questions = page.locator("#eval-questions")
            questions.get_by_text("q11").first.click()
            retrieved = page.locator("#eval-retrieved")
            retrieved.get_by_text("When was Resolution 59 issued?").wait_for(timeout=30_000)
            marks = retrieved.locator("li > strong").all_inner_texts()
            assert marks and set(marks) <= {"relevant", "not relevant"} and "relevant" in marks
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(SHOTS / f"evaluate-{width}.png"), full_page=True)
    finally:
        context.close()


HOSTILE = XSS  # the 20 payloads, shared with the folder test


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    write(corpus, "evil.txt", "Hostile page about exports\n" + "\n".join(
        f"Rice exports paragraph {i} mentions {p} in its text." for i, p in enumerate(HOSTILE)) + "\n")
    write(corpus, "evil.md", "# Markdown page\n\n[a link](javascript:alert(21)) and ![an image](x.png)\n")
    write(corpus, "plain.md", "# Plain page\n\nCoffee exports grew last year.\n")
    write(corpus, "budget-2025.xlsx", b"PK\x03\x04 not read")  # files qa does not read, one with markup for a name
    write(corpus, "<b onmouseover=alert(22)>site-photo</b>.png", b"\x89PNG not read")
    server = Server(corpus, root / "index")
    yield server
    server.stop()


def test_the_index_tab_names_every_file_not_read_with_its_reason(page, hostile_server):
    page.goto(hostile_server.url)
    page.get_by_role("tab", name="Index").click()
    status = page.locator("#index-status")
    status.get_by_text("budget-2025.xlsx").wait_for(timeout=30_000)
    text = status.inner_text()
    assert "budget-2025.xlsx: unsupported type .xlsx" in text
    assert "<b onmouseover=alert(22)>site-photo</b>.png: unsupported type .png" in text  # its name shown as text
    assert page.evaluate("document.querySelectorAll('#index-status b').length") == 0


def test_hostile_document_shows_its_text_and_runs_nothing(page, hostile_server):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    ask(page, hostile_server.url, "rice exports paragraph mentions")
    card = page.locator("#results .qa-card").first
    card.locator("summary", has_text="show in document").click()
    text = page.locator("#results").inner_text()
    for payload in HOSTILE:
        assert payload in text, payload
    page.wait_for_timeout(1000)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('#results script, #results img, #results svg').length") == 0
    assert all(r.startswith(hostile_server.url) or r.startswith("data:") for r in requests), requests
    assert page.url.startswith(hostile_server.url)


def test_rebuild_from_the_page_keeps_answering(page, seeds_server):
    page.goto(seeds_server.url)
    page.get_by_role("tab", name="Index").click()
    page.get_by_role("button", name="Rebuild index").click()
    page.locator("#rebuild-note").get_by_text("Rebuilt:").wait_for(timeout=180_000)
    assert "fresh" in page.locator("#index-status .qa-fresh").inner_text()
    page.get_by_role("tab", name="Ask").click()
    box = page.get_by_label("Question")
    box.fill("Which university is Tran Le Hung from?")
    box.press("Enter")
    page.wait_for_selector("#results .qa-card", timeout=60_000)
    assert page.locator("#results .qa-card").first.get_attribute("data-doc-id") == "003_ac1e5deb08e04087.txt"


def test_file_routes_serve_nothing_outside_the_app(seeds_server, tmp_path):
    """Each probe and the status code it got; none may return a file's content."""
    import urllib.error

    index_db = next(seeds_server.index_dir.glob("gen-*/passages.sqlite"))
    probes = ["/file=/etc/passwd", "/gradio_api/file=/etc/passwd", "/gradio_api/file=../../../../etc/passwd",
              "/gradio_api/file=%2Fetc%2Fpasswd", "/file=../../../../../etc/passwd", f"/gradio_api/file={index_db}",
              f"/file={index_db}", "/gradio_api/file=seeds/gold.jsonl", "/static/../../../../etc/passwd",
              "/assets/../../../../etc/passwd", "/gradio_api/file=~/.bashrc"]
    seen = {}
    for probe in probes:
        try:
            with urllib.request.urlopen(seeds_server.url.rstrip("/") + probe, timeout=10) as r:
                status, body = r.status, r.read(4096)
        except urllib.error.HTTPError as e:
            status, body = e.code, b""
        seen[probe] = status
        assert b"root:" not in body and b"SQLite format" not in body, (probe, status)
        assert status != 200 or b"<html" in body.lower(), (probe, status)  # at most the app's own page
    print(seen)
    assert all(code in (200, 400, 403, 404, 405) for code in seen.values())


def test_the_api_offers_search_and_rebuild_only_when_allowed(seeds_server, hostile_server):
    import json

    from gradio_client import Client

    for server, expected in ((hostile_server, ["/search"]), (seeds_server, ["/rebuild", "/search"])):
        with urllib.request.urlopen(server.url + "gradio_api/info", timeout=30) as r:
            assert sorted(json.loads(r.read())["named_endpoints"]) == expected
    client = Client(hostile_server.url, verbose=False)
    assert "qa-card" in client.predict("rice exports", 1, "hybrid", api_name="/search")
    for name in ("/do_rebuild", "/rebuild", "/evaluate", "/open_document", "/show_retrieved"):
        with pytest.raises(Exception):
            client.predict(api_name=name)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("auth")
    corpus = root / "c"
    write(corpus, "a.txt", "Private notes\nThe launch code is in the blue folder.\n")
    server = Server(corpus, root / "index", "--auth", "alice:s3cret")
    yield server
    server.stop()


def test_auth_guards_the_page_and_the_api(auth_server, browser):
    from gradio_client import Client

    with pytest.raises(Exception):
        Client(auth_server.url, verbose=False).predict("launch code", 1, "hybrid", api_name="/search")
    client = Client(auth_server.url, auth=("alice", "s3cret"), verbose=False)
    assert "blue folder" in client.predict("where is the launch code?", 1, "hybrid", api_name="/search")
    context = browser.new_context()
    page = context.new_page()
    page.goto(auth_server.url)
    assert page.get_by_label("Question").count() == 0  # a login form, not the app
    assert "blue folder" not in page.content()
    context.close()


def test_bad_auth_and_public_host_are_reported():
    result = subprocess.run([QA, "serve", "--auth", "nopassword"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--auth must be USER:PASSWORD" in result.stderr


def evaluate_upload(page, url: str, path: Path) -> None:
    """Open the Evaluate tab on a fresh page, upload ``path`` and run the evaluation."""
    page.goto(url)
    page.get_by_role("tab", name="Evaluate").click()
    # the upload must have landed before the run, or the run evaluates the default gold set
    with page.expect_response(lambda r: "/upload" in r.url and r.request.method == "POST", timeout=60_000):
        page.locator("#eval-upload input[type=file]").set_input_files(str(path))
    page.locator(f'#eval-upload td.filename[aria-label="{path.name}"]').wait_for(timeout=60_000)
    page.get_by_role("button", name="Run evaluation").click()


def test_evaluate_an_uploaded_gold_file(page, seeds_server, tmp_path):
    import json

    gold = tmp_path / "mine.jsonl"
    gold.write_text("\n".join(json.dumps(q) for q in [
        {"id": "u1", "question": "Which university is Tran Le Hung from?", "answers": ["Gustave Eiffel"],
         "doc_ids": ["003_ac1e5deb08e04087.txt"]},
        {"id": "u2", "question": "Who won the 2022 FIFA World Cup?", "answers": [], "doc_ids": []},
    ]) + "\n", encoding="utf-8")
    evaluate_upload(page, seeds_server.url, gold)
    page.locator("#eval-note").get_by_text("2 questions from").wait_for(timeout=120_000)
    assert "mine.jsonl" in page.locator("#eval-note").inner_text()
    page.locator("#eval-questions").get_by_text("u2").first.wait_for()

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "b1", "question": "ok", "answers": []}\n{not json\n', encoding="utf-8")
    evaluate_upload(page, seeds_server.url, bad)
    page.locator("#eval-note").get_by_text("Cannot read the gold set").wait_for(timeout=60_000)
    assert "bad.jsonl:2: not valid JSON" in page.locator("#eval-note").inner_text()


def test_a_public_host_gets_a_warning(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nSome text.\n")
    s = Server(tmp_path / "c", tmp_path / "ix", "--host", "0.0.0.0")
    try:
        log = Path(s.log.name).read_text()
    finally:
        s.stop()
    assert "qa: warning: serving on 0.0.0.0" in log and "--auth-file" in log and "--allow-host" in log


@pytest.fixture(scope="module")
def pdf_server(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("pdf")
    corpus = root / "c"
    write(corpus, "handbook.pdf", print_pdfs({"handbook": HANDBOOK_PDF}, browser)["handbook"])
    write(corpus, "note.txt", "Shipping note\nSea freight rates from Hai Phong fell in the spring.\n")
    server = Server(corpus, root / "index")
    server.corpus = corpus
    yield server
    server.stop()


def test_a_pdf_hit_shows_its_page_and_opens_on_that_page(page, pdf_server):
    ask(page, pdf_server.url, "How much air freight did the Tan Son Nhat cargo terminal handle?")
    card = page.locator("#results .qa-card").first
    assert card.get_attribute("data-doc-id") == "handbook.pdf"
    assert "page 2 · passage" in card.locator(".qa-cite").inner_text()
    card.locator("summary", has_text="show in document").click()
    view = card.locator(".qa-doc")
    assert view.locator(".qa-doc-pages").inner_text() == "Page 2 of 3"
    assert [m.inner_text() for m in view.locator(".qa-page").all()] == ["page 2"]  # that page, no other
    marked = view.locator(".qa-doc-passage").first
    marked.wait_for()
    assert any(PAGE_TWO_FACT[:40] in t for t in view.locator(".qa-doc-passage").all_inner_texts())
    assert marked.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "pdf-hit.png"), full_page=True)
    # the Library shows the PDF page by page
    page.get_by_role("tab", name="Library").click()
    size = (pdf_server.corpus / "handbook.pdf").stat().st_size  # the file's size, not its text's
    assert f"{size / 1024:.1f} KB" in page.locator("#library-table").inner_text()
    page.locator("#library-table").get_by_text("handbook.pdf", exact=True).filter(visible=True).first.click()
    page.locator("#library-document").get_by_text("page 1 of 3").wait_for(timeout=30_000)
    box = page.locator("#library-page input")
    box.fill("3")
    box.press("Enter")
    page.locator("#library-document").get_by_text("page 3 of 3").wait_for(timeout=30_000)
    assert "Binh Duong" in page.locator("#library-document").inner_text()
    box.fill("9")  # beyond the last: the last page, and the box says 3
    box.press("Enter")
    page.wait_for_function("document.querySelector('#library-page input').value === '3'", timeout=30_000)
    assert "page 3 of 3" in page.locator("#library-document").inner_text()


def test_the_disagreement_panel_shows_both_values_and_jumps_to_the_cards(page, seeds_server):
    ask(page, seeds_server.url, "How many countries does Vietnam have diplomatic relations with?")
    panel = page.locator("#results .qa-conflicts")
    panel.wait_for()
    text = panel.inner_text()
    assert "Sources disagree" in text and "194" in text and "> 195" in text
    assert "more than 195 countries and territories" in text
    # titles, not file ids (the id on hover); none of these sources has a date, so the panel asks for none
    assert "Recently, in the Draft Political Report" in text and "002_8820c71eb08b3067.txt" not in text
    assert panel.locator('a.qa-jump[title="002_8820c71eb08b3067.txt"]').count() == 1
    assert "check the sources." in text and "their dates" not in text
    last = panel.locator("a.qa-jump").last
    rank = last.get_attribute("data-rank")
    card = page.locator(f"#qa-hit-{rank}")
    page.mouse.wheel(0, -10_000)
    last.click()
    page.wait_for_timeout(500)
    box, view = card.bounding_box(), page.viewport_size
    assert -2 <= box["y"] < view["height"], box  # scrolled to the card (to a fraction of a pixel)
    assert card.locator(".qa-disagree").count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "conflicts.png"), full_page=False)


#: Two sources that disagree, one with markup in its name and its text.
DISAGREEING = {
    "<img src=x onerror=alert(1)>.txt": "Ministry note\nVietnam has diplomatic relations with 194 countries, the "
                                        "ministry said in its <script>alert(2)</script> yearly note.\n",
    "b.txt": "Press digest\nVietnam has diplomatic relations with more than 195 countries and territories.\n"}


@pytest.fixture(scope="module")
def disagreeing_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("disagree")
    server = Server(make_corpus(root / "c", DISAGREEING), root / "index")
    yield server
    server.stop()


def test_hostile_text_around_a_disagreement_is_shown_as_text(page, disagreeing_server):
    ask(page, disagreeing_server.url, "How many countries does Vietnam have diplomatic relations with?")
    panel = page.locator("#results .qa-conflicts")
    panel.wait_for()
    assert "Ministry note" in panel.inner_text() and "Press digest" in panel.inner_text()
    assert panel.locator("a.qa-jump").first.get_attribute("title") in DISAGREEING
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('#results script, #results img').length") == 0


# --- every view: both themes, a laptop and a phone ----------------------------------------------------------------

#: (theme, width, height): Gradio follows the system's dark setting and ?__theme=dark; both are set.
VIEWS = [("light", 1366, 900), ("dark", 1366, 900), ("light", 390, 844), ("dark", 390, 844)]


@pytest.fixture(params=VIEWS, ids=lambda v: f"{v[0]}-{v[1]}")
def view(request, browser):
    theme, width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
    pg = context.new_page()
    pg.theme, pg.width = theme, width
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def themed(page, url: str) -> str:
    return url + ("?__theme=dark" if page.theme == "dark" else "?__theme=light")


def next_answer(page, act) -> None:
    """Do ``act`` and wait for the answer it brings (the previous one marked as old first)."""
    page.evaluate("document.querySelectorAll('#results > * , #results .qa-took').forEach("
                  "(e) => e.setAttribute('data-old', '1'))")
    act()
    page.wait_for_selector("#results .qa-took:not([data-old])", timeout=60_000)
    # Gradio fades a pending output to opacity 0.2 and back over 0.15 s (a CSS transition, slower on a loaded
    # machine): what is measured on the answer (colours, contrast) is measured once it is fully shown
    page.wait_for_function("""() => { let o = 1;
        for (let e = document.querySelector('#results'); e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
        return o >= 0.999; }""", timeout=30_000)


def gold_questions(path: Path) -> list[str]:
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r["answers"]]


def test_each_example_fills_the_box_and_answers(view, seeds_server):
    page = view
    page.goto(themed(page, seeds_server.url))
    buttons = page.locator("#examples button")
    buttons.first.wait_for(timeout=30_000)
    expected = gold_questions(SEEDS / "gold.jsonl")[:5]
    assert buttons.count() == 5
    for i, question in enumerate(expected):
        next_answer(page, lambda i=i: buttons.nth(i).click())
        assert page.get_by_label("Question").input_value() == question
        assert page.locator("#results .qa-card").count() == 5
    assert no_horizontal_scroll(page)
    assert page.dialogs == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"examples-{page.theme}-{page.width}.png"))


def test_each_conflict_link_reaches_and_marks_its_card(view, seeds_server):
    page = view
    page.goto(themed(page, seeds_server.url))
    box = page.get_by_label("Question")
    box.fill("How many countries does Vietnam have diplomatic relations with?")
    next_answer(page, lambda: box.press("Enter"))
    links = page.locator("#results .qa-conflicts a.qa-jump")
    assert links.count() >= 2
    for i in range(links.count()):
        link = links.nth(i)
        rank = link.get_attribute("data-rank")
        page.mouse.wheel(0, -10_000)
        link.click()
        card = page.locator(f"#qa-hit-{rank}")
        page.wait_for_function(f"document.querySelector('#qa-hit-{rank}').classList.contains('qa-targeted')")
        assert page.locator(".qa-card.qa-targeted").count() == 1  # the one it jumped to, no other
        top = card.bounding_box()["y"]
        assert 0 <= top < page.viewport_size["height"], top


def test_a_folder_without_a_gold_set_offers_no_examples(page, hostile_server):
    page.goto(hostile_server.url)
    page.get_by_label("Question").wait_for()
    page.wait_for_timeout(500)
    assert page.locator("#examples button").count() == 0
    assert "Vietnam" not in page.locator("body").inner_text()


# --- following the folder (the fake embedder: the build logic, not the model, is under test) -----------------------

DURIAN = "Durian farms\nThe durian harvest in Dak Lak province reached 90,000 tonnes this summer.\n"


def header_counts(page) -> str:
    return page.locator("#qa-header .qa-counts").inner_text()


def ask_here(page, question: str) -> list[str]:
    """Ask on the open page; the documents of the cards that come back."""
    box = page.get_by_label("Question")
    box.fill(question)
    next_answer(page, lambda: box.press("Enter"))
    return [c.get_attribute("data-doc-id") for c in page.locator("#results .qa-card").all()]


def test_a_watched_folder_is_followed_by_the_open_page_while_16_clients_ask(browser, tmp_path):
    import threading
    import time

    from helpers import fetch, serve_seeds

    server = serve_seeds(tmp_path, "--watch")
    corpus = tmp_path / "seeds"
    stop, seen, errors = threading.Event(), [], []

    def client(n: int) -> None:
        while not stop.is_set():
            status, _, body = fetch(server.url + f"api/ask?q=durian+harvest+Dak+Lak+{n}&k=3", timeout=30)
            (seen if status == 200 else errors).append((status, body[:200]))

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    try:
        page.goto(server.url)
        assert header_counts(page).startswith("5 documents")
        for t in threads:
            t.start()
        started = time.monotonic()
        write(corpus, "durian.txt", DURIAN)
        page.wait_for_function("document.querySelector('#qa-header .qa-counts').innerText.startsWith('6 documents')",
                               timeout=10_000)
        assert ask_here(page, "How big was the durian harvest in Dak Lak?")[0] == "durian.txt"
        added = time.monotonic() - started
        assert added < 10, added
        print(f"a file added was answerable on the open page after {added:.1f} s")
        page.get_by_role("tab", name="Library").click()
        page.locator("#library-table").get_by_text("durian.txt").first.wait_for(timeout=5_000)  # no reload

        page.get_by_role("tab", name="Ask").click()
        (corpus / "durian.txt").unlink()
        page.wait_for_function("document.querySelector('#qa-header .qa-counts').innerText.startsWith('5 documents')",
                               timeout=10_000)
        assert "durian.txt" not in ask_here(page, "How big was the durian harvest in Dak Lak?")
        deadline = time.monotonic() + 10  # the answering processes switch within a second of the build
        while time.monotonic() < deadline:
            status, _, body = fetch(server.url + "api/ask?q=durian+harvest+Dak+Lak&k=5")
            if b"durian.txt" not in body:
                break
            time.sleep(0.2)
        assert status == 200 and b"durian.txt" not in body
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        context.close()
        server.stop()
    print(f"{len(seen)} answers to 16 clients, {len(errors)} errors")
    assert errors == [] and len(seen) >= 16


def test_without_watch_an_answer_says_the_folder_changed(page, tmp_path):
    from helpers import serve_seeds

    server = serve_seeds(tmp_path)
    try:
        page.goto(server.url)
        page.get_by_label("Question").wait_for()
        ask_here(page, "How big was the durian harvest in Dak Lak?")
        assert page.locator("#results .qa-stale").count() == 0
        write(tmp_path / "seeds", "durian.txt", DURIAN)
        page.wait_for_timeout(1100)  # the folder's listing serves for a second (CHANGES_MAX_AGE)
        ask_here(page, "How big was the durian harvest in Dak Lak?")
        note = page.locator("#results .qa-stale").inner_text()
        assert "The folder changed" in note and "durian.txt added" in note
        page.locator("#qa-notice .qa-behind").wait_for(timeout=10_000)  # and the page says so without a question
        assert "rebuild it on the Index tab" in page.locator("#qa-notice").inner_text()
    finally:
        server.stop()


# --- adding documents from the page --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    from helpers import FAKE_QA

    root = tmp_path_factory.mktemp("upload")
    write(root / "c", "note.txt", "Shipping note\nSea freight rates from Hai Phong fell in the spring.\n")
    server = Server(root / "c", root / "index", "--allow-upload", "--max-file-mb", "1", command=FAKE_QA)
    server.root, server.corpus = root, root / "c"
    yield server
    server.stop()


def add_from_the_page(page, files: list[dict]) -> str:
    page.get_by_role("tab", name="Library").click()
    with page.expect_response(lambda r: "/upload" in r.url and r.request.method == "POST", timeout=60_000):
        page.locator("#add-files input[type=file]").set_input_files(files)
    page.locator("#add-files td.filename").first.wait_for(timeout=30_000)
    page.evaluate("document.querySelector('#add-note').setAttribute('data-old', '1')")
    page.get_by_role("button", name="Add to the library").click()
    page.wait_for_function("(() => { const n = document.querySelector('#add-note');"
                           " return n && n.innerText.trim() && !n.querySelector('.progress-text, .eta-bar'); })()",
                           timeout=60_000)
    page.wait_for_timeout(300)
    return page.locator("#add-note").inner_text()


def test_a_pdf_added_from_the_page_is_answerable(page, upload_server, browser):
    pdf = print_pdfs({"handbook": HANDBOOK_PDF}, browser)["handbook"]
    page.goto(upload_server.url)
    note = add_from_the_page(page, [{"name": "Logistics handbook.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    assert "Added and indexed Logistics handbook.pdf" in note and "2 documents" in note, note
    page.get_by_role("tab", name="Ask").click()
    assert ask_here(page, "How much air freight did the Tan Son Nhat cargo terminal handle?")[0] == \
        "Logistics handbook.pdf"
    page.wait_for_function("document.querySelector('#qa-header .qa-counts').innerText.startsWith('2 documents')",
                           timeout=10_000)


def test_an_exe_an_oversize_file_and_a_path_are_refused_with_their_reasons(page, upload_server):
    before = sorted(p.name for p in upload_server.corpus.iterdir())
    page.goto(upload_server.url)
    note = add_from_the_page(page, [
        {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" + b"\0" * 100},
        {"name": "big.txt", "mimeType": "text/plain", "buffer": b"rice " * 400_000},
        {"name": "../../x.txt", "mimeType": "text/plain", "buffer": b"Escaped\nThis file must not leave.\n"}])
    assert "tool.exe: .exe is not a kind qa reads" in note, note
    assert "big.txt: 1.9 MB is over the 1 MB a file may have" in note, note
    assert "x.txt: a name may not hold a folder" in note, note
    assert sorted(p.name for p in upload_server.corpus.iterdir()) == before
    assert not any(p.name == "x.txt" for p in upload_server.root.rglob("*"))
    assert not (upload_server.root.parent / "x.txt").exists()


# --- readable in both themes, tables that fit -----------------------------------------------------------------

#: The contrast of an element's text against what is painted behind it: the backgrounds of it and its ancestors
#: composed (alpha included) down to the first opaque one, the text's colour and the opacity on the way folded in.
CONTRAST_JS = """(el) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const v = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
  const layers = []; let opacity = 1;
  for (let e = el; e; e = e.parentElement) {
    const style = getComputedStyle(e); opacity *= Number(style.opacity);
    const b = parse(style.backgroundColor); if (b && b[3] > 0) layers.push(b); if (b && b[3] >= 1) break; }
  let bg = document.documentElement.classList.contains('dark') || document.body.classList.contains('dark')
    ? [0, 0, 0] : [255, 255, 255];
  for (const layer of layers.reverse()) bg = over(layer, bg);
  const fg = parse(getComputedStyle(el).color); const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
  const lum = (c) => { const [r, g, b] = c.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(text), lum(bg)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05);
}"""


def contrast(locator) -> float:
    return locator.first.evaluate(CONTRAST_JS)


def headers_on_one_line(page, table: str) -> list[str]:
    """The header labels of ``table`` that wrap (taller than one line)."""
    return page.evaluate(f"""Array.from(document.querySelectorAll('{table} th span.header')).filter((e) =>
        e.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(e).lineHeight || '20')
    ).map((e) => e.innerText)""")


def test_marked_words_answers_and_banners_are_readable_and_tables_fit(view, seeds_server):
    page = view
    page.goto(themed(page, seeds_server.url))
    box = page.get_by_label("Question")
    box.fill("How many countries does Vietnam have diplomatic relations with?")
    next_answer(page, lambda: box.press("Enter"))
    assert page.evaluate("document.body.classList.contains('dark')") == (page.theme == "dark")
    measured = {what: contrast(page.locator(f"#results {selector}")) for what, selector in (
        ("marked word", "mark.qa-term"), ("answer sentence", ".qa-answer"), ("conflict banner", ".qa-conflicts"),
        ("conflict value", ".qa-value"), ("card text", ".qa-card .qa-text"))}
    box.fill("Who won the 2022 FIFA World Cup?")
    next_answer(page, lambda: box.press("Enter"))
    measured["abstention banner"] = contrast(page.locator("#results .qa-abstain"))
    print(page.theme, page.width, {k: round(v, 2) for k, v in measured.items()})
    assert all(v >= 4.5 for v in measured.values()), measured

    page.get_by_role("tab", name="Library").click()
    page.locator("#library-table").get_by_text("003_ac1e5deb08e04087.txt").first.wait_for()
    assert headers_on_one_line(page, "#library-table") == []
    assert no_horizontal_scroll(page)
    cell = page.locator("#library-table .qa-cell[title]").first
    assert cell.get_attribute("title") and cell.inner_text() in cell.get_attribute("title")  # full value on hover
    assert " KB" in page.locator("#library-table").inner_text()
    if page.width >= 1366:  # every column shows within the table's box at a laptop's width
        right = page.evaluate("Math.max(...Array.from(document.querySelectorAll('#library-table th')).map("
                              "(e) => e.getBoundingClientRect().right))")
        assert right <= page.evaluate("document.querySelector('#library-table').getBoundingClientRect().right") + 1
    page.screenshot(path=str(SHOTS / f"library-{page.theme}-{page.width}.png"))

    page.get_by_role("tab", name="Evaluate").click()
    page.locator("#eval-metrics th").first.wait_for(state="attached")
    page.wait_for_timeout(300)
    labels = [t.strip() for t in page.locator("#eval-metrics th span.header").all_inner_texts()]
    assert labels[0] == "mode" and "1" not in labels  # named headers before any run, not "1 2 3"
    assert headers_on_one_line(page, "#eval-metrics") == [] and headers_on_one_line(page, "#eval-questions") == []
    assert no_horizontal_scroll(page)


# --- share and keep -------------------------------------------------------------------------------------------


def test_a_shared_link_answers_on_load_and_copy_yields_the_citations(view, seeds_server):
    from urllib.parse import quote

    page = view
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=seeds_server.url.rstrip("/"))
    question = "Which university is Tran Le Hung from?"
    page.goto(themed(page, seeds_server.url) + f"&q={quote(question)}&k=3&mode=lexical")
    page.wait_for_selector("#results .qa-card", timeout=60_000)
    assert page.get_by_label("Question").input_value() == question
    assert page.locator("#results .qa-card").count() == 3 and "(lexical)" in page.locator(".qa-took").inner_text()
    first = page.locator("#results .qa-card").first
    assert first.get_attribute("data-doc-id") == "003_ac1e5deb08e04087.txt"

    page.get_by_role("button", name="Copy answer with citations").click()
    page.wait_for_function("document.querySelector('#copy-answer').dataset.copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#copy-answer").get_attribute("data-copied")
    lines = copied.splitlines()
    assert lines[0] == f"Question: {question}" and "Gustave Eiffel University" in lines[1]
    title = first.locator(".qa-title").inner_text()
    chars = first.locator(".qa-cite").inner_text().split("characters ")[1]
    assert f"[1] {title} — 003_ac1e5deb08e04087.txt, characters {chars}" in copied
    assert sum(line.startswith("[") for line in lines) == 3

    page.goto(themed(page, seeds_server.url) + "&q=rice&k=99")  # a bad link gets the page's note, not an error
    page.locator("#results .qa-note").wait_for(timeout=30_000)
    assert "k must be" in page.locator("#results").inner_text()


def test_the_questions_of_this_browser_are_listed_and_reopen(page, seeds_server):
    page.goto(seeds_server.url)
    for question in ("When was Resolution 59 issued?", "Which university is Tran Le Hung from?"):
        ask_here(page, question)
    listed = page.locator("#recent .qa-recent a")
    assert listed.all_inner_texts() == ["Which university is Tran Le Hung from?", "When was Resolution 59 issued?"]
    stored = page.evaluate("JSON.parse(localStorage.getItem('qa-recent'))")
    assert stored[0] == "Which university is Tran Le Hung from?"
    page.reload()  # kept in the browser: listed again after a reload, and a click answers it
    listed.last.click()
    page.wait_for_selector("#results .qa-card", timeout=60_000)
    assert page.get_by_label("Question").input_value() == "When was Resolution 59 issued?"
    page.evaluate("localStorage.setItem('qa-recent', JSON.stringify(['<img src=x onerror=alert(1)>']))")
    page.reload()
    assert page.locator("#recent .qa-recent a").inner_text() == "<img src=x onerror=alert(1)>"
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.locator("#recent img").count() == 0


def test_the_ask_controls_and_the_index_refresh_work(view, seeds_server):
    page = view
    page.goto(themed(page, seeds_server.url))
    page.get_by_label("Mode").click()
    page.get_by_role("option", name="lexical").click()
    passages = page.locator("input[type=number]").first  # the Passages slider's box
    passages.fill("2")
    passages.press("Enter")
    box = page.get_by_label("Question")
    box.fill("Which university is Tran Le Hung from?")
    next_answer(page, lambda: page.get_by_role("button", name="Search", exact=True).click())
    assert page.locator("#results .qa-card").count() == 2 and "(lexical)" in page.locator(".qa-took").inner_text()
    page.get_by_role("tab", name="Index").click()
    # the status is the same, so the page redraws nothing: the event itself must be taken and answered
    with page.expect_response(lambda r: "/queue/join" in r.url and r.request.method == "POST") as joined:
        page.get_by_role("button", name="Refresh status").click()
    assert joined.value.status == 200
    assert "fresh" in page.locator("#index-status .qa-fresh").inner_text()


@pytest.fixture(scope="module")
def folders_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("within")
    corpus = make_corpus(root / "c", {
        "reports/harbour.md": "# Harbour report\n\nThe harbour crane lifts 40 tonnes of cargo each hour.\n",
        "reports/airport.txt": "Airport report\nThe airport crane lifts 12 tonnes of cargo each hour.\n",
        "notes/market.html": "<html><head><title>Market notes</title></head><body><p>The market crane lifts "
                             "7 tonnes of cargo each hour.</p></body></html>"})
    server = Server(corpus, root / "index")
    yield server
    server.stop()


def test_search_within_a_folder_or_a_document_from_the_page(page, folders_server):
    page.goto(folders_server.url)
    page.get_by_text("Search within").click()
    folders = page.locator("#within-folders input")
    folders.click()
    page.get_by_role("option", name="notes").click()
    page.keyboard.press("Escape")
    box = page.get_by_label("Question")
    box.fill("How many tonnes does the crane lift each hour?")
    box.press("Enter")
    page.wait_for_selector("#results .qa-card", timeout=60_000)
    cards = page.locator("#results .qa-card")
    assert cards.count() == 1 and "notes/market.html" in cards.first.inner_text()
    page.goto(folders_server.url)  # a fresh page: nothing chosen
    page.get_by_text("Search within").click()
    page.get_by_label("Question").fill("How many tonnes does the crane lift each hour?")
    docs = page.locator("#within-docs input")
    docs.click()
    page.get_by_role("option", name="Airport report · reports/airport.txt").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_function("document.querySelectorAll('#results .qa-card').length === 1 && "
                           "document.querySelector('#results').innerText.includes('reports/airport.txt')",
                           timeout=60_000)
    assert "notes/market.html" not in page.locator("#results").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-within.png"), full_page=True)
