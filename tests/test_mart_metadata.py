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


def test_a_mart_view_has_schema_and_preview_but_is_not_counted(sample_run):
    # Counting a view runs its query over the whole history (92M rows, 14 s at 1M papers).
    home, summary = sample_run
    assert "paper_keywords" not in summary.table_rows
    metadata = _latest_materialization(home, dg.AssetKey(["marts", "paper_keywords"])).metadata
    assert "dagster/row_count" not in metadata
    assert metadata["relation"].value == "view: its rows are computed when it is read"
    header = metadata["preview"].value.splitlines()[0]
    assert header.startswith("| paper_id | keyword |") and header.endswith("| tfidf |")
    assert [c.name for c in metadata["dagster/column_schema"].schema.columns][:2] == ["paper_id", "keyword"]


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
