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
from pipelines.memory import trim_heap
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


# A parsed file's rows go into Arrow this many at a time, and each chunk's dicts are freed before
# the next: at 1M papers a day file is ~6,000 records (57 MB of JSON), and converting it at once
# held every dict beside Arrow's copy (a worker peaked at 570 MB on one file; so, 373 MB).
ROW_CHUNK = 1000


def drain_rows(rows: list[dict], columns: dict[str, str]) -> pa.Table:
    """:func:`rows_table` of ``rows``, emptying the list as it goes (its dicts are freed chunk by chunk).

    Arrow's buffers come from glibc's heap here, the one the freed dicts go back to, and the heap
    is trimmed after each chunk: Arrow's default pool (mimalloc) would not reuse that memory.
    """
    schema = arrow_schema(columns)
    batches = []
    while rows:
        chunk = pa.array(rows[:ROW_CHUNK], type=pa.struct(schema), memory_pool=pa.system_memory_pool())
        batches.append(pa.RecordBatch.from_struct_array(chunk))
        del rows[:ROW_CHUNK]
        trim_heap()
    return pa.Table.from_batches(batches, schema)


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
    records_read = parsed.records_read  # counted before the rows are drained into Arrow
    rows = drain_rows(parsed.rows, parsed_columns)
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
        "records_read": records_read,
        "records_accepted": rows.num_rows,
        "records_quarantined": len(parsed.quarantined),
    }
    return FileRows(rows, quarantine, ledger, rows.get_total_buffer_size())
