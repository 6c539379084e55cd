"""`qa eval` on the seeds' gold set and on CACM, as a user runs them, each kept in bench/results/ (eval-seeds.txt,
eval-cacm.txt) with the machine named.

    python bench/eval.py [--only seeds|cacm]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from common import QA, ROOT, machine, recorded

CACM = ROOT.parent / "shared" / "datasets" / "cacm"
RUNS = {"seeds": ("eval-seeds", []), "cacm": ("eval-cacm", ["--beir", str(CACM)])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(RUNS))
    args = ap.parse_args()
    for name in [args.only] if args.only else list(RUNS):
        result, options = RUNS[name]
        with tempfile.TemporaryDirectory() as tmp, recorded(result):
            # a fresh index root: the evaluation builds what it evaluates, as on a new machine
            env = {**os.environ, "QA_INDEX_DIR": tmp}
            done = subprocess.run([QA, "eval", *options], capture_output=True, text=True, env=env, cwd=ROOT)
            if done.returncode:
                sys.stderr.write(done.stderr)
                raise SystemExit(done.returncode)
            shown = " ".join(o.replace(str(ROOT.parent), "..") for o in options)
            print(f"qa eval {shown} on {machine()}".replace("  ", " "))
            print(done.stdout.replace(str(ROOT) + "/", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
