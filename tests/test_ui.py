"""The function behind the web page, and the page itself served over HTTP (browser tests come with the UI work)."""

import json
import re
import urllib.request

import pytest
from helpers import free_port, write

from qa import Index, build_index
from qa.serve.ui import answer, build_app

HOSTILE = (
    "Hostile page\n"
    "A paragraph with <script>alert(1)</script> inside and <img src=x onerror=alert(1)> too.\n"
    "Source: https://example.org/a?x=1&y=\"2\"\n"
)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, settings, embedder):
    root = tmp_path_factory.mktemp("hostile")
    write(root / "c", "evil.txt", HOSTILE)
    write(root / "c", "plain.txt", "Plain page\nRice exports grew by ten percent last year.\n")
    build_index(root / "c", root / "ix", settings, embedder=embedder)
    return Index.open(root / "ix", settings=settings, embedder=embedder)


def test_results_are_cited_and_question_words_marked(seeds_search):
    page = answer(seeds_search, "Which university is Tran Le Hung from?", 3)
    assert page.count('class="qa-card"') == 3
    first = page.split('class="qa-card"')[1]
    assert "003_ac1e5deb08e04087.txt" in first and "Integration a central pillar for new direction" in first
    assert "passage 6 of 11" in first and "characters " in first  # its photo caption is passage 2 of 11
    plain = first.replace(' class="qa-term"', "")
    assert "<mark>Trần</mark> <mark>Lê</mark> <mark>Hưng</mark>" in plain  # matched without diacritics
    assert "<mark>University</mark>" in plain


def test_source_link_opens_safely(seeds_search):
    page = answer(seeds_search, "Vietnam has diplomatic relations with more than 195 countries", 5)
    assert 'href="https://baotintuc.vn/' in page and 'target="_blank" rel="noopener noreferrer"' in page


def test_document_text_is_escaped(hostile_index):
    page = answer(hostile_index, "script alert image", 2)
    assert '<mark class="qa-term">script</mark>' in page  # words are marked on text, every piece escaped
    page = re.sub(r"</?mark[^>]*>", "", page)
    assert "<script>" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="https://example.org/a?x=1&amp;y=&quot;2&quot;"' in page


@pytest.mark.parametrize("question", ["", "   ", None])
def test_empty_question_gets_a_gentle_note(seeds_search, question):
    assert "Type a question" in answer(seeds_search, question, 5)


def test_long_question_works(seeds_search):
    assert answer(seeds_search, "Vietnam trade " * 2000, 2).count('class="qa-card"') == 2


def test_page_is_served_on_loopback_with_only_search_in_the_api(seeds_search):
    from qa.serve.ui import CSS

    app = build_app(seeds_search)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/gradio_api/info", timeout=30) as r:
            info = json.loads(r.read())
        assert list(info["named_endpoints"]) == ["/search"]
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        page = client.predict("Which university is Tran Le Hung from?", 2, api_name="/search")
        assert page.count('class="qa-card"') == 2 and "Gustave Eiffel" in page
    finally:
        app.close()


def test_answer_sentence_is_highlighted_and_abstention_announced(seeds_search):
    page = answer(seeds_search, "When was Resolution 59 issued?", 3)
    first = page.split('class="qa-card"')[1]
    # the highlight comes in pieces where disputed words are marked inside it
    marked = "".join(re.findall(r'<strong class="qa-answer">(.*?)</strong>', first))
    assert "January 24, 2025" in re.sub(r"</?(mark|span)[^>]*>", "", marked)
    assert "qa-abstain" not in page
    page = answer(seeds_search, "Who won the 2022 FIFA World Cup?", 3)
    assert "do not seem to answer" in page and "qa-answer" not in page and page.count('class="qa-card"') == 3


def test_sources_that_disagree_get_a_panel_linked_to_their_marked_cards(seeds_search):
    page = answer(seeds_search, "How many countries does Vietnam have diplomatic relations with?", 5)
    panel, cards = page.split('<div class="qa-hits', 1)
    assert "Sources disagree" in panel and "194" in panel and "&gt; 195" in panel
    assert "more than 195 countries and territories" in panel
    for rank in re.findall(r'href="#qa-hit-(\d+)"', panel):
        assert f'id="qa-hit-{rank}"' in cards
    assert cards.count('class="qa-disagree"') >= 2
    assert "Sources disagree" not in answer(seeds_search, "Which university is Tran Le Hung from?", 5)


def test_the_disagreement_panel_escapes_what_it_shows():
    from qa.index import Answer, Hit
    from qa.rank.conflicts import Conflict, Value
    from qa.serve.rendering import render_answer

    evil = "<img src=x onerror=alert(1)>"
    hits = tuple(Hit(r, 0.5, f"About {n} {evil} things.", f"{evil}{r}.txt", evil, None, 0, 20, evil, 1, 1)
                 for r, n in ((1, 194), (2, 195)))
    conflict = Conflict(f"count of {evil}", (Value("194", f"194 {evil}", (1,), ((hits[0].doc_id, 6, 9),)),
                                             Value("> 195", "195 <script>", (2,), ((hits[1].doc_id, 6, 9),))))
    page = render_answer(Answer("q", "hybrid", hits, False, 0.9, 0.4, (conflict,)))
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "195 &lt;script&gt;" in page


def test_a_long_run_stops_when_nobody_asks_for_more():
    """Gradio stops iterating an event generator when its visitor leaves: the work then stops itself."""
    import threading
    import time

    from qa.serve.ui import _while_watched

    steps, finished = [], threading.Event()

    def work(alive):
        try:
            for i in range(200):
                alive()
                steps.append(i)
                time.sleep(0.02)
            return "all done"
        finally:
            finished.set()

    run = _while_watched(work, poll=0.05, patience=0.3)
    assert next(run) is None  # the visitor is there for a moment, then leaves
    assert finished.wait(5) and len(steps) < 100
    assert list(_while_watched(lambda alive: "quick", poll=0.01))[-1] == "quick"  # a watched run completes


def test_retrieved_passages_are_cut_at_a_word_boundary():
    from qa.serve.pageparts import cut_words

    text = "The   Tan Son Nhat cargo terminal handled 412,000 tonnes of air freight in 2024."
    assert cut_words(text, 200) == " ".join(text.split())
    cut = cut_words(text, 30)
    assert cut == "The Tan Son Nhat cargo…" and len(cut) <= 31
    assert cut_words("x" * 50, 10) == "x" * 10 + "…"  # one long word: cut where it must be


def test_conflict_sources_are_named_by_title_and_dates_asked_for_only_when_known():
    from qa.index import Answer, Hit
    from qa.rank.conflicts import Conflict, Value
    from qa.serve.rendering import render_conflicts

    def answer(date):
        hits = tuple(Hit(r, 0.5, f"About {n} things.", f"{r}.txt", f"Title {r}", None, 0, 20, date, 1, 1)
                     for r, n in ((1, 194), (2, 195)))
        conflict = Conflict("count", (Value("194", "194", (1,), (("1.txt", 6, 9),)),
                                      Value("195", "195", (2,), (("2.txt", 6, 9),))))
        return Answer("q", "hybrid", hits, False, 0.9, 0.4, (conflict,))

    undated = render_conflicts(answer(None))
    assert "[1] Title 1</a>" in undated and 'title="1.txt"' in undated and "their dates" not in undated
    dated = render_conflicts(answer("2025-01-24"))
    assert "Title 2 · 2025-01-24" in dated and "check the sources and their dates" in dated


def test_counts_on_the_page_say_one_passage_not_one_passages():
    from qa.text import counted

    assert counted(1, "passage") == "1 passage"
    assert counted(0, "document") == "0 documents"
    assert counted(1204, "passage") == "1,204 passages"
