"""A batch of questions against the same questions one request each: `qa serve` on the seeds, 100 gold questions
(cycled), k=3, from one keep-alive client; median of several runs; the answers compared one by one.

    python bench/batch.py [--runs 5] [--questions 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse

from common import ROOT, machine, recorded, served, table


def questions(n: int) -> list[str]:
    gold = [json.loads(line)["question"] for line in (ROOT / "seeds" / "gold.jsonl").read_text().splitlines()
            if line.strip()]
    return [gold[i % len(gold)] for i in range(n)]


def one_by_one(conn: http.client.HTTPConnection, qs: list[str]) -> tuple[float, list[dict]]:
    started, answers = time.perf_counter(), []
    for q in qs:
        conn.request("GET", "/api/ask?k=3&q=" + urllib.parse.quote(q))
        response = conn.getresponse()
        answers.append(json.loads(response.read()))
    return time.perf_counter() - started, answers


def batched(conn: http.client.HTTPConnection, qs: list[str]) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    conn.request("POST", "/api/ask/batch", body=json.dumps({"questions": [{"question": q, "k": 3} for q in qs]}),
                 headers={"Content-Type": "application/json"})
    answers = json.loads(conn.getresponse().read())["answers"]
    return time.perf_counter() - started, answers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--questions", type=int, default=100)
    args = ap.parse_args()
    qs = questions(args.questions)
    with served() as (port, _):
        print(f"qa batch bench on {machine()}; {len(qs)} questions of the seeds' gold set, k=3, hybrid")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        one_by_one(conn, qs[:10]), batched(conn, qs[:10])  # warm up
        singles, batches, same = [], [], True
        for _ in range(args.runs):
            seconds, single_answers = one_by_one(conn, qs)
            singles.append(seconds)
            seconds, batch_answers = batched(conn, qs)
            batches.append(seconds)
            same &= single_answers == batch_answers
        s, b = statistics.median(singles), statistics.median(batches)
        table(f"{len(qs)} questions, median of {args.runs} runs (seconds)", ["how", "seconds", "questions/s",
                                                                           "time / one by one"],
              [[f"{len(qs)} GET /api/ask, one after another", s, len(qs) / s, 1.0],
               ["one POST /api/ask/batch", b, len(qs) / b, b / s]])
        print(f"\nsame answers, question by question: {'yes' if same else 'NO'}; acceptance: batch <= 0.5 x one by "
              f"one: {'yes' if b <= 0.5 * s else 'NO'} ({b / s:.2f})")
    return 0 if same else 1


if __name__ == "__main__":
    with recorded("batch"):
        code = main()
    sys.exit(code)
