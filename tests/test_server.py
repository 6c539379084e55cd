"""`qa serve` over HTTP, as anyone who reaches the port may call it: the JSON API, its errors, auth on every route,
and the guard's limits (each finding of our own probing has a test here). The servers run the real command with
the fake embedder; the API's answers equal `qa ask --json` with the real model in test_api.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import FAKE_QA, SEEDS, Server, basic_auth, fetch, gradio_call, post_json, serve_seeds, upload, write

from qa.store.layout import current_generation

pytestmark = pytest.mark.server

QUESTION = "Which university is Tran Le Hung from?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = serve_seeds(tmp_path_factory.mktemp("api"), "--allow-evaluate")
    yield s
    s.stop()


# --- the API -----------------------------------------------------------------------------------------------------


def test_ask_by_get_and_post_gives_one_answer_object(server):
    status, headers, body = fetch(server.url + "api/ask?" + urllib.parse.urlencode({"q": QUESTION, "k": 3}))
    assert status == 200 and headers["content-type"] == "application/json"
    by_get = json.loads(body)
    assert {"question", "mode", "abstained", "confidence", "threshold", "conflicts", "hits"} <= by_get.keys()
    assert len(by_get["hits"]) == 3 and by_get["hits"][0]["doc_id"] == "003_ac1e5deb08e04087.txt"
    status, _, body = post_json(server.url + "api/ask", {"question": QUESTION, "k": 3, "mode": "hybrid"})
    assert status == 200 and json.loads(body) == by_get
    for hit in by_get["hits"]:
        assert (SEEDS / hit["doc_id"]).read_text(encoding="utf-8")[hit["start"]:hit["end"]] == hit["text"]


def test_a_batch_answers_each_question_as_a_single_request_would_in_order(server):
    items = [QUESTION, {"question": "When was Resolution 59 issued?", "k": 2, "mode": "lexical", "id": "r59"},
             {"question": "   "}, {"question": QUESTION, "k": 99}, 7]
    status, _, body = post_json(server.url + "api/ask/batch", {"questions": items})
    assert status == 200, body
    answers = json.loads(body)["answers"]
    single = json.loads(post_json(server.url + "api/ask", {"question": QUESTION})[2])
    assert answers[0] == single
    assert answers[1]["id"] == "r59" and answers[1]["mode"] == "lexical" and len(answers[1]["hits"]) == 2
    assert "empty" in answers[2]["error"] and "from 1 to 50" in answers[3]["error"] and "string or" in answers[4]["error"]


@pytest.mark.parametrize("payload, status", [({"questions": ["x?"] * 101}, 422), ({"questions": []}, 422),
                                             ({"questions": "x?"}, 422), (["x?"], 422)])
def test_a_batch_is_bounded(server, payload, status):
    got, _, body = post_json(server.url + "api/ask/batch", payload)
    assert got == status and "1 to 100 questions" in json.loads(body)["error"]


def test_documents_and_health(server):
    status, _, body = fetch(server.url + "api/documents")
    docs = json.loads(body)["documents"]
    assert status == 200 and [d["id"] for d in docs] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert {"id", "title", "date", "source", "passages", "pages"} <= docs[0].keys()
    status, _, body = fetch(server.url + "api/documents/004_fa2311fb06af83e6.txt")
    doc = json.loads(body)
    assert status == 200 and doc["passages"] and all(
        doc["text"][p["start"]:p["end"]] for p in doc["passages"])
    status, _, body = fetch(server.url + "api/documents/reports/nope.pdf")
    assert status == 404 and "no document 'reports/nope.pdf'" in json.loads(body)["error"]
    status, _, body = fetch(server.url + "api/health")
    health = json.loads(body)
    assert status == 200 and health["documents"] == 5 and health["corpus_changed"] is False
    assert health["generation"].startswith("gen-") and health["model"]
    status, _, body = fetch(server.url + "api/openapi.json")
    assert status == 200 and {"/api/ask", "/api/documents", "/api/health"} <= json.loads(body)["paths"].keys()


@pytest.mark.parametrize("query, status, message", [
    ({"q": ""}, 400, "the question is empty"),
    ({"q": "   "}, 400, "the question is empty"),
    ({"q": "x", "k": "0"}, 400, "k must be a whole number from 1 to 50, got 0"),
    ({"q": "x", "k": "51"}, 400, "k must be a whole number from 1 to 50, got 51"),
    ({"q": "x", "k": "many"}, 400, "k must be a whole number from 1 to 50, got 'many'"),
    ({"q": "x", "k": "NaN"}, 400, "k must be a whole number"),
    ({"q": "x", "mode": "nope"}, 400, "Unknown mode 'nope'. Choose from: dense, hybrid, lexical"),
    ({"q": "x" * 10_001}, 400, "at most 10,000 are read"),
    ({}, 422, "malformed request"),
])
def test_bad_questions_by_get_are_json_errors_and_the_server_answers_the_next(server, query, status, message):
    got, _, body = fetch(server.url + "api/ask?" + urllib.parse.urlencode(query))
    assert got == status and message in json.loads(body)["error"]
    assert fetch(server.url + "api/ask?q=trade&k=1")[0] == 200


@pytest.mark.parametrize("body, status, message", [
    (b"not json", 422, "must be a JSON object"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (b'{"k": 2}', 422, '"question"'),
    (b'{"question": "x", "k": "2.5"}', 400, "k must be"),
    (b'{"question": "x", "k": true}', 400, "k must be"),
    (b'{"question": "x", "k": 1e999}', 400, "k must be"),
    (b'{"question": 7}', 400, "the question must be text"),
    (b'{"question": "x", "mode": ["hybrid"]}', 400, "mode must be text"),
    (b'{"question": "\\ud800 lone surrogate"}', 200, None),
])
def test_bad_bodies_are_json_errors_never_500(server, body, status, message):
    got, _, raw = post_json(server.url + "api/ask", body)
    assert got == status, raw
    if message:
        assert message in json.loads(raw)["error"]


def test_bodies_over_the_limit_are_refused_before_they_are_read(server):
    big = json.dumps({"question": "x" * 100_000}).encode()
    status, _, body = post_json(server.url + "api/ask", big)
    assert status == 413 and "over 64 KiB" in json.loads(body)["error"]


# --- what our probing found ------------------------------------------------------------------------------------


def test_frames_are_refused_and_content_is_not_sniffed(server):
    for path in ("", "api/health", "gradio_api/info"):
        _, headers, _ = fetch(server.url + path)
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers[
            "content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"


def test_events_that_do_not_exist_or_are_not_offered_are_404(server):
    status, _, body = post_json(server.url + "gradio_api/queue/join", {"data": [], "fn_index": 999,
                                                                       "session_hash": "probe"})
    assert status == 404 and "no such event" in json.loads(body)["error"]
    for name in ("rebuild", "evaluate", "do_rebuild"):
        status, _, body = post_json(server.url + f"gradio_api/call/{name}", {"data": []})
        assert status == 404 and "no such endpoint" in json.loads(body)["error"], name


@pytest.mark.parametrize("data, message", [
    (["trade", "NaN", "hybrid"], "k must be a whole number from 1 to 50, got &#x27;NaN&#x27;"),
    (["trade", 1e300, "hybrid"], "k must be a whole number from 1 to 50"),
    (["trade", 2.5, "hybrid"], "got 2.5"),
    (["trade", 2, 7], "Unknown mode 7"),
    ([None, None, None], "Type a question"),
])
def test_the_page_route_answers_bad_values_with_a_message(server, data, message):
    assert message in gradio_call(server.url, "search", data)


@pytest.mark.parametrize("data, got", [([], "0"), (["trade"], "1"), ("x", "str")])
def test_the_page_route_refuses_missing_values_with_a_message(server, data, got):
    status, _, body = post_json(server.url + "gradio_api/call/search", {"data": data})
    assert status == 422 and "takes 3 values" in json.loads(body)["error"] and got in json.loads(body)["error"]


def test_uploads_over_the_cap_are_refused_before_they_are_read(server):
    """A 300 MB upload used to be accepted in a second: now its declared size is refused at once (the body is never
    sent here), and a body sent without a length is cut off at the cap."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", "/gradio_api/upload")
    conn.putheader("Content-Type", "multipart/form-data; boundary=qa")
    conn.putheader("Content-Length", str(300 * 2**20))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "over" in json.loads(response.read())["error"]
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", "/gradio_api/upload")
    conn.putheader("Content-Type", "multipart/form-data; boundary=qa")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    head = (b'--qa\r\nContent-Disposition: form-data; name="files"; filename="big.jsonl"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n")
    chunk = b"x" * 2**20
    try:
        conn.send(b"%x\r\n%s\r\n" % (len(head), head))
        for _ in range(8):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        status = conn.getresponse().status
    except (ConnectionError, BrokenPipeError):
        status = 413  # the server answered and closed while we were still sending
    assert status == 413
    assert fetch(server.url + "api/health")[0] == 200


def _fn_index(base: str, output_elem_id: str) -> int:
    config = json.loads(fetch(base + "config")[2])
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    return next(i for i, d in enumerate(config["dependencies"]) if any(ids.get(o) == output_elem_id
                                                                      for o in d["outputs"]))


def _queue(base: str, fn_index: int, data: list, session: str) -> list[dict]:
    status, _, body = post_json(base + "gradio_api/queue/join", {"data": data, "fn_index": fn_index,
                                                                "session_hash": session})
    assert status == 200, body
    events = []
    with urllib.request.urlopen(f"{base}gradio_api/queue/data?session_hash={session}", timeout=120) as r:
        for line in r:
            if line.startswith(b"data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("msg") == "process_completed":
                    break
    return events


def test_a_raw_evaluate_call_runs_within_its_limits_and_removes_theupload(server):
    fn = _fn_index(server.url, "eval-note")
    lines = "".join(json.dumps({"id": str(i), "question": f"q{i}?", "answers": []}) + "\n" for i in range(501))
    path = upload(server.url, "many.jsonl", lines.encode())
    assert Path(path).exists()
    events = _queue(server.url, fn, [{"path": path, "meta": {"_type": "gradio.FileData"}}], "probe-many")
    done = events[-1]
    assert done["success"] and "holds more than 500 questions" in done["output"]["data"][0]
    assert not Path(path).exists()  # read, then removed
    small = upload(server.url, "two.jsonl", b'{"id": "u1", "question": "Which university is Tran Le Hung from?", '
                                             b'"answers": ["Gustave Eiffel"]}\n{"id": "u2", "question": "x?"}\n')
    events = _queue(server.url, fn, [{"path": small, "meta": {"_type": "gradio.FileData"}}], "probe-two")
    assert "2 questions from" in events[-1]["output"]["data"][0] and not Path(small).exists()


def test_without_allow_evaluate_an_anonymous_caller_cannot_start_an_evaluation(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nRivers flow.\n")
    s = Server(tmp_path / "c", tmp_path / "index", command=FAKE_QA)
    try:
        config = json.loads(fetch(s.url + "config")[2])
        ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
        assert not any(ids.get(o) == "eval-note" for d in config["dependencies"] for o in d["outputs"])
        button = next(c for c in config["components"] if c.get("props", {}).get("value") == "Run evaluation")
        assert button["props"]["interactive"] is False
    finally:
        s.stop()


def test_a_folder_name_with_markup_stays_text_in_the_header(tmp_path):
    corpus = tmp_path / "corp`[lnk](https://x.example)`<img src=x onerror=alert(1)>"
    write(corpus, "a.txt", "A page\nRivers flow.\n")
    s = Server(corpus, tmp_path / "index", command=FAKE_QA)
    try:
        config = fetch(s.url + "config")[2].decode()
    finally:
        s.stop()
    header = next(c["props"]["value"] for c in json.loads(config)["components"]
                  if c.get("props", {}).get("elem_id") == "qa-header")
    assert "<a" not in header and "<img" not in header and "&lt;img src=x" in header


# --- --auth ------------------------------------------------------------------------------------------------------


ROUTES = [("GET", "api/ask?q=launch+code"), ("POST", "api/ask"), ("GET", "api/documents"),
          ("GET", "api/documents/a.txt"), ("GET", "api/health"), ("GET", "api/docs"), ("GET", "api/openapi.json"),
          ("POST", "gradio_api/upload"), ("GET", "gradio_api/file=/etc/passwd"), ("POST", "gradio_api/call/search"),
          ("POST", "gradio_api/queue/join"), ("GET", "gradio_api/info"), ("GET", "config")]


def test_with_auth_every_route_refuses_without_credentials(locked):
    seen = {}
    for method, path in ROUTES:
        body = json.dumps({"question": "launch code", "data": ["launch code", 1, "hybrid"], "fn_index": 1,
                           "session_hash": "x"}).encode() if method == "POST" else None
        status, _, raw = fetch(locked.url + path, body, {"Content-Type": "application/json"}, method)
        seen[f"{method} /{path}"] = status
        assert status in (401, 403, 404), (path, status)
        assert b"blue folder" not in raw and b"root:" not in raw
    print(seen)
    api = {k: v for k, v in seen.items() if " /api/" in k}
    assert set(api.values()) == {401}, api
    status, headers, _ = fetch(locked.url + "api/health")
    assert {k.lower(): v for k, v in headers.items()}["www-authenticate"].startswith("Basic")
    for wrong in (basic_auth("alice", "nope"), basic_auth("bob", "s3cret"), {"Authorization": "Basic !!!"}):
        assert fetch(locked.url + "api/health", headers=wrong)[0] == 401


def test_with_auth_the_right_credentials_answer(locked):
    status, _, body = fetch(locked.url + "api/ask?q=where+is+the+launch+code", headers=basic_auth("alice", "s3cret"))
    assert status == 200 and "blue folder" in json.loads(body)["hits"][0]["text"]


# --- the answering processes ---------------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    return {int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()}


def _pool_workers(server_pid: int) -> list[int]:
    """The server's answering processes: the children of its fork server (qa.serve.pool), or its spawned children
    where there is no fork server (multiprocessing's resource tracker left out either way)."""
    found = set()
    for child in _children(server_pid):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"forkserver" in cmdline:
            found |= _children(child)
        elif b"spawn_main" in cmdline:
            found.add(child)
    return sorted(found)


def test_a_killed_answering_process_is_replaced_and_the_question_still_answered(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nThe Mekong river flows through six countries.\n")
    s = Server(tmp_path / "c", tmp_path / "index", "--processes", "2", command=FAKE_QA)
    try:
        workers = _pool_workers(s.proc.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        for _ in range(4):  # the first question meets the broken pool, which is replaced; none fails
            status, _, body = fetch(s.url + "api/ask?q=" + urllib.parse.quote("Which river flows?") + "&k=1")
            assert status == 200 and json.loads(body)["hits"][0]["doc_id"] == "a.txt"
        assert len(_pool_workers(s.proc.pid)) == 2 and workers[0] not in _pool_workers(s.proc.pid)
    finally:
        s.stop()


def test_with_no_answering_processes_the_threads_of_the_server_answer(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nThe Mekong river flows through six countries.\n")
    s = Server(tmp_path / "c", tmp_path / "index", "--processes", "0", command=FAKE_QA)
    try:
        assert _pool_workers(s.proc.pid) == []
        status, _, body = fetch(s.url + "api/ask?q=" + urllib.parse.quote("Which river flows?") + "&k=1")
        assert status == 200 and json.loads(body)["hits"][0]["doc_id"] == "a.txt"
        status, _, body = fetch(s.url + "api/ask?q=%20&k=1")
        assert status == 400 and "the question is empty" in json.loads(body)["error"]
    finally:
        s.stop()


def test_a_negative_number_of_processes_is_refused(tmp_path):
    out = subprocess.run([*FAKE_QA, "serve", SEEDS, "--index-dir", tmp_path / "ix", "--processes", "-1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--processes must be 0 or more" in out.stderr


# --- replicas ------------------------------------------------------------------------------------------------------


def test_two_replicas_switch_to_a_rebuild_made_elsewhere_without_a_failed_request(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    assert subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"], timeout=300).returncode == 0
    replicas = [Server(corpus, index_dir, command=FAKE_QA) for _ in range(2)]
    failures, answers, stop = [], [], threading.Event()

    def client(replica: Server) -> None:
        while not stop.is_set():
            status, _, body = fetch(replica.url + "api/ask?q=" + urllib.parse.quote(QUESTION) + "&k=1")
            if status != 200:
                failures.append((status, body[:200]))
            else:
                answers.append(json.loads(body)["hits"][0]["doc_id"])

    try:
        before = {json.loads(fetch(r.url + "api/health")[2])["generation"] for r in replicas}
        threads = [threading.Thread(target=client, args=(r,)) for r in replicas for _ in range(2)]
        for t in threads:
            t.start()
        with open(corpus / "003_ac1e5deb08e04087.txt", "a", encoding="utf-8") as f:
            f.write("\nA new closing paragraph about the port of Hai Phong.\n")
        assert subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"],
                              timeout=300).returncode == 0
        new = (index_dir / "CURRENT").read_text().strip()
        deadline = time.time() + 10
        while time.time() < deadline and {json.loads(fetch(r.url + "api/health")[2])["generation"]
                                          for r in replicas} != {new}:
            time.sleep(0.2)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        after = {json.loads(fetch(r.url + "api/health")[2])["generation"] for r in replicas}
    finally:
        stop.set()
        for r in replicas:
            r.stop()
    assert len(before) == 1 and before != {new} and after == {new}
    assert failures == [] and len(answers) > 10 and set(answers) == {"003_ac1e5deb08e04087.txt"}


def test_replicas_never_build_and_follow_the_builds_made_elsewhere(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    out = subprocess.run([*FAKE_QA, "serve", corpus, "--index-dir", index_dir, "--replica", "--port", "9"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "no index in" in out.stderr and current_generation(index_dir) is None
    assert subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"], timeout=300).returncode == 0
    first = (index_dir / "CURRENT").read_text().strip()
    with open(corpus / "004_fa2311fb06af83e6.txt", "a", encoding="utf-8") as f:
        f.write("\nThe committee will meet again in March.\n")  # stale now: a plain `qa serve` would rebuild
    replicas = [Server(corpus, index_dir, "--replica", command=FAKE_QA) for _ in range(2)]
    try:
        health = [json.loads(fetch(r.url + "api/health")[2]) for r in replicas]
        assert {h["generation"] for h in health} == {first} and all(h["corpus_changed"] for h in health)
        assert (index_dir / "CURRENT").read_text().strip() == first  # neither built
        assert subprocess.run([*FAKE_QA, "index", corpus, "--index-dir", index_dir, "-q"], timeout=300).returncode == 0
        new = (index_dir / "CURRENT").read_text().strip()
        deadline = time.time() + 10
        while time.time() < deadline and {json.loads(fetch(r.url + "api/health")[2])["generation"]
                                          for r in replicas} != {new}:
            time.sleep(0.2)
        assert {json.loads(fetch(r.url + "api/health")[2])["generation"] for r in replicas} == {new} != {first}
    finally:
        for r in replicas:
            r.stop()


def test_uploads_live_in_the_servers_own_folder_and_go_when_it_stops(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nRivers flow.\n")
    s = Server(tmp_path / "c", tmp_path / "index", command=FAKE_QA)
    try:
        path = Path(upload(s.url, "mine.jsonl", b'{"id": "1", "question": "x?"}\n'))
        folder = next(p for p in path.parents if p.name.startswith("qa-serve-uploads-"))
        assert path.exists() and folder.is_dir()
    finally:
        s.stop()
    assert not folder.exists()


def test_the_sweeper_removes_old_uploads_and_their_empty_folders(tmp_path):
    import os

    from qa.serve.server import Sweeper

    write(tmp_path, "abc/old.jsonl", "x")
    write(tmp_path, "tmp123", "")
    write(tmp_path, "new.jsonl", "y")
    for name in ("abc/old.jsonl", "tmp123"):
        os.utime(tmp_path / name, (time.time() - 3600, time.time() - 3600))
    sweeper = Sweeper(tmp_path, max_age=600, every=3600)
    sweeper.sweep()
    sweeper.stop()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["new.jsonl"]
