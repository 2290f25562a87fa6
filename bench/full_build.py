"""Full build: `papertrends run` over generated feeds against bench/bare_duckdb.sql on the same files.

For each size N (papers; default 100k and 1M, ~10 snapshots each):

1. generate the feed with the generator CLI, quirks off, fixed seed (reused when already there);
2. run `papertrends run` on it into a fresh PAPERTRENDS_HOME, in a subprocess whose whole process
   tree (Dagster, dbt) has its RSS sampled every 0.2 s;
3. read the per-step times of that run from its Dagster event log: the learned-topic step
   (topics/learned_topics: tokenise, k-means, write) is timed there, because the bare script does
   not refit topics but reads that step's output (exported to parquet);
4. run bench/bare_duckdb.sql on the same files into a fresh DuckDB file, in a subprocess, timed
   and RSS-sampled the same way, at DuckDB's default memory limit (80% of RAM) unless
   --bare-memory-limits names others: `default,1GB` also times it at the pipeline's own limit, the
   like-for-like comparison (the pipeline holds the whole run under 2 GB);
5. compare every mart the bare script builds with the pipeline's, row for row; any difference
   fails the benchmark (exit 1) after the report.

Prints a table: size, pipeline s, learned-topic s, pipeline without it, bare s, ratio (target
<= 1.5x), peak RSS of both (target <= 2 GB for the pipeline at 1M), equality; then the scaling
ratio between sizes (target: time at 10x the papers <= 10x), and where the time goes. Times are
wall-clock on one noisy machine: compare ratios within one run, never across runs.

    .venv/bin/python bench/full_build.py                        # 100k and 1M
    .venv/bin/python bench/full_build.py --sizes 20000,100000   # a quicker run
    .venv/bin/python bench/full_build.py --clean                # delete bench/out/full_build afterwards
    .venv/bin/python bench/full_build.py --report bench/out/full_build/results.json   # reprint a report

Disk: the generated feed is ~6 kB per record (10 records a paper: ~6 GB at 100k), and a run
lands a copy of every file, so a size needs about 2.5x its feed in free space.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # bench/ is not a package: imported from its folder
    ARXIV_DIR,
    BARE_MARTS,
    HF_DIR,
    REPO_ROOT,
    bare_command,
    bare_variables,
    compare_marts,
    dbt_results,
    export_learned,
    run_measured,
)

OUT = REPO_ROOT / "bench" / "out" / "full_build"
PAPERTRENDS = Path(sys.executable).with_name("papertrends")
LEARNED_STEP = "topics__learned_topics"
GB = 10**9  # the targets are in GB (decimal)
TARGET_RATIO = 1.5
TARGET_RSS = 2 * GB
DUCKDB_DEFAULT = "default"  # --bare-memory-limits: DuckDB's own default, 80% of the machine's memory
# The processes of a run's tree (bench/_common.py, process_role), in the order a split is printed.
ROLES = ("run", "dbt", "worker")


@dataclass
class SizeResult:
    papers: int
    days: int
    snapshots: int
    records: int = 0
    input_bytes: int = 0
    pipeline_s: float = 0.0
    learned_s: float = 0.0
    bare_s: float = 0.0
    pipeline_rss: int = 0
    bare_rss: int = 0
    bare_limit: str = DUCKDB_DEFAULT  # the first bare run's DuckDB memory_limit: the one compared row for row
    # Each further bare run: {"limit", "seconds", "rss", "rows_equal"} (--bare-memory-limits).
    more_bares: list[dict] = field(default_factory=list)
    # Each bare run that failed, e.g. out of memory at a low limit: {"limit", "error"}. The runs at
    # the other limits still go on; the first that finishes is the one compared row for row.
    failed_bares: list[dict] = field(default_factory=list)
    equal: bool = False
    differences: list[str] = field(default_factory=list)
    steps: list[tuple[str, float]] = field(default_factory=list)
    dbt_nodes: list[tuple[str, float]] = field(default_factory=list)
    load: dict[str, list[float]] = field(default_factory=dict)
    bare_statements: list[tuple[str, float]] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    step_rss: list[tuple[str, int]] = field(default_factory=list)  # peak RSS of the run's tree during each step
    step_rss_by_role: dict[str, dict[str, int]] = field(default_factory=dict)  # that peak by process role

    @property
    def pipeline_without_learned_s(self) -> float:
        return self.pipeline_s - self.learned_s

    @property
    def ratio(self) -> float:
        return self.pipeline_without_learned_s / self.bare_s if self.bare_s else float("nan")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def generate(papers: int, days: int, snapshots: int, seed: int, out: Path) -> Path:
    """The feed for one size, generated once per parameter set (a stamp file marks it complete)."""
    folder = out / f"feed-{papers}p-{days}d-{snapshots}s-seed{seed}"
    stamp = folder / ".complete"
    if stamp.exists():
        say(f"  feed {folder.name}: already generated, reused")
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    say(f"  generating {papers:,} papers over {days} days, {snapshots} snapshots each (quirks off, seed {seed})")
    started = time.perf_counter()
    command = [
        str(PAPERTRENDS), "generate", "--out", str(folder), "--papers", str(papers), "--days", str(days),
        "--snapshots-per-paper", str(snapshots), "--seed", str(seed),
        # Quirks off: plain read_json cannot read Python-repr or wrapped files, and the bare
        # script does not quarantine records (bare_duckdb.sql, "Scope").
        "--quirk-rate", "0",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"generator failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stamp.write_text(json.dumps({"papers": papers, "days": days, "snapshots": snapshots, "seed": seed}))
    say(f"  generated in {time.perf_counter() - started:.0f} s")
    return folder


def step_times(intervals: dict[str, tuple[float, float]]) -> list[tuple[str, float]]:
    """Seconds of each step, longest first."""
    return sorted(((step, end - start) for step, (start, end) in intervals.items()), key=lambda item: -item[1])


def step_intervals(dagster_home: Path) -> dict[str, tuple[float, float]]:
    """(start, end) epoch times of each step of the (only) Dagster run in ``dagster_home``."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        runs = instance.get_runs()
        if len(runs) != 1:
            raise SystemExit(f"expected one Dagster run in {dagster_home}, found {len(runs)}")
        started: dict[str, float] = {}
        intervals: dict[str, tuple[float, float]] = {}
        for entry in instance.all_logs(runs[0].run_id):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                started[event.step_key] = entry.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                intervals[event.step_key] = (started[event.step_key], entry.timestamp)
        return intervals
    finally:
        instance.dispose()


def dbt_node_times(home: Path) -> list[tuple[str, float]]:
    """Seconds of each dbt model and test of the run (its run_results.json files), longest first."""
    times = [(f"{r.kind} {r.name}", float(r.node.get("execution_time") or 0.0)) for r in dbt_results(home)]
    return sorted(times, key=lambda item: -item[1])


def check_pipeline_input(published: Path) -> tuple[int, int]:
    """Records read and quarantined by the run; the bare script only matches a run that quarantined nothing."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        read, quarantined = con.execute(
            "SELECT sum(records_read), sum(records_quarantined) FROM raw.landed_files"
        ).fetchone()
    finally:
        con.close()
    if quarantined:
        raise SystemExit(f"the pipeline quarantined {quarantined} records: the input is not quirk-free")
    return int(read), int(quarantined)


class BareRunFailed(Exception):
    """The bare script exited with an error (its log's last line says which statement and why)."""


def run_size(papers: int, args: argparse.Namespace, results: list[SizeResult]) -> None:
    """Build, time and compare one size; its result is in ``results`` from the start, so a run that
    stops half-way (a timeout, a failed pipeline) still has what it measured reported."""
    result = SizeResult(papers, args.days, args.snapshots)
    results.append(result)
    say(f"size {papers:,}")
    feed = generate(papers, args.days, args.snapshots, args.seed, args.out)
    files = [p for p in feed.rglob("*") if p.is_file()]
    result.input_bytes = sum(p.stat().st_size for p in files if p.suffix in (".json", ".jsonl"))
    work = args.out / f"run-{papers}p"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    home = work / "home"

    say(f"  papertrends run ({result.input_bytes / 1e9:.2f} GB of input) ...")
    env = {**os.environ, "PAPERTRENDS_HOME": str(home)}
    result.load["pipeline"] = list(os.getloadavg())
    measured = run_measured(
        [str(PAPERTRENDS), "run", "--input", str(feed / HF_DIR), "--input", str(feed / ARXIV_DIR)],
        env=env,
        log=work / "pipeline.log",
        timeout=args.timeout,
    )
    if measured.timed_out:
        raise SystemExit(f"papertrends run did not finish in {args.timeout:.0f} s: killed; see {work / 'pipeline.log'}")
    if measured.returncode != 0:
        raise SystemExit(f"papertrends run failed ({measured.returncode}): see {work / 'pipeline.log'}")
    result.pipeline_s, result.pipeline_rss = measured.seconds, measured.peak_rss
    result.load["pipeline"] += os.getloadavg()[:1]
    intervals = step_intervals(home / "dagster")  # the run's event log, read once
    result.steps = step_times(intervals)
    result.step_rss = sorted(
        ((step, measured.peak_between(*interval)) for step, interval in intervals.items()), key=lambda item: -item[1]
    )
    first_step = min((start for start, _ in intervals.values()), default=float("inf"))
    result.step_rss.append(("(before the first step: start-up, landing)", measured.peak_between(0, first_step)))
    result.step_rss_by_role = {step: measured.peak_sample_between(*interval)[2] for step, interval in intervals.items()}
    result.dbt_nodes = dbt_node_times(home)
    result.learned_s = dict(result.steps).get(LEARNED_STEP, 0.0)
    built = home / "published" / "papertrends.duckdb"
    result.records, _ = check_pipeline_input(built)
    say(
        f"  pipeline {result.pipeline_s:.1f} s (learned topics {result.learned_s:.1f} s), "
        f"peak RSS {result.pipeline_rss / GB:.2f} GB, {result.records:,} records"
    )

    if args.pipeline_only:
        return

    if not args.keep_homes:
        # The landed copy of the feed (as big as the feed) is not read again, nor the published copy
        # (a byte copy of the warehouse, which is kept for an increment on this home): freed before
        # the bare script's databases and their spill need the disk (at 1M they did not fit).
        shutil.rmtree(home / "raw", ignore_errors=True)
        shutil.rmtree(home / "published", ignore_errors=True)
        built = home / "warehouse" / "papertrends.duckdb"

    learned = work / "learned"
    export_learned(built, learned)
    run_bares(result, feed, learned, work, built, args)


def run_bares(result: SizeResult, feed: Path, learned: Path, work: Path, built: Path, args: argparse.Namespace) -> None:
    """The bare script at each of ``args.bare_memory_limits``: the first that finishes is compared
    row for row with ``built``, each later one by row counts; a failed one is recorded and skipped."""
    for limit in args.bare_memory_limits:
        try:
            seconds, rss, statements = run_bare_measured(feed, learned, work, limit, args, result)
        except BareRunFailed as failure:
            result.failed_bares.append({"limit": limit, "error": str(failure)})
            say(f"  bare at {limit} FAILED: {failure}")
            database = bare_database(work, limit)
            for leftover in (database, database.with_name(f"{database.name}.wal")):
                leftover.unlink(missing_ok=True)
            continue
        if not result.bare_s:
            result.bare_limit, result.bare_s, result.bare_rss, result.bare_statements = limit, seconds, rss, statements
            compare_first_bare(result, built, work, args)
        else:
            rows = bare_mart_rows(bare_database(work, limit))
            result.more_bares.append(
                {"limit": limit, "seconds": seconds, "rss": rss, "rows_equal": rows == result.mart_rows}
            )
            say(f"  its marts have the pipeline's row counts: {'yes' if rows == result.mart_rows else 'NO'}")


def compare_first_bare(result: SizeResult, built: Path, work: Path, args: argparse.Namespace) -> None:
    """Compare the first bare run that finished with the pipeline's marts, row for row."""
    bare_db = bare_database(work, result.bare_limit)
    say("  comparing marts row for row ...")
    diffs = compare_marts(built, bare_db, BARE_MARTS)
    result.mart_rows = {d.table: d.rows for d in diffs}
    result.differences = [f"{d.table}: {problem}" for d in diffs for problem in d.problems]
    result.equal = not result.differences
    say(
        f"  marts equal: {'yes' if result.equal else 'NO'} ({sum(result.mart_rows.values()):,} rows in {len(diffs)} marts)"
    )
    for line in result.differences:
        print(f"    {line}", flush=True)
    if len(args.bare_memory_limits) > 1 and not args.keep_homes:
        bare_db.unlink()  # compared: at 1M a second bare database and its spill need the disk


def bare_suffix(limit: str) -> str:
    """The suffix of a bare run's files: none at DuckDB's default (the names runs have always had)."""
    return "" if limit == DUCKDB_DEFAULT else f"-{limit}"


def bare_database(work: Path, limit: str) -> Path:
    return work / f"bare{bare_suffix(limit)}.duckdb"


def run_bare_measured(
    feed: Path, learned: Path, work: Path, limit: str, args: argparse.Namespace, result: SizeResult
) -> tuple[float, int, list[tuple[str, float]]]:
    """Run the bare script at one DuckDB memory limit in its own process: seconds, peak RSS, statements."""
    label = bare_suffix(limit)
    say(f"  bare_duckdb.sql (DuckDB memory_limit {limit}) ...")
    database, timings, log = (
        bare_database(work, limit),
        work / f"bare{label}_statements.json",
        work / f"bare{label}.log",
    )
    result.load[f"bare{label}"] = list(os.getloadavg())
    command = bare_command(database, bare_variables(feed, learned), timings, None if limit == DUCKDB_DEFAULT else limit)
    measured = run_measured(command, log=log, timeout=args.timeout)
    if measured.timed_out:
        raise SystemExit(f"bare_duckdb.sql did not finish in {args.timeout:.0f} s: killed; see {log}")
    if measured.returncode != 0:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        reason = next(
            (line for line in reversed(lines) if line.startswith("RuntimeError: ")), lines[-1] if lines else ""
        )
        raise BareRunFailed(f"exit {measured.returncode}, {reason.removeprefix('RuntimeError: ')} (see {log})")
    result.load[f"bare{label}"] += os.getloadavg()[:1]
    say(f"  bare at {limit}: {measured.seconds:.1f} s, peak RSS {measured.peak_rss / GB:.2f} GB")
    statements = sorted((tuple(t) for t in json.loads(timings.read_text())), key=lambda t: -t[1])
    return measured.seconds, measured.peak_rss, statements


def bare_mart_rows(database: Path) -> dict[str, int]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {table: con.execute(f'SELECT count(*) FROM marts."{table}"').fetchone()[0] for table in BARE_MARTS}
    finally:
        con.close()


def mark(ok: bool) -> str:
    return "ok" if ok else "MISS"


def report(results: list[SizeResult]) -> None:
    print()
    print(
        f"{'papers':>10} {'records':>11} {'pipeline s':>11} {'learned s':>10} {'pipe-learned':>13} {'bare s':>8}"
        f" {'ratio':>7} {'(<=1.5)':>8} {'RSS pipe GB':>13} {'(<=2 GB)':>8} {'RSS bare GB':>13} {'equal':>6}"
    )
    for r in results:
        bare = r.bare_s > 0  # not with --pipeline-only
        print(
            f"{r.papers:>10,} {r.records:>11,} {r.pipeline_s:>11.1f} {r.learned_s:>10.1f}"
            f" {r.pipeline_without_learned_s:>13.1f} {r.bare_s:>8.1f} {r.ratio:>6.2f}x"
            f" {mark(r.ratio <= TARGET_RATIO) if bare else '-':>8} {r.pipeline_rss / GB:>13.2f}"
            f" {mark(r.pipeline_rss <= TARGET_RSS):>8} {r.bare_rss / GB:>13.2f} {('OK' if r.equal else 'DIFF') if bare else '-':>6}"
        )
    print("ratio = (pipeline - learned-topic step) / bare: the bare script reads that step's output.")
    for r in results:
        if r.bare_s > 0:
            print(
                f"  at {r.papers:,}: bare at DuckDB memory_limit {r.bare_limit}: {r.ratio:.2f}x (compared row for row)"
            )
        for failed in r.failed_bares:
            print(f"  at {r.papers:,}: bare at DuckDB memory_limit {failed['limit']}: FAILED, {failed['error']}")
        for bare in r.more_bares:
            ratio = r.pipeline_without_learned_s / bare["seconds"]
            print(
                f"  at {r.papers:,}: bare at DuckDB memory_limit {bare['limit']}: {bare['seconds']:.1f} s, {ratio:.2f}x"
                f" ({mark(ratio <= TARGET_RATIO)}), peak RSS {bare['rss'] / GB:.2f} GB,"
                f" mart row counts {'equal' if bare['rows_equal'] else 'DIFFER'}"
            )
    for small, large in itertools.pairwise(r for r in results if r.bare_s > 0):
        grow = large.papers / small.papers
        for name, a, b in (
            ("pipeline", small.pipeline_s, large.pipeline_s),
            ("pipeline-learned", small.pipeline_without_learned_s, large.pipeline_without_learned_s),
            ("bare", small.bare_s, large.bare_s),
        ):
            print(
                f"scaling {name}: {large.papers:,} / {small.papers:,} papers ({grow:.0f}x) took {b / a:.2f}x the time"
                f" (target <= {grow:.0f}x: {mark(b / a <= grow)})"
            )
    for r in results:
        loads = ", ".join(f"{name} {' / '.join(f'{x:.1f}' for x in values)}" for name, values in r.load.items())
        print(f"load average (1, 5, 15 min before; 1 min after) at {r.papers:,}: {loads}")
    for r in results:
        print(f"\nwhere the time goes at {r.papers:,} papers")
        print("  pipeline (Dagster steps, longest first; the rest of the wall time is start-up and landing):")
        for step, seconds in r.steps[:8]:
            print(f"    {seconds:8.1f} s  {step}")
        print(
            f"    {r.pipeline_s - sum(s for _, s in r.steps):8.1f} s  outside steps (start-up, landing, Dagster between steps)"
        )
        print("  peak RSS of the whole process tree during each step (highest first):")
        for step, rss in sorted(r.step_rss, key=lambda item: -item[1])[:6]:
            roles = r.step_rss_by_role.get(step, {})
            split = " + ".join(f"{role} {roles[role] / GB:.2f}" for role in ROLES if role in roles)
            print(f"    {rss / GB:8.2f} GB  {step}{f'  ({split})' if split else ''}")
        print("  inside the dbt steps (dbt's own time per model or test, longest first):")
        for node, seconds in r.dbt_nodes[:10]:
            print(f"    {seconds:8.1f} s  {node}")
        print("  bare (statements, longest first):")
        for label, seconds in r.bare_statements[:8]:
            print(f"    {seconds:8.1f} s  {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated paper counts")
    parser.add_argument("--days", type=int, default=260, help="listing days (weekdays; 260 = one year)")
    parser.add_argument("--snapshots", type=int, default=10, help="observations of each paper")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=OUT, help="working folder (default bench/out/full_build)")
    parser.add_argument(
        "--timeout", type=float, default=6 * 3600, help="seconds before a run counts as hung and is killed"
    )
    parser.add_argument("--keep-homes", action="store_true", help="keep each run's landed copy of the feed")
    parser.add_argument("--clean", action="store_true", help="delete the working folder at the end")
    parser.add_argument(
        "--pipeline-only",
        action="store_true",
        help="time and memory of papertrends run alone, by step (no bare script, no ratio, no comparison)",
    )
    parser.add_argument(
        "--bare-memory-limits",
        type=lambda text: [limit.strip() for limit in text.split(",") if limit.strip()],
        default=[DUCKDB_DEFAULT],
        help="DuckDB memory_limit of each bare run, comma-separated (default: DuckDB's own, 80%% of RAM);"
        " the first run is compared row for row, each further one by row counts and gets its own ratio;"
        " e.g. default,1GB also times the bare script at the pipeline's limit",
    )
    parser.add_argument("--report", type=Path, help="print the report of an earlier run's results.json and exit")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress and report reach a pipe or log as they happen
    if args.report:
        fields = {f for f in SizeResult.__dataclass_fields__}
        report([SizeResult(**{k: v for k, v in r.items() if k in fields}) for r in json.loads(args.report.read_text())])
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)

    results: list[SizeResult] = []
    try:
        for papers in sizes:
            run_size(papers, args, results)
    finally:
        if results:
            report(results)
            (args.out / "results.json").write_text(
                json.dumps([asdict(r) | {"ratio": r.ratio} for r in results], indent=1), encoding="utf-8"
            )
        if args.clean:
            shutil.rmtree(args.out, ignore_errors=True)
            say(f"removed {args.out}")
    if args.pipeline_only:
        return 0
    if not all(r.bare_s for r in results):
        print("\nFAILED: at some size no bare run finished (above): nothing to compare with.", file=sys.stderr)
        return 1
    if not all(r.equal and all(b["rows_equal"] for b in r.more_bares) for r in results):
        print("\nFAILED: the bare script's marts differ from the pipeline's (above).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
