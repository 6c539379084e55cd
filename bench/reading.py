"""What the reading budget costs a normal build: files parsed in the reading worker (a ``python -m qa.read``
process under RLIMIT_AS and a time limit) against parsed in the building process, as before issue 20.

Two folders: the seeds (five text files), and the seeds with three Chromium-printed PDF reports (30 pages each)
and a Word file. For each, in this process and alternating, a whole build as users get it (``build_index`` with
the real model, from scratch) with and without the worker, median of ``--runs``, in wall and in CPU seconds (the worker's included); and the reading alone (list,
open, parse) both ways, so that the worker's share is seen apart from the noise of a build. Also: what starting
the worker costs, once per process. Run: ``python bench/reading.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, machine, recorded, table  # noqa: E402


def make_folders(work: Path) -> dict[str, Path]:
    import docx
    from pdf_extract import make_pdf

    seeds = work / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    (seeds / "gold.jsonl").unlink(missing_ok=True)  # the build alone: no calibration on a gold set
    mixed = work / "mixed"
    shutil.copytree(seeds, mixed)
    pdf = make_pdf(30)
    for i in range(3):
        (mixed / f"report-{i}.pdf").write_bytes(pdf)
    document = docx.Document()
    document.add_heading("Port logistics", 1)
    for i in range(60):
        document.add_paragraph(f"Paragraph {i}: container throughput at the northern ports rose again, "
                               f"and the new berths at Lach Huyen took ships of {i + 10},000 tonnes.")
    document.save(mixed / "logistics.docx")
    return {"seeds": seeds, "seeds + 3 PDFs + 1 .docx": mixed}


def read_all(folder: Path) -> float:
    from qa.read.documents import iter_documents, list_files

    started = time.perf_counter()
    items = list(iter_documents(folder, list_files(folder), 10 * 2**20))
    assert all(hasattr(i, "text") for i in items), [getattr(i, "reason", "") for i in items]
    return time.perf_counter() - started


def _worker_cpu() -> float:
    """CPU seconds the reading worker has used so far (0 when none runs)."""
    import os

    from qa.read.worker import reader

    proc = reader(1024.0).proc
    if proc is None or proc.poll() is not None:
        return 0.0
    fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build(folder: Path, index_dir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and the reading worker) of one build from scratch."""
    import os

    from qa import Settings
    from qa.service import build_index

    shutil.rmtree(index_dir, ignore_errors=True)
    cpu, worker = os.times(), _worker_cpu()
    started = time.perf_counter()
    build_index(folder, index_dir, Settings())
    wall = time.perf_counter() - started
    done = os.times()
    return wall, done.user - cpu.user + done.system - cpu.system + _worker_cpu() - worker


_CLI = ("import sys; from qa.read import documents; documents.ISOLATE = sys.argv[1] == 'worker'; "
        "from qa.cli import main; sys.exit(main(sys.argv[2:]))")


def cold_index(folder: Path, index_dir: Path, how: str) -> float:
    """Wall seconds of `qa index FOLDER` in a fresh process (model loading and the worker's start included)."""
    import subprocess

    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CLI, how, "index", str(folder), "--index-dir", str(index_dir), "-q"],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from qa.read import documents
    from qa.read.worker import reader

    with recorded("reading"), tempfile.TemporaryDirectory() as tmp:
        print(machine())
        work = Path(tmp)
        folders = make_folders(work)
        worker = reader(1024.0)
        started = time.perf_counter()
        worker._start()  # what the first file of a build pays once
        start_cost = time.perf_counter() - started
        rows, reading_rows = [], []
        for name, folder in folders.items():
            times: dict[bool, list[float]] = {True: [], False: []}
            cpus: dict[bool, list[float]] = {True: [], False: []}
            reads: dict[bool, list[float]] = {True: [], False: []}
            build(folder, work / "warm")  # model loaded and exported once, caches warm
            for _ in range(args.runs):
                for isolate in (False, True):
                    documents.ISOLATE = isolate
                    reads[isolate] += [read_all(folder) for _ in range(3)]
                    wall, cpu = build(folder, work / "ix")
                    times[isolate].append(wall)
                    cpus[isolate].append(cpu)
            documents.ISOLATE = True
            here, there = statistics.median(times[False]), statistics.median(times[True])
            read_here, read_there = statistics.median(reads[False]), statistics.median(reads[True])
            cpu_here, cpu_there = statistics.median(cpus[False]), statistics.median(cpus[True])
            rows.append([name, here, there, 100 * (there - here) / here, cpu_here, cpu_there,
                         100 * (cpu_there - cpu_here) / cpu_here])
            reading_rows.append([name, 1000 * read_here, 1000 * read_there, 100 * (read_there - read_here) / here])
        import os

        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} cores "
              f"(other work on the machine makes wall times noisy; CPU seconds less so)")
        table(f"A whole build from scratch (real model, onnx-int8), median of {args.runs} runs alternating, seconds",
              ["folder", "wall, parsed in the build", "wall, in the worker", "difference %", "CPU, in the build",
               "CPU, in the worker (both processes)", "difference %"], rows, "{:.2f}")
        table(f"The reading alone (list, open, parse), median of {3 * args.runs} alternating, milliseconds; its "
              f"difference as a share of the build parsed in process: the budget's cost, apart from a build's noise",
              ["folder", "in the build", "in the worker", "share of the build %"], reading_rows, "{:.1f}")
        print(f"\nStarting the worker (python -m qa.read, its readers imported): {start_cost * 1000:.0f} ms, once "
              f"per build process, while the build loads its model")
        cold = {"build": [], "worker": []}
        for _ in range(args.runs):
            for how in cold:
                cold[how].append(cold_index(folders["seeds"], work / "cold", how))
        here, there = statistics.median(cold["build"]), statistics.median(cold["worker"])
        table(f"`qa index seeds/` in a fresh process (model loading included), median of {args.runs}, seconds",
              ["", "parsed in the build", "parsed in the worker", "difference %"],
              [["wall", here, there, 100 * (there - here) / here]], "{:.2f}")


if __name__ == "__main__":
    main()
