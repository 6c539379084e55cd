"""qa.read.docxtext on .docx files that python-docx writes here, with XML added where python-docx has no API for it
(a content control, tracked deletions, a text box), and on files that are not .docx at all."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml

from qa.read.docxtext import docx_to_text
from qa.read.extracted import Unreadable

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'

def _save(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _report(title: str = "Harbour Report 2024") -> bytes:
    d = docx.Document()
    d.core_properties.title = title
    d.core_properties.created = datetime(2024, 1, 5, 9, 30)
    d.core_properties.modified = datetime(2024, 3, 2, 12, 0)
    contents = d.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Introduction\t1", style=contents)  # a table-of-contents entry: left out
    d.add_heading("Harbour Report", 0)  # style Title
    d.add_heading("Introduction", 1)
    d.add_paragraph("The harbour moved more grain than ever. ")
    d.paragraphs[-1].add_run("Ships waited less.")
    p = d.add_paragraph("Name\tValue")
    p.add_run().add_break()
    p.add_run("on one line")
    d.add_paragraph("")  # empty: no block

    table = d.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Region and year"  # one cell spanning two columns
    table.cell(0, 2).text = "Revenue"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "North"  # one cell spanning two rows
    table.cell(1, 1).text = "2023: 120"
    table.cell(2, 1).text = "2024: 135"
    table.cell(3, 0).text = "South"
    table.cell(3, 1).text = "2024: 95"
    table.cell(3, 2).text = "note"
    d.add_paragraph("The table ends here.")

    body = d.element.body
    sect = body[-1]  # sectPr stays last
    sect.addprevious(parse_xml(f'<w:sdt {W}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Inside a content control.</w:t>'
                               f'</w:r></w:p></w:sdtContent></w:sdt>'))
    # A text box as Word writes it: the DrawingML copy and a VML fallback with the same text.
    box = ('<w:txbxContent><w:p><w:r><w:t>Text in a box beside the page.</w:t></w:r></w:p></w:txbxContent>')
    sect.addprevious(parse_xml(
        f'<w:p {W} {MC}><w:r><w:t xml:space="preserve">A paragraph holding a text box.</w:t></w:r><w:r>'
        f'<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp '
        f'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:txbx>{box}</wps:txbx>'
        f'</wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox xmlns:v="urn:schemas-microsoft-com:vml">'
        f'{box}</v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>'))
    d.add_heading("Outlook", 2)
    chapter = d.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    chapter.base_style = d.styles["Heading 1"]
    d.add_paragraph("Chapter Two", style=chapter)  # a heading through its base style
    kept = d.add_paragraph("Kept ")
    kept._p.append(parse_xml(f'<w:del {W} w:id="1" w:author="ann"><w:r><w:delText>deleted </w:delText></w:r></w:del>'))
    kept.add_run("words stay.")
    return _save(d)


def test_blocks_in_body_order_with_tables_in_place():
    ex = docx_to_text(_report())
    lines = [
        "Harbour Report",
        "Introduction",
        "The harbour moved more grain than ever. Ships waited less.",
        "Name Value on one line",
        "Region and year | Revenue",
        "North | 2023: 120",
        "2024: 135",
        "South | 2024: 95 | note",
        "The table ends here.",
        "Inside a content control.",
        "A paragraph holding a text box.",
        "Text in a box beside the page.",
        "Outlook",
        "Chapter Two",
        "Kept words stay.",
    ]
    assert ex.text == "\n".join(lines) + "\n"
    assert [ex.text[s:e] for s, e in ex.blocks] == lines
    for s, e in ex.blocks:
        assert s < e and "\n" not in ex.text[s:e] and ex.text[e] == "\n"


def test_headings_title_and_date():
    ex = docx_to_text(_report())
    heads = [ex.text[s:ex.text.index("\n", s)] for s in ex.headings]
    assert heads == ["Harbour Report", "Introduction", "Outlook", "Chapter Two"]
    assert ex.title == "Harbour Report 2024" and ex.date == "2024-01-05"
    assert ex.pages == 0 and ex.page_starts == () and ex.warnings == ()
    # a title that names a file gives way to the first heading
    assert docx_to_text(_report("Microsoft Word - draft3.docx")).title == "Harbour Report"


def test_a_text_file_named_docx():
    with pytest.raises(Unreadable, match=r"^not a Word \.docx file \(not a zip archive, as every \.docx is\)$"):
        docx_to_text(b"Minutes of the harbour board, typed in a text editor.\n")


def test_a_zip_without_a_word_document():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "not a document")
    with pytest.raises(Unreadable, match=r"^not a Word \.docx file \(a zip archive without word/document\.xml\)$"):
        docx_to_text(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(Unreadable, match=r"^not a Word \.docx file \(an Excel workbook without word/document\.xml\)$"):
        docx_to_text(buf.getvalue())


def test_an_old_binary_doc():
    with pytest.raises(Unreadable, match=r"^not a Word \.docx file \(an old Word 97-2003 \.doc file renamed\?"):
        docx_to_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))


def test_a_document_without_text():
    d = docx.Document()
    d.add_paragraph("   ")
    d.add_table(rows=2, cols=2)  # empty cells
    with pytest.raises(Unreadable, match=r"^no text$"):
        docx_to_text(_save(d))


def test_python_docx_s_template_date_is_no_date():
    """A file python-docx made without setting its dates carries the template's 2013-12-23 23:15 (issue 22)."""
    plain = docx.Document()
    plain.add_paragraph("Rice exports grew this year.")
    assert docx_to_text(_save(plain)).date is None
    edited = docx.Document()
    edited.add_paragraph("Rice exports grew this year.")
    edited.core_properties.modified = datetime(2024, 3, 2, 12, 0)  # created stays the template's
    assert docx_to_text(_save(edited)).date == "2024-03-02"
    same_day = docx.Document()
    same_day.add_paragraph("Rice exports grew this year.")
    same_day.core_properties.created = datetime(2013, 12, 23, 9, 0)  # a real date that day is kept
    assert docx_to_text(_save(same_day)).date == "2013-12-23"
