"""Ingestion throughput: land + ingest against bare readers of the same files, and peak memory.

Prints one table of figures measured in one run (ratios within the run are the figures to
compare across machines); never asserts a time. Usage:

    .venv/bin/python bench/ingest_throughput.py [FOLDER] [--workers N]
    .venv/bin/python bench/ingest_throughput.py --replicate DAYS SNAPSHOTS PAPERS [--out DIR]

FOLDER defaults to ../shared/data/hf-daily-papers, else data/sample; a `papertrends generate`
output folder works too. ``--replicate`` first writes a scaled HF feed under bench/out/ (real
records from ../shared/data with new ids and dates: DAYS listing days, SNAPSHOTS fetches of each
day, PAPERS records a file; every 7th day Python-repr strings, every 11th a status wrapper, one
record in 2,000 with negative upvotes) and measures that.

Rows: bare ``json.loads`` (read + parse, one process, what any Python reader pays), bare DuckDB
``read_json`` into a table (C++, all cores), then papertrends' landing (check, hash, copy every
file) and ingestion (parse, validate, quarantine, insert into the raw tables) in a fresh home.
Peak RSS is sampled every 50 ms over this process and its workers together. CPU seconds
(this process and its workers, all threads) are steadier than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import psutil

from pipelines.file_pool import DEFAULT_WORKERS
from pipelines.landing import expand_inputs, land
from pipelines.settings import REPO_ROOT, SAMPLE_DIR, Home
from pipelines.sources import SOURCES
from pipelines.warehouse import connect, ingest

SHARED_HF = REPO_ROOT.parent / "shared" / "data" / "hf-daily-papers"
OUT = REPO_ROOT / "bench" / "out"


class PeakRss:
    """Peak resident memory of this process plus its children, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # a worker that just ended
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_seconds() -> float:
    """CPU time of this process and of every process under it, all threads, ended ones included.

    Pool workers are children of the fork server: a live process counts its own time, an
    ended one is in its reaping parent's ``children_*`` times.
    """
    total = 0.0
    me = psutil.Process()
    for process in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _real_records() -> list[dict]:
    records = []
    for path in sorted(SHARED_HF.rglob("*.json")):
        document = json.loads(path.read_bytes())
        items = document.get("data", []) if isinstance(document, dict) else document
        if isinstance(items, list):
            records += [ast.literal_eval(item) if isinstance(item, str) else item for item in items]
    return records


def replicate(out: Path, days: int, snapshots: int, papers: int) -> Path:
    """A scaled HF feed from the real records: new ids and dates, growing upvotes, the feed's quirks."""
    if papers > 3000:
        raise SystemExit("PAPERS must be at most 3,000 (ids are YYMM.DD + 3 digits)")
    records = _real_records()
    rng = random.Random(0)
    folder = out / f"replicated_{days}x{snapshots}x{papers}"
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.date(2023, 1, 2)
    cursor = 0
    for day_index in range(days):
        day = start + dt.timedelta(days=day_index)
        chosen = [records[(cursor + i) % len(records)] for i in range(papers)]
        cursor += papers
        for snapshot in range(snapshots):
            items = []
            for i, original in enumerate(chosen):
                record = json.loads(json.dumps(original))
                paper = record["paper"]
                paper["id"] = f"{day:%y%m}.{day.day * 3000 + i:05d}"
                paper["publishedAt"] = f"{day - dt.timedelta(days=2)}T07:04:10.000Z"
                record["publishedAt"] = f"{day}T01:56:51.089Z"
                if "submittedOnDailyAt" in paper:
                    paper["submittedOnDailyAt"] = f"{day}T01:56:51.089Z"
                paper["upvotes"] = (paper.get("upvotes") or 0) + 3 * snapshot
                if rng.random() < 1 / 2000:
                    paper["upvotes"] = -1  # quarantined
                items.append(record)
            if day_index % 7 == 3:
                items = [repr(item) for item in items]
            document = (
                {"status": "success", "date": str(day), "count": len(items), "data": items}
                if day_index % 11 == 5
                else items
            )
            as_of = dt.datetime.combine(day, dt.time(17)) + dt.timedelta(hours=6 * snapshot)
            name = f"{day}__{as_of:%Y-%m-%dT%H-%M-%SZ}.json"
            (folder / name).write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def bare_json(files: list[Path]) -> int:
    records = 0
    for path in files:
        if path.suffix == ".jsonl":
            records += sum(1 for line in path.read_bytes().splitlines() if line.strip() and json.loads(line))
            continue
        document = json.loads(path.read_bytes())
        items = document.get("data", []) if isinstance(document, dict) else document
        records += len(items) if isinstance(items, list) else 0
    return records


def bare_duckdb(files: list[Path], database: Path) -> None:
    """Every file into one table by DuckDB alone (a JSON value per array element or line): a C++ reader's cost.

    ``read_json_objects`` because the feed's mixed shapes (objects, repr strings, wrappers) defeat
    ``read_json``'s schema inference; a wrapper file is one value. Same memory cap as ingestion.
    """
    json_files = [str(p) for p in files if p.suffix in (".json", ".jsonl")]
    con = duckdb.connect(str(database))
    try:
        con.execute("SET memory_limit = '1GB'")
        con.execute(
            "CREATE TABLE bare AS SELECT * FROM read_json_objects(?, format = 'auto', maximum_object_size = 67108864)",
            [json_files],
        )
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--replicate", nargs=3, type=int, metavar=("DAYS", "SNAPSHOTS", "PAPERS"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    if args.replicate:
        started = time.perf_counter()
        folder = replicate(args.out, *args.replicate)
        print(f"replicated into {folder} in {time.perf_counter() - started:.0f} s")
    else:
        folder = args.folder or (SHARED_HF if SHARED_HF.exists() else SAMPLE_DIR / "hf-daily-papers")
    files = expand_inputs([folder])
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    args.out.mkdir(parents=True, exist_ok=True)

    timings: list[tuple[str, float, float, int]] = []  # step, wall seconds, CPU seconds, peak RSS

    @contextlib.contextmanager
    def step(name: str):
        with PeakRss() as rss:
            started, cpu = time.perf_counter(), _cpu_seconds()
            yield
        timings.append((name, time.perf_counter() - started, _cpu_seconds() - cpu, rss.peak))

    with step("bare json.loads (1 process)"):
        bare_json(files)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        with step("bare DuckDB read_json_objects"):
            bare_duckdb(files, Path(tmp) / "bare.duckdb")
        home = Home(Path(tmp) / "home").ensure()
        with step(f"land ({args.workers} workers)"):
            land([folder], home, workers=args.workers)
        with step(f"ingest ({args.workers} workers)"), connect(home.warehouse) as con:
            stats = [ingest(con, home, name, None, workers=args.workers) for name in SOURCES]
        with step("rerun: land + ingest, nothing new"):
            land([folder], home, workers=args.workers)
            with connect(home.warehouse) as con:
                for name in SOURCES:
                    ingest(con, home, name, None, workers=args.workers)

    records = sum(s.records_read for s in stats)
    quarantined = sum(s.records_quarantined for s in stats)
    (_, bare, bare_cpu, _), (_, duck, _, _), landing, ingesting, rerun = timings
    both = ("land + ingest", landing[1] + ingesting[1], landing[2] + ingesting[2], max(landing[3], ingesting[3]))
    print(
        f"input: {folder} ({len(files):,} files, {megabytes:,.0f} MB, {records:,} records, {quarantined:,} quarantined)"
    )
    print(
        f"{'step':<36}{'seconds':>9}{'records/s':>11}{'MB/s':>8}{'× json':>8}{'× duckdb':>10}"
        f"{'CPU s':>8}{'CPU × json':>12}{'peak RSS MB':>13}"
    )
    for name, seconds, cpu, peak in [*timings[:4], both, rerun]:
        print(
            f"{name:<36}{seconds:>9.2f}{records / seconds:>11,.0f}{megabytes / seconds:>8.1f}"
            f"{seconds / bare:>8.2f}{seconds / duck:>10.2f}{cpu:>8.1f}{cpu / bare_cpu:>12.2f}{peak / 1e6:>13,.0f}"
        )


if __name__ == "__main__":
    sys.exit(main())
