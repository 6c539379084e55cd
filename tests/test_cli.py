"""The ``qa`` console script, end to end in subprocesses. Tests marked ``model`` run the real model; the others run
the same command with the fake embedder (tests/fake_qa.py) or stop before any model is needed."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from helpers import FAKE_QA, QA, SEEDS, make_corpus, write


def run(*args, env=None, timeout=300, fake=False):
    return subprocess.run([*(FAKE_QA if fake else [QA]), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = make_corpus(root / "corpus", {
        "rivers.txt": "Rivers of Asia\nThe Mekong river flows through six countries. It is about 4,900 kilometres "
                      "long.\nSource: https://example.org/mekong\n",
        "notes/mountains.md": "# Mountains\n\nFansipan is the highest mountain in Vietnam, at 3,143 m.\n"})
    result = run("index", corpus, "--index-dir", root / "ix")
    assert result.returncode == 0, result.stderr
    assert "indexed 2 documents" in result.stdout and "Traceback" not in result.stderr
    return corpus, root / "ix"


@pytest.mark.model
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


@pytest.mark.model
def test_ask_prints_readable_citations(small_corpus):
    corpus, ix = small_corpus
    result = run("ask", "--corpus", corpus, "--index-dir", ix, "highest mountain", "-k", "1")
    assert result.returncode == 0, result.stderr
    assert "notes/mountains.md" in result.stdout and "Fansipan" in result.stdout and "[1]" in result.stdout


@pytest.mark.model
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
        (["ask", "x", "-k", "0"], "from 1 to 50"),
        (["ask", "x", "-k", "many"], "whole number"),
        (["ask", "x", "--mode", "nope"], "Unknown mode 'nope'. Choose from: dense, hybrid, lexical"),
        (["index", "/definitely/not/here"], "corpus folder not found"),
        (["ask", "x", "--corpus", "/definitely/not/here"], "corpus folder not found"),
        (["serve", "--port", "0"], "--port"),
        (["ask", "x", "--corpus", str(SEEDS / "gold.jsonl")], "is a file, not a folder"),
        (["eval", "--corpus", str(SEEDS.parent / "docs")], "has no gold.jsonl; give a gold question set with --gold"),
        (["eval", "--gold", "/definitely/not/here.jsonl"], "does not exist"),
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
    assert run("index", corpus, "--index-dir", tmp_path / "ix", "-q", fake=True).returncode == 0
    with open(corpus / "003_ac1e5deb08e04087.txt", "a", encoding="utf-8") as f:
        f.write("\nAn added paragraph.\n")
    (corpus / "004_fa2311fb06af83e6.txt").write_text("Replaced.\n", encoding="utf-8")
    result = run("ask", "x", "--corpus", corpus, "--index-dir", tmp_path / "ix", fake=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "index is stale: 2 documents changed" in result.stderr and "run `qa index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_index_warns_about_skipped_files_by_name(tmp_path):
    write(tmp_path / "c", "ok.txt", "Readable text about rice exports.\n")
    write(tmp_path / "c", "latin1.txt", "caf\xe9".encode("latin-1"))
    write(tmp_path / "c", "empty.md", "")
    result = run("index", tmp_path / "c", "--index-dir", tmp_path / "ix", fake=True)
    assert result.returncode == 0, result.stderr
    assert "skipped latin1.txt: not UTF-8" in result.stderr and "skipped empty.md: empty file" in result.stderr
    assert "indexed 1 document " in result.stdout


@pytest.mark.model
def test_ask_json_reports_abstention_and_answer_spans(small_corpus):
    corpus, ix = small_corpus
    question = "Through how many countries does the Mekong river flow?"
    out = json.loads(run("ask", "--json", "--corpus", corpus, "--index-dir", ix, question).stdout)
    assert out["abstained"] in (True, False) and isinstance(out["confidence"], float)
    text = (corpus / out["hits"][0]["doc_id"]).read_text(encoding="utf-8")
    (s, e), = out["hits"][0]["answer_spans"]
    assert text[s:e] == "The Mekong river flows through six countries."


@pytest.mark.model
def test_eval_prints_a_table_per_mode_and_writes_json(tmp_path):
    env = {"QA_INDEX_DIR": str(tmp_path / "ix")}
    assert run("index", "-q", env=env).returncode == 0
    result = run("eval", "--json", tmp_path / "m.json", "--failures", env=env)
    assert result.returncode == 0, result.stderr
    for word in ("hit@1", "mrr@10", "ndcg@10", "abstention", "threshold", "95% interval", "off-topic", "dense",
                 "lexical", "hybrid"):
        assert word in result.stdout
    report = json.loads((tmp_path / "m.json").read_text())
    hybrid = report["modes"]["hybrid"]
    assert {"hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "latency_p50_ms", "latency_p95_ms"} <= hybrid.keys()
    assert hybrid["hit@5"] >= 0.95 and hybrid["mrr@10"] >= 0.85
    assert hybrid["mrr@10"] >= report["modes"]["dense"]["mrr@10"]
    assert hybrid["mrr@10"] >= report["modes"]["lexical"]["mrr@10"]
    for mode in ("dense", "hybrid", "lexical"):
        held = report["abstention"][mode]
        assert 0 < held["threshold"] < 1 and held["held_back_answerable"] == 68 and held["held_back_unanswerable"] == 8
        lo, hi = held["held_back_wrong_interval"]
        assert lo <= held["held_back_wrong"] / 68 <= hi
        assert held["offtopic"] > 200 and held["offtopic_caught"] >= 0.9 * held["offtopic"]


@pytest.mark.model
def test_eval_beir_on_a_small_collection(tmp_path):
    docs = [("d1", "Sorting algorithms", "Quicksort and merge sort compared on large files."),
            ("d2", "Compilers", "Parsing and code generation for ALGOL compilers."),
            ("d3", "Time sharing", "An operating system for time-shared computers.")]
    write(tmp_path / "b", "corpus.jsonl", "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                                                  for i, t, x in docs))
    write(tmp_path / "b", "queries.jsonl", json.dumps({"_id": "1", "text": "sorting large files"}) + "\n"
          + json.dumps({"_id": "2", "text": "compiler code generation"}) + "\n")
    write(tmp_path / "b", "qrels/test.tsv", "query-id\tcorpus-id\tscore\n1\td1\t1\n2\td2\t1\n")
    env = {"QA_INDEX_DIR": str(tmp_path / "ix")}
    result = run("eval", "--beir", tmp_path / "b", "--json", tmp_path / "m.json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["modes"]["hybrid"]["ndcg@10"] == 1.0 and report["modes"]["lexical"]["map"] == 1.0
    assert {"ndcg@10", "map", "recall@100", "mrr@10"} <= report["modes"]["dense"].keys()


def test_eval_names_a_malformed_beir_line(tmp_path):
    write(tmp_path / "b", "corpus.jsonl", '{"_id": "d1", "text": "x"}\n{"_id": \n')
    write(tmp_path / "b", "queries.jsonl", '{"_id": "1", "text": "x"}\n')
    write(tmp_path / "b", "qrels/test.tsv", "query-id\tcorpus-id\tscore\n1\td1\t1\n")
    result = run("eval", "--beir", tmp_path / "b")
    assert result.returncode == 2 and "corpus.jsonl:2: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_folder_and_corpus_name_the_same_thing(tmp_path):
    write(tmp_path / "c", "a.txt", "Rivers\nThe Red River flows through Hanoi.\n")
    by_folder = run("index", tmp_path / "c", "--index-dir", tmp_path / "ix", "-q", fake=True)
    by_option = run("index", "--corpus", tmp_path / "c", "--index-dir", tmp_path / "ix", "-q", fake=True)
    both = run("index", tmp_path / "c", "--corpus", tmp_path / "c", "--index-dir", tmp_path / "ix", "-q", fake=True)
    assert by_folder.returncode == by_option.returncode == both.returncode == 0, by_option.stderr
    assert "(incrementally: 0 changed files read)" in by_option.stdout  # the same index, found both ways
    result = run("index", tmp_path / "c", "--corpus", tmp_path / "other", fake=True)
    assert result.returncode == 2 and "disagree" in result.stderr and len(result.stderr.splitlines()) == 1


def test_shared_options_read_the_same_in_every_command():
    helps = {cmd: run(cmd, "--help").stdout for cmd in ("index", "ask", "eval", "serve")}
    for option in ("--corpus FOLDER", "--index-dir INDEX_DIR", "--model MODEL", "--backend BACKEND"):
        lines = {cmd: " ".join(h.split("\n  " + option, 1)[1].split("\n  -", 1)[0].split())
                 for cmd, h in helps.items()}
        assert len(set(lines.values())) == 1, (option, lines)


@pytest.mark.model
def test_a_question_from_the_cli_does_not_import_torch_or_gradio(seeds_index):
    code = ("import sys; from qa.cli import main; rc = main(['ask', 'Who issued Resolution 59?', '--index-dir', "
            f"{str(seeds_index)!r}, '-k', '1']); "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio') if m in sys.modules]; "
            "print('HEAVY', heavy, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY [] 0" in out.stdout, out.stdout[-500:] + out.stderr[-500:]


def test_ask_file_answers_every_line_as_a_json_line(tmp_path):
    corpus, index_dir = make_corpus(tmp_path / "c", {
        "rivers.txt": "Rivers of Asia\nThe Mekong river is about 4,900 kilometres long.\n",
        "notes/mountains.md": "# Mountains\n\nFansipan is the highest mountain in Vietnam, at 3,143 m.\n"}), tmp_path / "ix"
    write(tmp_path, "q.txt", "How long is the Mekong?\n\nWhat is the highest mountain in Vietnam?\n")
    result = run("ask", "--file", tmp_path / "q.txt", "-k", "1", "--corpus", corpus, "--index-dir", index_dir,
                 fake=True)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["hits"][0]["doc_id"] for a in lines] == ["rivers.txt", "notes/mountains.md"]
    write(tmp_path, "q.jsonl", '{"id": "m", "question": "How long is the Mekong?", "mode": "lexical"}\n'
                               'not json\n{"question": "x", "k": 0}\n')
    result = run("ask", "--file", tmp_path / "q.jsonl", "--corpus", corpus, "--index-dir", index_dir, fake=True)
    assert result.returncode == 2  # a line was refused; the others are answered all the same
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["id"] == "m" and lines[0]["mode"] == "lexical" and lines[0]["hits"]
    assert "line 2 is not JSON" in lines[1]["error"] and "from 1 to 50" in lines[2]["error"]


@pytest.mark.parametrize("args, message", [(["ask"], "give a question, or --file"),
                                           (["ask", "x", "--file", "q.txt"], "not both"),
                                           (["ask", "--file", "/definitely/not/here.txt"], "no such file")])
def test_ask_wants_one_question_or_one_file(args, message):
    result = run(*args, fake=True)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
