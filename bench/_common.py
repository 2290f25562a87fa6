"""Shared helpers of the full-build benchmark (bench/full_build.py) and its correctness test
(tests/test_bare_duckdb.py): run bench/bare_duckdb.sql, export the learned-topic step's tables it
reads, compare marts row for row, write a quirk-free copy of an input folder, run a command
while sampling the peak RSS of its whole process tree, and read what a home's dbt calls did.

The bare script is plain DuckDB SQL. Its inputs come in as DuckDB variables (``SET VARIABLE``),
set here before the script runs, so the script itself names no path.
"""

from __future__ import annotations

import ast
import contextlib
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
BARE_SQL = REPO_ROOT / "bench" / "bare_duckdb.sql"
TAXONOMY_CSV = REPO_ROOT / "dbt_project" / "seeds" / "topic_taxonomy.csv"
# Input layout of the generator and of data/sample (what `papertrends run --input DIR` reads).
HF_DIR = "hf-daily-papers"
ARXIV_DIR = "arxiv-daily-listings"
# The learned-topic step's outputs (raw schema) that the topic marts read: the dbt source `learned`.
LEARNED_TABLES = ("paper_terms", "learned_topic_assignments", "learned_topic_registry")
# The marts the bare script builds: every mart of the pipeline that is a function of the input
# files (ingestion_audit is a run log; quarantined_records is empty for quirk-free input).
BARE_MARTS = (
    "fct_paper_snapshots",
    "dim_papers",
    "trending_papers",
    "trending_papers_latest",
    "contributor_leaderboard",
    "github_star_growth",
    "source_match_rates",
    "category_trends",
    "paper_topics",
    "paper_keywords",
    "dim_keywords",
    "topic_keywords",
    "dim_topics",
    "topic_trends",
    "emerging_topics",
)
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


# --------------------------------------------------------------------------------------------
# Running the bare script
# --------------------------------------------------------------------------------------------


def dbt_vars() -> dict[str, str]:
    """dbt_project.yml's vars as SQL literals, rendered as ``{{ var(...) }}`` renders them.

    The bare script reads them as ``getvariable('var_<name>')``: one source for the trending
    weights and topic parameters, and a literal of the type dbt's SQL sees (1.0 is a DECIMAL,
    72 an INTEGER), so that both compute in the same types.
    """
    import yaml

    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    rendered = {}
    for name, value in project["vars"].items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"dbt var {name} = {value!r}: the bare script takes numbers and strings only")
        rendered[f"var_{name}"] = sql_literal(value) if isinstance(value, str) else str(value)
    return rendered


MIN_JSON_OBJECT_SIZE = 16 * 2**20  # DuckDB's default maximum_object_size


def bare_variables(input_dir: Path, learned_dir: Path) -> dict[str, str]:
    """The script's variables (name -> SQL literal) for an input folder laid out as the generator's."""
    root = Path(input_dir).resolve()
    paths = {
        "hf_glob": str(root / HF_DIR / "**" / "*.json"),
        "arxiv_glob": str(root / ARXIV_DIR / "**" / "*.jsonl"),
        # manifest.csv beside a file or one folder up gives its as-of when the name has none.
        "manifest_glob": str(root / "**" / "manifest.csv"),
        "taxonomy_csv": str(TAXONOMY_CSV),
        "learned_dir": str(Path(learned_dir).resolve()),
    }
    # read_json reads each HF file as one JSON value into a buffer of maximum_object_size per thread
    largest = max((path.stat().st_size for path in (root / HF_DIR).rglob("*.json")), default=0)
    sizes = {"hf_max_object_size": str(max(largest + 1, MIN_JSON_OBJECT_SIZE))}
    return {name: sql_literal(path) for name, path in paths.items()} | sizes | dbt_vars()


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_statements(script: str) -> list[str]:
    """The script's statements, split at each ';' that ends a line (the script's own convention).

    Statement by statement so that each can be timed; comments stay with their statement.
    """
    statements, current = [], []
    for line in script.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            text = "\n".join(current).strip()
            if any(not part.strip().startswith("--") for part in text.splitlines() if part.strip()):
                statements.append(text)
            current = []
    tail = "\n".join(current).strip()
    if any(not part.strip().startswith("--") for part in tail.splitlines() if part.strip()):
        statements.append(tail)
    return statements


def statement_label(statement: str) -> str:
    """'CREATE TABLE marts.dim_papers', 'SET VARIABLE taxonomy_match_sql', ...: what a statement makes."""
    for line in statement.splitlines():
        if line.strip() and not line.strip().startswith("--"):
            words = line.split()
            stop = next((i for i, word in enumerate(words) if word.upper() == "AS" or word == "="), len(words))
            return " ".join(words[: min(stop, 8)]).split("(")[0].rstrip(";")
    return statement[:40]


def run_bare(
    database: Path, variables: dict[str, str], *, threads: int | None = None, memory_limit: str | None = None
) -> list[tuple[str, float]]:
    """Run bench/bare_duckdb.sql into ``database`` (a new file); the seconds of each statement.

    ``variables`` maps names to SQL literals (bare_variables); they are set, then the script runs.
    ``memory_limit`` (a DuckDB size such as ``1GB``) caps the engine as the pipeline's is capped;
    without it DuckDB takes its default, 80% of the machine's memory.
    """
    database = Path(database)
    if database.exists():
        database.unlink()
    con = duckdb.connect(str(database))
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        for name, literal in variables.items():
            con.execute(f"SET VARIABLE {name} = {literal}")
        timings = []
        for number, statement in enumerate(split_statements(BARE_SQL.read_text(encoding="utf-8")), 1):
            start = time.perf_counter()
            try:
                con.execute(statement)
            except duckdb.Error as error:
                raise RuntimeError(
                    f"{BARE_SQL.name}, statement {number} ({statement_label(statement)}): {error}"
                ) from error
            timings.append((statement_label(statement), time.perf_counter() - start))
        con.execute("CHECKPOINT")
        return timings
    finally:
        con.close()


def export_learned(database: Path, out_dir: Path) -> None:
    """Write the learned-topic step's tables of a pipeline database to out_dir/<table>.parquet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(database), read_only=True)
    try:
        for table in LEARNED_TABLES:
            target = sql_literal(str(out_dir / f"{table}.parquet"))
            con.execute(f"COPY raw.{table} TO {target} (FORMAT parquet)")
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Comparing marts
# --------------------------------------------------------------------------------------------


@dataclass
class TableDiff:
    table: str
    problems: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_catalog = ? AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position
        """,
        [catalog, table],
    ).fetchall()


def compare_marts(
    pipeline_db: Path,
    bare_db: Path,
    tables: Iterable[str] = BARE_MARTS,
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
    show: int = 3,
) -> list[TableDiff]:
    """Each mart of the bare database against the pipeline's, row for row.

    Same column names, order and types; same row count; and, with both sides sorted by every
    column (ORDER BY ALL, so physical order does not matter), row i equal to row i: exactly for
    every column but floating-point ones, which may differ by ``rel_tol`` (relative) -- the
    same SQL over the same values can sum in another order on another thread count. Done in
    DuckDB, so that millions of rows never pass through Python.
    """
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(str(pipeline_db))} AS pipeline (READ_ONLY)")
        con.execute(f"ATTACH {sql_literal(str(bare_db))} AS bare (READ_ONLY)")
        diffs = []
        for table in tables:
            diff = TableDiff(table)
            diffs.append(diff)
            left, right = _columns(con, "pipeline", table), _columns(con, "bare", table)
            if not left or not right:
                diff.problems.append(f"missing in {'pipeline' if not left else 'bare'}")
                continue
            if left != right:
                diff.problems.append(f"columns differ: pipeline {left} / bare {right}")
                continue
            counts = [
                con.execute(f'SELECT count(*) FROM {db}.marts."{table}"').fetchone()[0] for db in ("pipeline", "bare")
            ]
            diff.rows = counts[0]
            if counts[0] != counts[1]:
                diff.problems.append(f"row count: pipeline {counts[0]}, bare {counts[1]}")
            names = [f'"{name}"' for name, _ in left]
            floats = [f'"{name}"' for name, kind in left if kind in FLOAT_TYPES]
            equal = [
                f"(p.{c} = b.{c} OR (p.{c} IS NULL AND b.{c} IS NULL)"
                f" OR abs(p.{c} - b.{c}) <= greatest({abs_tol}, {rel_tol} * greatest(abs(p.{c}), abs(b.{c}))))"
                if c in floats
                else f"p.{c} IS NOT DISTINCT FROM b.{c}"
                for c in names
            ]
            # Sort by the exact columns first, so that a float within tolerance cannot reorder rows.
            order = ", ".join([c for c in names if c not in floats] + floats)
            numbered = 'SELECT row_number() OVER (ORDER BY {order}) AS row_no, * FROM {db}.marts."{table}"'
            query = f"""
                WITH p AS ({numbered.format(order=order, db="pipeline", table=table)}),
                     b AS ({numbered.format(order=order, db="bare", table=table)})
                SELECT p.row_no, {", ".join(f"p.{c} AS p_{i}, b.{c} AS b_{i}" for i, c in enumerate(names))}
                FROM p FULL OUTER JOIN b ON p.row_no = b.row_no
                WHERE p.row_no IS NULL OR b.row_no IS NULL OR NOT ({" AND ".join(equal)})
                ORDER BY coalesce(p.row_no, b.row_no)
            """
            bad = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            if bad:
                diff.problems.append(f"{bad} row(s) differ; first {min(show, bad)}:")
                for row in con.execute(f"{query} LIMIT {show}").fetchall():
                    pairs = [
                        f"{name}: {row[1 + 2 * i]!r} != {row[2 + 2 * i]!r}"
                        for i, (name, _) in enumerate(left)
                        if row[1 + 2 * i] != row[2 + 2 * i]
                    ]
                    diff.problems.append(f"  row {row[0]}: " + "; ".join(pairs))
        return diffs
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Quirk-free input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DbtResult:
    """One node's result in one dbt call of a home (a run_results.json)."""

    run_results: Path
    command: str  # the call's dbt command: build, run, generate (the docs), ...
    kind: str  # model, test, unit_test, seed, ...
    name: str
    node: dict


def dbt_results(home: Path) -> Iterator[DbtResult]:
    """Every node result of the home's dbt calls (each step's target folder and the docs')."""
    for path in home.joinpath("dbt").rglob("run_results.json"):
        run = json.loads(path.read_text(encoding="utf-8"))
        command = run.get("args", {}).get("which", "")
        for node in run.get("results", []):
            kind, _, name = node["unique_id"].split(".")[:3]
            yield DbtResult(path, command, kind, name, node)


def clean_copy(source: Path, target: Path) -> dict[str, int]:
    """Copy an input folder with every file in the shape plain read_json reads, same content.

    HF files whose records are Python-repr strings or sit in a {"status", "data"} wrapper are
    rewritten as a JSON array of the same records (what the pipeline's parser makes of them);
    files that hold no list (the marker 1, no_data answers) are left out, as are scraped pages
    (seed_page: no ids, matched by an NFKC title key that DuckDB cannot compute). JSONL listing
    files and manifest.csv files are copied byte for byte. Returns counts of what was done.
    """
    done = {"copied": 0, "rewritten": 0, "skipped": 0}
    for path in sorted(Path(source).rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source)
        destination = Path(target) / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl" or path.name == "manifest.csv":
            shutil.copyfile(path, destination)
            done["copied"] += 1
        elif path.suffix == ".json":
            document = json.loads(path.read_bytes().decode("utf-8-sig"))
            items = document.get("data") if isinstance(document, dict) else document
            if not isinstance(items, list) or not items:
                done["skipped"] += 1
                continue
            if isinstance(document, list) and all(isinstance(item, dict) for item in items):
                shutil.copyfile(path, destination)
                done["copied"] += 1
                continue
            records = [ast.literal_eval(item) if isinstance(item, str) else item for item in items]
            destination.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
            done["rewritten"] += 1
        else:
            done["skipped"] += 1
    return done


# --------------------------------------------------------------------------------------------
# Timing and memory of a process tree
# --------------------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    peak_rss: int
    returncode: int
    timed_out: bool = False
    # (epoch seconds, tree RSS bytes, that RSS by process role: see tree_rss)
    samples: list[tuple[float, int, dict[str, int]]] = field(default_factory=list)

    def peak_between(self, start: float, end: float) -> int:
        """The highest RSS sampled between two epoch times (0 when no sample fell there)."""
        return self.peak_sample_between(start, end)[1]

    def peak_sample_between(self, start: float, end: float) -> tuple[float, int, dict[str, int]]:
        """The sample with the highest RSS between two epoch times, with its split by role."""
        return max(
            (sample for sample in self.samples if start <= sample[0] <= end), key=lambda s: s[1], default=(0.0, 0, {})
        )


def process_role(process, root) -> str:
    """What a process of a run's tree is: the run's own process, dbt, or a worker it started."""
    if process.pid == root.pid:
        return "run"
    command = " ".join(process.cmdline())
    return "dbt" if "/dbt " in f"{command} " or command.endswith("/dbt") else "worker"


def tree_rss(root) -> tuple[int, dict[str, int]]:
    """Resident memory of a process and all its descendants, in bytes (0 for ones that exited),
    and the same split by :func:`process_role`."""
    import psutil

    by_role: dict[str, int] = {}
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, by_role
    for process in processes:
        with contextlib.suppress(psutil.Error):  # exited between listing and reading
            rss = process.memory_info().rss
            role = process_role(process, root)
            by_role[role] = by_role.get(role, 0) + rss
    return sum(by_role.values()), by_role


def kill_tree(root) -> None:
    """Kill a process and every descendant of it (children first), by pid."""
    import psutil

    with contextlib.suppress(psutil.Error):
        for process in [*root.children(recursive=True), root]:
            with contextlib.suppress(psutil.Error):
                process.kill()


def run_measured(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    interval: float = 0.2,
    timeout: float | None = None,
) -> Measured:
    """Run ``command``, sampling the RSS of its process tree every ``interval`` seconds.

    After ``timeout`` seconds the whole tree is killed (a hung run must fail, not wait forever).
    """
    import psutil

    out = log.open("w", encoding="utf-8") if log else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        root = psutil.Process(process.pid)
        samples: list[tuple[float, int, dict[str, int]]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.time(), *tree_rss(root)))
                stop.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = False
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(root)
            returncode = process.wait()
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        return Measured(seconds, max((s[1] for s in samples), default=0), returncode, timed_out, samples)
    finally:
        if log:
            out.close()


def bare_command(
    database: Path, variables: dict[str, str], timings: Path, memory_limit: str | None = None
) -> list[str]:
    """A command that runs the bare script in its own process (so its RSS is measured alone)."""
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        str(database),
        json.dumps(variables),
        str(timings),
        memory_limit or "",
    ]


if __name__ == "__main__":  # the child process of bare_command
    database, variables, timings_path = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    timings = run_bare(Path(database), variables, memory_limit=sys.argv[4] or None)
    timings_path.write_text(json.dumps(timings), encoding="utf-8")
