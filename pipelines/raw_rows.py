"""A landed file made into the Arrow rows of its raw table: the work of an ingestion worker.

Runs in the worker processes of :mod:`pipelines.file_pool`, so it imports only pyarrow
and the sources (not DuckDB or Polars: a lighter, faster-starting worker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.landing import read_sidecar
from pipelines.sources import SOURCES, Source

BOOKKEEPING_COLUMNS = {"landing_path": "VARCHAR", "source_file": "VARCHAR", "as_of": "TIMESTAMP", "position": "INTEGER"}
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
    "STRUCT(name VARCHAR, hidden BOOLEAN, username VARCHAR)[]": pa.list_(
        pa.struct([("name", pa.string()), ("hidden", pa.bool_()), ("username", pa.string())])
    ),
}


def source_columns(source: Source) -> dict[str, str]:
    return {**BOOKKEEPING_COLUMNS, source.date_column: "DATE", **source.raw_schema}


def arrow_schema(columns: dict[str, str]) -> pa.Schema:
    return pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in columns.items()])


def rows_table(rows: list[dict], columns: dict[str, str]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(columns))


@dataclass(frozen=True)
class FileTask:
    source: str
    path: Path
    landing_path: str
    listing_date: dt.date


@dataclass(frozen=True)
class FileRows:
    """One landed file made into raw rows: what a worker process sends back."""

    rows: pa.Table
    quarantine: list[dict]
    ledger: dict
    nbytes: int


def read_landed(task: FileTask) -> FileRows:
    """Parse one landed file into its raw table's rows (runs in a worker process)."""
    source = SOURCES[task.source]
    meta = read_sidecar(task.path)
    parsed = source.parse(task.path, task.path.read_bytes(), task.listing_date)
    as_of = dt.datetime.fromisoformat(meta["as_of"])
    columns = source_columns(source)
    parsed_columns = {name: kind for name, kind in columns.items() if name in source.raw_schema or name == "position"}
    rows = rows_table(parsed.rows, parsed_columns)
    # The bookkeeping columns hold one value per file: added as columns, not copied into every row.
    n = rows.num_rows
    for name, value in (
        ("landing_path", task.landing_path),
        ("source_file", meta["source_file"]),
        (source.date_column, task.listing_date),
        ("as_of", as_of),
    ):
        rows = rows.append_column(
            pa.field(name, _ARROW_TYPES[columns[name]]), pa.array([value] * n, _ARROW_TYPES[columns[name]])
        )
    common = {"source": source.name, "landing_path": task.landing_path, "source_file": meta["source_file"]}
    quarantine = [
        {
            **common,
            "listing_date": task.listing_date,
            "position": q.position,
            "line_number": q.line_number,
            "reason": q.reason,
            "raw_text": q.raw_text,
        }
        for q in parsed.quarantined
    ]
    ledger = {
        **common,
        "sha256": meta["sha256"],
        "listing_date": task.listing_date,
        "as_of": as_of,
        "file_shape": parsed.file_shape,
        "records_read": parsed.records_read,
        "records_accepted": len(parsed.rows),
        "records_quarantined": len(parsed.quarantined),
    }
    return FileRows(rows, quarantine, ledger, rows.get_total_buffer_size())
