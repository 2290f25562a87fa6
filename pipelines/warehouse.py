"""The working warehouse: connections and the raw layer.

Only this module opens the working warehouse for writing, and never across a dbt
call: callers use :func:`connect` as a short ``with`` block.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.landing import landed_files, read_sidecar
from pipelines.settings import Home
from pipelines.sources import SOURCES, Source

RAW_SCHEMA = "raw"
BOOKKEEPING_COLUMNS = {"landing_path": "VARCHAR", "source_file": "VARCHAR", "as_of": "TIMESTAMP", "position": "INTEGER"}
LANDED_FILES_COLUMNS = {
    "source": "VARCHAR",
    "landing_path": "VARCHAR",
    "source_file": "VARCHAR",
    "sha256": "VARCHAR",
    "listing_date": "DATE",
    "as_of": "TIMESTAMP",
    "file_shape": "VARCHAR",
    "records_read": "BIGINT",
    "records_accepted": "BIGINT",
    "records_quarantined": "BIGINT",
}
QUARANTINE_COLUMNS = {
    "source": "VARCHAR",
    "landing_path": "VARCHAR",
    "source_file": "VARCHAR",
    "listing_date": "DATE",
    "position": "INTEGER",
    "line_number": "INTEGER",
    "reason": "VARCHAR",
    "raw_text": "VARCHAR",
}
INGESTION_RUNS_COLUMNS = {
    "run_id": "VARCHAR",
    "ingested_at": "TIMESTAMP",
    "source": "VARCHAR",
    "landing_path": "VARCHAR",
    "source_file": "VARCHAR",
    "listing_date": "DATE",
    "records_read": "BIGINT",
    "records_accepted": "BIGINT",
    "records_quarantined": "BIGINT",
}
_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.Utf8(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "BOOLEAN": pl.Boolean(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
    "VARCHAR[]": pl.List(pl.Utf8()),
    "STRUCT(name VARCHAR, hidden BOOLEAN, username VARCHAR)[]": pl.List(
        pl.Struct({"name": pl.Utf8(), "hidden": pl.Boolean(), "username": pl.Utf8()})
    ),
}


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: a crash or an error leaves the tables as they were."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a Polars frame to ``table`` by column name, through Arrow."""
    if frame.height:
        con.register("incoming", frame.to_arrow())
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
        finally:
            con.unregister("incoming")


def source_columns(source: Source) -> dict[str, str]:
    return {**BOOKKEEPING_COLUMNS, source.date_column: "DATE", **source.raw_schema}


def _frame(rows: list[dict], columns: dict[str, str]) -> pl.DataFrame:
    schema = {name: _POLARS_TYPES[kind] for name, kind in columns.items()}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    tables = {
        "landed_files": LANDED_FILES_COLUMNS,
        "quarantine": QUARANTINE_COLUMNS,
        "ingestion_runs": INGESTION_RUNS_COLUMNS,
    }
    tables |= {source.raw_table: source_columns(source) for source in SOURCES.values()}
    for table, columns in tables.items():
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table} ({ddl})")
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [RAW_SCHEMA, table],
            ).fetchall()
        }
        for name, kind in columns.items():
            if name not in present:  # new parser versions add columns; old rows keep NULL
                con.execute(f'ALTER TABLE {RAW_SCHEMA}.{table} ADD COLUMN "{name}" {kind}')


@dataclass(frozen=True)
class IngestStats:
    source: str
    files: int
    records_read: int
    records_accepted: int
    records_quarantined: int


def ingest(
    con: duckdb.DuckDBPyConnection,
    home: Home,
    source_name: str,
    dates: Iterable[str] | None,
    *,
    run_id: str | None = None,
) -> IngestStats:
    """Replace the raw rows of ``source_name`` for ``dates`` (all landed days when None) with what landing holds.

    Delete-then-insert inside one transaction makes a rerun of a partition
    give the same rows, and a crash leave the previous ones. With ``run_id``,
    what each file yielded is also appended to ``raw.ingestion_runs``, the
    audit log that, unlike every other table, grows with each run.
    """
    source = SOURCES[source_name]
    dates = None if dates is None else sorted(set(dates))
    paths = list(landed_files(home, source.name, dates))
    columns = source_columns(source)
    rows, files, quarantine = [], [], []
    for path in paths:
        meta = read_sidecar(path)
        listing_date = dt.date.fromisoformat(path.parent.name.removeprefix("dt="))
        parsed = source.parse(path, path.read_bytes(), listing_date)
        as_of = dt.datetime.fromisoformat(meta["as_of"])
        relative = path.relative_to(home.root).as_posix()
        common = {"landing_path": relative, "source_file": meta["source_file"]}
        rows.extend({**common, source.date_column: listing_date, "as_of": as_of, **row} for row in parsed.rows)
        quarantine.extend(
            {
                **common,
                "source": source.name,
                "listing_date": listing_date,
                "position": q.position,
                "line_number": q.line_number,
                "reason": q.reason,
                "raw_text": q.raw_text,
            }
            for q in parsed.quarantined
        )
        files.append(
            {
                **common,
                "source": source.name,
                "sha256": meta["sha256"],
                "listing_date": listing_date,
                "as_of": as_of,
                "file_shape": parsed.file_shape,
                "records_read": parsed.records_read,
                "records_accepted": len(parsed.rows),
                "records_quarantined": len(parsed.quarantined),
            }
        )

    frames = {
        source.raw_table: (_frame(rows, columns), source.date_column),
        "landed_files": (_frame(files, LANDED_FILES_COLUMNS), "listing_date"),
        "quarantine": (_frame(quarantine, QUARANTINE_COLUMNS), "listing_date"),
    }
    audit = _frame(
        [
            {"run_id": run_id, "ingested_at": ingested_at, **{k: f[k] for k in INGESTION_RUNS_COLUMNS if k in f}}
            for f in files
            for ingested_at in [dt.datetime.now(dt.UTC).replace(tzinfo=None)]
        ]
        if run_id
        else [],
        INGESTION_RUNS_COLUMNS,
    )
    ensure_raw_tables(con)
    with transaction(con):
        for table, (frame, date_column) in frames.items():
            scope = "" if table == source.raw_table else f" AND source = '{source.name}'"
            if dates is None:
                con.execute(f"DELETE FROM {RAW_SCHEMA}.{table} WHERE true{scope}")
            else:
                con.execute(
                    f"DELETE FROM {RAW_SCHEMA}.{table} WHERE {date_column} IN (SELECT unnest(?::DATE[])){scope}",
                    [dates],
                )
            insert_frame(con, f"{RAW_SCHEMA}.{table}", frame)
        if run_id:
            con.execute(
                f"DELETE FROM {RAW_SCHEMA}.ingestion_runs WHERE run_id = ? AND source = ?", [run_id, source.name]
            )
            insert_frame(con, f"{RAW_SCHEMA}.ingestion_runs", audit)
    return IngestStats(source.name, len(paths), len(rows) + len(quarantine), len(rows), len(quarantine))
