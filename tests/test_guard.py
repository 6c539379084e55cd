"""qa.serve.guard, the bounds on what anyone who reaches the port can make the server do: each finding of issue 20's
probe reproduced as it was found (floods of unread page events, password guessing at full speed, other Host names,
a hand-made Evaluate path, unbounded uploads, deep JSON, the lower findings), and the guard's own pieces in-process.
The servers run the real command with the fake embedder."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from helpers import FAKE_QA, SEEDS, Server, basic_auth, fetch, free_port, post_json, post_upload, serve_seeds, write

from qa.serve.guard import (
    CREDENTIAL_ATTEMPTS,
    EVENTS_PER_CLIENT,
    UPLOAD_CLIENT_MB,
    Network,
    Window,
    _mailboxes,
    check_basic,
    json_too_deep,
)

QUESTION = "Which university is Tran Le Hung from?"


# --- in-process: the pieces ---------------------------------------------------------------------------------------


def test_only_allowed_host_names_are_answered():
    network = Network.of("127.0.0.1", allow_hosts=["qa.example.org"])
    for host in (b"127.0.0.1:7860", b"localhost", b"[::1]:7860", b"QA.example.org:443", b"qa.example.org"):
        assert network.host_allowed(host), host
    for host in (b"evil.example", b"evil.example:7860", b"127.0.0.1.evil.example", b"", None):
        assert not network.host_allowed(host), host
    assert Network.of("0.0.0.0").hosts == Network.of("127.0.0.1").hosts  # a wildcard bind names no host


def test_forwarding_headers_count_only_from_a_trusted_proxy():
    scope = {"client": ("127.0.0.1", 5000), "headers": [(b"host", b"localhost"), (b"x-forwarded-for", b"6.6.6.6"),
                                                         (b"x-forwarded-host", b"evil.example")]}
    plain = Network.of("127.0.0.1")
    assert plain.client(scope) == "127.0.0.1"
    assert dict(plain.scrubbed(scope)["headers"]) == {b"host": b"localhost"}
    proxied = Network.of("127.0.0.1", trusted_proxies=["127.0.0.1"])
    assert proxied.client(scope) == "6.6.6.6" and proxied.scrubbed(scope) is scope
    chain = {**scope, "headers": [(b"x-forwarded-for", b"1.2.3.4, 6.6.6.6, 127.0.0.1")]}
    assert proxied.client(chain) == "6.6.6.6"  # the last hop the trusted proxy did not add itself


def test_a_window_limits_each_key_and_all_together(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("qa.serve.guard.time.monotonic", lambda: now[0])
    window = Window(per_key=3, seconds=60, overall=5)
    for _ in range(3):
        assert not window.full("a")
        window.add("a")
    assert window.full("a") and not window.full("b")
    window.add("b", 2)
    assert window.full("b")  # all together at 5
    now[0] += 61
    assert not window.full("a") and not window.full("b")


def test_basic_credentials_are_checked_exactly():
    import base64

    good = b"Basic " + base64.b64encode(b"alice:s3cret")
    assert check_basic(good, ("alice", "s3cret"))
    for header in (None, b"", b"Basic !!!", b"Bearer x", b"Basic " + base64.b64encode(b"alice:s3cre"),
                   b"Basic " + base64.b64encode(b"alice"), b"Basic " + base64.b64encode(b"\xff\xfe")):
        assert not check_basic(header, ("alice", "s3cret")), header


def test_deep_json_is_seen_without_parsing_it():
    assert json_too_deep(b"[" * 20_000) and json_too_deep(b'{"a":' * 40)
    assert not json_too_deep(b'{"data": [["a", 1], {"b": [2]}], "s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert not json_too_deep(b'"\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["')


class _FakeQueue:
    def __init__(self):
        from gradio.utils import LRUCache

        self.pending_messages_per_session = LRUCache(2000)
        self.pending_event_ids_session: dict[str, set] = {}


@pytest.mark.slow
def test_results_nobody_reads_are_bounded_and_dropping_them_never_fails_a_write(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("qa.serve.guard.time.monotonic", lambda: now[0])
    queue = _FakeQueue()
    boxes = _mailboxes(queue, capacity=3, max_age=60)
    for n in range(5):
        boxes[f"s{n}"] = asyncio.Queue()
        queue.pending_event_ids_session[f"s{n}"] = {f"e{n}"}
        now[0] += 1
    assert list(boxes) == ["s2", "s3", "s4"]  # the oldest evicted, with their pending events
    assert "s0" not in queue.pending_event_ids_session and "s1" not in queue.pending_event_ids_session
    boxes["s0"].put_nowait("a message for a dropped session")  # Gradio writes without checking: no KeyError
    _ = boxes["s2"]  # read: kept fresh
    now[0] += 59.5
    boxes["s5"] = asyncio.Queue()  # expires what nobody used for UNREAD_SECONDS
    assert list(boxes) == ["s2", "s5"]
    del boxes["s2"]
    assert list(boxes) == ["s5"]


# --- served: the findings -------------------------------------------------------------------------------------------

pytest_server = pytest.mark.server  # the tests below start qa serve


def _rss_mb(pid: int) -> int:
    """Resident memory of a process and its descendants (the answering processes), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += next(int(line.split()[1]) for line in open(f"/proc/{p}/status") if line.startswith("VmRSS"))
            todo += [int(c) for task in Path(f"/proc/{p}/task").iterdir()
                     for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            pass
    return total // 1024


def _flood(url: str, path: str, data: list, total: int, threads: int = 8) -> dict:
    codes: dict = {}
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(total // threads):
            status = post_json(url + path, {"data": [f"{d} {n}-{i}" if d == "trade" else d for d in data]},
                               timeout=30)[0]
            with lock:
                codes[status] = codes.get(status, 0) + 1

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return codes


def _page_search_seconds(url: str) -> float:
    """How long a page search takes to be answered, from the caller's address, asking again while it is told 429
    (the flood's last events still waiting)."""
    started = time.monotonic()
    while True:
        status, _, body = post_json(url + "gradio_api/call/search", {"data": [QUESTION, 3, "hybrid"]})
        if status != 429 or time.monotonic() - started > 30:
            break
        time.sleep(0.2)
    assert status == 200, body
    text = fetch(f"{url}gradio_api/call/search/{json.loads(body)['event_id']}")[2].decode()
    assert "Gustave Eiffel" in text, text[:300]
    return time.monotonic() - started


@pytest.fixture
def seeds_server(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    made = []

    def start(*extra):
        made.append(Server(tmp_path / "seeds", tmp_path / "index", *extra, command=FAKE_QA))
        return made[-1]

    yield start
    for s in made:
        s.stop()


@pytest_server
@pytest.mark.parametrize("what", ["search", "rebuild"])
def test_a_flood_of_unread_page_events_cannot_stop_the_page(seeds_server, what):
    """2,500 POST /gradio_api/call/search whose results were never read overflowed Gradio's session store: its queue
    task died and every page event answered 503 "Queue is stopped." until a restart (930 MB here, 2.75 GB in the
    probe); a rebuild flood under --allow-rebuild did the same."""
    s = seeds_server("--allow-rebuild")
    data = ["trade", 20, "hybrid"] if what == "search" else []
    codes = _flood(s.url, f"gradio_api/call/{what}", data, 2500)
    assert set(codes) <= {200, 429} and codes.get(429), codes
    assert codes.get(200, 0) >= EVENTS_PER_CLIENT if what == "search" else codes.get(200, 0) >= 1
    assert _page_search_seconds(s.url) < 10
    assert _rss_mb(s.proc.pid) <= 1536, _rss_mb(s.proc.pid)
    log = Path(s.log.name).read_text()
    assert "KeyError" not in log and "Task exception was never retrieved" not in log
    started = time.monotonic()
    s.stop()
    assert time.monotonic() - started < 15


@pytest_server
def test_one_caller_cannot_hold_more_than_its_share_of_the_queue(seeds_server):
    s = seeds_server()
    ids = []
    for i in range(EVENTS_PER_CLIENT + 4):
        status, _, body = post_json(s.url + "gradio_api/call/search", {"data": [f"trade {i}", 50, "hybrid"]})
        if status == 429:
            assert "too many of your events" in json.loads(body)["error"]
            break
        ids.append(json.loads(body)["event_id"])
    # either the queue kept up (every event ran at once) or the caller was held at its bound
    assert len(ids) <= EVENTS_PER_CLIENT + 4
    assert _page_search_seconds(s.url) < 10


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A server on the seeds for tests that change nothing on it."""
    s = serve_seeds(tmp_path_factory.mktemp("plain"))
    yield s
    s.stop()


@pytest_server
def test_passwords_cannot_be_guessed_at_full_speed_whatever_address_a_caller_claims(tmp_path):
    """2,000 wrong HTTP Basic guesses took 2.5 s (all 401), then the right one answered; the login limit covered only
    /login, and a different X-Forwarded-For per request reset it."""
    write(tmp_path / "c", "a.txt", "Private notes\nThe launch code is in the blue folder.\n")
    locked = Server(tmp_path / "c", tmp_path / "index", command=FAKE_QA, env={"QA_AUTH": "alice:s3cret"})
    try:
        _guess(locked)
    finally:
        locked.stop()


def _guess(locked: Server) -> None:
    statuses = []
    for n in range(CREDENTIAL_ATTEMPTS + 5):
        headers = {**basic_auth("alice", f"guess{n}"), "X-Forwarded-For": f"10.0.0.{n}"}
        statuses.append(fetch(locked.url + "api/health", headers=headers)[0])
    assert statuses[:CREDENTIAL_ATTEMPTS] == [401] * CREDENTIAL_ATTEMPTS
    assert set(statuses[CREDENTIAL_ATTEMPTS:]) == {429}
    assert fetch(locked.url + "api/health", headers=basic_auth("alice", "s3cret"))[0] == 429  # locked out too
    status, _, _ = fetch(locked.url + "login", b"username=alice&password=s3cret",
                         {"Content-Type": "application/x-www-form-urlencoded"}, "POST")
    assert status == 429  # one limiter for the page's login and the API


@pytest_server
def test_the_login_comes_from_a_file_or_the_environment_never_the_process_list(locked, tmp_path):
    cmdline = Path(f"/proc/{locked.proc.pid}/cmdline").read_bytes()
    assert b"s3cret" not in cmdline
    write(tmp_path / "c", "a.txt", "Private notes\nThe launch code is in the blue folder.\n")
    s = Server(tmp_path / "c", tmp_path / "index", command=FAKE_QA, env={"QA_AUTH": "bob:hunter2"})
    try:
        assert fetch(s.url + "api/health")[0] == 401
        assert fetch(s.url + "api/health", headers=basic_auth("bob", "hunter2"))[0] == 200
        assert b"hunter2" not in Path(f"/proc/{s.proc.pid}/cmdline").read_bytes()
    finally:
        s.stop()
    both = subprocess.run([*FAKE_QA, "serve", tmp_path / "c", "--index-dir", tmp_path / "ix2", "--auth", "a:b",
                           "--auth-file", tmp_path / "bad"], capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "give --auth or --auth-file, not both" in both.stderr
    (tmp_path / "bad").write_text("no colon here\n")
    out = subprocess.run([*FAKE_QA, "serve", tmp_path / "c", "--index-dir", tmp_path / "ix2", "--auth-file",
                          tmp_path / "bad"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.strip().endswith("must be USER:PASSWORD on one line, both non-empty")


@pytest_server
def test_under_auth_no_route_tells_a_stranger_anything(locked):
    """/openapi.json and /gradio_api/heartbeat/* answered without credentials."""
    for path in ("openapi.json", "gradio_api/openapi.json", "gradio_api/heartbeat/abc", "gradio_api/info",
                 "gradio_api/queue/status", "config", "api/health"):
        status, _, body = fetch(locked.url + path, timeout=10)
        assert status in (401, 403, 404), (path, status, body[:100])


@pytest_server
def test_other_host_names_are_refused_and_forwarded_hosts_ignored(plain):
    """Host: evil.example got /api/documents (DNS rebinding lets any web page the user visits read the corpus);
    X-Forwarded-Host rewrote the page config's root and the login redirects."""
    s = plain
    for path in ("api/documents", "", "config", "gradio_api/info"):
        status, headers, body = fetch(s.url + path, headers={"Host": "evil.example"})
        assert status == 421 and b"allow-host" in body and headers.get("x-frame-options") == "DENY", path
    status, _, body = fetch(s.url + "config", headers={"X-Forwarded-Host": "evil.example",
                                                      "X-Forwarded-Proto": "https"})
    assert status == 200 and b"evil.example" not in body
    assert fetch(s.url + "api/documents", headers={"Host": f"localhost:{s.port}"})[0] == 200


@pytest_server
def test_allow_host_adds_a_name(tmp_path):
    write(tmp_path / "c", "a.txt", "A page\nRivers flow.\n")
    s = Server(tmp_path / "c", tmp_path / "index", "--allow-host", "qa.example.org", command=FAKE_QA)
    try:
        assert fetch(s.url + "api/health", headers={"Host": "qa.example.org"})[0] == 200
        assert fetch(s.url + "api/health", headers={"Host": "other.example.org"})[0] == 421
    finally:
        s.stop()


def _evaluate_fn(url: str) -> int:
    config = json.loads(fetch(url + "config")[2])
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    return next(i for i, d in enumerate(config["dependencies"]) if any(ids.get(o) == "eval-note"
                                                                      for o in d["outputs"]))


@pytest_server
def test_evaluate_reads_only_files_uploaded_to_this_server(seeds_server, tmp_path):
    """With --allow-evaluate, a hand-made FileData with "path": "/var/tmp/victim.jsonl" ran its questions and
    returned them (and deleted the file)."""
    victim = tmp_path / "victim.jsonl"
    victim.write_text('{"id": "secret-1", "question": "What is the secret plan?", "answers": ["x"]}\n')
    s = seeds_server("--allow-evaluate")
    session = "probe-victim"
    status, _, body = post_json(s.url + "gradio_api/queue/join", {
        "data": [{"path": str(victim), "meta": {"_type": "gradio.FileData"}}], "fn_index": _evaluate_fn(s.url),
        "session_hash": session})
    assert status == 403 and "only files uploaded to this server" in json.loads(body)["error"], body
    for named in ({"path": "/etc/passwd"}, {"url": "http://169.254.169.254/latest"},
                  {"path": f"{tempfile.gettempdir()}/../etc/passwd"}):
        status, _, body = post_json(s.url + "gradio_api/queue/join", {
            "data": [{**named, "meta": {"_type": "gradio.FileData"}}], "fn_index": _evaluate_fn(s.url),
            "session_hash": session})
        assert status == 403, (named, body)
    assert victim.exists()


@pytest_server
def test_uploads_are_bounded_per_client_not_only_per_file(seeds_server):
    """60 files of 5 MB from one anonymous client stored 312 MB in 5.5 s."""
    s = seeds_server()
    chunk = os.urandom(1024) * (4 * 1024)  # 4 MB, under the per-file cap
    statuses = [post_upload(s.url, f"f{n}.jsonl", chunk)[0] for n in range(UPLOAD_CLIENT_MB // 4 + 3)]
    first = statuses.index(429)
    assert set(statuses[:first]) == {200} and set(statuses[first:]) == {429}
    assert first * 4 <= UPLOAD_CLIENT_MB + 4
    assert fetch(s.url + "api/health")[0] == 200


@pytest_server
@pytest.mark.parametrize("path", ["api/ask", "gradio_api/call/search", "gradio_api/queue/join", "login"])
def test_deeply_nested_json_is_a_clear_400_with_the_guards_headers(plain, path):
    """`[` x 20,000 got a 500 text/plain without the security headers and a RecursionError in the log."""
    s = plain
    status, headers, body = post_json(s.url + path, b"[" * 20_000)
    assert status == 400 and "nests deeper" in json.loads(body)["error"]
    assert headers.get("x-content-type-options") == "nosniff"
    assert "RecursionError" not in Path(s.log.name).read_text()
    assert fetch(s.url + "api/health")[0] == 200


@pytest_server
def test_the_lower_findings(plain):
    """PUT /api/ask was 404, not 405; Gradio's own advertised call/v2/search curl example got 422; an unknown /api/
    route was the page's HTML 404."""
    s = plain
    status, headers, _ = fetch(s.url + "api/ask", b"{}", {"Content-Type": "application/json"}, "PUT")
    assert status == 405 and set(headers["allow"].split(", ")) == {"GET", "POST"}
    status, _, body = fetch(s.url + "api/nothing-here")
    assert status == 404 and "no such route" in json.loads(body)["error"]
    status, _, body = post_json(s.url + "gradio_api/call/v2/search", {"q": QUESTION, "top_k": 3,
                                                                      "search_mode": "hybrid"})
    assert status == 200, body
    event_id = json.loads(body)["event_id"]
    assert "Gustave Eiffel" in fetch(f"{s.url}gradio_api/call/v2/search/{event_id}")[2].decode()
    status, _, body = post_json(s.url + "gradio_api/call/v2/search", {"question": QUESTION})
    assert status == 422 and "unknown parameter 'question'" in json.loads(body)["error"]


@pytest_server
def test_a_busy_port_is_one_line_and_nothing_claims_to_serve(tmp_path):
    import socket

    write(tmp_path / "c", "a.txt", "A page\nRivers flow.\n")
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        out = subprocess.run([*FAKE_QA, "serve", tmp_path / "c", "--index-dir", tmp_path / "ix", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "serving" not in out.stderr
    assert out.stderr.strip().splitlines() == [f"qa: error: cannot serve on 127.0.0.1:{port}: the port is in use "
                                               f"(another qa serve?); choose another with --port"]
    assert not (tmp_path / "ix").exists()  # refused before anything was built
