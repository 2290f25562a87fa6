"""The pooled SQLite event log (pipelines/event_log.py): Dagster's files, fewer connections."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines import event_log
from pipelines.event_log import PooledSqliteEventLogStorage
from pipelines.runner import _instance
from pipelines.settings import Home

DAYS = [f"2025-01-{day:02d}" for day in range(1, 31)]
KEY = dg.AssetKey(["raw", "hf_daily_papers"])


@pytest.fixture
def engines_made(monkeypatch) -> list[str]:
    made: list[str] = []
    real = event_log.create_engine

    def counting(url, **kwargs):
        made.append(str(url))
        return real(url, **kwargs)

    monkeypatch.setattr(event_log, "create_engine", counting)
    return made


def test_a_home_runs_dagster_on_the_pooled_event_log_in_dagsters_own_place(tmp_path):
    home = Home(tmp_path / "home").ensure()
    with _instance(home) as instance:
        storage = instance.event_log_storage
        assert type(storage) is PooledSqliteEventLogStorage
        assert storage._base_dir == str((home.dagster_home / "history" / "runs").resolve())
    config = (home.dagster_home / "dagster.yaml").read_text()
    assert "class: PooledSqliteEventLogStorage" in config and "enabled: false" in config

    moved = Home(tmp_path / "moved").ensure()
    (moved.dagster_home / "dagster.yaml").write_text(config)  # a copied home keeps the old path
    with _instance(moved) as instance:
        assert instance.event_log_storage._base_dir == str((moved.dagster_home / "history" / "runs").resolve())


def test_events_reuse_one_engine_per_database_and_stock_dagster_reads_them(tmp_path, engines_made):
    home = Home(tmp_path / "home").ensure()
    with _instance(home) as instance:
        for day in DAYS:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=KEY, partition=day))
        assert instance.get_materialized_partitions(KEY) == set(DAYS)
    # 60 event writes (each to its run's database and the index), two databases, two engines.
    assert len(engines_made) == 2 and len(set(engines_made)) == 2

    stock = SqliteEventLogStorage(str(home.dagster_home / "history" / "runs"))
    records = stock.fetch_materializations(KEY, limit=100).records
    assert sorted(r.partition_key for r in records) == DAYS


def test_only_the_most_recent_databases_stay_open_and_wipe_closes_them(tmp_path, monkeypatch, engines_made):
    monkeypatch.setattr(event_log, "OPEN_DATABASES", 2)
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    for run in ("a", "b", "c", "a"):
        with storage.run_connection(run) as conn:
            conn.exec_driver_sql("SELECT 1")
    # index (opened by the constructor through Dagster's own engine), then a, b, c, a again.
    assert list(storage._engines) == ["c", "a"]
    assert sum(url.endswith("/a.db") for url in engines_made) == 2  # evicted, then opened again
    storage.wipe()  # deletes the run databases (and empties the index, through a new engine)
    assert list(storage._engines) == ["index"] and not (tmp_path / "runs" / "a.db").exists()
    storage.dispose()
