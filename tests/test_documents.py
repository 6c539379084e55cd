import hashlib
import re

import pytest
from helpers import SEEDS, write

from qa.errors import QAError
from qa.read.documents import load_documents, parse_document

# What a person reading the seed files marks as page debris rather than article text: each entry is the start of
# a line. Everything from "See more" on in 001 is a block of teasers for other stories.
DEBRIS_LINES = {
    "000_55b591c08ae884b4.txt": [],
    "001_d5cf18c687c34961.txt": [
        "At Gemalink International Port, Phu My town, Ba Ria-Vung Tau province. (Photo: VNA)",
        "production.jpg",
        "Vietnam strives to become a developed, socialist-oriented nation with high income by the mid-21st century. "
        "- Illustrative image (Photo: VNA)",
        "VNA",
    ],
    "002_8820c71eb08b3067.txt": ["Source: https://baotintuc.vn/", "Comment (0)"],
    "003_ac1e5deb08e04087.txt": [
        "VinFast factory in Hà Tĩnh Province. International integration also helps enhance",
        "- 07:58 29/11/2025",
    ],
    "004_fa2311fb06af83e6.txt": ["leftcenterrightdel", "Source: VNA"],
}
TEASER_START = {"001_d5cf18c687c34961.txt": "See more"}
# Strings that must never reach a passage.
DEBRIS_STRINGS = ["(Photo: VNA)", "Comment (0)", "leftcenterrightdel", "See more", "production.jpg",
                  "Top legislator receives Lao foreign minister", "Afternoon briefing", "Morning digest",
                  "VNA/VNS Photo", "07:58 29/11/2025", "Source: http", "Source: VNA",
                  "Deputy PM Tran Hong Ha meets EU diplomats"]


@pytest.fixture(scope="module")
def seed_docs():
    docs, skipped = load_documents(SEEDS)
    assert skipped == []
    return {d.doc_id: d for d in docs}


def article_lines(doc_id: str, text: str):
    """(start, end) of every line of the file that is article text, by the hand-made list above."""
    out = []
    lines = [m for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    for m, following in zip(lines, lines[1:] + [None]):
        line = m.group().strip()
        if following is not None and following.group().strip() == line:
            continue  # a doubled line: one copy (the later) stands for both
        if doc_id in TEASER_START and line == TEASER_START[doc_id]:
            break
        if any(line.startswith(d) for d in DEBRIS_LINES[doc_id]):
            continue
        s = m.start() + (len(m.group()) - len(m.group().lstrip()))
        out.append((s, s + len(line)))
    return out


def test_ids_are_relative_paths_and_hashes_match(seed_docs):
    assert sorted(seed_docs) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for doc_id, doc in seed_docs.items():
        assert doc.sha256 == hashlib.sha256((SEEDS / doc_id).read_bytes()).hexdigest()
        assert doc.text == (SEEDS / doc_id).read_bytes().decode("utf-8")


def test_titles_are_headlines_or_leads_never_file_names(seed_docs):
    assert seed_docs["001_d5cf18c687c34961.txt"].title == (
        "OP-ED: Further promoting international integration based on internal strength")
    assert seed_docs["003_ac1e5deb08e04087.txt"].title == "Integration a central pillar for new direction"
    lead = seed_docs["000_55b591c08ae884b4.txt"].title
    assert lead.startswith("In the relentless flow of globalisation") and "(VNA)" not in lead
    for doc_id, doc in seed_docs.items():
        assert doc.title and doc_id not in doc.title and len(doc.title.split()) <= 20


def test_sources_and_dates(seed_docs):
    assert seed_docs["002_8820c71eb08b3067.txt"].source == (
        "https://baotintuc.vn/chinh-tri/hoi-nhap-quoc-te-dong-luc-quan-trong-dua-dat-nuoc-buoc-vao-ky-nguyen-moi"
        "-20251106074051823.htm")
    assert seed_docs["004_fa2311fb06af83e6.txt"].source is None  # "Source: VNA" names no URL
    assert seed_docs["003_ac1e5deb08e04087.txt"].date == "2025-11-29"
    assert seed_docs["000_55b591c08ae884b4.txt"].date is None  # dates inside the story are not its date


def test_segments_cover_every_article_line_and_no_debris(seed_docs):
    for doc_id, doc in seed_docs.items():
        covered = set()
        for s, e in doc.segments:
            covered.update(range(s, e))
            assert not any(d in doc.text[s:e] for d in DEBRIS_STRINGS), (doc_id, doc.text[s:e])
        for s, e in article_lines(doc_id, doc.text):
            missing = [i for i in range(s, e) if i not in covered]
            assert not missing, (doc_id, doc.text[s:e])


def test_doubled_line_keeps_one_copy_next_to_its_paragraph():
    text = "Big headline here\nBig headline here\nThe first paragraph says something. It goes on.\n"
    doc = parse_document("a.txt", text.encode())
    assert doc.title == "Big headline here"
    assert [text[s:e] for s, e in doc.segments] == [
        "Big headline here", "The first paragraph says something. It goes on."]
    assert doc.segments[0][0] == text.index("Big headline here", 1)  # the later copy


def test_markdown_front_matter_and_heading():
    text = "---\ntitle: Notes on FAISS\ndate: 2024-03-05\nurl: https://example.org/faiss\n---\n# Heading\n\nBody text.\n"
    doc = parse_document("n.md", text.encode())
    assert (doc.title, doc.date, doc.source) == ("Notes on FAISS", "2024-03-05", "https://example.org/faiss")
    assert all("title:" not in text[s:e] for s, e in doc.segments)
    doc = parse_document("h.md", b"# A heading\n\nSome body text that follows.\n")
    assert doc.title == "A heading"


def test_utf8_bom_keeps_offsets_into_the_file():
    data = "\ufeffHeadline\nA sentence of text.\n".encode("utf-8")
    doc = parse_document("bom.txt", data)
    assert doc.text == data.decode("utf-8") and doc.text[doc.segments[0][0]:doc.segments[0][1]] == "Headline"


def test_utf16_with_bom_is_read():
    doc = parse_document("u16.txt", "Title line\nSome UTF-16 text about Hà Nội.\n".encode("utf-16"))
    assert "Hà Nội" in doc.text


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("latin1.txt", "Café au lait, naïve résumé".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n\t\n", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("only-debris.txt", b"leftcenterrightdel\nComment (0)\n", "no article text"),
    ],
)
def test_unusable_files_are_skipped_with_a_reason(tmp_path, name, content, reason):
    write(tmp_path, "good.txt", "A good document.\nIt has text.\n")
    write(tmp_path, name, content)
    docs, skipped = load_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["good.txt"]
    assert [s.doc_id for s in skipped] == [name] and reason in skipped[0].reason


def test_folder_is_read_recursively_with_relative_ids_and_other_files_ignored(tmp_path):
    write(tmp_path, "a.txt", "Alpha text.\n")
    write(tmp_path, "sub/deeper/b.md", "Beta text.\n")
    write(tmp_path, "image.png", b"\x89PNG\r\n")
    write(tmp_path, ".hidden/c.txt", "Hidden.\n")
    docs, skipped = load_documents(tmp_path)
    assert [d.doc_id for d in docs] == ["a.txt", "sub/deeper/b.md"] and skipped == []


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(QAError, match="not found"):
        load_documents(tmp_path / "nope")


def test_html_pages_are_read_without_their_furniture(tmp_path, fake_settings, fake):
    from qa import Index, build_index

    page = """<!DOCTYPE html><html><head><title>Rice exports</title><script>var x = "no";</script>
    <link rel="canonical" href="https://example.org/rice"></head><body>
    <div role="navigation"><a href="/">Home</a> | <a href="/next">Next topic</a></div>
    <div class="body"><h1>Rice exports</h1><p>Vietnam exported 8 million tonnes of rice in 2024,
    mostly to the Philippines.</p><pre>code  stays   as is</pre></div>
    <footer>Copyright 2024 Example</footer></body></html>"""
    write(tmp_path / "c", "rice.html", page)
    index_dir = tmp_path / "i"
    build_index(tmp_path / "c", index_dir, fake_settings, embedder=fake)
    index = Index.open(index_dir, settings=fake_settings, embedder=fake)
    hit = index.search("How much rice did Vietnam export?", k=1)[0]
    doc = index.document("rice.html")
    assert hit.doc_id == "rice.html" and doc.title == "Rice exports" and hit.source == "https://example.org/rice"
    assert doc.text[hit.start:hit.end] == hit.text and "8 million tonnes" in hit.text
    for furniture in ("Home", "Next topic", "Copyright", "var x"):
        assert furniture not in doc.text
    assert "code  stays   as is" in doc.text
    assert "rice.html" in index.manifest.documents


def test_photo_captions_are_kept_once_without_their_credit_and_teasers_stay_out(seed_docs):
    captions = {doc_id: [doc.text[s:e] for s, e in doc.captions] for doc_id, doc in seed_docs.items()}
    assert captions["001_d5cf18c687c34961.txt"] == [
        "At Gemalink International Port, Phu My town, Ba Ria-Vung Tau province.",  # doubled in the file: once
        "Vietnam strives to become a developed, socialist-oriented nation with high income by the mid-21st century.",
    ]  # the captions of the teasers after "See more" are not kept
    assert captions["003_ac1e5deb08e04087.txt"] == [  # repeated further down the page: kept once
        "VinFast factory in Hà Tĩnh Province. International integration also helps enhance domestic capabilities, "
        "strengthen economic independence and self-reliance as the country aims to develop into a regional "
        "manufacturing and logistics hub."]
    assert not captions["000_55b591c08ae884b4.txt"] and not captions["002_8820c71eb08b3067.txt"]
    for doc in seed_docs.values():
        for s, e in doc.captions:
            assert not any(a < e and s < b for a, b in doc.segments)  # never part of the article text
            assert not any(d in doc.text[s:e] for d in DEBRIS_STRINGS)


@pytest.mark.parametrize("line, kept", [
    ("A ferry leaves Hai Phong harbour at dawn. (Photo: VNA)", "A ferry leaves Hai Phong harbour at dawn."),
    ("Workers at a textile plant - Illustrative image (Photo: VNA)", "Workers at a textile plant"),
    ("Rice fields in the Mekong Delta. VNA/VNS Photo Minh Anh |", "Rice fields in the Mekong Delta."),
    ("Illustrative image (Source: VNA)", None),  # a credit and nothing else
    ("Hanoi (Photo: VNA)", None),  # too short to say anything
])
def test_a_caption_is_its_line_without_the_credit(line, kept):
    text = f"Headline of the story\n{line}\nThe story itself has one sentence. And another.\n"
    doc = parse_document("a.txt", text.encode())
    assert [text[s:e] for s, e in doc.captions] == ([kept] if kept else [])
    assert [text[s:e] for s, e in doc.segments] == ["Headline of the story", "The story itself has one sentence. "
                                                                             "And another."]
