"""Write-audit-publish: one atomic step, a manifest, and readers that never notice a run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest
from conftest import fresh_home, query

from pipelines import publish as publish_module
from pipelines.defs.ingestion import LEDGER
from pipelines.publish import (
    DIGEST_NAME,
    MANIFEST_NAME,
    CheckResult,
    build_manifest,
    known_digest,
    manifest_path,
    mart_row_counts,
    publish,
    read_manifest,
)
from pipelines.runner import run_pipeline
from pipelines.settings import SAMPLE_DIR, Home

SEED = SAMPLE_DIR / "seed_page"
DAY = SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-27.json"
PUBLISHED_NAMES = [DIGEST_NAME, MANIFEST_NAME, "papertrends.duckdb"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A home whose published copy holds the seed page (30 papers): the 'previous' copy of each test."""
    home = fresh_home(tmp_path_factory, "publish_base")
    summary = run_pipeline([SEED], home)
    assert summary.success and summary.published == home.published
    return home, summary


def copy_home(base: Home, target: Path) -> Home:
    shutil.copytree(base.root, target, symlinks=True)
    os.environ["PAPERTRENDS_HOME"] = str(target)
    return Home(target)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_run_inputs_counts_and_checks(base):
    home, summary = base
    text = manifest_path(home.published).read_text()
    manifest = json.loads(text)
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"  # sorted keys, stable layout
    assert not stat.S_IMODE(manifest_path(home.published).stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP)

    assert manifest["run_id"] == summary.run_id
    published_at = dt.datetime.fromisoformat(manifest["published_at"].replace("Z", "+00:00"))
    assert published_at.tzinfo == dt.UTC and abs(dt.datetime.now(dt.UTC) - published_at) < dt.timedelta(hours=1)
    assert manifest["database"] == {
        "file": "papertrends.duckdb",
        "bytes": home.published.stat().st_size,
        "sha256": _sha(home.published),
    }
    landed = query(
        home.published,
        "SELECT landing_path, source, sha256, strftime(listing_date, '%Y-%m-%d'), strftime(as_of, '%Y-%m-%dT%H:%M:%S'), "
        "records_read, records_accepted, records_quarantined FROM raw.landed_files",
    )
    assert manifest["inputs"] == [
        {
            "landing_path": r[0],
            "source": r[1],
            "sha256": r[2],
            "listing_date": r[3],
            "as_of": r[4],
            "records_read": r[5],
            "records_accepted": r[6],
            "records_quarantined": r[7],
        }
        for r in sorted(landed)
    ]
    assert [(i["source"], i["records_read"]) for i in manifest["inputs"]] == [("seed_page", 30)]
    assert manifest["mart_row_counts"] == mart_row_counts(home.published) == summary.table_rows
    assert manifest["mart_row_counts"]["dim_papers"] == 30
    # Views are named, not counted (a count runs the view's query over the whole history).
    assert manifest["mart_views"] == ["paper_keywords"]
    assert "paper_keywords" not in manifest["mart_row_counts"] and "paper_topics" in manifest["mart_row_counts"]

    checks = manifest["checks"]
    assert checks == sorted(checks, key=lambda c: (c["asset"], c["name"], c["passed"]))
    assert manifest["checks_summary"] == {"total": len(checks), "failed": 0}
    assert {(c["asset"], c["name"]) for c in checks} == {(c.asset, c.name) for c in summary.checks}
    assert all(c["passed"] for c in checks)
    reconcile = next(c for c in checks if c["name"] == "records_reconcile")
    assert (reconcile["asset"], reconcile["passed"], reconcile["severity"]) == (LEDGER.to_user_string(), True, "ERROR")
    assert reconcile["description"].startswith("records read = accepted + quarantined for every file")
    assert any(c["name"].startswith("unique_") for c in checks), "dbt tests are recorded too"

    # Deterministic: the same copy, run and checks describe to the same manifest, whatever the order given.
    again = build_manifest(
        home.published,
        name=home.published.name,
        run_id=manifest["run_id"],
        checks=[CheckResult(**c) for c in reversed(checks)],
        published_at=published_at,
        build=manifest["build"],
    )
    assert again == manifest
    # What the no-op check compares a later run against: the code that built this copy.
    assert manifest["build"]["code_fingerprint"]


def test_publish_that_fails_midway_leaves_the_previous_copy(tmp_path, monkeypatch):
    warehouse, destination = tmp_path / "warehouse.duckdb", tmp_path / "published" / "papertrends.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.dim_papers AS SELECT 1 AS paper_id")
    con.close()
    publish(warehouse, destination, run_id="first")
    before = (destination.read_bytes(), manifest_path(destination).read_bytes())

    con = duckdb.connect(str(warehouse))
    con.execute("INSERT INTO marts.dim_papers VALUES (2)")
    con.close()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "build_manifest", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(warehouse, destination, run_id="second")
    assert (destination.read_bytes(), manifest_path(destination).read_bytes()) == before
    assert sorted(p.name for p in destination.parent.iterdir()) == PUBLISHED_NAMES  # no temporaries left


def test_copy_file_clones_where_the_file_system_can_and_copies_the_bytes_elsewhere(tmp_path, monkeypatch):
    source = tmp_path / "warehouse.duckdb"
    source.write_bytes(os.urandom(3 * 2**20))
    cloned: list[tuple[int, int]] = []

    def unsupported(fd, request, arg):
        cloned.append((request, arg))
        raise OSError(95, "Operation not supported")  # ext4, tmpfs

    monkeypatch.setattr(publish_module.fcntl, "ioctl", unsupported)
    assert publish_module.copy_file(source, tmp_path / "copy.duckdb") == ("copy", _sha(source))
    assert (tmp_path / "copy.duckdb").read_bytes() == source.read_bytes()
    assert cloned and cloned[0][0] == publish_module.FICLONE  # it asked for a clone first

    def clone(fd, request, arg):  # what the kernel does on btrfs or XFS: the target shares the blocks
        os.write(fd, os.read(arg, source.stat().st_size))

    monkeypatch.setattr(publish_module.fcntl, "ioctl", clone)
    monkeypatch.setattr(publish_module.shutil, "copyfile", None)  # a clone copies nothing itself
    assert publish_module.copy_file(source, tmp_path / "clone.duckdb") == ("reflink", _sha(source))
    assert (tmp_path / "clone.duckdb").read_bytes() == source.read_bytes()


def test_publish_records_the_digest_of_the_file_it_wrote_and_of_no_other(tmp_path):
    warehouse, destination = tmp_path / "warehouse.duckdb", tmp_path / "published" / "papertrends.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.dim_papers AS SELECT range AS paper_id FROM range(5000)")
    con.close()
    publish(warehouse, destination, run_id="first")
    assert known_digest(destination) == read_manifest(destination)["database"]["sha256"] == _sha(destination)

    # Replaced by a file publish did not write (another inode, same bytes): not vouched for.
    other = destination.with_name("other.duckdb")
    shutil.copyfile(destination, other)
    os.replace(other, destination)
    assert known_digest(destination) is None

    publish(warehouse, destination, run_id="second")
    assert known_digest(destination) == _sha(destination)
    os.chmod(destination, 0o644)  # written in place after publishing: size and mtime move
    with destination.open("ab") as handle:
        handle.write(b"tampered")
    assert known_digest(destination) is None

    publish(warehouse, destination, run_id="third")
    destination.with_name(DIGEST_NAME).write_text("not json")
    assert known_digest(destination) is None


def test_stale_temporaries_of_dead_publishers_are_removed(tmp_path):
    warehouse, destination = tmp_path / "warehouse.duckdb", tmp_path / "published" / "papertrends.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.dim_papers AS SELECT 1 AS paper_id")
    con.close()
    destination.parent.mkdir()
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])  # a pid that has exited
    dead_pid.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [
            destination.with_name(f".papertrends.duckdb.{dead_pid.pid}-0badc0de.tmp"),
            destination.with_name(f".papertrends.duckdb.{dead_pid.pid}.tmp"),
            destination.with_name(f".manifest.json.{dead_pid.pid}-0badc0de.tmp"),
            destination.with_name(f".{DIGEST_NAME}.{dead_pid.pid}-0badc0de.tmp"),
        ]
        in_progress = destination.with_name(f".papertrends.duckdb.{alive.pid}-12345678.tmp")
        for path in [*stale, in_progress]:
            path.write_bytes(b"half a copy")
        publish(warehouse, destination, run_id="r")
        assert sorted(p.name for p in destination.parent.iterdir()) == sorted([*PUBLISHED_NAMES, in_progress.name])
    finally:
        alive.kill()
        alive.wait()


def _dbt_building(pid: int) -> bool:
    """True once the run has a `dbt build` child: models are being written to the warehouse."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for child in children:
        try:
            command = child.cmdline()
        except psutil.Error:
            continue
        if "build" in command and any(part.endswith("/dbt") for part in command[:2]):
            return True
    return False


def test_killed_run_leaves_the_previous_copy_and_the_next_run_publishes(base, tmp_path):
    home = copy_home(base[0], tmp_path / "home")
    before = (home.published.read_bytes(), manifest_path(home.published).read_bytes())
    env = dict(os.environ, PAPERTRENDS_HOME=str(home.root))
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(DAY)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: dbt's subprocess dies with it
    )
    deadline = time.monotonic() + 180
    try:
        while True:  # wait until dbt is building models into the working warehouse
            if _dbt_building(process.pid):
                break
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "dbt never started"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL

    assert (home.published.read_bytes(), manifest_path(home.published).read_bytes()) == before
    assert sorted(p.name for p in home.published.parent.iterdir()) == PUBLISHED_NAMES
    assert query(home.published, "SELECT count(*) FROM marts.dim_papers") == [(30,)]
    # Had it been killed mid-copy, its dotted temporaries would be left: the next publish removes them.
    for name in (f".papertrends.duckdb.{process.pid}-0badc0de.tmp", f".manifest.json.{process.pid}-0badc0de.tmp"):
        (home.published.parent / name).write_bytes(before[0][:4096])

    summary = run_pipeline([DAY], home)
    assert summary.success and summary.published == home.published, summary.failed_steps
    assert sorted(p.name for p in home.published.parent.iterdir()) == PUBLISHED_NAMES
    manifest = read_manifest(home.published)
    assert manifest["run_id"] == summary.run_id != json.loads(before[1])["run_id"]
    assert manifest["database"]["sha256"] == _sha(home.published)
    assert sorted(i["source"] for i in manifest["inputs"]) == ["hf_daily_papers", "seed_page"]
    papers = query(home.published, "SELECT count(*) FROM marts.dim_papers")[0][0]
    assert papers == summary.papers == manifest["mart_row_counts"]["dim_papers"] > 30


READER = r"""
import json, sys, time
from pathlib import Path
from pipelines.sql_console import open_published

published, stop, ready = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
seen, errors, queries = [], [], 0
while True:
    stopping = stop.exists()
    try:
        con = open_published(published)  # read-only, locked down; a new connection every time
        try:
            n = con.execute("SELECT count(*) FROM marts.dim_papers").fetchone()[0]
        finally:
            con.close()
        queries += 1
        if not seen or seen[-1] != n:
            seen.append(n)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    if queries == 1:
        ready.touch()
    if stopping:
        break
    time.sleep(0.5)  # an open costs ~15 ms of CPU: ten readers at 2/s leave the run its CPU
print(json.dumps({"queries": queries, "errors": errors[:5], "error_count": len(errors), "seen": seen}))
"""


def test_ten_readers_never_fail_during_a_run_and_publish(base, tmp_path):
    home = copy_home(base[0], tmp_path / "home")
    stop = tmp_path / "stop"
    readers = []
    for i in range(10):
        ready = tmp_path / f"ready-{i}"
        process = subprocess.Popen(
            [sys.executable, "-c", READER, str(home.published), str(stop), str(ready)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        readers.append((process, ready))
    try:
        deadline = time.monotonic() + 60
        while not all(ready.exists() for _, ready in readers):
            assert time.monotonic() < deadline, "readers did not start"
            assert all(p.poll() is None for p, _ in readers), [p.communicate() for p, _ in readers if p.poll()]
            time.sleep(0.05)

        summary = run_pipeline([DAY], home)
        assert summary.success and summary.published == home.published
    finally:
        stop.touch()  # each reader runs one last query after seeing it: on the new copy
        outcomes = []
        for process, _ in readers:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            outcomes.append(json.loads(out))

    assert summary.papers > 30
    for outcome in outcomes:
        assert outcome["error_count"] == 0, outcome["errors"]
        assert outcome["queries"] >= 10
        # Each reader saw the previous copy, then the new one, and never the old one again nor anything between.
        assert outcome["seen"] == [30, summary.papers]
