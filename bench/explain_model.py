"""DuckDB's profile of dbt models as a run built them: where each model's time goes, how many
rows it scanned, and whether it spilled.

    .venv/bin/python bench/explain_model.py HOME MODEL [MODEL ...] [--memory-limit 800MB] [--threads 2]
    .venv/bin/python bench/explain_model.py HOME MODEL --candidate NEW.sql   # an A/B of a model change

For each MODEL, the SQL that HOME's newest dbt build ran (its ``run_results.json``: for an
incremental model, with the filter of that run) is built again with DuckDB's JSON profiling
on, into a scratch database beside a read-only attachment of HOME's warehouse, at the given memory
limit (default: dbt's limit in a run, 800MB). Printed: the model's time, rows written, peak buffer
memory and bytes spilled; each table scan with the rows it read; the operators with the most time.
This is the ``EXPLAIN ANALYZE`` evidence that bench/RESULTS.md quotes: e.g. that an incremental
run's model scans the whole history, or that a model spills at the run's limit and not at another.
With ``--candidate``, another SQL of the model is profiled after the run's, on the same warehouse,
and the two results are compared row for row (exit 1 when they differ).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from _common import dbt_results  # bench/ is a folder of scripts, not a package

from pipelines.settings import DBT_MEMORY_SHARE, DEFAULT_MEMORY_LIMIT, Home, scaled_memory_limit

MB = 10**6


@dataclass
class Operator:
    name: str
    seconds: float
    rows: int
    table: str = ""
    rows_scanned: int = 0


@dataclass
class Profile:
    model: str
    seconds: float
    rows: int
    peak_buffer_bytes: int
    spilled_bytes: int
    operators: list[Operator] = field(default_factory=list)

    @property
    def scans(self) -> list[Operator]:
        return [op for op in self.operators if op.table]


def compiled_sql(home: Path, model: str) -> str:
    """The SQL of ``model`` as the home's newest dbt build ran it (its run_results.json): not a
    file of the compiled folders, which ``dbt docs generate`` rewrites with its own compilation."""
    runs = [
        (result.run_results.stat().st_mtime, result.node["compiled_code"])
        for result in dbt_results(home)
        if result.command in ("build", "run") and result.kind == "model" and result.name == model
        if result.node.get("compiled_code")
    ]
    if not runs:
        raise SystemExit(f"{model}: no dbt build under {home / 'dbt'} ran it (has a run built it in this home?)")
    return max(runs)[1]


def operators(node: dict) -> list[Operator]:
    """Every operator of a DuckDB JSON profile tree, depth first."""
    info = node.get("extra_info") or {}
    found = []
    if "type" in node and node.get("type") != "RESULT_COLLECTOR":
        found.append(
            Operator(
                name=node.get("name", node["type"]),
                seconds=float(node.get("timing") or 0.0),
                rows=int(node.get("intermediate_rows") or 0),
                table=str(info.get("Table", "")) if node.get("type") == "TABLE_SCAN" else "",
                rows_scanned=int(node.get("rows_scanned") or 0),
            )
        )
    for child in node.get("children", []) + node.get("operator", []):
        found.extend(operators(child))
    return found


@contextmanager
def scratch_beside(
    warehouse: Path, memory_limit: str, threads: int
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A scratch database in a temporary folder, with ``warehouse`` attached read-only."""
    with tempfile.TemporaryDirectory(prefix="explain-") as scratch:
        folder = Path(scratch)
        con = duckdb.connect(str(folder / "scratch.duckdb"), config={"memory_limit": memory_limit, "threads": threads})
        try:
            con.execute(f"SET temp_directory = '{folder / 'spill'}'")
            # The compiled SQL names the warehouse by its catalog, the file's stem.
            con.execute(f"ATTACH '{warehouse}' AS {warehouse.stem} (READ_ONLY)")
            yield con, folder
        finally:
            con.close()


def profile_sql(con: duckdb.DuckDBPyConnection, folder: Path, table: str, sql: str, label: str) -> Profile:
    """Build ``sql`` into the scratch table ``table`` with profiling on, and read the profile."""
    out = folder / f"{table}.profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{out}'")
    started = time.perf_counter()
    try:
        con.execute(f"CREATE TABLE scratch.main.{table} AS {sql}")
    finally:
        seconds = time.perf_counter() - started
        con.execute("PRAGMA disable_profiling")
    rows = con.execute(f"SELECT count(*) FROM scratch.main.{table}").fetchone()[0]
    tree = json.loads(out.read_text(encoding="utf-8"))
    system = tree.get("system", {})
    return Profile(
        model=label,
        seconds=seconds,
        rows=int(rows),
        peak_buffer_bytes=int(system.get("peak_buffer_memory") or 0),
        spilled_bytes=int(system.get("total_bytes_spilled") or 0),
        operators=operators(tree),
    )


def profile_model(home: Path, model: str, memory_limit: str, threads: int) -> Profile:
    """``model`` built again from the SQL the home's newest dbt build ran, profiled."""
    sql = compiled_sql(home, model)
    with scratch_beside(Home(home).warehouse, memory_limit, threads) as (con, folder):
        return profile_sql(con, folder, "built", sql, model)


def compare_with(
    home: Path, model: str, candidate: Path, memory_limit: str, threads: int
) -> tuple[Profile, Profile, bool]:
    """An A/B of a model change on the same warehouse: the SQL the run built ``model`` with, then
    ``candidate`` (another SQL of it, e.g. compiled from a changed model), each profiled, and
    whether they build the same rows (``EXCEPT ALL`` empty both ways). The candidate reads a
    warmer page cache than the run's SQL did: repeat the call to see how much that matters."""
    sql = compiled_sql(home, model)
    with scratch_beside(Home(home).warehouse, memory_limit, threads) as (con, folder):
        before = profile_sql(con, folder, "built", sql, f"{model} (the run's)")
        after = profile_sql(
            con, folder, "candidate", candidate.read_text(encoding="utf-8"), f"{model} ({candidate.name})"
        )
        differ = con.execute(
            "SELECT (SELECT count(*) FROM (FROM scratch.main.built EXCEPT ALL FROM scratch.main.candidate))"
            " + (SELECT count(*) FROM (FROM scratch.main.candidate EXCEPT ALL FROM scratch.main.built))"
        ).fetchone()[0]
    return before, after, differ == 0


def show(profile: Profile, top: int) -> None:
    print(
        f"\n{profile.model}: {profile.seconds:.1f} s, {profile.rows:,} rows written, "
        f"peak buffer {profile.peak_buffer_bytes / MB:,.0f} MB, spilled {profile.spilled_bytes / MB:,.0f} MB"
    )
    for scan in profile.scans:
        print(f"  scan {scan.table}: {scan.rows_scanned:,} rows read, {scan.rows:,} kept ({scan.seconds:.1f} s)")
    print(f"  operators with the most time (of {len(profile.operators)}):")
    for op in sorted(profile.operators, key=lambda op: -op.seconds)[:top]:
        print(f"    {op.seconds:8.2f} s  {op.rows:>14,} rows  {op.name}{'  ' + op.table if op.table else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("home", type=Path, help="a PAPERTRENDS_HOME that a run has built")
    parser.add_argument("models", nargs="+", help="dbt model names, e.g. topic_keywords")
    parser.add_argument(
        "--memory-limit",
        default=scaled_memory_limit(DEFAULT_MEMORY_LIMIT, DBT_MEMORY_SHARE),
        help="DuckDB's memory limit (default: dbt's in a run)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=8, help="operators to list per model")
    parser.add_argument(
        "--candidate",
        type=Path,
        help="another SQL of the one MODEL (e.g. compiled from a changed model): both are profiled and their rows compared",
    )
    args = parser.parse_args(argv)
    home = args.home.resolve()
    print(f"{home}: memory limit {args.memory_limit}, {args.threads} threads")
    if args.candidate:
        if len(args.models) != 1:
            parser.error("--candidate takes exactly one MODEL")
        before, after, same = compare_with(home, args.models[0], args.candidate, args.memory_limit, args.threads)
        show(before, args.top)
        show(after, args.top)
        print(f"\nsame rows (EXCEPT ALL empty both ways): {'yes' if same else 'NO'}")
        return 0 if same else 1
    failed = []
    for model in args.models:
        try:
            show(profile_model(home, model, args.memory_limit, args.threads), args.top)
        except duckdb.CatalogException as error:
            # An incremental run's SQL reads the run's own scratch tables (build_state), gone when
            # the run ends: such a model can be profiled after a full build, whose SQL has no filter.
            failed.append(model)
            print(f"\n{model}: cannot be rebuilt from the SQL the run built it with: {str(error).splitlines()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
