"""How fast `qa serve` answers over HTTP, beside the engine in this process: the JSON API and the page's route.

    python bench/api.py [--runs 3] [--seconds 20] [--clients 16]

1. In-process ``Index.answer`` (answer sentences and conflicts included: what the server computes) on the seeds'
   gold questions: the baseline, measured in this run.
2. One client, one question at a time, over a keep-alive connection: ``GET /api/ask`` and the page's ``/search``
   (its queue over plain HTTP, as the page's own script calls it; and through gradio_client, whose own overhead
   is ~60 ms a call).
3. ``--clients`` at once for ``--seconds``: ``/api/ask`` with wrk (Debian's package: a C load generator, so the
   client costs the server's two cores little; without it, Python threads) and the page's route with Python
   threads over plain HTTP. Questions per second, latency, errors.

Acceptance (issue 14): sequential /api/ask p50 <= 2 x in-process p50 + 5 ms; 16 clients reach >= 50 % of
cores / in-process p50 questions per second, with 0 errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import machine, recorded, served, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QA = str(Path(sys.executable).parent / "qa")


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in (ROOT / "seeds" / "gold.jsonl").read_text().splitlines()
            if line.strip()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))] if values else float("nan")


def in_process(index_dir: Path, questions: list[str], runs: int) -> list[float]:
    from qa import Index

    index = Index.open(index_dir, check=False)
    for q in questions[:5]:
        index.answer(q, k=3)
    times = []
    for _ in range(runs):
        for q in questions:
            t = time.perf_counter()
            index.answer(q, k=3)
            times.append((time.perf_counter() - t) * 1000)
    return times


def sequential_api(port: int, questions: list[str], runs: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for _ in range(runs):
        for q in questions:
            t = time.perf_counter()
            conn.request("GET", "/api/ask?k=3&q=" + urllib.parse.quote(q))
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            times.append((time.perf_counter() - t) * 1000)
    return times


def page_call(conn: http.client.HTTPConnection, q: str) -> str:
    """The page's route over plain HTTP, as Gradio's own client script calls an event: join the queue
    (POST /gradio_api/call/search), then read the event's stream until it completes. Returns the stream."""
    conn.request("POST", "/gradio_api/call/search", body=json.dumps({"data": [q, 3, "hybrid"]}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    event = json.loads(response.read())["event_id"]
    conn.request("GET", f"/gradio_api/call/search/{event}")
    stream = conn.getresponse().read().decode()
    if "event: complete" not in stream:
        raise RuntimeError(stream[-300:])
    return stream


def sequential_page(port: int, questions: list[str], runs: int, gradio_client: bool = False) -> list[float]:
    if gradio_client:
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        call = lambda q: client.predict(q, 3, "hybrid", api_name="/search")  # noqa: E731
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        call = lambda q: page_call(conn, q)  # noqa: E731
    times = []
    for _ in range(runs):
        for q in questions:
            t = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def concurrent_api_wrk(port: int, questions: list[str], clients: int, seconds: int) -> dict:
    paths = ["/api/ask?k=3&q=" + urllib.parse.quote(q) for q in questions]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
                "local i = 0\nrequest = function()\n  i = i % #paths + 1\n"
                "  return wrk.format('GET', paths[i])\nend\n")
        script = f.name
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "60s", "--latency",
                              "-s", script,
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script)
    qps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(x) for x in sock.groups()) if sock else 0

    def ms(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"qps": qps, "p50": ms("50"), "p95": ms("90"), "errors": errors, "tool": "wrk (p90 shown as p95)"}


def concurrent_threads(ask, questions: list[str], clients: int, seconds: int) -> dict:
    """``ask(question)`` from ``clients`` threads for ``seconds``: throughput, latency, errors."""
    stop = time.perf_counter() + seconds
    times, errors, lock = [], [0], threading.Lock()

    def worker(n: int) -> None:
        client = ask()
        i = n
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                client(questions[i % len(questions)])
                with lock:
                    times.append((time.perf_counter() - t) * 1000)
            except Exception:  # noqa: BLE001 - counted
                with lock:
                    errors[0] += 1
                client = ask()
            i += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"qps": len(times) / elapsed, "p50": statistics.median(times) if times else float("nan"),
            "p95": pct(times, 95), "errors": errors[0], "tool": "Python threads"}


def api_client(port: int):
    def make():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def ask(q: str) -> None:
            conn.request("GET", "/api/ask?k=3&q=" + urllib.parse.quote(q))
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(response.status)
        return ask
    return make


def page_client(port: int):
    def make():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return lambda q: page_call(conn, q)
    return make


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option, default in (("--runs", 3), ("--seconds", 20), ("--clients", 16)):  # runs, load seconds, clients
        ap.add_argument(option, type=int, default=default)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from qa.config import cores

    questions = [q for q in gold_questions()]
    with served() as (port, work):
        print(f"qa HTTP bench on {machine()}; {len(questions)} gold questions of the seeds, k=3, hybrid")
        base = in_process(work / "index", questions, args.runs)
        api = sequential_api(port, questions, args.runs)
        page = sequential_page(port, questions, args.runs)
        client = sequential_page(port, questions, 1, gradio_client=True)
        b50 = statistics.median(base)
        table("One question at a time (ms)", ["what", "questions", "p50", "p95", "p50 / in-process"],
              [["in-process Index.answer", len(base), b50, pct(base, 95), 1.0],
               ["GET /api/ask", len(api), statistics.median(api), pct(api, 95), statistics.median(api) / b50],
               ["the page's /search (its HTML, over HTTP)", len(page), statistics.median(page), pct(page, 95),
                statistics.median(page) / b50],
               ["the same through gradio_client", len(client), statistics.median(client), pct(client, 95),
                statistics.median(client) / b50]], number="{:.1f}")
        ceiling = cores() / (b50 / 1000)
        rows = []
        if shutil.which("wrk"):
            r = concurrent_api_wrk(port, questions, args.clients, args.seconds)
        else:
            r = concurrent_threads(api_client(port), questions, args.clients, args.seconds)
        rows.append(["GET /api/ask", r["tool"], r["qps"], r["qps"] / ceiling, r["p50"], r["p95"], r["errors"]])
        r = concurrent_threads(page_client(port), questions, args.clients, args.seconds)
        rows.append(["the page's /search", r["tool"], r["qps"], r["qps"] / ceiling, r["p50"], r["p95"], r["errors"]])
        table(f"{args.clients} clients for {args.seconds} s (ceiling = {cores()} cores / in-process p50 = "
              f"{ceiling:.0f} questions/s)", ["route", "client", "questions/s", "of ceiling", "p50 ms", "p95 ms",
                                              "errors"], rows, number="{:.1f}")
        api50 = statistics.median(api)
        print(f"\nacceptance: sequential /api/ask p50 {api50:.1f} ms <= 2 x {b50:.1f} + 5 = {2 * b50 + 5:.1f} ms: "
              f"{'yes' if api50 <= 2 * b50 + 5 else 'NO'}; {args.clients} clients {rows[0][2]:.0f} q/s >= 50 % of "
              f"{ceiling:.0f}: {'yes' if rows[0][2] >= ceiling / 2 else 'NO'}, errors {rows[0][6]}")
    return 0


if __name__ == "__main__":
    with recorded("api"):
        code = main()
    sys.exit(code)
