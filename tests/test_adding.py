"""qa.serve.adding: what a file added from the page may be called, how large it may be, and that it lands in the
corpus folder and nowhere else, never replacing a file there."""

import os

import pytest
from helpers import write

from qa.errors import QAError
from qa.serve.adding import MAX_ADD_FILES, add_files, safe_name


@pytest.mark.parametrize("name, reason", [
    ("../../x.txt", "may not hold a folder"), ("/etc/passwd.txt", "may not hold a folder"),
    ("a\\b.txt", "may not hold a folder"), ("..", "may not hold a folder"), ("tool.exe", ".exe is not a kind"),
    ("README", "without a suffix"), (".hidden.txt", "hidden name"), ("bad\x00name.txt", "control characters"),
    ("line\nbreak.txt", "control characters"), ("", "no name"), ("gold.jsonl", ".jsonl is not a kind")])
def test_names_that_cannot_be_written_are_refused_with_the_reason(name, reason):
    with pytest.raises(QAError, match=reason):
        safe_name(name)


def test_odd_characters_are_replaced_and_long_names_cut():
    assert safe_name("Báo cáo <2024>?.PDF") == "Báo cáo _2024__.pdf"
    assert safe_name("notes  on   rice.md") == "notes on rice.md"
    long = safe_name("é" * 300 + ".txt")
    assert long.endswith(".txt") and len(long.encode()) <= 200


def test_files_land_in_the_corpus_and_nowhere_else(tmp_path):
    corpus, uploads = tmp_path / "c", tmp_path / "up"
    write(corpus, "kept.txt", "the original")
    offered = {"new.txt": "A new note.", "../../x.txt": "escape", "kept.txt": "replacement", "tool.exe": "MZ",
               "big.txt": "x" * (2 * 2**20)}
    files = [(name, write(uploads, f"{i}.bin", text)) for i, (name, text) in enumerate(offered.items())]
    before = set(tmp_path.rglob("*"))
    outcomes = {o.offered: o for o in add_files(corpus, files, max_file_mb=1)}
    assert outcomes["new.txt"].written == "new.txt" and (corpus / "new.txt").read_text() == "A new note."
    assert "may not hold a folder" in outcomes["../../x.txt"].reason
    assert "already in the folder" in outcomes["kept.txt"].reason and (corpus / "kept.txt").read_text() == "the original"
    assert ".exe is not a kind" in outcomes["tool.exe"].reason
    assert "2.0 MB is over the 1 MB" in outcomes["big.txt"].reason
    assert set(tmp_path.rglob("*")) - before == {corpus / "new.txt"}  # no temporary file left, nothing outside
    assert not (tmp_path / "x.txt").exists() and not (tmp_path.parent / "x.txt").exists()


def test_the_count_is_bounded(tmp_path):
    files = [(f"n{i}.txt", write(tmp_path / "up", f"{i}", "text")) for i in range(MAX_ADD_FILES + 2)]
    outcomes = add_files(write(tmp_path / "c", "a.txt", "a").parent, files, 1)
    assert sum(o.written is not None for o in outcomes) == MAX_ADD_FILES
    assert all("at most" in o.reason for o in outcomes[MAX_ADD_FILES:])


def test_a_symlink_planted_as_the_name_is_not_followed(tmp_path):
    corpus = write(tmp_path / "c", "a.txt", "a").parent
    outside = tmp_path / "outside.txt"
    os.symlink(outside, corpus / "trap.txt")
    outcome, = add_files(corpus, [("trap.txt", write(tmp_path / "up", "t", "payload"))], 1)
    assert outcome.written is None and not outside.exists()
