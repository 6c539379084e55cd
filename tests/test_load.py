"""The load test in its short form: 160 questions from 8 clients with a rebuild in the middle (the full run,
2,000 questions from 16 clients, is `python bench/load.py`)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import load  # noqa: E402


@pytest.mark.load
def test_concurrent_questions_with_a_rebuild_in_the_middle():
    s = load.run(n_questions=160, clients=8, max_seconds=600, verbose=False)
    assert s["questions"] == 160
    assert s["errors"] == 0, s["first_errors"]
    assert s["empty_answerable"] == 0
    assert s["empty_questions_noted"] == s["empty_questions"] > 0
    assert "Rebuilt:" in s["rebuild"].get("note", ""), s["rebuild"]
    assert s["by_phase"]["before"] > 0 and s["by_phase"]["during"] + s["by_phase"]["after"] > 0
