"""Tables as tables: a table in a PDF, a Word file, an HTML page or Markdown is read as rows of cells; its rows are
cut into passages between rows, each read by the model and BM25 with its cells named by their columns, while the
citation slices the rows' own characters; a question about one cell finds the table's passage first."""

from __future__ import annotations

import io

import pytest
from helpers import print_pdfs, write

from qa import build_index
from qa.index import Index
from qa.rank.scope import Scope
from qa.read.chunking import CELL_JOIN, TABLE, chunk_document, named_row
from qa.read.documents import parse_document

HEADER = ["Quarter", "Revenue (million EUR)", "Operating margin", "Tonnes shipped"]
ROWS = [["Q1 2024", "4.1", "6.2%", "1,210"], ["Q2 2024", "4.4", "7.1%", "1,320"], ["Q3 2024", "4.7", "7.9%", "1,455"],
        ["Q4 2024", "5.0", "8.3%", "1,512"]]
INTRO = ("Falkenrath Ironworks had a steady year: shipments rose in every quarter, a second furnace was lit in the "
         "spring and the rail mill took on forty apprentices. Revenue grew on the back of rail steel for the new "
         "northern line, and the board kept its dividend.")
OUTLOOK = "The board expects demand for rail steel to hold through 2025, with revenue flat in the first half."


def report_html(rows=ROWS) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (f"<!doctype html><html><head><title>Falkenrath Ironworks 2024</title><style>body {{ font: 11pt serif }} "
            f"td, th {{ padding: 4px 14px; border-bottom: 1px solid #999 }}</style></head><body>"
            f"<h1>Falkenrath Ironworks annual report</h1><p>{INTRO}</p><h2>Quarterly results</h2><table><thead><tr>"
            + "".join(f"<th>{h}</th>" for h in HEADER) + f"</tr></thead><tbody>{cells}</tbody></table>"
            f"<h2>Outlook</h2><p>{OUTLOOK}</p></body></html>")


def report_docx(rows=ROWS) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Falkenrath Ironworks annual report", 1)
    d.add_paragraph(INTRO)
    d.add_heading("Quarterly results", 2)
    table = d.add_table(rows=1, cols=len(HEADER))
    for cell, value in zip(table.rows[0].cells, HEADER):
        cell.text = value
    for row in rows:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = value
    d.add_heading("Outlook", 2)
    d.add_paragraph(OUTLOOK)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def report_md(rows=ROWS) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)] + ["| " + " | ".join(r) + " |" for r in rows]
    return (f"# Falkenrath Ironworks annual report\n\n{INTRO}\n\n## Quarterly results\n\n" + "\n".join(lines)
            + f"\n\n## Outlook\n\n{OUTLOOK}\n")


@pytest.fixture(scope="module")
def files():
    long = [[f"W{i:02d} 2024", f"{i / 10:.1f}", f"{i % 9}.{i % 7}%", f"{1000 + i * 7:,}"] for i in range(1, 80)]
    printed = print_pdfs({"report": (report_html(), {}), "long": (report_html(long), {})})
    return {"report.pdf": printed["report"], "report.docx": report_docx(), "report.html": report_html().encode(),
            "report.md": report_md().encode(), "long.pdf": printed["long"], "long.docx": report_docx(long)}


def cells(doc, row):
    return [doc.text[s:e] for s, e in row]


@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "report.html", "report.md"])
def test_a_table_is_read_as_rows_of_cells_in_every_format(files, name):
    doc = parse_document(name, files[name])
    (table,) = doc.tables
    assert cells(doc, table[0]) == HEADER  # the header row, a bold PDF header set glyph by glyph included
    assert [cells(doc, row) for row in table[1:]] == ROWS


@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "report.html", "report.md"])
def test_the_table_passage_names_each_cell_and_cites_the_rows_exactly(files, name, tokenizer):
    doc = parse_document(name, files[name])
    passages = chunk_document(doc, tokenizer, 254, 32)
    (table,) = [p for p in passages if p.kind == TABLE]
    assert doc.text[table.start:table.end] == table.text
    heading, *named = table.context.split("\n")
    assert heading.endswith("Quarterly results")
    assert named == [named_row(HEADER, row) for row in ROWS]
    assert "Quarter: Q3 2024 · Revenue (million EUR): 4.7 · Operating margin: 7.9% · Tonnes shipped: 1,455" in named
    assert "Q3 2024" in table.text and "Revenue (million EUR)" in table.text  # the rows and the header, as written
    # the table's rows are in no other passage, and the text around it is
    others = [p for p in passages if p.kind != TABLE]
    assert not any("Q3 2024" in p.text for p in others)
    assert any("second furnace" in p.text for p in others) and any("hold through 2025" in p.text for p in others)


@pytest.mark.parametrize("name", ["long.pdf", "long.docx"])
def test_a_long_table_is_cut_between_rows_each_passage_naming_the_columns(files, name, tokenizer):
    doc = parse_document(name, files[name])
    (table,) = doc.tables
    row_starts = {row[0][0] for row in table}
    row_ends = {row[-1][1] for row in table}
    passages = [p for p in chunk_document(doc, tokenizer, 254, 32) if p.kind == TABLE]
    assert len(passages) >= 3
    seen = []
    for p in passages:
        assert p.start in row_starts and p.end in row_ends  # cut between rows, never inside one
        assert doc.text[p.start:p.end] == p.text
        _, *named = p.context.split("\n")
        assert all(line.startswith("Quarter: ") and "Revenue (million EUR): " in line for line in named)
        assert tokenizer.count([p.model_text])[0] <= tokenizer.window  # the model reads all of it
        seen += [line.split(CELL_JOIN)[0] for line in named]
    assert seen == [f"Quarter: W{i:02d} 2024" for i in range(1, 80)]  # every row once, in order


def test_a_row_with_more_cells_than_the_header_and_empty_cells():
    assert named_row(["A", "B"], ["1", "", "3"]) == "A: 1 · column 3: 3"


@pytest.fixture(scope="module")
def table_index(files, tmp_path_factory, embedder, settings):
    root = tmp_path_factory.mktemp("tables")
    corpus = root / "corpus"
    for name in ("report.pdf", "report.docx"):
        write(corpus, name, files[name])
    write(corpus, "rivals.txt", "Rival mills\nThe Osterholt works reported revenue of 9.2 million EUR in 2024, and "
                                "the Brennmoor foundry's revenue rose by a fifth in the third quarter.\n")
    build_index(corpus, root / "ix", settings, embedder=embedder)
    return corpus, Index.open(root / "ix", settings=settings, embedder=embedder)


@pytest.mark.model
@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_a_question_about_one_cell_finds_the_table_passage_first(table_index, kind):
    corpus, index = table_index
    answer = index.answer("What was Falkenrath Ironworks' revenue in Q3 2024?", k=3, scope=Scope.of(type=kind))
    hit = answer.hits[0]
    assert hit.kind == TABLE and hit.doc_id == f"report.{kind}"
    assert "Quarter: Q3 2024 · Revenue (million EUR): 4.7" in hit.context
    doc = parse_document(hit.doc_id, (corpus / hit.doc_id).read_bytes())
    assert doc.text[hit.start:hit.end] == hit.text
    (table,) = doc.tables
    q3 = table[3]
    assert hit.start <= q3[0][0] and q3[-1][1] <= hit.end and cells(doc, q3) == ROWS[2]
    assert answer.to_dict()["hits"][0]["kind"] == "table"


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_cell_whose_text_holds_the_separator_is_still_one_cell(tmp_path, kind):
    from qa.read.docxtext import docx_to_text
    from qa.read.htmltext import html_to_text

    rows = [["Q1 2024 | est.", "4.1", "7.9%", "1,402"], *ROWS[1:]]
    if kind == "docx":
        ex = docx_to_text(report_docx(rows))
        text, tables = ex.text, ex.tables
    else:
        found: list = []
        text, _, _ = html_to_text(report_html(rows), tables=found)
        tables = found
    [table] = tables
    first = table[1]
    assert len(first) == len(HEADER) and text[first[0][0]:first[0][1]] == "Q1 2024 | est."
    assert [text[s:e] for s, e in first[1:]] == ["4.1", "7.9%", "1,402"]
