"""Fixed overhead: a run with nothing new to do, against the 10 s target (issue 6).

    .venv/bin/python bench/noop_run.py [--input FOLDER] [--repeat 3]

Runs ``papertrends run`` (the CLI, a fresh process each time) into a new PAPERTRENDS_HOME:
once to build and publish (reported for reference), then again ``--repeat`` times over the same
inputs, which must each say "nothing new: published copy is current" and leave the published
file untouched. Prints each no-op wall time and the slowest against the target. Default input:
the bundled sample (data/sample).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0


def run(home: Path, inputs: list[Path]) -> tuple[float, str]:
    env = dict(os.environ, PAPERTRENDS_HOME=str(home), COLUMNS="200")
    args = [a for path in inputs for a in ("--input", str(path))]
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"papertrends run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, action="append", help="input file or folder (default: data/sample)")
    parser.add_argument("--repeat", type=int, default=3, help="no-op runs to time")
    args = parser.parse_args()
    inputs = args.input or [REPO_ROOT / "data" / "sample"]

    with tempfile.TemporaryDirectory(prefix="papertrends-noop-") as folder:
        home = Path(folder)
        first, _ = run(home, inputs)
        published = home / "published" / "papertrends.duckdb"
        stamp = published.stat().st_mtime_ns
        times = []
        for _ in range(args.repeat):
            seconds, out = run(home, inputs)
            if "nothing new: published copy is current" not in out:
                sys.exit(f"the repeated run was not a no-op:\n{out}")
            if published.stat().st_mtime_ns != stamp:
                sys.exit("the no-op run touched the published copy")
            times.append(seconds)

    worst = max(times)
    print(f"inputs: {', '.join(map(str, inputs))}")
    print(f"first run (build and publish): {first:6.1f} s")
    print(f"no-op runs:                    {', '.join(f'{t:.2f}' for t in times)} s")
    verdict = "meets" if worst <= TARGET_SECONDS else "misses"
    print(
        f"slowest no-op {worst:.2f} s, {worst / first:.1%} of the first run ({verdict} the {TARGET_SECONDS:g} s target)"
    )


if __name__ == "__main__":
    main()
