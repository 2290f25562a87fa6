"""The whole pipeline, in-process, on the bundled real sample (no ../shared needed)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from conftest import fresh_home, mart_tables, query

from pipelines.runner import run_pipeline
from pipelines.settings import REPO_ROOT, SAMPLE_DIR

EXPECTED_MARTS = {
    "dim_papers", "fct_paper_snapshots", "trending_papers", "dim_topics", "paper_topics",
    "topic_trends", "quarantined_records",
}  # fmt: skip


def test_run_publishes_every_mart_read_only(sample_run):
    home, summary = sample_run
    assert summary.published == home.published
    assert set(summary.table_rows) >= EXPECTED_MARTS
    assert not stat.S_IMODE(home.published.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert summary.failed_checks == []
    check_names = {c.name for c in summary.checks}
    assert {"gx_hf_papers_raw", "gx_staged_papers", "records_reconcile"} <= check_names
    assert any(name.startswith("unique_") for name in check_names), "dbt tests must arrive as asset checks"


def test_sample_counts_reconcile(sample_run):
    home, summary = sample_run
    files = query(home.published, "SELECT count(*), sum(records_read), sum(records_quarantined) FROM raw.landed_files")
    # 47 HF files (30 daily + 17 history), 7 arXiv listing files and the seed page.
    assert files == [(55, 2622, 0)]
    assert summary.records_read == 2622
    ids = query(
        home.published,
        "SELECT count(DISTINCT arxiv_id) FROM"
        " (SELECT arxiv_id FROM raw.hf_daily_papers UNION ALL SELECT arxiv_id FROM raw.arxiv_listings)",
    )[0][0]
    seed_only = query(home.published, "SELECT count(*) FROM marts.dim_papers WHERE arxiv_id IS NULL")[0][0]
    assert (ids, seed_only) == (1537, 30)
    assert query(home.published, "SELECT count(*) FROM marts.dim_papers")[0][0] == ids + seed_only
    assert summary.papers == ids + seed_only


def test_latest_fetch_defines_membership_and_every_snapshot_is_kept(sample_run):
    home, _ = sample_run
    # 2025-01-08 was fetched nine times; the first fetch had 13 papers, the final one 15.
    versions = query(
        home.published,
        "SELECT as_of, records_read FROM raw.landed_files WHERE listing_date = '2025-01-08' ORDER BY as_of",
    )
    assert len(versions) == 9
    assert versions[0][1] == 13 and versions[-1][1] == 15
    listed = query(home.published, "SELECT count(*) FROM marts.dim_papers WHERE first_listed_on = '2025-01-08'")
    assert listed == [(15,)]
    # Every version of every paper of that day is a snapshot with its own as-of time.
    snapshots = query(
        home.published,
        """
        SELECT count(*), count(DISTINCT paper_id), count(DISTINCT as_of)
        FROM marts.fct_paper_snapshots WHERE listing_date = '2025-01-08'
        """,
    )
    assert snapshots == [(sum(v[1] for v in versions), 15, 9)]
    # The paper's latest upvotes come from the newest snapshot.
    newest = query(
        home.published,
        """
        SELECT d.latest_upvotes = s.upvotes, d.latest_as_of = s.as_of
        FROM marts.dim_papers AS d
        JOIN marts.fct_paper_snapshots AS s USING (paper_id)
        WHERE s.listing_date = '2025-01-08'
        QUALIFY row_number() OVER (PARTITION BY s.paper_id ORDER BY s.as_of DESC) = 1
        """,
    )
    assert newest and all(a and b for a, b in newest)


def test_seed_page_papers_are_papers(sample_run):
    home, _ = sample_run
    rows = query(
        home.published,
        "SELECT title, latest_upvotes, author_count FROM marts.dim_papers WHERE title LIKE 'Neural Circuit Diagrams%'",
    )
    assert rows == [(rows[0][0], 1, rows[0][2])]
    assert query(home.published, "SELECT count(*) FROM marts.dim_papers WHERE list_contains(sources, 'seed_page')") == [
        (30,)
    ]


def test_trending_has_ranked_components(sample_run):
    home, _ = sample_run
    rows = query(
        home.published,
        """
        SELECT window_type, count(DISTINCT as_of_date), max(rank),
               bool_and(abs(score - (upvotes_component + comments_component + code_component
                                     + velocity_component + gravity_component)) < 1e-5)
        FROM marts.trending_papers GROUP BY window_type ORDER BY window_type
        """,
    )
    assert [r[0] for r in rows] == ["day", "month", "week"]
    assert all(r[2] <= 10 and r[3] for r in rows)
    # One ranking per window type for every date that has a daily list.
    day_count = query(home.published, "SELECT count(DISTINCT listing_date) FROM raw.hf_daily_papers")[0][0]
    assert all(r[1] == day_count for r in rows)


def test_rerun_gives_identical_marts_and_lands_nothing_new(tmp_path_factory, sample_run):
    home, _ = sample_run
    before = mart_tables(home.published)
    second = run_pipeline([SAMPLE_DIR], home)
    assert second.success and second.published == home.published
    assert not any(f.newly_landed for f in second.landed)
    assert mart_tables(home.published) == before


def test_failing_blocking_check_does_not_publish(tmp_path_factory):
    home = fresh_home(tmp_path_factory, "failing_home")
    first = run_pipeline([SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-27.json"], home)
    assert first.published == home.published
    published_bytes = home.published.read_bytes()

    # A real day whose first title is 1,500 characters long: storable (the parser's
    # limit is 2,000), but over the raw GX suite's bound of 1,000, a blocking check.
    records = json.loads((SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-26.json").read_text())
    records[0]["title"] = "A" * 1500
    future = tmp_path_factory.mktemp("long_title") / "2025-06-26.json"
    future.write_text(json.dumps(records))
    second = run_pipeline([future], home)
    assert not second.success
    assert second.published is None
    failed = {c.name: c.description for c in second.failed_checks}
    assert "gx_hf_papers_raw" in failed
    assert "expect_column_value_lengths_to_be_between(title)" in failed["gx_hf_papers_raw"]
    assert home.published.read_bytes() == published_bytes


def test_cli_run_prints_summary(tmp_path):
    env = dict(os.environ, PAPERTRENDS_HOME=str(tmp_path), COLUMNS="200")
    seed = SAMPLE_DIR / "seed_page"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(seed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "papers" in result.stdout and "30" in result.stdout
    assert str(tmp_path / "published" / "papertrends.duckdb") in result.stdout


def test_cli_names_bad_file_and_line(tmp_path):
    bad = tmp_path / "in" / "2025-03-18.json"
    bad.parent.mkdir()
    bad.write_text('[\n  {"paper": {"id": "2503.00001"}},\n  {"paper": \n')
    env = dict(os.environ, PAPERTRENDS_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    out = result.stdout.replace("\n", "")
    assert "2025-03-18.json:4" in out and "invalid JSON" in out
    assert not (tmp_path / "home" / "raw" / "hf_daily_papers").exists()


def test_bad_records_are_quarantined_not_lost(tmp_path_factory):
    """A file with 2 good and 8 bad records: the good ones are papers, the bad ones keep their reasons."""
    home = fresh_home(tmp_path_factory, "quarantine_home")
    summary = run_pipeline([REPO_ROOT / "tests" / "fixtures" / "hf" / "2024-06-10_bad_records.json"], home)
    assert summary.success and summary.published == home.published
    assert (summary.records_read, summary.records_quarantined, summary.papers) == (10, 8, 2)
    rows = query(
        home.published,
        "SELECT position, reason, source_file, raw_text FROM marts.quarantined_records ORDER BY position",
    )
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8]
    reasons = {r[0]: r[1] for r in rows}
    assert reasons[1] == "missing paper.id (arXiv id)"
    assert reasons[3] == "paper.upvotes is negative (-3)"
    assert reasons[8] == "record is a list, expected an object"
    assert all(r[2] == "2024-06-10_bad_records.json" for r in rows)
    assert '"upvotes": -3' in rows[2][3]
    assert {c.name: c.passed for c in summary.checks}["records_reconcile"] is True
