"""Dagster's SQLite event log, keeping its database connections open between events.

Dagster's ``SqliteEventLogStorage`` builds a new SQLAlchemy engine and opens a new SQLite
connection for every event it stores, and disposes of both afterwards: each of a run's
events (a one-day run stores ~1,200: check evaluations of the dbt tests, materialisations,
one per partition of a range) paid an engine, a connection and a cold statement cache,
about 16 ms, a quarter of a small run's time in this process (bench/RESULTS.md, session 11).

This subclass keeps one engine per database with one pooled connection, so an event costs
its statements and its commit. Everything else is Dagster's: the same files (one database
per run plus the index, in WAL mode), the same schema and migrations, the same lock around
every use, so threads never share a connection at once. Only the most recently used
databases stay open, and ``wipe``/``dispose`` close them first.

Configured by the ``dagster.yaml`` that :func:`instance_config` writes into a home.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# A run writes its own database and the index; the webserver reads a few runs at a time.
OPEN_DATABASES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one open connection per recently used database."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,  # kept open; Dagster's schema set-up briefly needs a second one
            max_overflow=-1,
            # The storage's lock serialises every use, but from whichever thread stores.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def close_databases(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self.close_databases()  # the run databases are deleted: no connection may keep one
        super().wipe()

    def dispose(self) -> None:
        self.close_databases()
        super().dispose()


def instance_config(dagster_home: Path) -> str:
    """The ``dagster.yaml`` of a home: no telemetry, and the pooled event log in Dagster's own place."""
    runs = Path(dagster_home).resolve() / "history" / "runs"
    return (
        "telemetry:\n  enabled: false\n"
        "event_log_storage:\n"
        f"  module: {__name__}\n"
        f"  class: {PooledSqliteEventLogStorage.__name__}\n"
        "  config:\n"
        f"    base_dir: {str(runs)!r}\n"
    )
