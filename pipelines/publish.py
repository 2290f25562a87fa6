"""Publish: the checked warehouse becomes the analysts' read-only copy, atomically.

Analysts only ever open ``published/papertrends.duckdb``. A new copy is written
beside it under a dotted temporary name, fsynced and renamed over it, so a reader
holding the old file keeps reading the old inode, and a crash or a kill mid-copy
leaves the previous copy in place (its dotted temporary is removed by the next
publish). ``published/manifest.json`` describes the copy: run, time, input files,
row counts of the mart tables (views are named, not counted) and check results. It is
computed from the very bytes about to be published, written to a temporary first, and
renamed right after the database; its ``database.sha256`` ties it to the database file
it describes. ``published/.digest.json`` remembers that hash with the identity of the
file it was computed for, so that readers of this very file need not hash it again.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines.warehouse import connect

MARTS_SCHEMA = "marts"
MANIFEST_NAME = "manifest.json"
# Publish's record of the sha256 of the copy it wrote, tied to that file's identity: the report
# trusts it instead of hashing the whole copy again (20 s at 1M papers).
DIGEST_NAME = ".digest.json"
MANIFEST_VERSION = 1
READ_ONLY_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
INPUT_COLUMNS = (
    "landing_path", "source", "sha256", "listing_date", "as_of",
    "records_read", "records_accepted", "records_quarantined",
)  # fmt: skip


@dataclass(frozen=True, order=True)
class CheckResult:
    """One asset check evaluation of the run, as the manifest records it."""

    asset: str
    name: str
    passed: bool
    severity: str = "ERROR"
    description: str = ""


def manifest_path(destination: Path) -> Path:
    return destination.with_name(MANIFEST_NAME)


def read_manifest(destination: Path) -> dict:
    return json.loads(manifest_path(destination).read_text(encoding="utf-8"))


def checkpoint(warehouse: Path) -> None:
    """Fold the write-ahead log into the file so that the file alone is the database."""
    # Through warehouse.connect, like every connection of a run: under the run's memory limit
    # (DuckDB's default of 80% of RAM let this step of a 1M-paper build reach 7.2 GB).
    with connect(warehouse) as con:
        con.execute("CHECKPOINT")


def _temporary(target: Path) -> Path:
    # Dotted (hidden from readers who list the folder), with the writer's pid so that
    # a later publish can tell an abandoned temporary from one still being written.
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(destination: Path) -> list[Path]:
    """Delete temporaries left in the published folder by publishes that died (killed, crashed)."""
    removed = []
    for name in (destination.name, MANIFEST_NAME, DIGEST_NAME):
        pattern = re.compile(rf"^\.{re.escape(name)}\.(\d+)(?:-[0-9a-f]+)?\.tmp$")
        for candidate in destination.parent.glob(f".{name}.*.tmp"):
            match = pattern.match(candidate.name)
            if match and not _pid_alive(int(match.group(1))):
                candidate.unlink(missing_ok=True)
                removed.append(candidate)
    return sorted(removed)


# ioctl FICLONE (linux/fs.h): the copy shares the source's blocks until either is written.
FICLONE = 0x40049409


def copy_file(source: Path, target: Path) -> tuple[str, str]:
    """Copy ``source`` to ``target``: a reflink where the file system has them, else the bytes.

    Publishing copies the whole warehouse, which grows with the history (4 s at 100k papers, and
    most of what an increment costs beyond the new day). On a copy-on-write file system (btrfs,
    XFS with reflink, bcachefs) the clone is O(1) and still a separate file: the next run's
    writes to the warehouse do not reach it. Returns the method ("reflink" or "copy") and the
    sha256 of the bytes copied. The kernel copies (sendfile) while a thread hashes the source,
    which nothing writes meanwhile (the publisher holds the run's one writer slot). A 4 GiB file
    took 2.4 s this way, and 4.5 s when the copy was hashed after it was written.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-hash") as hasher:
        digest = hasher.submit(file_sha256, source)  # hashlib and sendfile both release the GIL
        with open(source, "rb") as reader, open(target, "wb") as writer:
            try:
                fcntl.ioctl(writer.fileno(), FICLONE, reader.fileno())
                method = "reflink"
            except OSError:  # ext4, tmpfs, overlayfs, another device: copy the bytes
                method = "copy"
        if method == "copy":
            shutil.copyfile(source, target)
        return method, digest.result()


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the renames themselves durable
    finally:
        os.close(directory)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _marts(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The marts' tables and views, by name."""
    rows = con.execute(
        "SELECT table_name, table_type = 'VIEW' FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for name, view in rows if not view], [name for name, view in rows if view]


def _counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    # Tables only: a view's count runs its query over the whole history (pipelines.defs.metadata).
    return {t: con.execute(f'SELECT count(*) FROM {MARTS_SCHEMA}."{t}"').fetchone()[0] for t in tables}


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    present = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'landed_files'"
    ).fetchone()[0]
    if not present:
        return []
    rows = con.execute(
        f"SELECT {', '.join(INPUT_COLUMNS)} FROM raw.landed_files ORDER BY landing_path, source, sha256"
    ).fetchall()
    return [{column: _json_value(value) for column, value in zip(INPUT_COLUMNS, row, strict=True)} for row in rows]


def build_manifest(
    database: Path,
    *,
    name: str,
    run_id: str | None,
    checks: Iterable[CheckResult],
    published_at: dt.datetime | None = None,
    build: dict | None = None,
    sha256: str | None = None,
) -> dict:
    """The manifest of ``database``: deterministic apart from run id and time (sorted keys and lists).

    ``build`` (optional) describes how the run built it (code fingerprint: pipelines.fingerprint);
    ``sha256`` is the file's, when the caller hashed it already (else it is read and hashed here).
    """
    with connect(database, read_only=True) as con:
        tables, views = _marts(con)
        counts, inputs = _counts(con, tables), _inputs(con)
    when = (published_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    results = sorted(set(checks))
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id,
        "published_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "database": {"file": name, "bytes": database.stat().st_size, "sha256": sha256 or file_sha256(database)},
        "inputs": inputs,
        "mart_row_counts": dict(sorted(counts.items())),
        "mart_views": views,
        "checks": [asdict(c) for c in results],
        "checks_summary": {"total": len(results), "failed": sum(not c.passed for c in results)},
        **({"build": build} if build else {}),
    }


def publish(
    warehouse: Path,
    destination: Path,
    *,
    run_id: str | None = None,
    checks: Iterable[CheckResult] = (),
    published_at: dt.datetime | None = None,
    build: dict | None = None,
) -> Path:
    """Copy the checked ``warehouse`` to ``destination`` in one atomic step, with its manifest beside it."""
    checkpoint(warehouse)
    folder = destination.parent
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(destination)
    manifest_target = manifest_path(destination)
    temporary, manifest_temporary = _temporary(destination), _temporary(manifest_target)
    try:
        _, sha256 = copy_file(warehouse, temporary)
        _fsync_file(temporary)
        os.chmod(temporary, READ_ONLY_MODE)
        # Described from the bytes that are about to be published, not from the warehouse.
        manifest = build_manifest(
            temporary,
            name=destination.name,
            run_id=run_id,
            checks=checks,
            published_at=published_at,
            build=build,
            sha256=sha256,
        )
        manifest_temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_file(manifest_temporary)
        os.chmod(manifest_temporary, READ_ONLY_MODE)
        os.replace(temporary, destination)
        os.replace(manifest_temporary, manifest_target)
    finally:
        temporary.unlink(missing_ok=True)
        manifest_temporary.unlink(missing_ok=True)
    _fsync_directory(folder)
    record_digest(destination, manifest["database"]["sha256"])
    return destination


def file_identity(path: Path) -> dict:
    # What changes when the file is replaced (inode) or written (size, mtime): as landing's check.
    status = path.stat()
    return {"device": status.st_dev, "inode": status.st_ino, "bytes": status.st_size, "mtime_ns": status.st_mtime_ns}


def record_digest(database: Path, sha256: str) -> None:
    """Remember that the published file, as it is now, hashes to ``sha256`` (see :func:`known_digest`)."""
    record = database.with_name(DIGEST_NAME)
    temporary = _temporary(record)
    try:
        temporary.write_text(json.dumps({**file_identity(database), "sha256": sha256}, sort_keys=True) + "\n")
        os.replace(temporary, record)
    finally:
        temporary.unlink(missing_ok=True)


def known_digest(database: Path) -> str | None:
    """The sha256 that publish recorded for this very file, or None when its record is missing,
    unreadable, or describes another file (a later copy, or one changed since): then hash it."""
    try:
        record = json.loads(database.with_name(DIGEST_NAME).read_text(encoding="utf-8"))
        sha256 = record.pop("sha256")
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    return sha256 if record == file_identity(database) else None


def mart_row_counts(database: Path) -> dict[str, int]:
    with connect(database, read_only=True) as con:
        return _counts(con, _marts(con)[0])
