"""Publish: the checked warehouse becomes the analysts' read-only copy, atomically.

Analysts only ever open ``published/papertrends.duckdb``. A new copy is written
beside it and renamed over it, so a reader holding the old file keeps reading
the old inode, and a crash mid-copy leaves the previous copy in place.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"


def checkpoint(warehouse: Path) -> None:
    """Fold the write-ahead log into the file so that the file alone is the database."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish(warehouse: Path, destination: Path) -> Path:
    checkpoint(warehouse)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(warehouse, temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(destination.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
    return destination


def mart_row_counts(database: Path) -> dict[str, int]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
                [MARTS_SCHEMA],
            ).fetchall()
        ]
        return {t: con.execute(f'SELECT count(*) FROM {MARTS_SCHEMA}."{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
