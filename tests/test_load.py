"""The load test in its short form: 160 questions from 8 clients with a rebuild in the middle, on the page's route
and on /api/ask (the full runs, 2,000 and 5,000 questions from 16 clients, are `python bench/load.py`)."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

pytestmark = [pytest.mark.load, pytest.mark.model]


@pytest.mark.parametrize("target", ["page", "api"])
def test_concurrent_questions_with_a_rebuild_in_the_middle(tmp_path, target):
    out = tmp_path / "load.json"
    kept = (ROOT / "bench" / "results" / "load.txt").read_bytes()
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--questions", "160", "--clients", "8",
                             "--max-seconds", "600", "--quiet", "--json", str(out), "--target", target],
                            capture_output=True, text=True, timeout=900)
    s = json.loads(out.read_text())
    assert s["questions"] == 160, result.stderr[-2000:]
    assert (ROOT / "bench" / "results" / "load.txt").read_bytes() == kept  # the acceptance run's results stay
    assert s["errors"] == 0, s["first_errors"]
    assert s["empty_answerable"] == 0
    assert s["empty_questions_noted"] == s["empty_questions"] > 0
    assert "Rebuilt:" in s["rebuild"].get("note", ""), s["rebuild"]
    assert s["by_phase"]["before"] > 0 and s["by_phase"]["during"] + s["by_phase"]["after"] > 0
