"""What the report shows, read from the published copy.

Every query orders on a unique key, so the same published copy always yields the same
rows in the same order: the report is a pure function of the database and its manifest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

WINDOWS = (("day", "Today"), ("week", "This week"), ("month", "This month"))
COMPONENT_COLUMNS = (
    "upvotes_component",
    "comments_component",
    "code_component",
    "velocity_component",
    "gravity_component",
)
TOPIC_KINDS = ("taxonomy", "learned", "keyword")
# A topic going from 1 to 2 papers has a large growth and means nothing; the README's own
# "rising this month" example uses the same floor for months.
MIN_RISING_PAPERS = {"week": 3, "month": 5}
RISING_LIMIT = 10
EMERGING_LIMIT = 15
SHARE_CHART_TOPICS = 8
CATEGORY_CHART_LIMIT = 15
QUARANTINE_REASON_LIMIT = 25

TRENDING_SQL = f"""
SELECT window_type, window_start, rank, paper_id, title, primary_category, listed_on, upvotes, comments, has_code,
       velocity_per_hour, age_hours, score, {", ".join(COMPONENT_COLUMNS)}
FROM marts.trending_papers_latest
ORDER BY CASE window_type WHEN 'day' THEN 1 WHEN 'week' THEN 2 ELSE 3 END, rank
"""

# The latest period of each type is the same for every topic: topic_trends is dense over
# the periods with listings.
RISING_SQL = """
SELECT topic_id, kind, label, period_start, previous_period_start, papers, period_papers,
       share_of_papers, growth, share_zscore
FROM marts.topic_trends
WHERE period_type = $period_type
  AND period_start = (SELECT max(period_start) FROM marts.topic_trends WHERE period_type = $period_type)
  AND growth > 0 AND papers >= $min_papers
ORDER BY growth DESC, share_zscore DESC NULLS LAST, topic_id
LIMIT $limit
"""

EMERGING_SQL = """
SELECT topic_id, kind, label, period_type, burst_start, burst_end, periods, papers, peak_zscore, strength,
       excess_papers, is_ongoing
FROM marts.emerging_topics
ORDER BY is_ongoing DESC, strength DESC, period_type DESC, burst_start DESC, topic_id
"""

# Top topics of one kind by papers over all weeks, then their share in every week.
WEEKLY_SHARE_SQL = """
WITH weekly AS (
    SELECT * FROM marts.topic_trends WHERE period_type = 'week' AND kind = $kind
),
top_topics AS (
    SELECT topic_id, row_number() OVER (ORDER BY sum(papers) DESC, topic_id) AS topic_rank
    FROM weekly
    GROUP BY topic_id
    QUALIFY topic_rank <= $limit
)
SELECT top_topics.topic_rank, weekly.topic_id, weekly.label, weekly.period_start, weekly.papers,
       weekly.period_papers, weekly.share_of_papers
FROM weekly
INNER JOIN top_topics ON weekly.topic_id = top_topics.topic_id
ORDER BY top_topics.topic_rank, weekly.period_start
"""

# category_trends counts each arXiv paper once, in the month of its first listing, so the
# monthly rows add up to papers per category over the whole data.
CATEGORY_SQL = """
WITH monthly AS (
    SELECT * FROM marts.category_trends WHERE period_type = 'month'
),
latest AS (
    SELECT max(period_start) AS period_start FROM monthly
)
SELECT monthly.primary_category,
       sum(monthly.papers)::BIGINT AS papers,
       coalesce(sum(monthly.papers) FILTER (WHERE monthly.period_start = latest.period_start), 0)::BIGINT
           AS latest_month_papers,
       any_value(latest.period_start) AS latest_month
FROM monthly CROSS JOIN latest
GROUP BY monthly.primary_category
ORDER BY papers DESC, monthly.primary_category
"""

PAPERS_SQL = """
SELECT count(*) AS papers, count(*) FILTER (WHERE primary_category IS NULL) AS uncategorised
FROM marts.dim_papers
"""

QUARANTINE_SQL = """
SELECT source, reason, count(*) AS records, count(DISTINCT landing_path) AS files
FROM marts.quarantined_records
GROUP BY source, reason
ORDER BY records DESC, source, reason
"""


@dataclass(frozen=True)
class ReportData:
    as_of_date: dt.date | None
    trending: dict[str, pl.DataFrame]  # window_type -> ranking
    rising: dict[str, pl.DataFrame]  # period_type -> topics
    emerging: pl.DataFrame
    weekly_share: dict[str, pl.DataFrame]  # topic kind -> weekly shares of its top topics
    categories: pl.DataFrame
    papers: int
    uncategorised: int
    quarantine: pl.DataFrame


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def _row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    # fetchall, not fetchone: DuckDB 2 refuses further queries while a result is unfinished.
    return con.execute(sql).fetchall()[0]


def load(con: duckdb.DuckDBPyConnection) -> ReportData:
    trending = _frame(con, TRENDING_SQL)
    (as_of,) = _row(con, "SELECT max(as_of_date) FROM marts.trending_papers_latest")
    papers, uncategorised = _row(con, PAPERS_SQL)
    return ReportData(
        as_of_date=as_of,
        trending={window: trending.filter(pl.col("window_type") == window) for window, _ in WINDOWS},
        rising={
            period: _frame(con, RISING_SQL, {"period_type": period, "min_papers": minimum, "limit": RISING_LIMIT})
            for period, minimum in MIN_RISING_PAPERS.items()
        },
        emerging=_frame(con, EMERGING_SQL),
        weekly_share={
            kind: _frame(con, WEEKLY_SHARE_SQL, {"kind": kind, "limit": SHARE_CHART_TOPICS}) for kind in TOPIC_KINDS
        },
        categories=_frame(con, CATEGORY_SQL),
        papers=int(papers),
        uncategorised=int(uncategorised),
        quarantine=_frame(con, QUARANTINE_SQL),
    )


@dataclass(frozen=True)
class Quality:
    """The audit of the published run, from published/manifest.json."""

    checks: list[dict]  # failed first, then by asset and name
    by_asset: list[dict]
    total: int
    failed: int
    blocking: int
    blocking_failed: int
    input_files: int
    records_read: int
    records_accepted: int
    records_quarantined: int

    @property
    def passed(self) -> int:
        return self.total - self.failed


# publish refuses a run with a failed check of severity ERROR: those are the blocking ones.
BLOCKING_SEVERITY = "ERROR"


def quality(manifest: dict) -> Quality:
    checks = [
        {
            "asset": str(c["asset"]),
            "name": str(c["name"]),
            "passed": bool(c["passed"]),
            "blocking": c.get("severity", BLOCKING_SEVERITY) == BLOCKING_SEVERITY,
            "severity": str(c.get("severity", BLOCKING_SEVERITY)),
            "description": str(c.get("description") or ""),
        }
        for c in manifest.get("checks", [])
    ]
    checks.sort(key=lambda c: (c["passed"], c["asset"], c["name"], c["severity"]))
    assets: dict[str, dict] = {}
    for check in sorted(checks, key=lambda c: c["asset"]):
        row = assets.setdefault(check["asset"], {"asset": check["asset"], "checks": 0, "failed": 0, "blocking": 0})
        row["checks"] += 1
        row["failed"] += not check["passed"]
        row["blocking"] += check["blocking"]
    inputs = manifest.get("inputs", [])
    return Quality(
        checks=checks,
        by_asset=list(assets.values()),
        total=len(checks),
        failed=sum(not c["passed"] for c in checks),
        blocking=sum(c["blocking"] for c in checks),
        blocking_failed=sum(c["blocking"] and not c["passed"] for c in checks),
        input_files=len(inputs),
        records_read=sum(int(i.get("records_read") or 0) for i in inputs),
        records_accepted=sum(int(i.get("records_accepted") or 0) for i in inputs),
        records_quarantined=sum(int(i.get("records_quarantined") or 0) for i in inputs),
    )
