"""Load test: `qa serve` on a loopback port, N questions from C concurrent gradio_client clients, a rebuild of
the index triggered halfway through; reports throughput, latency and errors as a table.

    python bench/load.py                       # 2,000 questions, 16 clients on the page's route
    python bench/load.py --target api --questions 5000 --clients 16   # the JSON API (the acceptance run)
    python bench/load.py --questions 200 --clients 8

Questions mix the seeds' gold questions (answerable and not), hostile ones and empty ones. An answerable
question must get at least one cited passage, before, during and after the switch to the rebuilt index.
Bounded: it stops after N questions or --max-seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
from itertools import cycle
from pathlib import Path

from common import machine, recorded, served  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['"quoted" AND (NOT x) OR y*', "'; DROP TABLE passages; --", "\u202eright to left", "🇻🇳" * 30,
           "x" * 10_000, "<script>alert(1)</script>", "NEAR/3 title:*", "\x00\x07 control", "((((", "Việt Nam?"]
EMPTY = ["", "   ", "\n\t"]


def questions() -> list[tuple[str, str]]:
    """(kind, question): kind is 'answerable', 'unanswerable', 'hostile' or 'empty'."""
    gold = [json.loads(l) for l in (ROOT / "seeds" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if l]
    mixed = [("answerable" if g["answers"] else "unanswerable", g["question"]) for g in gold]
    mixed += [("hostile", q) for q in HOSTILE] + [("empty", q) for q in EMPTY]
    return mixed


class ApiClient:
    """One keep-alive connection to /api/ask: what a program asking questions over HTTP does."""

    def __init__(self, port: int):
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def ask(self, question: str) -> tuple[int, bool]:
        """(passages returned, whether the answer was the note for an empty question)."""
        from urllib.parse import quote

        self.conn.request("GET", f"/api/ask?k=3&q={quote(question)}")
        response = self.conn.getresponse()
        body = json.loads(response.read())
        if response.status == 400 and "empty" in body.get("error", ""):
            return 0, True
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return len(body["hits"]), False


class PageClient:
    """gradio_client on the page's /search route, as the page's own script calls it."""

    def __init__(self, port: int):
        from gradio_client import Client

        self.client = Client(f"http://127.0.0.1:{port}/", verbose=False)

    def ask(self, question: str) -> tuple[int, bool]:
        page = self.client.predict(question, 3, "hybrid", api_name="/search")
        return page.count('class="qa-card"'), "Type a question" in page


TARGETS = {"page": PageClient, "api": ApiClient}


def run(n_questions: int = 2000, clients: int = 16, max_seconds: float = 900, rebuild: bool = True,
        verbose: bool = True, target: str = "page") -> dict:
    from gradio_client import Client

    with served("--allow-rebuild") as (port, work):
        corpus, url = work / "seeds", f"http://127.0.0.1:{port}/"
        todo = iter(cycle(questions()))
        lock = threading.Lock()
        issued = 0
        results: list[dict] = []
        rebuild_info: dict = {}
        started = time.perf_counter()
        stop_at = started + max_seconds

        def next_question():
            nonlocal issued
            with lock:
                if issued >= n_questions or time.perf_counter() > stop_at:
                    return None
                issued += 1
                return issued, *next(todo)

        def phase() -> str:
            if "started" not in rebuild_info:
                return "before"
            return "during" if "finished" not in rebuild_info else "after"

        def worker() -> None:
            client = TARGETS[target](port)
            while (item := next_question()) is not None:
                number, kind, question = item
                when = phase()
                t = time.perf_counter()
                try:
                    cards, note = client.ask(question)
                    error = None
                except Exception as e:  # noqa: BLE001 - every failure is counted, none may happen
                    cards, note, error = 0, False, f"{type(e).__name__}: {e}"
                    client = TARGETS[target](port)
                results.append({"kind": kind, "phase": when, "ms": (time.perf_counter() - t) * 1000,
                                "error": error, "cards": cards, "note": note})
                if rebuild and number == n_questions // 2 and "started" not in rebuild_info:
                    threading.Thread(target=trigger_rebuild, daemon=True).start()

        def trigger_rebuild() -> None:
            # change one article, so the rebuild re-embeds its passages and switches to a new generation
            path = corpus / "004_fa2311fb06af83e6.txt"
            path.write_text(path.read_text(encoding="utf-8") + "\nThe committee will meet again in March.\n",
                            encoding="utf-8")
            rebuild_info["started"] = time.perf_counter()
            try:
                note, _ = Client(url, verbose=False).predict(api_name="/rebuild")
                rebuild_info["note"] = re.sub(r"\s+", " ", note)
            except Exception as e:  # noqa: BLE001
                rebuild_info["error"] = f"{type(e).__name__}: {e}"
            rebuild_info["finished"] = time.perf_counter()

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        while rebuild and "started" in rebuild_info and "finished" not in rebuild_info \
                and time.perf_counter() < stop_at + 600:
            time.sleep(0.5)

    lat = sorted(r["ms"] for r in results)
    answerable = [r for r in results if r["kind"] == "answerable"]
    summary = {
        "target": target, "questions": len(results), "clients": clients, "seconds": round(elapsed, 1),
        "throughput_qps": round(len(results) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1) if lat else None,
        "errors": sum(r["error"] is not None for r in results),
        "empty_answerable": sum(r["cards"] == 0 for r in answerable),
        "empty_questions_noted": sum(r["note"] for r in results if r["kind"] == "empty"),
        "empty_questions": sum(r["kind"] == "empty" for r in results),
        "by_phase": {p: sum(r["phase"] == p for r in results) for p in ("before", "during", "after")},
        "rebuild": {k: (round(v - started, 1) if isinstance(v, float) else v) for k, v in rebuild_info.items()},
        "first_errors": [r["error"] for r in results if r["error"]][:3],
    }
    if verbose:
        print(f"qa load test — {time.strftime('%Y-%m-%d')} — machine: {machine()}")
        rows = [("route", "/api/ask" if target == "api" else "the page's /search"),
                ("questions", summary["questions"]), ("clients", clients), ("wall seconds", summary["seconds"]),
                ("throughput (questions/s)", summary["throughput_qps"]), ("latency p50 (ms)", summary["p50_ms"]),
                ("latency p95 (ms)", summary["p95_ms"]), ("errors", summary["errors"]),
                ("answerable with no passage", summary["empty_answerable"]),
                ("empty questions answered with a note", f"{summary['empty_questions_noted']}/{summary['empty_questions']}"),
                ("questions before / during / after the rebuild",
                 " / ".join(str(summary["by_phase"][p]) for p in ("before", "during", "after"))),
                ("rebuild", summary["rebuild"].get("note") or summary["rebuild"].get("error") or "not triggered"),
                *(("error", e[:300]) for e in summary["first_errors"])]
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            print(f"{k.ljust(width)}  {v}")
    return summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, default=2000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--max-seconds", type=float, default=1800)
    p.add_argument("--no-rebuild", action="store_true")
    p.add_argument("--target", choices=sorted(TARGETS), default="page", help="the page's route or /api/ask")
    p.add_argument("--json", type=Path, help="also write the summary to this JSON file")
    p.add_argument("--quiet", action="store_true", help="no table")
    args = p.parse_args()
    s = run(args.questions, args.clients, args.max_seconds, rebuild=not args.no_rebuild, verbose=not args.quiet,
            target=args.target)
    if args.json:
        args.json.write_text(json.dumps(s, indent=2))
    return 0 if s["errors"] == 0 and s["empty_answerable"] == 0 else 1


if __name__ == "__main__":
    with recorded("load"):
        code = main()
    sys.exit(code)
