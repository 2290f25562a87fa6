"""What the Dagster UI shows on each mart: row count, a Markdown preview and the column schema."""

from __future__ import annotations

import os

import dagster as dg
from conftest import query


def _latest_materialization(home, key: dg.AssetKey) -> dg.AssetMaterialization:
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(key)
    assert event is not None, f"{key.to_user_string()} was never materialised"
    return event.asset_materialization


def test_every_mart_materialisation_carries_count_preview_and_schema(sample_run):
    home, summary = sample_run
    marts = [name for name in summary.table_rows if name != "ingestion_audit"]
    assert "trending_papers" in marts and "topic_trends" in marts
    for name in marts:
        metadata = _latest_materialization(home, dg.AssetKey(["marts", name])).metadata
        assert metadata["dagster/row_count"].value == summary.table_rows[name], name
        assert metadata["preview"].value.startswith("| "), name
        columns = metadata["dagster/column_schema"].schema.columns
        expected = query(
            home.warehouse,
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
            [name],
        )
        assert [(c.name, c.type) for c in columns] == expected, name


def test_trending_preview_shows_the_top_rows(sample_run):
    home, _ = sample_run
    metadata = _latest_materialization(home, dg.AssetKey(["marts", "trending_papers"])).metadata
    header, rule, *rows = metadata["preview"].value.splitlines()
    columns = [c.name for c in metadata["dagster/column_schema"].schema.columns]
    assert header == "| " + " | ".join(columns) + " |"
    assert rule.count("---") == len(columns)
    assert len(rows) == 5
    score_type = {c.name: c.type for c in metadata["dagster/column_schema"].schema.columns}["score"]
    assert score_type == "DOUBLE"
