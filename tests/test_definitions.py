"""The code location loads, its asset graph matches the reviewed snapshot, and its assets run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from conftest import fresh_home, query

from pipelines.definitions import defs
from pipelines.defs.ingestion import HF_RAW, hf_daily_papers_raw, ingestion_ledger, seed_page_raw
from pipelines.defs.quality import records_reconcile
from pipelines.defs.resources import WarehouseResource
from pipelines.landing import land
from pipelines.settings import REPO_ROOT, SAMPLE_DIR

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


def describe_asset_graph() -> str:
    """One line per asset (key, group, partitioned, deps) and per check (asset, name, blocking)."""
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = ",".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        partitioned = "daily" if node.partitions_def else "-"
        lines.append(f"asset {key.to_user_string()} group={node.group_name} partitions={partitioned} deps={deps}")
    for check_key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(check_key)
        lines.append(f"check {check_key.asset_key.to_user_string()}:{check_key.name} blocking={spec.blocking}")
    return "\n".join(lines) + "\n"


def test_asset_graph_matches_snapshot():
    """Changing keys, groups or checks is a reviewed change: UPDATE_SNAPSHOTS=1 rewrites the file."""
    current = describe_asset_graph()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text()


def test_groups_follow_the_dbt_layout():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["staging/stg_hf_daily_papers__papers"] == "staging"
    assert groups["marts/dim_papers"] == "marts"
    assert groups["raw/hf_daily_papers"] == "ingestion"
    assert groups["published/papertrends"] == "publish"
    assert all(group == key.split("/")[0] for key, group in groups.items() if key.startswith(("marts/", "staging/")))


def test_schedule_is_daily_and_off_by_default():
    schedule = defs.resolve_schedule_def("papertrends_daily_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 9 * * *"
    job = defs.resolve_job_def("papertrends_daily")
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)


def test_dagster_validates_the_workspace():
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_partitioned_ingestion_materialises_one_day_and_a_backfill_range(tmp_path_factory):
    """dg.materialize on a temp DuckDB: one partition, then a single-run backfill over a range."""
    home = fresh_home(tmp_path_factory, "partition_home")
    land([SAMPLE_DIR / "hf-daily-papers"], home)
    resources = {"warehouse": WarehouseResource(home_dir=str(home.root))}
    instance = dg.DagsterInstance.ephemeral()

    one_day = dg.materialize([hf_daily_papers_raw], partition_key="2025-01-08", resources=resources, instance=instance)
    assert one_day.success
    # nine fetches of 2025-01-08, 13 to 15 papers each
    assert query(
        home.warehouse, "SELECT count(DISTINCT landing_path), count(DISTINCT arxiv_id) FROM raw.hf_daily_papers"
    ) == [(9, 15)]

    backfill = dg.materialize(
        [hf_daily_papers_raw, seed_page_raw, ingestion_ledger, records_reconcile],
        resources=resources,
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2024-06-10", "dagster/asset_partition_range_end": "2025-01-12"},
    )
    assert backfill.success
    days = query(
        home.warehouse,
        "SELECT min(listing_date)::VARCHAR, max(listing_date)::VARCHAR FROM raw.landed_files WHERE source = 'hf_daily_papers'",
    )
    assert days == [("2024-06-10", "2025-01-12")]
    materialized = backfill.asset_materializations_for_node(hf_daily_papers_raw.op.name)
    assert {m.partition for m in materialized} >= {"2024-06-10", "2025-01-08", "2025-01-12"}
    assert [c.passed for c in backfill.get_asset_check_evaluations()] == [True]

    # Re-running one day replaces that day only.
    rows_before = query(home.warehouse, "SELECT count(*) FROM raw.hf_daily_papers")
    again = dg.materialize([hf_daily_papers_raw], partition_key="2024-12-12", resources=resources, instance=instance)
    assert again.success
    assert query(home.warehouse, "SELECT count(*) FROM raw.hf_daily_papers") == rows_before
    assert HF_RAW in {e.asset_key for e in again.get_asset_materialization_events()}


def test_ingestion_assets_carry_a_freshness_policy():
    graph = defs.resolve_asset_graph()
    for key in (["landing", "hf_daily_papers"], ["raw", "hf_daily_papers"], ["raw", "arxiv_listings"]):
        policy = graph.get(dg.AssetKey(key)).freshness_policy
        assert policy.fail_window.to_timedelta().total_seconds() == 80 * 3600, key
        assert policy.warn_window.to_timedelta().total_seconds() == 36 * 3600, key
    assert graph.get(dg.AssetKey(["raw", "seed_page_papers"])).freshness_policy is None


def test_loading_the_definitions_leaves_the_heavy_libraries_unimported():
    """GX, scikit-learn and altair load in the steps that use them, not in every process.

    Every run's Dagster process holds what loading the definitions imports: with these three it
    was 0.46 GB before any step ran (now about 0.27), beside dbt or the parser workers at 1M papers.
    """
    probe = (
        "import sys, warnings; warnings.simplefilter('ignore'); import pipelines.definitions; "
        "print(' '.join(m for m in ('great_expectations', 'sklearn', 'altair', 'vl_convert', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert result.stdout.strip() == ""
