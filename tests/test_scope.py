"""Scoped questions (qa.rank.scope): what a scope reads and refuses; the passages a scope holds, checked against
the documents themselves; answers only from within it, k of them; FAISS's selector search (flat and IVF) against
exact search within the scope; and the scope in every interface (CLI, API, batches, MCP, qa eval)."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from helpers import FAKE_QA, Server, fetch, hand_pdf, make_corpus, post_json, write

from qa import build_index
from qa.errors import QAError
from qa.evaluate import evaluate_gold, format_scopes, load_gold
from qa.index import MODES, Index, Query
from qa.rank import vectors as vx
from qa.rank.scope import EVERYTHING, Scope

# --- reading a scope ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    ({}, EVERYTHING),
    ({"doc": "a.txt"}, Scope(docs=("a.txt",))),
    ({"doc": "a.txt, b.md"}, Scope(docs=("a.txt", "b.md"))),
    ({"doc": ["a.txt", "a.txt"]}, Scope(docs=("a.txt",))),
    ({"folder": "./reports/2025/"}, Scope(folders=("reports/2025",))),
    ({"type": "PDF"}, Scope(types=(".pdf",))),
    ({"type": ".md"}, Scope(types=(".md", ".markdown"))),
    ({"type": "html,htm"}, Scope(types=(".html", ".htm"))),
    ({"kind": "caption"}, Scope(kinds=("caption",))),
    ({"since": "2025"}, Scope(since="2025-01-01")),
    ({"until": "2024-02"}, Scope(until="2024-02-29")),
    ({"since": "2025-3-9", "until": "2025-03-09"}, Scope(since="2025-03-09", until="2025-03-09")),
    ({"pages": "2-5"}, Scope(pages=(2, 5))),
    ({"pages": 3}, Scope(pages=(3, 3))),
    ({"pages": [1, 2]}, Scope(pages=(1, 2))),
])
def test_a_scope_reads_what_people_write(given, expected):
    assert Scope.of(**given) == expected
    assert Scope.from_json(expected.to_dict()) == expected  # its JSON form reads back


@pytest.mark.parametrize("given, message", [
    ({"type": "xlsx"}, "Unknown type 'xlsx'. Choose from: docx, htm, html, markdown, md, pdf, txt"),
    ({"kind": "heading"}, "Unknown kind 'heading'. Choose from: caption, ocr, table, text"),
    ({"folder": "../outside"}, "must be a folder inside the corpus"),
    ({"folder": "/etc"}, "must be a folder inside the corpus"),
    ({"since": "yesterday"}, "YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"until": "2025-02-30"}, "YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"since": "2025", "until": "2024"}, "is after until"),
    ({"pages": "0-3"}, "a page or a range of pages from 1"),
    ({"pages": "5-2"}, "a page or a range of pages from 1"),
    ({"doc": 7}, "must be text or a list of text"),
    ({"doc": ["x"] * 0 + [str(i) for i in range(101)]}, "at most 100"),
    ({"doc": "a\x00b"}, "cannot be a path"),
])
def test_a_scope_it_cannot_read_is_refused_with_the_fix(given, message):
    with pytest.raises(QAError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        Scope.of(**given)


def test_a_json_scope_names_an_unknown_field():
    with pytest.raises(QAError, match="Unknown scope field 'folders'. Choose from: doc, folder, type"):
        Scope.from_json({"folders": "reports"})
    with pytest.raises(QAError, match="must be a JSON object"):
        Scope.from_json(["reports"])


# --- a corpus of folders, types, dates and pages ------------------------------------------------------------------

SENTENCES = ["The {w} mill on the river ground {n} tonnes of grain in the spring.",
             "Its workers counted {n} sacks by hand before the {w} market opened.",
             "A storm in the {w} valley closed the road for {n} days that year.",
             "The {w} council voted to repair the bridge for {n} thousand euros."]


def _body(word: str, n: int) -> str:
    return " ".join(s.format(w=word, n=n + i) for i in range(6) for s in SENTENCES)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("scope")
    folder = make_corpus(root / "corpus", {
        "reports/2025/alpha.md": "# Alpha report\n\nPublished: March 10, 2025\n\n" + _body("alpha", 10) + "\n",
        "reports/2024/beta.txt": "Beta report\nPublished: May 2, 2024\n" + _body("beta", 20) + "\n",
        "reports_old/gamma.txt": "Gamma notes\n" + _body("gamma", 30) + "\n",  # undated; not under reports/
        "notes/delta.html": "<html><head><title>Delta</title></head><body><p>" + _body("delta", 40) +
                            "</p></body></html>",
        "empty/budget.xlsx": "not a file qa reads",
    })
    pages = [[(72, 740 - 20 * i, 11, s.format(w=f"page{p}", n=p * 100 + i)) for i, s in enumerate(SENTENCES * 3)]
             for p in range(1, 4)]
    write(folder, "manual.pdf", hand_pdf(pages))
    return folder


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory, fake, fake_settings):
    settings = replace(fake_settings, max_tokens=48, overlap_tokens=0)
    index_dir = tmp_path_factory.mktemp("scope-index")
    build_index(corpus, index_dir, settings, embedder=fake)
    return Index.open(index_dir, settings=settings, embedder=fake)


def _expected(index: Index, scope: Scope) -> list[int]:
    """The passages of ``scope``, found from the documents in Python, as a person would check them."""
    docs = {d.doc_id: d for d in index.documents()}
    out = []
    for p in index.passages():
        d = docs[p.doc_id]
        kind = index.db.db.execute("SELECT kind FROM passages WHERE id = ?", (p.id,)).fetchone()[0]
        page_ends = [*d.page_starts[1:], len(d.text)]
        on = {n + 1 for n, (s, e) in enumerate(zip(d.page_starts, page_ends)) if p.start < e and p.end > s}
        if ((not scope.docs or p.doc_id in scope.docs)
                and (not scope.folders or any(p.doc_id.startswith(f + "/") for f in scope.folders))
                and (not scope.types or p.doc_id.lower().endswith(scope.types))
                and (not scope.kinds or kind in scope.kinds)
                and (not scope.since or (d.date is not None and d.date >= scope.since))
                and (not scope.until or (d.date is not None and d.date <= scope.until))
                and (not scope.pages or on & set(range(scope.pages[0], scope.pages[1] + 1)))):
            out.append(p.id)
    return sorted(out)


SCOPES = [dict(doc="reports/2024/beta.txt"), dict(folder="reports"), dict(folder="reports/2025"),
          dict(type="pdf"), dict(type="md,html"), dict(since="2025"), dict(until="2024-12-31"),
          dict(since="2024-05-02", until="2024-05-02"), dict(pages="2"), dict(pages="2-3", type="pdf"),
          dict(folder="reports", since="2025-01"), dict(kind="text", folder="notes")]


@pytest.mark.parametrize("given", SCOPES, ids=[json.dumps(s) for s in SCOPES])
def test_a_scope_holds_exactly_the_passages_its_fields_describe(index, given):
    scope = Scope.of(**given)
    expected = _expected(index, scope)
    assert expected, "each case must hold something, or it checks nothing"
    assert index.region(scope).ids.tolist() == expected


def test_the_corpus_has_what_the_scopes_need(index):
    docs = {d.doc_id: d for d in index.documents()}
    assert docs["reports/2025/alpha.md"].date == "2025-03-10" and docs["reports/2024/beta.txt"].date == "2024-05-02"
    assert docs["manual.pdf"].pages == 3 and docs["reports_old/gamma.txt"].date is None
    assert len(index.passages_of("reports/2024/beta.txt")) >= 5


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_scoped_answer_comes_only_from_the_scope_and_holds_k_hits(index, mode):
    question = "How many tonnes of grain did the alpha mill grind?"  # about another document than the scope's
    for given in SCOPES:
        scope = Scope.of(**given)
        held = set(index.region(scope).ids.tolist())
        answer = index.answer(question, k=3, mode=mode, scope=scope)
        places = {(p.doc_id, p.start): p.id for p in index.passages()}
        got = [places[(h.doc_id, h.start)] for h in answer.hits]
        assert set(got) <= held, given
        if mode != "lexical":  # BM25 ranks only passages that share a term with the question
            assert len(got) == min(3, len(held)), given
        assert answer.scope == scope and answer.to_dict()["scope"] == scope.to_dict()


@pytest.mark.parametrize("ranking", ["dense", "lexical"])
def test_a_scoped_ranking_is_the_whole_ranking_filtered(index, ranking):
    question = "Which bridge did the beta council repair?"
    everything = getattr(Query(index, question), ranking)(index.size)
    for given in SCOPES:
        region = index.region(Scope.of(**given))
        scoped = getattr(Query(index, question, region), ranking)(index.size)
        expected = [(pid, score) for pid, score in everything if pid in set(region.ids.tolist())]
        assert sorted(scoped, key=_order) == sorted(expected, key=_order), given  # ties in any order


def _order(item):
    return -round(item[1], 5), item[0]


def test_a_scope_that_holds_nothing_is_an_error_that_names_it(index):
    for given, named in [(dict(folder="empty"), "folder empty"), (dict(doc="no/such.txt"), "doc no/such.txt"),
                         (dict(type="docx"), "type docx"), (dict(since="2030"), "since 2030-01-01"),
                         (dict(folder="reports", type="pdf"), "folder reports · type pdf")]:
        with pytest.raises(QAError, match=f"no passage lies within the scope {named}"):
            index.answer("grain", scope=Scope.of(**given))


def test_the_confidence_of_a_scoped_answer_is_computed_within_it(index):
    question = "How many tonnes of grain did the alpha mill grind?"
    inside = index.answer(question, k=3, scope=Scope.of(doc="reports/2025/alpha.md"))
    outside = index.answer(question, k=3, scope=Scope.of(folder="notes"))
    assert inside.signals.coverage > outside.signals.coverage
    assert inside.confidence > outside.confidence


# --- FAISS within a scope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_selector_search_finds_the_scopes_exact_top_10(kind):
    import faiss

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 32)).astype(np.float32)
    x = centres[rng.integers(0, 40, 20_000)] + 0.3 * rng.normal(size=(20_000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(20_000, dtype=np.int64) * 2 + 1  # ids with gaps, as passage ids have
    if kind == "flat":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(32))
    else:
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(32), 32, 128, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.nprobe = 8
    index.add_with_ids(x, ids)
    scope = np.sort(rng.choice(ids, 200, replace=False))  # 1% of the passages
    within = vx.Within(scope, len(ids))
    queries = x[rng.integers(0, 20_000, 50)]
    _, found = vx.search(index, queries, 10, within)
    inside = x[(scope - 1) // 2]
    truth = np.argsort(-(queries @ inside.T), axis=1)[:, :10]
    recall = np.mean([len(set(f) & set(scope[t])) / 10 for f, t in zip(found, truth)])
    assert set(found[found >= 0].tolist()) <= set(scope.tolist())
    assert recall >= (1.0 if kind == "flat" else 0.95)
    if kind == "ivf":  # the lists a small scope needs: a 1% scope visits every one of the 128 lists
        assert within.parameters(index).nprobe == 128


# --- every interface ----------------------------------------------------------------------------------------------


def _post(url: str, payload) -> tuple[int, dict]:
    status, _, body = post_json(url, payload)
    return status, json.loads(body)


def _run(*args):
    import subprocess

    return subprocess.run([*FAKE_QA, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cli_corpus(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("scope-cli")
    shutil.copytree(corpus, root / "corpus")
    assert _run("index", root / "corpus", "--index-dir", root / "ix", "-q").returncode == 0
    return root / "corpus", root / "ix"


def test_qa_ask_takes_the_scope_options(cli_corpus):
    corpus, ix = cli_corpus
    out = _run("ask", "--json", "-k", "4", "--corpus", corpus, "--index-dir", ix, "--folder", "reports",
               "--type", "md", "--type", "txt", "--since", "2024-05", "How many sacks did the workers count?")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["scope"] == {"folder": ["reports"], "type": ["md", "markdown", "txt"], "since": "2024-05-01"}
    assert len(answer["hits"]) == 4 and {h["doc_id"] for h in answer["hits"]} <= {"reports/2025/alpha.md",
                                                                                   "reports/2024/beta.txt"}
    text = _run("ask", "--corpus", corpus, "--index-dir", ix, "--pages", "3", "grain")
    assert text.returncode == 0 and text.stdout.startswith("Within pages 3-3:")
    assert "manual.pdf" in text.stdout and "page 3" in text.stdout


@pytest.mark.parametrize("args, message", [
    (["--folder", "empty"], "qa: error: no passage lies within the scope folder empty"),
    (["--type", "xls"], "qa: error: Unknown type 'xls'. Choose from:"),
    (["--since", "soon"], "qa: error: scope since must be a date"),
])
def test_qa_ask_refuses_a_scope_in_one_line(cli_corpus, args, message):
    corpus, ix = cli_corpus
    out = _run("ask", "--corpus", corpus, "--index-dir", ix, *args, "grain")
    assert out.returncode == 2 and out.stderr.startswith(message) and out.stderr.count("\n") == 1, out.stderr
    assert out.stdout == ""


def test_qa_ask_file_lines_carry_their_own_scope(cli_corpus, tmp_path):
    corpus, ix = cli_corpus
    lines = [{"question": "grain", "doc": "manual.pdf", "k": 2}, {"question": "grain", "folder": "empty"},
             {"question": "grain"}]
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = _run("ask", "--file", tmp_path / "q.jsonl", "--corpus", corpus, "--index-dir", ix, "--type", "txt")
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 2  # one line was refused
    assert {h["doc_id"] for h in answers[0]["hits"]} == {"manual.pdf"} and len(answers[0]["hits"]) == 2
    assert "no passage lies within the scope folder empty" in answers[1]["error"]
    assert {h["doc_id"] for h in answers[2]["hits"]} <= {"reports/2024/beta.txt", "reports_old/gamma.txt"}


@pytest.fixture(scope="module")
def served(cli_corpus):
    corpus, ix = cli_corpus
    s = Server(corpus, ix, command=FAKE_QA)
    yield s
    s.stop()


@pytest.mark.server
def test_the_api_answers_within_a_scope_from_the_query_and_the_body(served):
    status, _, body = fetch(served.url + "api/ask?q=grain&k=3&doc=reports/2024/beta.txt&doc=manual.pdf")
    got = json.loads(body)
    assert status == 200 and {h["doc_id"] for h in got["hits"]} <= {"reports/2024/beta.txt", "manual.pdf"}
    assert got["scope"] == {"doc": ["reports/2024/beta.txt", "manual.pdf"]}
    status, got = _post(served.url + "api/ask", {"question": "grain", "k": 2, "pages": "1-2", "type": "pdf"})
    assert status == 200, got
    assert [h["pages"][0] <= 2 for h in got["hits"]] == [True, True]
    status, got = _post(served.url + "api/ask", {"question": "grain", "folder": "empty"})
    assert status == 400 and got["error"].startswith("no passage lies within the scope folder empty")
    status, got = _post(served.url + "api/ask", {"question": "grain", "folders": "reports"})
    assert status == 400 and "unknown field 'folders'" in got["error"]
    status, _, body = fetch(served.url + "api/ask?q=grain&type=exe")
    assert status == 400 and "Unknown type 'exe'" in json.loads(body)["error"]


@pytest.mark.server
def test_a_batch_item_with_an_empty_scope_is_its_own_error(served):
    status, got = _post(served.url + "api/ask/batch", {"questions": [
        {"question": "grain", "folder": "notes", "k": 1}, {"question": "grain", "since": "2031"}, "grain"]})
    answers = got["answers"]
    assert status == 200 and answers[0]["hits"][0]["doc_id"] == "notes/delta.html"
    assert "no passage lies within the scope since 2031-01-01" in answers[1]["error"]
    assert len(answers[2]["hits"]) == 5


@pytest.mark.server
def test_the_mcp_search_tool_takes_a_scope(served):
    from test_mcp import _http_client

    async def main():
        async with _http_client(served.url + "mcp") as client:
            tool = {t.name: t for t in (await client.list_tools()).tools}["search"]
            found = await client.call_tool("search", {"question": "grain", "k": 2, "folder": ["reports/2025"]})
            empty = await client.call_tool("search", {"question": "grain", "folder": ["empty"]})
            after = await client.call_tool("search", {"question": "grain", "k": 1})
            return tool, found, empty, after

    tool, found, empty, after = asyncio.run(main())
    assert {"doc", "folder", "type", "kind", "since", "until", "pages"} <= set(tool.input_schema["properties"])
    assert {h["doc_id"] for h in found.structured_content["hits"]} == {"reports/2025/alpha.md"}
    assert empty.is_error and "no passage lies within the scope folder empty" in empty.content[0].text
    assert not after.is_error and len(after.structured_content["hits"]) == 1


def test_qa_eval_judges_each_question_within_its_scope_and_reports_per_scope(index, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "question": "How many tonnes of grain did the alpha mill grind?", "answers": ["10 tonnes"]},
        {"id": "b", "question": "How many tonnes of grain did the mill grind?", "answers": ["10 tonnes"],
         "scope": {"doc": "reports/2025/alpha.md"}},
        {"id": "c", "question": "How many tonnes of grain did the mill grind?", "answers": ["20 tonnes"],
         "scope": {"doc": "reports/2024/beta.txt"}},
        {"id": "d", "question": "How many days was the road closed?", "answers": ["100 days"],
         "scope": {"type": "pdf", "pages": "1"}},
    ]) + "\n")
    questions = load_gold(gold)
    assert questions[3].scope == Scope(types=(".pdf",), pages=(1, 1))
    results = evaluate_gold(index, questions, ["dense"], k=5)
    per_scope = results["dense"].per_scope
    assert set(per_scope) == {"the whole corpus", "doc reports/2025/alpha.md", "doc reports/2024/beta.txt",
                              "type pdf · pages 1-1"}
    rows = {r["id"]: r for r in results["dense"].per_question}
    for qid, name in [("a", "the whole corpus"), ("b", "doc reports/2025/alpha.md"),
                      ("c", "doc reports/2024/beta.txt"), ("d", "type pdf · pages 1-1")]:
        first = rows[qid]["first_relevant_rank"]
        assert per_scope[name]["hit@5"] == (1.0 if first and first <= 5 else 0.0), qid
    assert {h["doc_id"] for h in rows["b"]["retrieved"]} == {"reports/2025/alpha.md"}  # asked within the scope
    assert {h["doc_id"] for h in rows["d"]["retrieved"]} == {"manual.pdf"}
    assert all(m["questions"] == 1 for m in per_scope.values())
    assert "type pdf · pages 1-1" in format_scopes(results)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "x", "answers": ["y"], "scope": {"type": "xls"}}) + "\n")
    with pytest.raises(QAError, match=r"bad.jsonl:1: Unknown type 'xls'"):
        load_gold(bad)


@pytest.mark.model
def test_scoped_to_one_seeds_document_only_its_passages_and_k_of_them(seeds_search):
    docs = seeds_search.documents()
    question = "How many countries does Vietnam have diplomatic relations with?"
    for doc in docs:
        k = min(5, doc.n_passages)
        answer = seeds_search.answer(question, k=k, scope={"doc": doc.doc_id})
        assert [h.doc_id for h in answer.hits] == [doc.doc_id] * k
