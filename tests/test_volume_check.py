"""The volume anomaly check: the newest day's paper count against the trailing mean ± k·sd (warning)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines.defs.quality import daily_volume_within_range
from pipelines.defs.resources import WarehouseResource
from pipelines.settings import Home
from pipelines.warehouse import connect, ensure_raw_tables


def _home_with_days(tmp_path, counts: list[int]) -> Home:
    home = Home(tmp_path).ensure()
    with connect(home.warehouse) as con:
        ensure_raw_tables(con)
        for offset, papers in enumerate(counts):
            day = dt.date(2025, 6, 2) + dt.timedelta(days=offset)
            con.execute(
                "INSERT INTO raw.landed_files (source, landing_path, listing_date, as_of, file_shape, records_read)"
                " VALUES ('hf_daily_papers', ?, ?, ?, 'array', ?)",
                [f"raw/hf/{day}.json", day, dt.datetime.combine(day, dt.time(17)), papers],
            )
        # an earlier, smaller fetch of the newest day never counts: the latest fetch is the day's list
        last = dt.date(2025, 6, 2) + dt.timedelta(days=len(counts) - 1)
        con.execute(
            "INSERT INTO raw.landed_files (source, landing_path, listing_date, as_of, file_shape, records_read)"
            " VALUES ('hf_daily_papers', 'raw/hf/early.json', ?, ?, 'array', 1)",
            [last, dt.datetime.combine(last, dt.time(4))],
        )
    return home


def _evaluate(home: Home) -> dg.AssetCheckResult:
    return daily_volume_within_range(warehouse=WarehouseResource(home_dir=str(home.root)))


def test_a_normal_day_passes(tmp_path):
    result = _evaluate(_home_with_days(tmp_path, [10, 12, 11, 9, 10, 13, 11, 10, 12, 11]))
    assert result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["papers"].value == 11
    assert result.metadata["trailing_mean"].value == sum([10, 12, 11, 9, 10, 13, 11, 10, 12]) / 9


def test_a_burst_warns(tmp_path):
    result = _evaluate(_home_with_days(tmp_path, [10, 12, 11, 9, 10, 13, 11, 10, 12, 90]))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description.startswith("2025-06-11: 90 papers, trailing mean 10.9")
    assert result.metadata["z"].value > 3


def test_short_history_is_not_judged(tmp_path):
    result = _evaluate(_home_with_days(tmp_path, [10, 300]))
    assert result.passed and result.description == "not enough history (1 days)"
