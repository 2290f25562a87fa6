"""The whole pipeline over the full shared HF slice (../shared/data, present in CI)."""

from __future__ import annotations

import pytest
from conftest import fresh_home, mart_tables, query, shared_or_skip

from pipelines.runner import run_pipeline

DISTINCT_ARXIV_IDS_IN_DAILY = 4024  # from the slice's SOURCE.md


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory):
    daily = shared_or_skip("hf-daily-papers", "daily")
    home = fresh_home(tmp_path_factory, "shared_daily_home")
    summary = run_pipeline([daily], home)
    assert summary.success, f"{summary.failed_steps} {summary.failed_checks}"
    return daily, home, summary


def test_every_arxiv_id_is_one_paper(daily_run):
    _, home, _ = daily_run
    rows = query(
        home.published,
        "SELECT count(*), count(DISTINCT arxiv_id), count(DISTINCT paper_id) FROM marts.dim_papers",
    )
    assert rows == [(DISTINCT_ARXIV_IDS_IN_DAILY,) * 3]


def test_no_record_is_lost(daily_run):
    daily, home, summary = daily_run
    in_files = query(home.published, "SELECT sum(records_read) FROM raw.landed_files")[0][0]
    quarantined = query(home.published, "SELECT count(*) FROM marts.quarantined_records")[0][0]
    papers = query(home.published, "SELECT count(*) FROM marts.dim_papers")[0][0]
    # daily/ holds each paper once, so every record read is a paper or quarantined.
    assert in_files == papers + quarantined == DISTINCT_ARXIV_IDS_IN_DAILY
    assert summary.records_read == in_files
    assert len(summary.landed) == len(list(daily.glob("*.json"))) == 284


def test_each_quirk_shape_is_parsed(daily_run):
    _, home, _ = daily_run
    shapes = dict(query(home.published, "SELECT file_shape, count(*) FROM raw.landed_files GROUP BY 1"))
    assert shapes == {"array": 283, "wrapper": 1}
    formats = dict(query(home.published, "SELECT record_format, count(*) FROM raw.hf_daily_papers GROUP BY 1"))
    assert formats == {"object": 3724, "python_repr": 300}
    wrapper = query(
        home.published,
        "SELECT records_read FROM raw.landed_files WHERE file_shape = 'wrapper' AND listing_date = '2025-01-10'",
    )
    assert wrapper == [(9,)]


def test_titles_are_clean(daily_run):
    _, home, _ = daily_run
    dirty = query(
        home.published,
        r"""
        SELECT count(*) FROM marts.dim_papers
        WHERE title LIKE '%' || chr(10) || '%' OR title LIKE '%  %' OR title <> trim(title) OR title = ''
        """,
    )
    assert dirty == [(0,)]
    # The raw layer kept the hard wraps, so the cleaning really happened.
    wrapped = query(
        home.published, "SELECT count(*) FROM raw.hf_daily_papers WHERE paper_title LIKE '%' || chr(10) || '%'"
    )
    # SOURCE.md quotes 2,042; counting every record, repr strings included, gives 2,201.
    assert wrapped[0][0] == 2201


def test_github_repos_are_normalised(daily_run):
    _, home, _ = daily_run
    rows = query(
        home.published,
        "SELECT count(*), count(*) FILTER (WHERE NOT regexp_full_match(github_repo, '[a-z0-9_.-]+/[a-z0-9_.-]+'))"
        " FROM marts.dim_papers WHERE github_repo IS NOT NULL",
    )
    # 637 records have githubRepo; the single org-only URL names no repository.
    assert rows == [(636, 0)]


def test_rerun_gives_identical_marts(daily_run):
    daily, home, _ = daily_run
    before = mart_tables(home.published)
    again = run_pipeline([daily], home)
    assert again.success and not any(f.newly_landed for f in again.landed)
    assert mart_tables(home.published) == before


def test_history_refetches(tmp_path_factory):
    hf = shared_or_skip("hf-daily-papers")
    home = fresh_home(tmp_path_factory, "shared_history_home")
    summary = run_pipeline([hf], home)
    assert summary.success, f"{summary.failed_steps} {summary.failed_checks}"
    shapes = dict(query(home.published, "SELECT file_shape, count(*) FROM raw.landed_files GROUP BY 1"))
    assert shapes == {"array": 300, "wrapper": 1, "marker": 66, "no_data": 2}
    # Latest fetch wins membership: the final 2025-01-22 list has 13 papers, its first fetch 1.
    per_day = dict(
        query(
            home.published,
            "SELECT first_listed_on::VARCHAR, count(*) FROM marts.dim_papers"
            " WHERE first_listed_on IN ('2025-01-22', '2024-06-12', '2024-12-12', '2025-01-08') GROUP BY 1",
        )
    )
    assert per_day == {"2025-01-22": 13, "2024-06-12": 16, "2024-12-12": 18, "2025-01-08": 15}
    # Every version is a snapshot: 94 papers have two or more, 84 with changing upvotes.
    multi = query(
        home.published,
        """
        SELECT count(*), count(*) FILTER (WHERE n_upvotes > 1) FROM (
            SELECT paper_id, count(DISTINCT as_of) AS n_as_of, count(DISTINCT upvotes) AS n_upvotes
            FROM marts.fct_paper_snapshots WHERE source = 'hf_daily_papers' GROUP BY paper_id
        ) WHERE n_as_of > 1
        """,
    )
    assert multi == [(94, 84)]
    assert query(home.published, "SELECT count(*) FROM marts.fct_paper_snapshots")[0][0] == summary.records_read
