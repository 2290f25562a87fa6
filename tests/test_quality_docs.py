"""GX suite checks in the pipeline, their data docs, and the dbt docs asset.

The pipeline-level tests share the session's sample run (tests/conftest.py); the failing-check
test runs one check against a small hand-made warehouse.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.defs.dbt_models import DBT_ASSETS
from pipelines.defs.docs import DBT_DOCS, DBT_DOCS_FILES, GX_DATA_DOCS
from pipelines.defs.ingestion import RAW_ASSETS
from pipelines.defs.quality import SUITE_CHECKS, suite_checks
from pipelines.defs.resources import WarehouseResource
from pipelines.quality import data_docs
from pipelines.quality.gx_suites import validate_suite
from pipelines.quality.suites import suite_names
from pipelines.settings import Home

GX_CHECKS = {f"gx_{name}" for name in suite_names()}


def _evaluations(home: Home, run_id: str) -> dict[str, dg.AssetCheckEvaluation]:
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return {r.event_log_entry.dagster_event.event_specific_data.check_name: r.event_log_entry.dagster_event.event_specific_data for r in records}  # fmt: skip


def test_every_suite_has_a_check_and_mart_checks_sit_on_leaf_marts():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {key.name: key.asset_key for key in graph.asset_check_keys}
    assert set(checks) >= GX_CHECKS
    assert {spec.suite for spec in SUITE_CHECKS} == set(suite_names())
    dbt_keys = {key for assets in DBT_ASSETS for key in assets.keys}
    for name in GX_CHECKS:
        assert graph.get_check_spec(dg.AssetCheckKey(checks[name], name)).blocking, name
        if name.startswith("gx_marts_"):
            # No dbt model downstream: a blocking check here never splits a dbt step.
            children = graph.get(checks[name]).child_keys
            assert not children & dbt_keys, (name, children)
    assert checks["gx_marts_topic_shares"].path == ["marts", "emerging_topics"]
    assert checks["gx_marts_trending_papers"].path == ["marts", "trending_papers_latest"]
    assert checks["gx_arxiv_listings_raw"].path == ["raw", "arxiv_listings"]


def test_suite_checks_pass_on_the_sample_run_with_their_results_as_metadata(sample_run):
    home, summary = sample_run
    by_name = {c.name: c for c in summary.checks}
    assert set(by_name) >= GX_CHECKS
    for name in GX_CHECKS:
        outcome = by_name[name]
        assert outcome.passed and outcome.blocking, outcome.description
        # Raw and staged suites validate the days the run ingested (here: every sample day).
        scope = " on listing_date in \\d+ day\\(s\\) of this run" if not name.startswith("gx_marts_") else ""
        assert re.fullmatch(rf"{name[3:]}: (\d+)/\1 expectations passed{scope}", outcome.description), name

    evaluations = _evaluations(home, summary.run_id)
    shares = evaluations["gx_marts_topic_shares"].metadata
    assert shares["table"].value == "query:marts_topic_shares"
    assert shares["evaluated"].value == 6 and shares["failures"].value == []
    assert shares["rows_in_source"].value >= 2 and shares["sampled"].value is False  # >= one week and one month
    raw = evaluations["gx_arxiv_listings_raw"].metadata
    assert raw["rows_in_source"].value > 1000 and raw["rows_validated"].value == raw["rows_in_source"].value
    for name in GX_CHECKS:
        page = Path(evaluations[name].metadata["data_docs"].value)
        assert page.is_file() and page.is_relative_to(home.root / "docs" / "gx"), name


def test_gx_data_docs_show_every_suite_validated_in_the_run(sample_run):
    home, summary = sample_run
    site = home.root / "docs" / "gx"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert (site / ".papertrends_run_id").read_text().strip() == summary.run_id
    for name in suite_names():
        links = re.findall(rf"validations/{name}/{summary.run_id}/[0-9TZ.]+/[\w.:-]+\.html", index)
        assert links, f"index.html has no validation page for {name}"
        assert (site / links[0]).is_file()
        assert f"expectations/{name}.html" in index
    page = next((site / "validations" / "marts_topic_shares" / summary.run_id).rglob("*.html")).read_text()
    assert "share_total" in page and "0.999999" in page  # the expectation and its bounds are rendered
    # Only this run's results are shown (the site is rebuilt when a new run starts).
    assert {p.name for p in (site / "validations" / "hf_papers_raw").iterdir()} == {summary.run_id}
    # Rendered once, by the docs step after publishing, not by each passing check.
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(GX_DATA_DOCS)
    assert event.run_id == summary.run_id
    assert event.asset_materialization.metadata["suites_validated"].value == sorted(suite_names())


def test_dbt_docs_are_generated_after_publishing(sample_run):
    home, summary = sample_run
    site = home.root / "docs" / "dbt"
    assert {p.name for p in site.iterdir() if not p.name.startswith(".")} == set(DBT_DOCS_FILES)
    catalog = json.loads((site / "catalog.json").read_text())
    trending = catalog["nodes"]["model.papertrends.trending_papers"]
    assert trending["metadata"]["schema"] == "marts"
    assert {"as_of_date", "window_type", "rank", "paper_id", "score"} <= set(trending["columns"])
    assert trending["columns"]["score"]["type"].upper() == "DOUBLE"
    assert {"model.papertrends.topic_trends", "model.papertrends.emerging_topics"} <= set(catalog["nodes"])
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["nodes"]["model.papertrends.trending_papers"]["description"].startswith("Top var('trending_top_n')")
    assert (site / "index.html").stat().st_size > 100_000
    assert "model.papertrends.trending_papers" in (site / "static_index.html").read_text()  # self-contained
    # Every node is listed; only the models are compiled (the tests' rendered SQL is left out).
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    assert len(tests) > 200 and not any(node.get("compiled_code") for node in tests)
    assert "from " in manifest["nodes"]["model.papertrends.trending_papers"]["compiled_code"].lower()

    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    event = instance.get_latest_materialization_event(DBT_DOCS)
    assert event.run_id == summary.run_id
    materialization = event.asset_materialization
    assert materialization.metadata["index"].value == str(site / "index.html")
    assert "trending_papers" in materialization.metadata["marts"].value


# --------------------------------------------------------------------------- a failing check


def arxiv_home(root: Path, *, bad_row: bool) -> Home:
    """A warehouse holding only raw.arxiv_listings: six rows, the fourth a malformed id if ``bad_row``."""
    home = Home(root).ensure()
    con = duckdb.connect(str(home.warehouse))
    con.execute("CREATE SCHEMA raw")
    fourth = "'2406.1123'" if bad_row else "'2406.11233'"
    con.execute(
        f"""
        CREATE TABLE raw.arxiv_listings AS
        SELECT 'raw/arxiv_listings/dt=2025-01-02/2025-01-02.jsonl' AS landing_path, i::INTEGER AS position,
               i + 1 AS line_number,
               CASE i WHEN 3 THEN {fourth} WHEN 4 THEN 'hep-th/9901001v2' WHEN 5 THEN 'math.CV/0101001'
                      ELSE '2406.1123' || i::VARCHAR END AS arxiv_id,
               'A title' AS title, 'An abstract.' AS summary, 'cs.CL' AS primary_category,
               DATE '2025-01-02' AS listing_date
        FROM range(6) AS r(i)
        """
    )
    con.close()
    return home


@pytest.fixture
def bad_arxiv_home(tmp_path) -> Home:
    return arxiv_home(tmp_path / "home", bad_row=True)


def test_a_failing_suite_check_blocks_names_the_values_and_documents_them(bad_arxiv_home):
    home = bad_arxiv_home
    check = next(c for c in suite_checks if {k.name for k in c.check_keys} == {"gx_arxiv_listings_raw"})
    result = dg.materialize(
        [RAW_ASSETS["arxiv_listings"], check],
        selection=dg.AssetSelection.checks(check),
        resources={"warehouse": WarehouseResource(home_dir=str(home.root))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success  # a failed blocking check fails its step
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.passed, evaluation.severity, evaluation.blocking) == (False, dg.AssetCheckSeverity.ERROR, True)
    # The description (what the CLI prints for a failed check) names the expectation and the value;
    # old-style ids (rows 4 and 5) pass.
    assert evaluation.description == (
        "arxiv_listings_raw: 11/12 expectations passed; failed: expect_column_values_to_match_regex(arxiv_id) "
        "e.g. ['2406.1123']"
    )
    [failure] = evaluation.metadata["failures"].value
    assert failure["expectation"] == "expect_column_values_to_match_regex" and failure["sample"] == ["2406.1123"]
    assert failure["unexpected_count"] == 1 and failure["reason"].startswith("1 of 6 rows not matching ^")
    page = Path(evaluation.metadata["data_docs"].value)
    assert page.parent.parent.name == result.run_id
    text = page.read_text(encoding="utf-8")
    assert "2406.1123" in text and "raw.arxiv_listings" in text
    assert "arxiv_listings_raw" in (home.root / "docs" / "gx" / "index.html").read_text()


def test_a_passing_check_saves_its_result_and_the_docs_step_renders_every_page_at_once(tmp_path):
    """Rendering per check cost each its own GX context and templates (8 s of a small run)."""
    home = arxiv_home(tmp_path / "home", bad_row=False)
    check = next(c for c in suite_checks if {k.name for k in c.check_keys} == {"gx_arxiv_listings_raw"})
    resources = {"warehouse": WarehouseResource(home_dir=str(home.root))}
    checked = dg.materialize(
        [RAW_ASSETS["arxiv_listings"], check],
        selection=dg.AssetSelection.checks(check),
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
    )
    [evaluation] = checked.get_asset_check_evaluations()
    assert evaluation.passed
    page = Path(evaluation.metadata["data_docs"].value)
    saved = home.root / "gx" / "validations" / checked.run_id / "arxiv_listings_raw.json"
    assert saved.is_file() and not page.exists() and not (home.root / "docs" / "gx").exists()

    # The docs step of that run (here run on its own, under the check's run id) renders it.
    docs = data_docs.build_site(home.root, checked.run_id)
    assert docs["arxiv_listings_raw"] == page and page.is_file()
    assert "2406.11233" not in page.read_text() and "arxiv_listings_raw" in docs["index"].read_text()


def test_data_docs_site_shows_the_latest_run_only(bad_arxiv_home):
    home = bad_arxiv_home
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        outcome = validate_suite(con, "arxiv_listings_raw")
    finally:
        con.close()
    first = data_docs.record_validation(home.root, "run-1", outcome)
    assert first["page"].is_file() and "run-1" in first["index"].read_text()
    second = data_docs.record_validation(home.root, "run-2", outcome)
    index = second["index"].read_text()
    assert "run-2" in index and "run-1" not in index
    assert not first["page"].exists()  # the site was rebuilt for the new run
    # Results stay on disk per run, so any run's site can be rebuilt.
    assert (home.root / "gx" / "validations" / "run-1" / "arxiv_listings_raw.json").is_file()
    rebuilt = data_docs.build_site(home.root, "run-1")
    assert rebuilt["arxiv_listings_raw"].is_file() and "run-1" in rebuilt["index"].read_text()
