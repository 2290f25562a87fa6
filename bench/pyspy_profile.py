"""A py-spy profile of any command, summarised as text: where its CPU samples go.

    .venv/bin/python bench/pyspy_profile.py [--top 15] [--rate 50] [--out FILE] -- COMMAND [ARGS...]

Records COMMAND and its subprocesses with ``py-spy record`` and prints the functions with the
most samples, by self time (the frame on top of the stack) and by inclusive time (the frame
anywhere in the stack), as shares of all samples: the evidence bench/RESULTS.md quotes. The raw
collapsed stacks go to ``--out`` for a flame graph (e.g. speedscope, inferno). py-spy needs
ptrace rights (root or CAP_SYS_PTRACE).

    .venv/bin/python bench/pyspy_profile.py -- .venv/bin/papertrends run --input bench/out/full_build/feed-10000p-260d-10s-seed42
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PY_SPY = Path(sys.executable).with_name("py-spy")


def record(command: list[str], out: Path, rate: int = 50) -> None:
    """py-spy record COMMAND (with its subprocesses) into ``out`` as collapsed stacks."""
    done = subprocess.run(
        [str(PY_SPY), "record", "--format", "raw", "--rate", str(rate), "--subprocesses", "--output", str(out), "--", *command],
        cwd=REPO_ROOT,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"py-spy record failed ({done.returncode}): the command failed, or py-spy lacks ptrace rights")


def shares(collapsed: Path, top: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """All samples, and the functions with the most (self, inclusive), from "a;b;c count" lines."""
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        self_time[frames[-1]] += samples
        for frame in set(frames):  # a recursive frame counts once per sample
            inclusive[frame] += samples
    return total, self_time.most_common(top), inclusive.most_common(top)


def report(collapsed: Path, top: int, rate: int) -> None:
    total, by_self, by_inclusive = shares(collapsed, top)
    print(f"\npy-spy: {total:,} samples at {rate}/s over the process tree")
    for title, rows in (("self (on top of the stack)", by_self), ("inclusive (anywhere in the stack)", by_inclusive)):
        print(f"  {title}:")
        for name, samples in rows:
            print(f"    {samples / max(total, 1):6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--rate", type=int, default=50, help="samples a second")
    parser.add_argument("--out", type=Path, help="keep the collapsed stacks here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to profile (put it after --)")
    with tempfile.TemporaryDirectory() as folder:
        out = args.out or Path(folder) / "stacks.txt"
        record(command, out, args.rate)
        report(out, args.top, args.rate)


if __name__ == "__main__":
    main()
