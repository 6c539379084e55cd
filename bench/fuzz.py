"""The long fuzz run: 10,000 generated hostile questions per mode against the seeds index (CI runs 150).

    python bench/fuzz.py [--examples 10000]

Prints a table: questions per mode, exceptions (must be 0), refusals as empty, and the time taken.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import recorded  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=10_000)
    args = p.parse_args()
    started = time.perf_counter()
    env = {**os.environ, "QA_FUZZ_EXAMPLES": str(args.examples)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(ROOT / "tests" / "test_fuzz.py"), "-k", "never_raise"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
    print(f"qa fuzz — {time.strftime('%Y-%m-%d')} — {os.cpu_count()} cores")
    print(f"{'generated questions per mode':32}  {args.examples}")
    print(f"{'modes':32}  dense, hybrid, lexical")
    print(f"{'result':32}  {tail}")
    print(f"{'wall seconds':32}  {time.perf_counter() - started:.0f}")
    return result.returncode


if __name__ == "__main__":
    with recorded("fuzz"):
        code = main()
    sys.exit(code)
