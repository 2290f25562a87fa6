"""The working warehouse: connections and the raw layer.

Only this module opens the working warehouse for writing, and never across a dbt
call: callers use :func:`connect` as a short ``with`` block.

Ingestion (:func:`ingest`) reads each landed file once, in a pool of worker processes
that turn it into Arrow tables, and inserts the files in order, in bounded batches, so
memory does not grow with the input. A file already ingested (same landing path and
sha256 in ``raw.landed_files``) is not read again: the cost of a run is its new files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.file_pool import map_ordered, pool_size
from pipelines.landing import landed_files
from pipelines.memory import release_freed_memory
from pipelines.raw_rows import BOOKKEEPING_COLUMNS, FileRows, FileTask, read_landed, rows_table, source_columns
from pipelines.settings import Home, memory_limit
from pipelines.sources import SOURCES, Source

RAW_SCHEMA = "raw"
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
# Rows wait in Arrow until a batch of files reaches this size, then go in one insert:
# few large inserts, and memory bounded whatever the number of files.
BATCH_BYTES = 32 * 2**20
# DuckDB may cache up to 80% of RAM by default. Ingestion needs little (measured on 1M records:
# 256 MB and 1 GB insert as fast; DuckDB fills what it is given with row groups waiting to be
# written), and the run's memory budget (2 GB with the worker processes, which hold a parsed
# 57 MB file each at 1M papers) holds only with a cap.
INGEST_MEMORY_LIMIT = "256MB"
# The same holds for any connection that streams blocks in and out of a table while Python does
# the work (the learned-topic fit's keyword scratch table, the GX suites' frames): what DuckDB is
# given, it fills. At 1M papers the fit's process peaked 0.26 GB lower with 256 MB than with
# 512 MB, in the same time.
STREAMING_MEMORY_LIMIT = INGEST_MEMORY_LIMIT
# The learned-topic fit once its keywords are staged: it reads them back in blocks of papers,
# and what DuckDB caches beyond that sits beside the fit's arrays. At 1M papers the fit peaked
# 0.15 GB lower at 128 MB than at 256 MB, in the same time. (Tokenising keeps 256 MB: it sorts
# blocks of 20,000 abstracts.)
FIT_MEMORY_LIMIT = "128MB"


@contextmanager
def connect(path: Path, *, read_only: bool = False, limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection capped at ``limit`` (a DuckDB size; default: the run's :func:`memory_limit`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": limit or memory_limit()})
    try:
        yield con
    finally:
        con.close()
        # What the connection's buffers held stays in this process's heap otherwise, and
        # counts against the run's peak while dbt or the tokeniser workers run beside it.
        release_freed_memory(collect_cycles=False)


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


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Append an Arrow table to ``raw.<table>`` by column name (columns it lacks stay NULL).

    Through a relation, not ``register``: a registered object is a view in the catalog, and
    inside a transaction its drop (and so the release of the Arrow buffers) waits for the
    commit. Ingestion inserts many batches in one transaction; with ``register`` all of
    them stayed in memory (measured: +65 MB a 64 MB batch, to 3.9 GB on 1M records).
    """
    if not data.num_rows:
        return
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            [RAW_SCHEMA, table],
        ).fetchall()
    ]
    present = set(data.column_names)
    aligned = pa.table(
        {name: data[name] if name in present else pa.nulls(data.num_rows) for name in columns}
    )  # insert_into goes by position
    con.from_arrow(aligned).insert_into(f"{RAW_SCHEMA}.{table}")


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
    """What an :func:`ingest` call left in the raw layer for its days, and what it did.

    ``files`` and ``records_*`` count every landed file of the days in scope (as
    ``raw.landed_files`` now holds them); ``files_read`` were parsed by this call,
    ``files_skipped`` were already ingested, ``files_removed`` had left landing.
    """

    source: str
    files: int
    records_read: int
    records_accepted: int
    records_quarantined: int
    files_read: int = 0
    files_skipped: int = 0
    files_removed: int = 0


def _scope(column: str, dates: list[str] | None) -> tuple[str, list]:
    """A WHERE clause on a date column for ``dates`` (everything when None), and its parameters."""
    if dates is None:
        return "true", []
    return f"{column} IN (SELECT unnest(?::DATE[]))", [dates]


def ingest(
    con: duckdb.DuckDBPyConnection,
    home: Home,
    source_name: str,
    dates: Iterable[str] | None,
    *,
    run_id: str | None = None,
    refresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> IngestStats:
    """Make the raw rows of ``source_name`` for ``dates`` (all landed days when None) what landing holds.

    Only those days are touched. A landed file whose landing path and sha256 are already
    in ``raw.landed_files`` is skipped (``refresh`` re-reads it, after a parser change);
    a file that left landing loses its rows. The others are parsed, in ``workers``
    processes, and inserted in input order, in batches of about :data:`BATCH_BYTES`, all
    in one transaction: a crash leaves the previous rows, a rerun gives the same rows.
    ``progress(done, total)`` is called after each file read (``total``: files to read);
    nothing is printed. ``workers`` as for :func:`pipelines.landing.land`.

    With ``run_id``, what each file read yielded is also appended to
    ``raw.ingestion_runs``, the audit log that, unlike every other table, grows with each run.
    """
    source = SOURCES[source_name]
    dates = None if dates is None else sorted(set(dates))
    ensure_raw_tables(con)
    on_disk = {p.relative_to(home.root).as_posix(): p for p in landed_files(home, source.name, dates)}
    where, params = _scope("listing_date", dates)
    ledger = {
        path: (sha256, listing_date)
        for path, sha256, listing_date in con.execute(
            f"SELECT landing_path, sha256, listing_date FROM {RAW_SCHEMA}.landed_files WHERE source = ? AND {where}",
            [source.name, *params],
        ).fetchall()
    }
    # Landed files are immutable and named by their hash (landing.landed_name), so a path with the
    # ledger's hash in its name holds the bytes that were ingested: no sidecar or data file is read.
    current = (
        set()
        if refresh
        else {path for path, (sha256, _) in ledger.items() if path in on_disk and f"__{sha256[:12]}" in path}
    )
    todo = [path for path in on_disk if path not in current]
    stale = sorted(path for path in ledger if path not in current)

    previous_limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    try:
        # One transaction: all or nothing, as a partition's rows should be. It is also cheaper than a
        # commit per batch (measured: ~2x less insert time, ~30% smaller file: each commit leaves a
        # partly filled row group behind). DuckDB writes a large transaction's rows to the database
        # file as it goes, so its memory stays within the limit above (and insert_arrow keeps no
        # reference to the inserted batches).
        with transaction(con):
            _delete_files(con, source, stale, sorted({ledger[path][1] for path in stale}))
            if run_id and todo:  # a retried run replaces its own audit rows of the files it reads again
                con.execute(
                    f"DELETE FROM {RAW_SCHEMA}.ingestion_runs WHERE run_id = ? AND source = ?"
                    " AND landing_path IN (SELECT unnest(?::VARCHAR[]))",
                    [run_id, source.name, todo],
                )
            tasks = [
                FileTask(source.name, on_disk[path], path, dt.date.fromisoformat(on_disk[path].parent.name[3:]))
                for path in todo
            ]
            batch: list[FileRows] = []
            batch_bytes = 0
            results = map_ordered(read_landed, tasks, pool_size([t.path for t in tasks], workers))
            for done, result in enumerate(results, start=1):
                batch.append(result)
                batch_bytes += result.nbytes
                if batch_bytes >= BATCH_BYTES:
                    _insert_batch(con, source, batch, run_id)
                    batch, batch_bytes = [], 0
                if progress:
                    progress(done, len(tasks))
            _insert_batch(con, source, batch, run_id)
    finally:
        con.execute(f"SET memory_limit = '{previous_limit}'")

    [(files, read, accepted, quarantined)] = con.execute(
        "SELECT count(*), coalesce(sum(records_read), 0), coalesce(sum(records_accepted), 0),"
        f" coalesce(sum(records_quarantined), 0) FROM {RAW_SCHEMA}.landed_files WHERE source = ? AND {where}",
        [source.name, *params],
    ).fetchall()  # fetchall: DuckDB refuses new work on a connection with an unfinished result
    return IngestStats(
        source.name,
        files,
        int(read),
        int(accepted),
        int(quarantined),
        files_read=len(todo),
        files_skipped=len(current),
        files_removed=len([path for path in stale if path not in on_disk]),
    )


def _delete_files(con: duckdb.DuckDBPyConnection, source: Source, paths: list[str], days: list[dt.date]) -> None:
    """Remove every row of these landed files; the days let DuckDB skip the row groups of other days."""
    if not paths:
        return
    for table, date_column, scope in (
        (source.raw_table, source.date_column, ""),
        ("landed_files", "listing_date", " AND source = ?"),
        ("quarantine", "listing_date", " AND source = ?"),
    ):
        con.execute(
            f"DELETE FROM {RAW_SCHEMA}.{table} WHERE {date_column} IN (SELECT unnest(?::DATE[]))"
            f" AND landing_path IN (SELECT unnest(?::VARCHAR[])){scope}",
            [days, paths, *([source.name] if scope else [])],
        )


def _insert_batch(con: duckdb.DuckDBPyConnection, source: Source, batch: list[FileRows], run_id: str | None) -> None:
    if not batch:
        return
    ledger = [b.ledger for b in batch]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    insert_arrow(con, source.raw_table, pa.concat_tables([b.rows for b in batch]))
    insert_arrow(con, "quarantine", rows_table([q for b in batch for q in b.quarantine], QUARANTINE_COLUMNS))
    insert_arrow(con, "landed_files", rows_table(ledger, LANDED_FILES_COLUMNS))
    if run_id:
        audit = [
            {"run_id": run_id, "ingested_at": now, **{k: f[k] for k in INGESTION_RUNS_COLUMNS if k in f}}
            for f in ledger
        ]
        insert_arrow(con, "ingestion_runs", rows_table(audit, INGESTION_RUNS_COLUMNS))


__all__ = [
    "BATCH_BYTES",
    "BOOKKEEPING_COLUMNS",
    "FIT_MEMORY_LIMIT",
    "INGESTION_RUNS_COLUMNS",
    "INGEST_MEMORY_LIMIT",
    "LANDED_FILES_COLUMNS",
    "QUARANTINE_COLUMNS",
    "RAW_SCHEMA",
    "STREAMING_MEMORY_LIMIT",
    "IngestStats",
    "connect",
    "ensure_raw_tables",
    "ingest",
    "insert_arrow",
    "insert_frame",
    "source_columns",
    "transaction",
]
