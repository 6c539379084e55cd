"""qa.read.extracted: what the PDF and Word readers share."""

import pytest

from qa.read.extracted import assemble, iso_date, real_title


def test_paragraphs_are_assembled_one_a_line_with_their_spans():
    text, spans = assemble(["First.", "", "Third one."])
    assert text == "First.\n\nThird one.\n"
    assert [text[s:e] for s, e in spans] == ["First.", "", "Third one."]


@pytest.mark.parametrize("value", ["Microsoft Word - draft3.docx", "Untitled", "report.pdf", "https://x.org/a",
                                   "", None, "   "])
def test_titles_that_name_a_file_or_a_tool_are_not_titles(value):
    assert real_title(value) is None


def test_a_real_title_is_kept():
    assert real_title("  The Lighthouses of the Skerry Coast ") == "The Lighthouses of the Skerry Coast"


def test_dates_are_iso_and_impossible_ones_are_none():
    assert iso_date(2024, 3, 9) == "2024-03-09"
    assert iso_date(2024, 2, 30) is None
