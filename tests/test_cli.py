"""The ``qa`` console script, end to end in subprocesses."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS, write

QA = str(Path(sys.executable).parent / "qa")


def run(*args, env=None, timeout=300):
    return subprocess.run([QA, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    write(corpus, "rivers.txt", "Rivers of Asia\nThe Mekong river flows through six countries. "
          "It is about 4,900 kilometres long.\nSource: https://example.org/mekong\n")
    write(corpus, "notes/mountains.md", "# Mountains\n\nFansipan is the highest mountain in Vietnam, at 3,143 m.\n")
    result = run("index", corpus, "--index-dir", root / "ix")
    assert result.returncode == 0, result.stderr
    assert "indexed 2 documents" in result.stdout and "Traceback" not in result.stderr
    return corpus, root / "ix"


def test_ask_json_is_the_documented_shape(small_corpus):
    corpus, ix = small_corpus
    result = run("ask", "--json", "-k", "2", "--corpus", corpus, "--index-dir", ix, "How long is the Mekong?")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["question"] == "How long is the Mekong?" and len(out["hits"]) == 2
    types = {"rank": int, "score": float, "doc_id": str, "title": str, "start": int, "end": int, "text": str}
    for hit in out["hits"]:
        for key, kind in types.items():
            assert isinstance(hit[key], kind), key
        assert hit["source"] is None or isinstance(hit["source"], str)
        assert (corpus / hit["doc_id"]).read_text(encoding="utf-8")[hit["start"]:hit["end"]] == hit["text"]
    first = out["hits"][0]
    assert first["doc_id"] == "rivers.txt" and first["source"] == "https://example.org/mekong"
    assert "4,900 kilometres" in first["text"] and first["title"] == "Rivers of Asia"


def test_ask_prints_readable_citations(small_corpus):
    corpus, ix = small_corpus
    result = run("ask", "--corpus", corpus, "--index-dir", ix, "highest mountain", "-k", "1")
    assert result.returncode == 0, result.stderr
    assert "notes/mountains.md" in result.stdout and "Fansipan" in result.stdout and "[1]" in result.stdout


def test_ask_builds_the_missing_default_index_and_meets_the_acceptance_questions(tmp_path):
    env = {"QA_INDEX_DIR": str(tmp_path / "fresh-index")}
    result = run("ask", "--json", "How many countries does Vietnam have diplomatic relations with?", env=env)
    assert result.returncode == 0, result.stderr
    assert "built the index" in result.stderr
    hits = json.loads(result.stdout)["hits"][:3]
    good = [h for h in hits if h["doc_id"] in ("000_55b591c08ae884b4.txt", "002_8820c71eb08b3067.txt")
            and ("194 countries" in h["text"] or "195 countries" in h["text"])]
    assert good
    for h in good:
        assert (SEEDS / h["doc_id"]).read_bytes().decode("utf-8")[h["start"]:h["end"]] == h["text"]

    result = run("ask", "--json", "Which university is Tran Le Hung from?", env=env)
    assert result.returncode == 0 and "built the index" not in result.stderr
    first = json.loads(result.stdout)["hits"][0]
    assert first["doc_id"] == "003_ac1e5deb08e04087.txt" and "Gustave Eiffel University" in first["text"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", ""], "question is empty"),
        (["ask", "   "], "question is empty"),
        (["ask", "x", "-k", "0"], "at least 1"),
        (["ask", "x", "-k", "many"], "whole number"),
        (["ask", "x", "--mode", "nope"], "Unknown mode 'nope'. Choose from: dense, hybrid, lexical"),
        (["index", "/definitely/not/here"], "corpus folder not found"),
        (["ask", "x", "--corpus", "/definitely/not/here"], "corpus folder not found"),
        (["serve", "--port", "0"], "--port"),
        ([], "required"),
    ],
)
def test_expected_errors_are_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_stale_index_is_reported_not_answered(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus)
    assert run("index", corpus, "--index-dir", tmp_path / "ix", "-q").returncode == 0
    with open(corpus / "003_ac1e5deb08e04087.txt", "a", encoding="utf-8") as f:
        f.write("\nAn added paragraph.\n")
    (corpus / "004_fa2311fb06af83e6.txt").write_text("Replaced.\n", encoding="utf-8")
    result = run("ask", "x", "--corpus", corpus, "--index-dir", tmp_path / "ix")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "index is stale: 2 documents changed" in result.stderr and "run `qa index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_index_warns_about_skipped_files_by_name(tmp_path):
    write(tmp_path / "c", "ok.txt", "Readable text about rice exports.\n")
    write(tmp_path / "c", "latin1.txt", "caf\xe9".encode("latin-1"))
    write(tmp_path / "c", "empty.md", "")
    result = run("index", tmp_path / "c", "--index-dir", tmp_path / "ix")
    assert result.returncode == 0, result.stderr
    assert "skipped latin1.txt: not UTF-8" in result.stderr and "skipped empty.md: empty file" in result.stderr
    assert "indexed 1 document " in result.stdout
