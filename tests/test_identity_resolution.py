"""One paper per arXiv id across sources: HF Daily Papers, arXiv listings and seed pages, in-process.

The small set is the HF sample days 2025-03-17 … 03-21, the bundled arXiv slice (2025-03-18 … 03-24)
and the seed page, plus a copy of the seed page whose first title is rewritten to an arXiv-only
paper's title (other case and punctuation), so that a title_key match to an arXiv paper is real.
Expected values are computed from the files with the source parsers, never from the warehouse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import fresh_home, query, shared_or_skip

from pipelines.runner import run_pipeline
from pipelines.settings import SAMPLE_DIR
from pipelines.sources import SOURCES

HF_DAYS = [SAMPLE_DIR / "hf-daily-papers" / "daily" / f"2025-03-{day}.json" for day in range(17, 22)]
ARXIV_DIR = SAMPLE_DIR / "arxiv-daily-listings"
SEED_PAGE = SAMPLE_DIR / "seed_page" / "000_d08c345bab2960d3.txt"
SEED_FIRST_TITLE_LINE = 13  # 1-based line of the page's first title
SHARED_DISTINCT_ARXIV_IDS = 2327  # arxiv-daily-listings SOURCE.md
SHARED_IDS_ALSO_IN_HF = 143  # arxiv-daily-listings SOURCE.md


def bare(arxiv_id: str) -> str:
    return re.sub(r"v\d+\Z", "", arxiv_id)


def hf_ids(paths: list[Path]) -> set[str]:
    source = SOURCES["hf_daily_papers"]
    return {bare(row["arxiv_id"]) for p in paths for row in source.parse(p, p.read_bytes(), None).rows}


def arxiv_versions(folder: Path) -> dict[str, list[tuple[dt.date, int, dict]]]:
    """Every listing of every id: (listing date, line, row)."""
    source = SOURCES["arxiv_listings"]
    versions: dict[str, list[tuple[dt.date, int, dict]]] = defaultdict(list)
    for path in sorted(folder.glob("*.jsonl")):
        parsed = source.parse(path, path.read_bytes(), None)
        for row in parsed.rows:
            versions[bare(row["arxiv_id"])].append((parsed.listing_date, row["position"], row))
    return versions


def expected_category_trends(versions: dict[str, list[tuple[dt.date, int, dict]]]) -> set[tuple]:
    """(period_type, period_start, primary_category, papers): first listing date, latest version's category."""
    counts: dict[tuple, int] = defaultdict(int)
    for listings in versions.values():
        first = min(day for day, _, _ in listings)
        latest_day = max(day for day, _, _ in listings)
        categories = {row["primary_category"] for day, _, row in listings if day == latest_day}
        assert len(categories) == 1  # repeats agree within this slice
        category = categories.pop()
        counts[("week", first - dt.timedelta(days=first.weekday()), category)] += 1
        counts[("month", first.replace(day=1), category)] += 1
    return {(*key, n) for key, n in counts.items()}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    versions = arxiv_versions(ARXIV_DIR)
    hf = hf_ids(HF_DAYS)
    arxiv_only = sorted(set(versions) - hf)
    target = arxiv_only[0]
    title = " ".join(versions[target][0][2]["title"].split())
    variant = title.upper().replace(":", " —").replace("-", " ")
    lines = SEED_PAGE.read_text(encoding="utf-8").split("\n")
    lines[SEED_FIRST_TITLE_LINE - 1] = variant
    seed_variant = tmp_path_factory.mktemp("seed_variant") / "seed_variant.txt"
    seed_variant.write_text("\n".join(lines), encoding="utf-8")

    home = fresh_home(tmp_path_factory, "identity_home")
    summary = run_pipeline([*HF_DAYS, ARXIV_DIR, SEED_PAGE, seed_variant], home)
    assert summary.success, f"{summary.failed_steps} {summary.failed_checks}"
    return home, summary, versions, hf, target, variant


def test_raw_keeps_every_line_and_dim_papers_collapses_them(small_run):
    home, _, versions, _, _, _ = small_run
    lines = sum(len(listings) for listings in versions.values())
    assert lines == 1939 and len(versions) == 1137
    assert query(home.published, "SELECT count(*), count(DISTINCT arxiv_id) FROM raw.arxiv_listings") == [(1939, 1137)]
    in_dim = query(
        home.published,
        "SELECT count(*), count(DISTINCT paper_id) FROM marts.dim_papers WHERE list_contains(sources, 'arxiv_listings')",
    )
    assert in_dim == [(1137, 1137)]
    # A cross-list repeat inside a file is one observation; a weekend copy is another.
    per_file = sum(len({day for day, _, _ in listings}) for listings in versions.values())  # one file per day
    snapshots = query(home.published, "SELECT count(*) FROM marts.fct_paper_snapshots WHERE source = 'arxiv_listings'")
    assert snapshots == [(per_file,)]


def test_one_paper_per_arxiv_id_across_sources(small_run):
    home, _, versions, hf, _, _ = small_run
    all_ids = set(versions) | hf
    rows = query(
        home.published,
        "SELECT count(*), count(DISTINCT paper_id), count(DISTINCT arxiv_id) FROM marts.dim_papers"
        " WHERE arxiv_id IS NOT NULL",
    )
    assert rows == [(len(all_ids),) * 3]
    assert {
        r[0] for r in query(home.published, "SELECT paper_id FROM marts.dim_papers WHERE arxiv_id IS NOT NULL")
    } == (all_ids)
    # Every snapshot with an id carries the paper_id of that id, whichever source it came from.
    mismatched = query(
        home.published,
        """
        SELECT count(*) FROM marts.fct_paper_snapshots AS s
        JOIN marts.dim_papers AS d USING (paper_id)
        WHERE s.source IN ('hf_daily_papers', 'arxiv_listings') AND (s.matched_by <> 'arxiv_id' OR d.arxiv_id <> s.paper_id)
        """,
    )
    assert mismatched == [(0,)]


def test_papers_in_both_sources(small_run):
    home, _, versions, hf, _, _ = small_run
    both = set(versions) & hf
    assert len(both) == 53
    rows = query(
        home.published,
        """
        SELECT paper_id, categories, primary_category, first_listed_on, first_arxiv_listed_on, latest_upvotes
        FROM marts.dim_papers WHERE sources = ['arxiv_listings', 'hf_daily_papers']
        """,
    )
    assert {r[0] for r in rows} == both
    for paper_id, categories, primary, first_hf, first_arxiv, upvotes in rows:
        latest_day = max(day for day, _, _ in versions[paper_id])
        latest = next(row for day, _, row in versions[paper_id] if day == latest_day)
        assert categories == latest["categories"] and primary == categories[0]
        assert first_arxiv == min(day for day, _, _ in versions[paper_id])
        assert first_hf is not None and upvotes is not None  # HF attributes survive the merge


def test_arxiv_only_papers_are_papers(small_run):
    home, _, versions, hf, target, _ = small_run
    arxiv_only = set(versions) - hf - {target}  # target also matched the rewritten seed page
    rows = query(
        home.published,
        """
        SELECT paper_id, title, primary_category IS NOT NULL, first_listed_on, latest_upvotes, snapshot_count
        FROM marts.dim_papers WHERE sources = ['arxiv_listings']
        """,
    )
    assert {r[0] for r in rows} == arxiv_only
    assert all(
        title and has_category and hf_day is None and upvotes is None
        for _, title, has_category, hf_day, upvotes, _ in rows
    )
    # 2025-03-21 is repeated on 03-22 and 03-23: three observations of one paper.
    friday = {
        arxiv_id for arxiv_id, listings in versions.items() if dt.date(2025, 3, 21) in {d for d, _, _ in listings}
    }
    counts = {r[0]: r[5] for r in rows}
    assert friday & arxiv_only and all(counts[paper_id] >= 3 for paper_id in friday & arxiv_only)


def test_seed_page_titles_match_papers_with_ids(small_run):
    home, _, _, _, target, variant = small_run
    row = query(
        home.published,
        "SELECT sources, title, primary_category IS NOT NULL, latest_upvotes FROM marts.dim_papers WHERE paper_id = ?",
        [target],
    )
    # Matched through title_key despite case and punctuation. The page (dated 2026-02-26) is the
    # newest listing of the paper, so its title wins; categories still come from arXiv.
    assert row == [(["arxiv_listings", "seed_page"], variant, True, None)]
    matched = query(
        home.published,
        "SELECT count(*) FROM marts.fct_paper_snapshots WHERE source = 'seed_page' AND matched_by = 'title_key'",
    )
    assert matched == [(1,)]
    # Unmatched page papers stay papers of their own: the original page's 30 plus the target.
    seed = query(
        home.published,
        "SELECT count(*), count(*) FILTER (WHERE paper_id LIKE 'title:%') FROM marts.dim_papers"
        " WHERE list_contains(sources, 'seed_page')",
    )
    assert seed == [(31, 30)]


def test_match_rates_are_reported(small_run):
    home, _, versions, hf, _, _ = small_run
    both = len(set(versions) & hf)
    rates = {
        r[0]: r[1:]
        for r in query(
            home.published,
            "SELECT source, match_key, papers, matched_papers, unmatched_papers, match_rate FROM marts.source_match_rates",
        )
    }
    assert rates["seed_page"] == ("title_key", 31, 1, 30, round(1 / 31, 6))
    assert rates["hf_daily_papers"] == ("arxiv_id", len(hf), both, len(hf) - both, round(both / len(hf), 6))
    arxiv_matched = both + 1  # the seed page match
    assert rates["arxiv_listings"] == (
        "arxiv_id",
        len(versions),
        arxiv_matched,
        len(versions) - arxiv_matched,
        round(arxiv_matched / len(versions), 6),
    )


def test_category_trends_equal_a_direct_count(small_run):
    home, _, versions, _, _, _ = small_run
    rows = query(
        home.published,
        "SELECT period_type, period_start, primary_category, papers, period_papers, share_of_papers"
        " FROM marts.category_trends",
    )
    assert {r[:4] for r in rows} == expected_category_trends(versions)
    totals: dict[tuple, int] = defaultdict(int)
    for period_type, start, _, papers, _, _ in rows:
        totals[(period_type, start)] += papers
    assert all(r[4] == totals[(r[0], r[1])] and r[5] == round(r[3] / r[4], 6) for r in rows)
    assert sum(r[3] for r in rows if r[0] == "month") == len(versions)
    # Weeks: Monday 2025-03-17 (the 18th … 23rd) and Monday 2025-03-24.
    assert sorted({r[1] for r in rows if r[0] == "week"}) == [dt.date(2025, 3, 17), dt.date(2025, 3, 24)]


# --- the full shared slices -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory):
    arxiv = shared_or_skip("arxiv-daily-listings")
    hf = shared_or_skip("hf-daily-papers")
    home = fresh_home(tmp_path_factory, "identity_shared_home")
    summary = run_pipeline([hf, arxiv], home)
    assert summary.success, f"{summary.failed_steps} {summary.failed_checks}"
    return home, arxiv


def test_full_slice_ids_and_overlap(shared_run):
    home, arxiv = shared_run
    assert query(home.published, "SELECT count(*), count(DISTINCT arxiv_id) FROM raw.arxiv_listings") == [
        (3581, SHARED_DISTINCT_ARXIV_IDS)
    ]
    papers = query(
        home.published,
        """
        SELECT count(*) FILTER (WHERE list_contains(sources, 'arxiv_listings')),
               count(*) FILTER (WHERE sources = ['arxiv_listings', 'hf_daily_papers']),
               count(*) FILTER (WHERE list_contains(sources, 'arxiv_listings') AND primary_category IS NULL)
        FROM marts.dim_papers
        """,
    )
    assert papers == [(SHARED_DISTINCT_ARXIV_IDS, SHARED_IDS_ALSO_IN_HF, 0)]
    rate = query(
        home.published,
        "SELECT papers, matched_papers FROM marts.source_match_rates WHERE source = 'arxiv_listings'",
    )
    assert rate == [(SHARED_DISTINCT_ARXIV_IDS, SHARED_IDS_ALSO_IN_HF)]
    assert {r[:4] for r in query(home.published, "SELECT * FROM marts.category_trends")} == expected_category_trends(
        arxiv_versions(arxiv)
    )
