"""Shared fixtures: temp homes, and pipeline runs reused across tests (a run costs seconds)."""

from __future__ import annotations

import fcntl
import os
import pickle
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import REPO_ROOT, SAMPLE_DIR, Home

SHARED_DATA = Path(os.environ.get("PAPERTRENDS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_or_skip(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"full shared data set not present at {path} (it is in CI); the bundled sample tests still run")
    return path


def fresh_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Home:
    home = Home(tmp_path_factory.mktemp(name)).ensure()
    os.environ["PAPERTRENDS_HOME"] = str(home.root)
    return home


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# The audit log grows with every run by design; every other mart is a function of the input.
RUN_LOG_MARTS = ("ingestion_audit",)


def mart_tables(database: Path) -> dict[str, list[tuple]]:
    """Every mart's rows in physical order (run logs aside): equal dicts mean identical tables."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: con.execute(f'SELECT * FROM marts."{name}"').fetchall() for name in names if name not in RUN_LOG_MARTS
        }
    finally:
        con.close()


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """One pipeline run over the bundled sample for the whole session, read by many test files.

    Built once whichever xdist worker asks first (the others wait on a lock, then read it): a run
    is minutes on a slow 2-core machine, and each worker building its own cost CI two of them
    side by side. Tests only read it (a rerun over it is a no-op that writes nothing).
    """
    from pipelines.runner import run_pipeline

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base  # xdist: the session's common folder
    home = Home(shared / "sample_home")
    built = shared / "sample_run.pickle"
    with (shared / "sample_run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            os.environ["PAPERTRENDS_HOME"] = str(home.ensure().root)
            summary = run_pipeline([SAMPLE_DIR], home)
            assert summary.success, f"sample run failed: {summary.failed_steps} {summary.failed_checks}"
            built.write_bytes(pickle.dumps(summary))
    os.environ["PAPERTRENDS_HOME"] = str(home.root)
    return home, pickle.loads(built.read_bytes())


# Test files that run the whole pipeline, slowest first (seconds of one serial CI run, session 5).
# `make test` hands whole files to two workers in collection order; starting the longest first
# keeps one worker from being left with a long file at the end (longest-processing-time-first).
SLOWEST_FILES = (
    "test_incremental.py",  # 295 s
    "test_pipeline_sample.py",  # 287 s
    "test_pipeline_shared.py",  # 249 s
    "test_live_month.py",  # 230 s
    "test_noop_run.py",  # 227 s
    "test_publish.py",  # 165 s
    "test_identity_resolution.py",  # 160 s
    "test_mart_metadata.py",  # 123 s
    "test_hf_api_client.py",  # 103 s
    "test_inbox.py",  # 80 s
    "test_bare_duckdb.py",  # 71 s
    "test_generate.py",  # 60 s
    "test_trending.py",  # 50 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(SLOWEST_FILES)}
    # A stable sort: within a file, and among the fast files, the collection order stays.
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
