"""Cost of one more day: into a large warehouse, and into an empty one (issue 6, target <= 1.2x).

    .venv/bin/python bench/increment.py                 # 1M papers (hours to build the base)
    .venv/bin/python bench/increment.py --quick         # 50k papers
    .venv/bin/python bench/increment.py --papers 200000 --workdir /data/bench --keep

1. ``papertrends generate`` writes a feed of ``--papers`` papers over ``--days`` weekdays
   (default: about 3,000 papers a day, the real feed's volume), ``--snapshots-per-paper``
   fetches of each day's list, and the arXiv listings.
2. The files of the last listing day (its first fetch and re-fetches, and the arXiv listings of
   that day and after) are set aside as "the new day"; the rest is "the history".
3. ``papertrends run`` builds the history into home ``big`` (not timed; it takes long at 1M), and
   a copy is kept as ``base``: with ``--workdir`` and ``--keep``, a later call reuses it (restored
   to the same path, so that dbt's partial parsing state stays valid) and times again.
4. Timed: ``papertrends run --input <new day>`` into ``big`` (incremental), then into a fresh home
   ``empty`` (a first build of that day alone). Both are whole CLI runs, wall clock.

5. Timed: ``papertrends run`` over the whole feed (history and new day) into ``big`` again, which
   must do nothing: the no-op figure at this size (every input file is known to the landing).

Prints both times, their ratio against the 1.2x target, and each run's Dagster steps (seconds),
so that what grows with the history shows by name. Times are of one run on one machine: compare
them within a run, not across machines.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.2
NOOP_TARGET_SECONDS = 10.0
PAPERS_PER_DAY = 3_000
FEEDS = ("hf-daily-papers", "arxiv-daily-listings")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def cli(*args: str, home: Path | None = None, log: Path | None = None) -> float:
    """Run ``papertrends ARGS`` (home: PAPERTRENDS_HOME), return its wall time; fail loudly."""
    env = dict(os.environ, COLUMNS="200")
    if home is not None:
        env["PAPERTRENDS_HOME"] = str(home)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if log is not None:
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        sys.exit(f"papertrends {' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return seconds


def split_last_day(feed: Path, new_day: Path) -> str:
    """Move the files of the feed's last HF listing day (and later arXiv days) to ``new_day``."""
    hf = feed / FEEDS[0]
    last = max(m.group(1) for p in hf.glob("*.json") if (m := _DATE.match(p.name)))
    for name in FEEDS:
        source, target = feed / name, new_day / name
        target.mkdir(parents=True, exist_ok=True)
        moved = []
        for path in sorted(source.iterdir()):
            match = _DATE.match(path.name)
            if match and match.group(1) >= last:
                shutil.move(path, target / path.name)
                moved.append(path.name)
        # Each folder keeps the manifest rows of its own files (the fetch times of the re-fetches).
        manifest = source / "manifest.csv"
        if manifest.exists():
            with manifest.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            for folder, wanted in ((source, False), (target, True)):
                with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(r for r in rows if (r["file"] in moved) == wanted)
    return last


def step_seconds(home: Path) -> dict[str, float]:
    """The last Dagster run's steps in ``home``, in seconds."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        return {
            s.step_key: round((s.end_time or s.start_time) - s.start_time, 2)
            for s in instance.get_run_step_stats(runs[0].run_id)
            if s.start_time is not None
        }


def rows(home: Path, table: str) -> int:
    import duckdb

    con = duckdb.connect(str(home / "published" / "papertrends.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=1_000_000, help="papers in the whole feed (default 1M)")
    parser.add_argument("--quick", action="store_true", help="50k papers, for trying the bench out")
    parser.add_argument("--days", type=int, help=f"listing days (default: papers / {PAPERS_PER_DAY:,})")
    parser.add_argument("--snapshots-per-paper", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where feed and homes go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the base home can be reused)")
    args = parser.parse_args()
    papers = 50_000 if args.quick else args.papers
    days = args.days or max(2, round(papers / PAPERS_PER_DAY))

    work = (
        args.workdir or Path(tempfile.mkdtemp(prefix="papertrends-increment-"))
    ).resolve()  # DAGSTER_HOME must be absolute
    work.mkdir(parents=True, exist_ok=True)
    feed, new_day, big, empty, base = (work / name for name in ("feed", "new_day", "big", "empty", "base"))
    try:
        if (base / "published" / "papertrends.duckdb").exists():
            print("restoring the history home from its copy …")
            shutil.rmtree(big, ignore_errors=True)
            shutil.copytree(base, big, symlinks=True)
        else:
            for folder in (feed, new_day, big):
                shutil.rmtree(folder, ignore_errors=True)
            print(f"generating {papers:,} papers over {days} days, {args.snapshots_per_paper} fetches each …")
            seconds = cli(
                "generate", "--papers", str(papers), "--days", str(days),
                "--snapshots-per-paper", str(args.snapshots_per_paper), "--seed", str(args.seed),
                "--out", str(feed), "--compact",
            )  # fmt: skip
            last = split_last_day(feed, new_day)
            print(f"  {seconds:.0f} s; the new day is {last}")
            print("building the history into the big home (not timed) …")
            seconds = cli(
                "run", *(a for f in FEEDS for a in ("--input", str(feed / f))), home=big, log=work / "big.log"
            )
            print(f"  {seconds:.0f} s")
            shutil.copytree(big, base, symlinks=True)
        history_papers = rows(big, "marts.dim_papers")
        inputs = [a for f in FEEDS for a in ("--input", str(new_day / f))]

        shutil.rmtree(empty, ignore_errors=True)
        print(f"adding the new day to the big home ({history_papers:,} papers) …")
        big_seconds = cli("run", *inputs, home=big, log=work / "increment_big.log")
        big_steps = step_seconds(big)
        print("adding the same day to an empty home …")
        empty_seconds = cli("run", *inputs, home=empty, log=work / "increment_empty.log")
        empty_steps = step_seconds(empty)
        day_papers = rows(empty, "marts.dim_papers")
        print("running again over the whole feed (history and new day) into the big home: nothing new …")
        everything = [a for folder in (feed, new_day) for f in FEEDS for a in ("--input", str(folder / f))]
        noop_seconds = cli("run", *everything, home=big, log=work / "noop_big.log")
        if "nothing new" not in (work / "noop_big.log").read_text(encoding="utf-8"):
            sys.exit(f"the rerun over the whole feed was not a no-op: see {work / 'noop_big.log'}")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    ratio = big_seconds / empty_seconds
    print()
    print(f"history: {history_papers:,} papers; new day: {day_papers:,} papers")
    print(f"one more day into the big home:   {big_seconds:7.1f} s")
    print(f"the same day into an empty home:  {empty_seconds:7.1f} s")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"ratio {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    verdict = "meets" if noop_seconds <= NOOP_TARGET_SECONDS else "misses"
    print(
        f"the whole feed again (nothing new) into the big home: {noop_seconds:.1f} s"
        f" ({verdict} the {NOOP_TARGET_SECONDS:g} s no-op target)"
    )
    print()
    print(f"{'step':58s} {'big':>8s} {'empty':>8s}")
    for step in sorted(set(big_steps) | set(empty_steps), key=lambda s: -big_steps.get(s, 0)):
        print(f"{step:58s} {big_steps.get(step, 0):8.2f} {empty_steps.get(step, 0):8.2f}")


if __name__ == "__main__":
    main()
