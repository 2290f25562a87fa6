"""Trending marts on the bundled sample: snapshot history, rankings, leaderboards, star growth.

The dbt unit tests pin each formula on hand-made rows; these tests check the same rules hold on
the real sample, recomputing them in Python from the published tables and the dbt vars.
"""

from __future__ import annotations

import datetime as dt
import math

import yaml
from conftest import fresh_home, query

from pipelines.runner import run_pipeline
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
TRENDING_MARTS = {"fct_paper_snapshots", "trending_papers", "trending_papers_latest", "contributor_leaderboard",
                  "github_star_growth"}  # fmt: skip


def test_trending_marts_are_published(sample_run):
    _, summary = sample_run
    assert set(summary.table_rows) >= TRENDING_MARTS
    assert summary.failed_checks == []


def test_vars_have_documented_defaults():
    for name in ("trending_top_n", "trending_half_life_hours", "trending_gravity", "w_upvotes", "w_comments",
                 "w_code", "w_velocity", "w_gravity"):  # fmt: skip
        assert isinstance(VARS[name], int | float), name
    text = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert "0.5 ^ (age_hours / trending_half_life_hours)" in text and "(age_hours + 2) ^ trending_gravity" in text


def test_snapshot_velocity_is_log1p_change_per_hour(sample_run):
    home, _ = sample_run
    rows = query(
        home.published,
        """
        SELECT paper_id, source, as_of, upvotes, hf_snapshot_number, hours_since_previous, upvotes_velocity_per_hour
        FROM marts.fct_paper_snapshots ORDER BY paper_id, as_of, landing_path, position
        """,
    )
    previous: dict[str, tuple[dt.datetime, int]] = {}
    checked = 0
    for paper_id, source, as_of, upvotes, number, hours, velocity in rows:
        if source != "hf_daily_papers":
            assert (number, hours, velocity) == (None, None, None)
            continue
        if paper_id not in previous:
            assert number == 1 and velocity is None
        else:
            before_at, before_upvotes = previous[paper_id]
            exact_hours = (as_of - before_at).total_seconds() / 3600
            assert hours == round(exact_hours, 6)
            expected = (math.log1p(upvotes) - math.log1p(before_upvotes)) / exact_hours if exact_hours else None
            assert velocity == (None if expected is None else round(expected, 6))
            checked += 1
        previous[paper_id] = (as_of, upvotes)
    # 2025-01-08 alone was fetched nine times: the sample has real re-fetch history.
    assert checked > 150


def test_every_trending_row_recomputes_from_its_components(sample_run):
    home, _ = sample_run
    rows = query(
        home.published,
        """
        SELECT t.as_of_date, t.as_of_at, t.listed_on, d.first_listed_on, t.age_hours, t.upvotes, t.comments,
               t.has_code, t.velocity_per_hour, t.decay, t.gravity, t.score
        FROM marts.trending_papers t JOIN marts.dim_papers d USING (paper_id)
        """,
    )
    assert rows
    for (
        as_of_date,
        as_of_at,
        listed_on,
        first_listed_on,
        age,
        upvotes,
        comments,
        code,
        velocity,
        decay,
        gravity,
        score,
    ) in rows:
        # As-of time = end of the window; listing time = the paper's first list date, 00:00 UTC.
        assert as_of_at == dt.datetime.combine(as_of_date + dt.timedelta(days=1), dt.time())
        assert listed_on == first_listed_on
        assert age == 24 * ((as_of_date - listed_on).days + 1)
        exact_decay = 0.5 ** (age / VARS["trending_half_life_hours"])
        exact_gravity = (upvotes - 1) / (age + 2) ** VARS["trending_gravity"]
        assert decay == round(exact_decay, 6) and gravity == round(exact_gravity, 6)
        expected = (
            exact_decay
            * (
                VARS["w_upvotes"] * math.log1p(upvotes)
                + VARS["w_comments"] * math.log1p(comments)
                + VARS["w_code"] * code
            )
            + VARS["w_velocity"] * (velocity or 0)
            + VARS["w_gravity"] * exact_gravity
        )
        assert abs(score - expected) < 1e-5


def test_trending_scores_the_latest_snapshot_at_or_before_the_as_of_time(sample_run):
    home, _ = sample_run
    wrong = query(
        home.published,
        """
        WITH hf AS (SELECT * FROM marts.fct_paper_snapshots WHERE source = 'hf_daily_papers'),
        expected AS (
            SELECT t.as_of_date, t.window_type, t.paper_id,
                   coalesce(max(hf.as_of) FILTER (WHERE hf.as_of <= t.as_of_at), min(hf.as_of)) AS snapshot_as_of
            FROM marts.trending_papers t JOIN hf USING (paper_id)
            GROUP BY ALL
        )
        SELECT count(*) FROM marts.trending_papers t JOIN expected e USING (as_of_date, window_type, paper_id)
        WHERE t.snapshot_as_of <> e.snapshot_as_of
        """,
    )
    assert wrong == [(0,)]


def test_latest_is_the_latest_listing_date(sample_run):
    home, _ = sample_run
    latest = query(home.published, "SELECT max(listing_date) FROM raw.hf_daily_papers")[0][0]
    rows = query(
        home.published,
        "SELECT DISTINCT as_of_date, window_type, window_label FROM marts.trending_papers_latest ORDER BY 2",
    )
    assert rows == [(latest, "day", "today"), (latest, "month", "this_month"), (latest, "week", "this_week")]
    same = query(
        home.published,
        """
        SELECT count(*) FROM marts.trending_papers_latest l
        JOIN marts.trending_papers t USING (as_of_date, window_type, rank, paper_id, score)
        """,
    )
    assert same == query(home.published, "SELECT count(*) FROM marts.trending_papers_latest")


def test_star_growth_is_honest_about_single_snapshots(sample_run):
    home, _ = sample_run
    with_stars = query(
        home.published,
        "SELECT count(DISTINCT paper_id) FROM marts.fct_paper_snapshots WHERE github_stars IS NOT NULL",
    )[0][0]
    rows = query(
        home.published,
        "SELECT rank, star_snapshots, stars_per_day, latest_stars FROM marts.github_star_growth ORDER BY rank",
    )
    assert len(rows) == with_stars > 0
    # The sample has one snapshot with stars per paper: no growth to measure, ranked on the stars that exist.
    assert all(n == 1 and growth is None for _, n, growth, _ in rows)
    assert [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)


def test_submitter_leaderboard_reconciles_with_papers(sample_run):
    home, _ = sample_run
    totals = query(
        home.published,
        """
        SELECT count(*), sum(papers), sum(upvotes), sum(trending_appearances)
        FROM marts.contributor_leaderboard WHERE contributor_type = 'submitter'
        """,
    )[0]
    papers = query(
        home.published,
        """
        SELECT count(DISTINCT submitted_by), count(*), sum(latest_upvotes) FROM marts.dim_papers
        WHERE submitted_by IS NOT NULL
        """,
    )[0]
    appearances = query(home.published, "SELECT count(*) FROM marts.trending_papers WHERE submitted_by IS NOT NULL")
    assert totals == (*papers, appearances[0][0])
    # The bundled files predate the API's organization object.
    assert query(
        home.published, "SELECT count(*) FROM marts.contributor_leaderboard WHERE contributor_type = 'organization'"
    ) == [(0,)]


def test_organization_flows_from_the_api_to_the_leaderboard(tmp_path_factory):
    home = fresh_home(tmp_path_factory, "organization_home")
    summary = run_pipeline([REPO_ROOT / "tests" / "fixtures" / "hf" / "2025-03-17_unknown_keys.json"], home)
    assert summary.success and summary.published == home.published
    assert query(home.published, "SELECT organization FROM raw.hf_daily_papers") == [("example-org",)]
    assert query(
        home.published,
        "SELECT contributor_type, contributor, papers FROM marts.contributor_leaderboard ORDER BY 1",
    ) == [("organization", "example-org", 1), ("submitter", "kwanyoung", 1)]
    assert query(home.published, "SELECT DISTINCT organization FROM marts.trending_papers") == [("example-org",)]
