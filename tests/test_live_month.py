"""A month of recorded HF days served by a local server with faults: `papertrends run --hf-api`
ends with every paper in dim_papers, the reconciliation check green, the faults in its output."""

from __future__ import annotations

import datetime as dt

from conftest import query, shared_or_skip
from hf_fake_server import FakeHfServer, Html, Status, Truncated, recorded_items
from test_hf_api_client import _cli, page_url


def test_a_month_with_faults_lands_every_paper(tmp_path):
    daily = shared_or_skip("hf-daily-papers", "daily")
    since, until = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    days = [(since + dt.timedelta(n)).isoformat() for n in range((until - since).days + 1)]
    expected = {item["paper"]["id"] for day in days for item in recorded_items(day, daily)}
    assert len(expected) > 300  # June 2025 holds 21 weekday lists

    with FakeHfServer(data_dir=daily) as server:
        server.add_faults("2025-06-02", 0, Status(429, retry_after="1"))
        server.add_faults("2025-06-10", 0, Status(500), Status(502))
        server.add_faults("2025-06-17", 0, Truncated())
        server.add_faults("2025-06-24", 0, Html(503))
        home = tmp_path / "home"
        result = _cli(
            ["--hf-api", "--since", str(since), "--until", str(until), "--base-url", server.url, "--min-interval", "0"],
            home,
            timeout=900,
        )

    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"fault: 429 Retry-After 1s on {page_url(server, '2025-06-02')} (attempt 1/5)" in out
    assert f"fault: HTTP 502 on {page_url(server, '2025-06-10')} (attempt 2/5)" in out
    assert f"fault: invalid JSON on {page_url(server, '2025-06-17')}: " in out
    assert f"fault: HTTP 503 on {page_url(server, '2025-06-24')}: HTML error page (attempt 1/5)" in out
    assert f"fetched {len(days)} of {len(days)} day(s), {len(expected)} paper(s), 5 fault(s)" in out
    assert " 0 failed" in out

    published = home / "published" / "papertrends.duckdb"
    assert {r[0] for r in query(published, "SELECT arxiv_id FROM marts.dim_papers")} == expected
    audit = query(
        published,
        "SELECT count(*), sum(records_read), bool_and(reconciles) FROM marts.ingestion_audit WHERE source = 'hf_daily_papers'",
    )
    assert audit == [(len(days), len(expected), True)]


def test_a_failed_day_is_named_and_the_others_publish(tmp_path):
    with FakeHfServer() as server:
        server.fail_always("2025-01-08", 0, Status(500))
        home = tmp_path / "home"
        result = _cli(
            [
                "--hf-api",
                "--since",
                "2025-01-07",
                "--until",
                "2025-01-09",
                "--base-url",
                server.url,
                "--min-interval",
                "0",
            ],
            home,
        )
    assert result.returncode == 1
    assert "failed day(s): 2025-01-08" in result.stdout
    published = home / "published" / "papertrends.duckdb"
    listed = query(published, "SELECT DISTINCT listing_date::VARCHAR FROM marts.fct_paper_snapshots ORDER BY 1")
    assert listed == [("2025-01-07",), ("2025-01-09",)]
    assert not (home / "raw" / "hf_daily_papers" / "dt=2025-01-08").exists()
