"""Structure, not debris (issue 22, item 3): a heading is never a passage alone but the context of its section's
passages, read by the model and BM25 before the text and never cited; Markdown is read as structure (headings,
lists, quotations, code, tables). Each format is read for real: Markdown by markdown-it-py, HTML by the page
extractor, Word files written with python-docx, PDFs printed by Debian's Chromium."""

from __future__ import annotations

import io
import sqlite3

import pytest
from helpers import HANDBOOK_PDF, PAGE_TWO_FACT, CountingEmbedder, print_pdfs, write

from qa import Index, build_index
from qa.read.chunking import CONTEXT_SEPARATOR, Passage, chunk_document, regions
from qa.read.documents import Document, parse_document
from qa.serve.markdown_view import render_markdown, rendered_details
from qa.serve.rendering import render_document, render_hit
from qa.store.database import DATABASE
from qa.store.layout import current_generation
from qa.text import analyze

LIGHTHOUSES_TXT = ("The Lighthouses of the Skerry Coast\n\n"
                   "Nine lighthouses stand on the Skerry Coast. The oldest, at Rannoch Point, was first lit in 1811.\n")

LIGHTHOUSES_MD = """# The Lighthouses of the Skerry Coast

Nine lighthouses guard the Skerry Coast, from Rannoch Point in the north to Gull Ness in the south.

## History

The oldest, at Rannoch Point, was first lit in 1811 and burned whale oil until 1870.

## Keepers

- The last resident keeper left Gull Ness in 1989.
- Visitors may climb the Rannoch tower on Saturdays.

> The beam of Gull Ness reaches 22 nautical miles.

Opening hours
-------------

```
Saturday 10:00-16:00
```

| Tower | Height |
|-------|--------|
| Rannoch Point | 31 m |
"""

FERRIES_HTML = """<!doctype html><html><head><title>Ferries of the Vell estuary</title></head><body>
<nav><h2>Menu</h2><a href="/">Home</a></nav>
<main><h1>Vell estuary ferries</h1>
<p>Two ferries cross the Vell estuary between Marrow and Tollis.</p>
<h2>Timetable</h2>
<p>The first crossing leaves Marrow at 06:40 and takes eighteen minutes.</p>
<h3>Winter</h3>
<p>From November to March the Tollis ferry runs only on weekdays.</p>
</main></body></html>"""

ORCHARD_PDF = ("""<!doctype html><html><head><title>Orchard report 2024</title>
<style>body { font: 12pt serif; }</style></head><body>
<h1>Orchard report 2024</h1>
<p>This report covers the orchards of the Lindqvist cooperative in the Haldor valley.</p>
<h2>Apples</h2>
<p>The Lindqvist orchards picked 312 tonnes of apples in 2024, most of them Ingrid Marie.</p>
<h2 style="break-before: page">Pears</h2>
<p>Late frost in April cut the pear harvest to 41 tonnes.</p>
</body></html>""", {})


def make_word() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Harbour memo", level=0)  # the Title style: above Heading 1
    d.add_heading("Port fees", level=1)
    d.add_paragraph("Cai Mep port lowered its container handling fee to 52 dollars per box in March.")
    d.add_heading("Dredging", level=2)
    d.add_paragraph("The channel to the container berths was dredged to a depth of 14 metres.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def printed():
    return print_pdfs({"handbook": HANDBOOK_PDF, "orchard": ORCHARD_PDF})


def heading_texts(doc: Document) -> set[str]:
    return {" ".join(doc.text[s:e].split()) for s, e, _ in doc.headings}


def check_structure(doc: Document, passages: list[Passage]) -> None:
    """No passage is a heading, holds one or overlaps one; every passage slices the text exactly."""
    assert doc.headings and passages
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
        assert " ".join(p.text.split()) not in heading_texts(doc), p.text
        for s, e, _ in doc.headings:
            assert e <= p.start or s >= p.end, (p.text, doc.text[s:e])


def contexts(passages: list[Passage]) -> dict[str, str]:
    """The context of the passage that holds each first sentence (its first 30 characters)."""
    return {p.text[:30]: p.context for p in passages}


def test_a_text_file_s_title_line_is_the_context_of_its_passages(tokenizer):
    doc = parse_document("lighthouses.txt", LIGHTHOUSES_TXT.encode())
    passages = chunk_document(doc, tokenizer, 200, 48)
    check_structure(doc, passages)
    assert [p.context for p in passages] == ["The Lighthouses of the Skerry Coast"]
    assert passages[0].start == LIGHTHOUSES_TXT.index("Nine")  # the title (characters 0-35) is no passage
    # a file that is only a headline is read as text: nothing is lost
    alone = parse_document("note.txt", b"Meeting moved to Thursday\n")
    assert [p.text for p in chunk_document(alone, tokenizer, 200, 48)] == ["Meeting moved to Thursday"]


def test_markdown_is_read_as_structure(tokenizer):
    doc = parse_document("lighthouses.md", LIGHTHOUSES_MD.encode())
    assert doc.title == "The Lighthouses of the Skerry Coast"
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [
        ("The Lighthouses of the Skerry Coast", 1), ("History", 2), ("Keepers", 2), ("Opening hours", 2)]
    spans = [doc.text[s:e] for s, e in doc.segments]
    # markers and markup lines are not the text's spans: a list item starts after its "- ", a quotation after "> "
    assert "The last resident keeper left Gull Ness in 1989." in spans
    assert "The beam of Gull Ness reaches 22 nautical miles." in spans
    assert not any(s.startswith(("#", "- ", "> ", "```", "|---", "---")) for s in spans), spans
    assert "Saturday 10:00-16:00" in spans and "| Rannoch Point | 31 m |" in spans  # code and table rows are text
    passages = chunk_document(doc, tokenizer, 200, 48)
    check_structure(doc, passages)
    top = "The Lighthouses of the Skerry Coast"
    assert contexts(passages) == {
        "Nine lighthouses guard the Ske": top,
        "The oldest, at Rannoch Point, ": f"{top}{CONTEXT_SEPARATOR}History",
        "The last resident keeper left ": f"{top}{CONTEXT_SEPARATOR}Keepers",
        "Saturday 10:00-16:00\n```\n\n| To": f"{top}{CONTEXT_SEPARATOR}Opening hours",
    }
    keepers = next(p for p in passages if p.context.endswith("Keepers"))
    assert keepers.text.endswith("22 nautical miles.")  # the list and the quotation after it: one passage


def test_html_headings_are_the_context_and_the_furniture_s_are_not(tokenizer):
    doc = parse_document("ferries.html", FERRIES_HTML.encode())
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [
        ("Vell estuary ferries", 1), ("Timetable", 2), ("Winter", 3)]  # "Menu" is in the <nav>, left out
    passages = chunk_document(doc, tokenizer, 200, 48)
    check_structure(doc, passages)
    assert [p.context for p in passages] == ["Vell estuary ferries", "Vell estuary ferries › Timetable",
                                             "Vell estuary ferries › Timetable › Winter"]


def test_word_headings_by_style_and_level(tokenizer):
    doc = parse_document("memo.docx", make_word())
    assert [level for _, _, level in doc.headings] == [0, 1, 2]  # Title, Heading 1, Heading 2
    passages = chunk_document(doc, tokenizer, 200, 48)
    check_structure(doc, passages)
    assert [p.context for p in passages] == ["Harbour memo › Port fees", "Harbour memo › Port fees › Dredging"]


@pytest.mark.browser
def test_pdf_headings_by_type_size(printed, tokenizer):
    doc = parse_document("handbook.pdf", printed["handbook"])
    passages = chunk_document(doc, tokenizer, 200, 48)
    check_structure(doc, passages)
    fact = next(p for p in passages if PAGE_TWO_FACT in p.text)
    assert fact.context == "Logistics Handbook › Air cargo"  # h1 above h2: the larger type is the higher level
    orchard = parse_document("orchard.pdf", printed["orchard"])
    check_structure(orchard, chunk_document(orchard, tokenizer, 200, 48))


def test_a_long_heading_path_keeps_its_innermost_headings_within_a_quarter_of_the_window(tokenizer):
    heads = [f"Part {n} " + "of the very long and winding regulations " * 3 for n in range(1, 5)]
    text = "".join("#" * n + " " + h + "\n\n" for n, h in enumerate(heads, 1)) + "The fee is 12 dollars.\n"
    doc = parse_document("deep.md", text.encode())
    [p] = chunk_document(doc, tokenizer, 254, 0)
    assert p.text == "The fee is 12 dollars." and p.context.endswith(heads[-1].strip())
    assert tokenizer.count([p.context])[0] <= tokenizer.window // 4 and not p.context.startswith("Part 1")
    assert p.n_tokens + tokenizer.count([p.context])[0] <= tokenizer.window  # the model reads both


def test_regions_break_at_every_heading_and_carry_its_path(tokenizer):
    doc = parse_document("ferries.html", FERRIES_HTML.encode())
    assert [r.path for r in regions(doc)] == [("Vell estuary ferries",), ("Vell estuary ferries", "Timetable"),
                                              ("Vell estuary ferries", "Timetable", "Winter")]


# --- built: BM25 terms, the model's input, vector reuse, citations -------------------------------------------------

def stored(index_dir) -> dict[str, tuple[str, str, str]]:
    """passage text -> (context, terms, text hash) of every stored passage."""
    db = sqlite3.connect(current_generation(index_dir) / DATABASE)
    rows = db.execute("SELECT text, context, terms, text_sha256 FROM passages").fetchall()
    db.close()
    return {t: (c, terms, h) for t, c, terms, h in rows}


def test_the_context_changes_terms_and_model_input_but_citations_slice_the_file(tmp_path, fake_settings, fake):
    corpus = tmp_path / "c"
    write(corpus, "lighthouses.md", LIGHTHOUSES_MD)
    write(corpus, "ferries.html", FERRIES_HTML)
    counting = CountingEmbedder(fake)
    build_index(corpus, tmp_path / "ix", fake_settings, embedder=counting)
    rows = stored(tmp_path / "ix")
    history = "The oldest, at Rannoch Point, was first lit in 1811 and burned whale oil until 1870."
    context, terms, _ = rows[history]
    assert context == "The Lighthouses of the Skerry Coast › History"
    assert set(analyze("lighthouses skerry history")) <= set(terms.split())  # the heading's words are its terms
    assert not set(analyze("lighthouses skerry history")) & set(analyze(history))  # and not the text's
    assert f"{context}\n{history}" in counting.texts  # the model read the context, then the text
    index = Index.open(tmp_path / "ix", settings=fake_settings, embedder=fake)
    # BM25 finds a passage by its heading's words alone, and the hit cites the text, not the heading
    hit = index.search("Skerry history", k=1, mode="lexical")[0]
    assert hit.text == history and hit.context == context and hit.to_dict()["context"] == context
    for mode in ("lexical", "dense", "hybrid"):
        for hit in index.search("ferry timetable winter Tollis lighthouse keepers", k=10, mode=mode):
            assert index.document(hit.doc_id).text[hit.start:hit.end] == hit.text
            assert hit.context and hit.context.split(" › ")[-1] not in hit.text.split("\n")[0]

    # the page shows a heading as one, not as debris, and a hit's card names its context
    doc = index.document("lighthouses.md")
    assert [(doc.text[s:e], level) for s, e, level in doc.headings][:2] == [
        ("The Lighthouses of the Skerry Coast", 1), ("History", 2)]
    view = render_document(doc.text, index.passages_of("lighthouses.md"), headings=doc.headings)
    assert view.count('<span class="qa-heading"') == 4 and '">History</span>' in view
    assert '<span class="qa-debris" title="not part of any passage">History' not in view
    hit = index.search("Skerry history", k=1, mode="lexical")[0]
    assert '<div class="qa-context" title="the headings this passage lies under">The Lighthouses of the Skerry ' \
           'Coast › History</div>' in render_hit(hit, "Skerry history")

    # a heading edited, the text under it not: those passages are embedded again (their hash holds the context)
    write(corpus, "lighthouses.md", LIGHTHOUSES_MD.replace("## History", "## Early history"))
    again = CountingEmbedder(fake)
    report = build_index(corpus, tmp_path / "ix", fake_settings, embedder=again)
    after = stored(tmp_path / "ix")
    assert report.incremental and after[history][0] == "The Lighthouses of the Skerry Coast › Early history"
    assert after[history][2] != rows[history][2]
    changed = [t for t in after if after[t][2] != rows.get(t, ("", "", ""))[2]]
    assert changed == [history] and report.embedded == 1


# --- the folder of the issue, with the real model -----------------------------------------------------------------

QUESTIONS = [  # (question, the file that answers it, the heading its context must name, words of the answer)
    ("How much air freight did the Tan Son Nhat cargo terminal handle in 2024?", "reports/handbook.pdf",
     "Air cargo", "412,000 tonnes"),
    ("How many tonnes of apples did the Lindqvist orchards pick?", "reports/orchard.pdf", "Apples", "312 tonnes"),
    ("What did Cai Mep port lower its container handling fee to?", "memo.docx", "Port fees", "52 dollars"),
    ("How deep was the channel to the container berths dredged?", "memo.docx", "Dredging", "14 metres"),
    ("When was the oldest lighthouse at Rannoch Point first lit?", "lighthouses.md", "History", "1811"),
    ("When did the last resident keeper leave Gull Ness?", "lighthouses.md", "Keepers", "1989"),
    ("When does the first ferry leave Marrow?", "ferries.html", "Timetable", "06:40"),
    ("On which days does the Tollis ferry run in winter?", "ferries.html", "Winter", "weekdays"),
]


@pytest.fixture(scope="module")
def folder_index(printed, tmp_path_factory, embedder, settings):
    root = tmp_path_factory.mktemp("structure")
    corpus = root / "corpus"
    write(corpus, "reports/handbook.pdf", printed["handbook"])
    write(corpus, "reports/orchard.pdf", printed["orchard"])
    write(corpus, "memo.docx", make_word())
    write(corpus, "lighthouses.md", LIGHTHOUSES_MD)
    write(corpus, "ferries.html", FERRIES_HTML)
    build_index(corpus, root / "ix", settings, embedder=embedder)
    return corpus, Index.open(root / "ix", settings=settings, embedder=embedder)


@pytest.mark.model
@pytest.mark.browser
@pytest.mark.parametrize("question, doc_id, heading, answer", QUESTIONS)
def test_no_heading_alone_in_any_top_three_and_the_hit_names_its_heading(folder_index, question, doc_id, heading,
                                                                           answer):
    corpus, index = folder_index
    hits = index.answer(question, k=3).hits
    assert hits[0].doc_id == doc_id and answer in hits[0].text, [(h.doc_id, h.text[:60]) for h in hits]
    assert hits[0].context.split(" › ")[-1] == heading
    for hit in hits:
        doc = parse_document(hit.doc_id, (corpus / hit.doc_id).read_bytes())
        assert doc.text[hit.start:hit.end] == hit.text  # the citation slices the text the reader gives
        assert " ".join(hit.text.split()) not in heading_texts(doc)
        assert all(e <= hit.start or s >= hit.end for s, e, _ in doc.headings), hit.text
        for s, e in hit.answer_spans:
            assert " ".join(doc.text[s:e].split()) not in heading_texts(doc)



@pytest.mark.parametrize("text", [
    ">" * 50_000 + " deep quotation\n\nThe fee is 12 dollars.\n",
    "- " * 20_000 + "nested lists\n\nThe fee is 12 dollars.\n",
    "[" * 50_000 + "\n\nThe fee is 12 dollars.\n",
    "".join(f"{'#' * (1 + n % 6)} Heading {n}\n" for n in range(5_000)) + "The fee is 12 dollars.\n",
    "# Title\r\rThe fee is 12 dollars.\r\n## Part\r\nMore text here.\r",  # old Mac and Windows line ends mixed
    "```\n# not a heading, code\nThe fee is 12 dollars.\n",  # a fence never closed
])
def test_hostile_markdown_is_read_and_its_offsets_still_slice_the_file(text, tokenizer):
    doc = parse_document("odd.md", text.encode())
    for s, e in doc.segments:
        assert 0 <= s < e <= len(text) and text[s:e].strip() == text[s:e]
    for s, e, level in doc.headings:
        assert 0 <= s < e <= len(text) and 1 <= level <= 6
    passages = chunk_document(doc, tokenizer, 200, 48)
    assert any("The fee is 12 dollars." in p.text for p in passages)
    assert all(text[p.start:p.end] == p.text for p in passages)


def test_a_markdown_card_also_shows_the_file_rendered_escaped_and_fetching_nothing():
    hostile = LIGHTHOUSES_MD + ("\n<script>alert(1)</script>\n\n![pixel](http://tracker.example/p.png)\n\n"
                                "[run](javascript:alert(1)) and [the port](https://example.org)\n")
    start = hostile.index("The oldest")
    view = rendered_details("lighthouses.md", hostile, start, hostile.index("1870.") + 5)
    assert view.startswith('<details class="qa-doc qa-md-view"><summary>show rendered</summary>')
    assert "<h2>History</h2>" in view and "<li>The last resident keeper left Gull Ness in 1989.</li>" in view
    assert '<p class="qa-doc-passage">The oldest, at Rannoch Point' in view  # the passage's block, marked
    assert view.count("qa-doc-passage") == 1 and "<th>Tower</th>" in view
    assert "<script>" not in view and "&lt;script&gt;alert(1)&lt;/script&gt;" in view  # raw HTML shown, not run
    assert "<img" not in view and 'href="javascript:' not in view
    assert '<a href="https://example.org" target="_blank" rel="noopener noreferrer nofollow">the port</a>' in view
    assert rendered_details("ferries.html", FERRIES_HTML, 0, 10) == ""  # other types keep the transcript alone
    # a long file renders the blocks around the passage only
    long = "# Log\n\n" + "".join(f"Entry {n} of the harbour log.\n\n" for n in range(5000))
    at = long.index("Entry 4000 ")
    part = render_markdown(long, at, at + 28)
    assert "Entry 4000 of" in part and "Entry 10 of" not in part and part.startswith('<p class="qa-note">')
