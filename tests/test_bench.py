"""The scale bench still works: bench/scale.py run small (20,000 passages), its tables complete and its numbers
sane. (The measurements themselves are the bench's, in bench/results/; nothing here is timed.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.server  # it starts answering processes


def test_the_scale_bench_runs_small(tmp_path):
    env = {**os.environ, "QA_BENCH_RESULTS": str(tmp_path / "results"), "QA_BENCH_DATA": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--passages", "20000", "--runs", "1",
                          "--questions", "20"], capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    kept = (tmp_path / "results" / "scale-20000.txt").read_text()
    assert kept.startswith("$ python bench/scale.py --passages 20000")
    for heading in ("build of 20,000 passages", "the index on disk", "answering processes", "qa serve --processes N",
                    "Index.answer, k=10", "BM25 alone"):
        assert heading in kept, heading
    rows = {line.split("  ")[0]: line.split() for line in kept.splitlines() if "process" in line and "," in line}
    mapped = {name: float(cells[-1]) for name, cells in rows.items() if cells[-1].replace(".", "").isdigit()}
    assert mapped["1 process, copy"] == mapped["2 processes, copy"] == 0  # each its own copy: nothing mapped
    assert 0 < mapped["1 process, mmap"] < mapped["2 processes, mmap"] < 2 * mapped["1 process, mmap"]  # shared
    # the served trees: the server, its fork server (and multiprocessing's resource tracker), 1 or 2 answering ones
    served = {line.split()[1]: line.split() for line in kept.splitlines() if line.startswith("--processes ")}
    assert int(served["2"][2]) == int(served["1"][2]) + 1 >= 4, served
    assert float(served["1"][4]) < float(served["2"][4])
    assert not (ROOT / "bench" / "results" / "scale-100000.txt").read_text().startswith("$ python bench/scale.py --passages 20000")
