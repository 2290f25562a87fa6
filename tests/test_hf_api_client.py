"""The live Hugging Face Daily Papers client, its Dagster asset and ``papertrends run --hf-api``.

Every test talks to a real HTTP server on 127.0.0.1 (tests/hf_fake_server.py) that serves
the recorded day files of the bundled sample and injects scripted faults.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

import dagster as dg
import pytest
from conftest import query
from hf_fake_server import Body, Drop, FakeHfServer, Html, Slow, Status, Truncated, recorded_items
from rich.console import Console
from typer.testing import CliRunner

from pipelines.defs.live_fetch import HF_API_LANDING, HfApiResource, hf_api_landing
from pipelines.defs.resources import WarehouseResource
from pipelines.fetch.hf_api import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    TOKEN_ENV,
    HfApiClient,
    HfApiConfig,
    HfApiError,
    fetch_days_to_folder,
)
from pipelines.landing import expand_inputs, resolve_as_of
from pipelines.runner import RANGE_END_TAG, RANGE_START_TAG, RunSummary
from pipelines.sources.hf_daily_papers import HfDailyPapers

DAY16 = "2025-01-07"  # a recorded day of 16 papers (Python-repr strings on disk, objects on the wire)
DAY8 = "2025-01-06"  # 8 papers
SECRET = "hf_SECRETtokenVALUE_do_not_leak_4242"


@pytest.fixture
def server():
    with FakeHfServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(BASE_URL_ENV, raising=False)


def make_client(server: FakeHfServer, **overrides) -> HfApiClient:
    settings = {
        "base_url": server.url,
        "min_interval": 0,
        "timeout": 0.5,
        "max_attempts": 3,
        "backoff_base": 0.01,
        "jitter": 0.01,
        "max_retry_after": 5,
        **overrides,
    }
    return HfApiClient(HfApiConfig(**settings))


def page_url(server: FakeHfServer, day: str, page: int = 0, limit: int = 50) -> str:
    return f"{server.url}/api/daily_papers?date={day}&limit={limit}&p={page}"


def ids(items: list[dict]) -> list[str]:
    return [item["paper"]["id"] for item in items]


def test_recorded_days_are_served_as_objects():
    items = recorded_items(DAY16)
    assert len(items) == 16 and all(isinstance(i, dict) for i in items)
    assert len(recorded_items("2025-01-10")) == 9  # the {"status","data"} wrapper file
    assert recorded_items("2031-01-01") == []


# Paging and politeness ------------------------------------------------------------------------------------


def test_pages_until_a_short_page(server):
    with make_client(server, limit=5) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert (day.pages, day.requests, day.faults) == (4, 4, [])
    seen = server.requests_for(DAY16)
    assert [(r.path, r.query) for r in seen] == [
        ("/api/daily_papers", {"date": DAY16, "limit": "5", "p": str(p)}) for p in range(4)
    ]
    agent = seen[0].headers["User-Agent"]
    assert re.fullmatch(r"papertrends/0\.1\.0 \(\+daily-papers trend pipeline; httpx/\d+\.\d+\.\d+\)", agent), agent
    assert all("Authorization" not in r.headers for r in seen)
    assert day.fetched_at.tzinfo == dt.UTC and day.fetched_at.microsecond == 0


def test_default_page_size_reads_a_day_in_one_request(server):
    with make_client(server) as client:
        day = client.fetch_day(dt.date(2025, 1, 8))
    assert len(day.items) == 15 and day.pages == 1
    assert [r.query for r in server.requests] == [{"date": "2025-01-08", "limit": "50", "p": "0"}]


def test_min_interval_spaces_requests(server):
    with make_client(server, limit=5, min_interval=0.25) as client:
        client.fetch_day(DAY16)
    times = [r.at for r in server.requests_for(DAY16)]
    assert len(times) == 4
    assert all(later - earlier >= 0.24 for earlier, later in itertools.pairwise(times))


def test_base_url_from_argument_env_or_default(monkeypatch):
    assert HfApiConfig().base_url == DEFAULT_BASE_URL == "https://huggingface.co"
    monkeypatch.setenv(BASE_URL_ENV, "http://mirror.example:8080/")
    assert HfApiConfig().base_url == "http://mirror.example:8080"
    assert HfApiConfig(base_url="https://hf.example/").endpoint == "https://hf.example/api/daily_papers"
    with pytest.raises(ValueError, match="not an http"):
        HfApiConfig(base_url="ftp://hf.example")


# Faults that are retried and then succeed ----------------------------------------------------------------


def test_429_waits_for_retry_after(server):
    server.add_faults(DAY16, 0, Status(429, retry_after="1"))
    with make_client(server) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    first, second = server.requests_for(DAY16, 0)
    assert second.at - first.at >= 1.0
    assert [str(f) for f in day.faults] == [f"429 Retry-After 1s on {page_url(server, DAY16)} (attempt 1/3)"]
    assert day.requests == 2


def test_hostile_retry_after_is_capped(server):
    server.add_faults(DAY16, 0, Status(429, retry_after="3600"))
    started = time.monotonic()
    with make_client(server, max_retry_after=0.2) as client:
        day = client.fetch_day(DAY16)
    assert time.monotonic() - started < 3
    assert len(day.items) == 16 and len(server.requests_for(DAY16, 0)) == 2
    assert str(day.faults[0]) == f"429 Retry-After 3600s on {page_url(server, DAY16)}: capped to 0.2s (attempt 1/3)"


def test_500_then_success(server):
    server.add_faults(DAY16, 0, Status(500))
    with make_client(server) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert len(server.requests_for(DAY16, 0)) == 2
    assert [str(f) for f in day.faults] == [f"HTTP 500 on {page_url(server, DAY16)} (attempt 1/3)"]


def test_slow_answer_times_out_and_is_retried(server):
    server.add_faults(DAY16, 0, Slow(1.0))
    with make_client(server, timeout=0.3) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert len(server.requests_for(DAY16, 0)) == 2
    assert [str(f) for f in day.faults] == [f"timeout on {page_url(server, DAY16)}: ReadTimeout (attempt 1/3)"]


def test_truncated_json_is_retried(server):
    server.add_faults(DAY16, 0, Truncated())
    with make_client(server) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert len(server.requests_for(DAY16, 0)) == 2
    (fault,) = day.faults
    assert fault.what == "invalid JSON" and fault.url == page_url(server, DAY16)
    assert str(fault).startswith(f"invalid JSON on {page_url(server, DAY16)}: ")


@pytest.mark.parametrize(
    ("code", "line"),
    [(200, "HTML page instead of JSON on {url}: Content-Type text/html"), (503, "HTTP 503 on {url}: HTML error page")],
)
def test_html_error_page_is_retried(server, code, line):
    server.add_faults(DAY16, 0, Html(code))
    with make_client(server) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert len(server.requests_for(DAY16, 0)) == 2
    assert str(day.faults[0]).startswith(line.format(url=page_url(server, DAY16)))


def test_dropped_connection_is_retried(server):
    server.add_faults(DAY16, 0, Drop())
    with make_client(server) as client:
        day = client.fetch_day(DAY16)
    assert len(day.items) == 16 and len(server.requests_for(DAY16, 0)) == 2
    assert str(day.faults[0]).startswith(f"connection error on {page_url(server, DAY16)}: ")


def test_faults_on_a_later_page_are_retried_on_that_page(server):
    server.add_faults(DAY16, 2, Status(502), Truncated())
    with make_client(server, limit=5) as client:
        day = client.fetch_day(DAY16)
    assert ids(day.items) == ids(recorded_items(DAY16))
    assert [len(server.requests_for(DAY16, p)) for p in range(4)] == [1, 1, 3, 1]
    assert [f.what for f in day.faults] == ["HTTP 502", "invalid JSON"]
    assert day.requests == 6


# Faults on every attempt ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (Truncated(), "invalid JSON (Unterminated string starting at, char "),
        (Html(200), "HTML page instead of JSON (Content-Type text/html"),
        (Body(b'{"error":"Invalid date"}'), "not a JSON array (got a JSON object (keys: error))"),
        (Body(b'["a", "b"]'), "not a JSON array of objects (item 0 is a string)"),
        (Status(500), "HTTP 500"),
    ],
)
def test_bad_answer_on_every_attempt_fails_naming_the_url(server, action, reason):
    server.fail_always(DAY16, 0, action)
    url = page_url(server, DAY16)
    with make_client(server) as client, pytest.raises(HfApiError) as caught:
        client.fetch_day(DAY16)
    assert str(caught.value).startswith(f"GET {url} failed after 3 attempts: {reason}")
    assert caught.value.url == url and caught.value.attempts == 3
    assert len(caught.value.faults) == 3 and len(server.requests_for(DAY16, 0)) == 3


def test_client_error_is_not_retried(server):
    server.fail_always(DAY16, 0, Status(404, body=b'{"error":"Not Found"}'))
    with make_client(server) as client, pytest.raises(HfApiError) as caught:
        client.fetch_day(DAY16)
    assert str(caught.value) == f"GET {page_url(server, DAY16)} failed after 1 attempt: HTTP 404 Not Found"
    assert len(server.requests) == 1


# Days to files --------------------------------------------------------------------------------------------


def test_empty_list_day_writes_an_empty_file(server, tmp_path):
    server.set_day("2025-01-13", [])
    with make_client(server) as client:
        report = fetch_days_to_folder("2025-01-13", "2025-01-13", tmp_path, client)
    (path,) = report.written
    assert re.fullmatch(r"2025-01-13__\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json", path.name)
    assert json.loads(path.read_text()) == []
    parsed = HfDailyPapers().parse(path, path.read_bytes(), None)
    assert (parsed.listing_date, parsed.rows, parsed.quarantined) == (dt.date(2025, 1, 13), [], [])
    assert (report.papers, report.failed, report.faults) == (0, {}, [])
    assert len(server.requests) == 1


def test_unknown_date_is_an_empty_list(server, tmp_path):
    with make_client(server) as client:
        day = client.fetch_day("2031-02-03")
        report = fetch_days_to_folder("2031-02-03", "2031-02-03", tmp_path, client)
    assert (day.items, day.pages) == ([], 1)
    assert json.loads(report.written[0].read_text()) == []


def test_written_file_lands_with_the_fetch_time_as_as_of(server, tmp_path):
    with make_client(server, limit=5) as client:
        report = fetch_days_to_folder(DAY16, DAY16, tmp_path, client)
    (path,) = report.written
    assert json.loads(path.read_text()) == server.items(DAY16)
    parsed = HfDailyPapers().parse(path, path.read_bytes(), None)
    assert [row["arxiv_id"] for row in parsed.rows] == ids(recorded_items(DAY16)) and not parsed.quarantined
    as_of = resolve_as_of(path, parsed.listing_date)
    assert abs((dt.datetime.now(dt.UTC).replace(tzinfo=None) - as_of).total_seconds()) < 60


def test_a_day_is_written_all_or_nothing(server, tmp_path):
    server.fail_always(DAY16, 2, Status(500))
    seen = []
    with make_client(server, limit=5) as client:
        report = fetch_days_to_folder(DAY8, DAY16, tmp_path, client, on_day=lambda o: seen.append((o.day, o.ok)))
    assert seen == [(dt.date(2025, 1, 6), True), (dt.date(2025, 1, 7), False)]
    # Only the good day's file, and no temporary left behind.
    assert [p.name for p in tmp_path.iterdir()] == [report.written[0].name]
    assert report.written[0].name.startswith(f"{DAY8}__")
    assert ids(json.loads(report.written[0].read_text())) == ids(recorded_items(DAY8))
    failed_url = page_url(server, DAY16, page=2, limit=5)
    assert list(report.failed) == [dt.date(2025, 1, 7)]
    assert report.failed[dt.date(2025, 1, 7)] == f"GET {failed_url} failed after 3 attempts: HTTP 500"
    assert report.faults == [f"HTTP 500 on {failed_url} (attempt {n}/3)" for n in (1, 2, 3)]
    assert [len(server.requests_for(DAY16, p)) for p in range(4)] == [1, 1, 3, 0]
    assert report.days[1].requests == 5 and report.papers == 8
    assert f"{DAY16}: FAILED, nothing written: GET {failed_url}" in str(report)


# The token ------------------------------------------------------------------------------------------------


def test_token_is_sent_but_never_logged_raised_or_written(server, tmp_path, monkeypatch, caplog, capsys):
    monkeypatch.setenv(TOKEN_ENV, SECRET)
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    server.add_faults(DAY8, 0, Status(500))
    server.fail_always(DAY16, 0, Drop())
    server.fail_always("2025-01-08", 0, Status(401, body=b'{"error":"Invalid credentials in Authorization header"}'))
    folder = tmp_path / "out"
    with make_client(server) as client:
        report = fetch_days_to_folder(DAY8, "2025-01-08", folder, client)
        with pytest.raises(HfApiError) as caught:
            client.get_page(DAY16, 0)
        texts = [repr(client), repr(client.config), str(caught.value), repr(caught.value)]
        texts += ["".join(traceback.format_exception(caught.value)), str(report), repr(report)]
        assert client.sends_token
    assert {r.headers.get("Authorization") for r in server.requests} == {f"Bearer {SECRET}"}
    assert len(report.written) == 1 and set(report.failed) == {dt.date(2025, 1, 7), dt.date(2025, 1, 8)}
    assert "HTTP 500" in caplog.text and "connection error" in caplog.text  # the capture did see the faults
    captured = capsys.readouterr()
    texts += [caplog.text, captured.out, captured.err, *report.faults, *report.failed.values()]
    texts += [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert not [t for t in texts if SECRET in t]


def test_token_is_not_sent_in_clear_text_to_another_host():
    assert not HfApiClient(HfApiConfig(base_url="http://papers.example"), token=SECRET).sends_token
    https = HfApiClient(HfApiConfig(base_url="https://papers.example"), token=SECRET)
    assert https.sends_token and SECRET not in repr(https)


# The Dagster asset ----------------------------------------------------------------------------------------


def _resources(server: FakeHfServer, home: Path) -> dict:
    return {
        "hf_api": HfApiResource(
            base_url=server.url, min_interval=0, limit=5, timeout=1.0, max_attempts=3, backoff_base=0.01
        ),
        "warehouse": WarehouseResource(home_dir=str(home)),
    }


def _landed(home: Path, day: str) -> list[Path]:
    folder = home / "raw" / "hf_daily_papers" / f"dt={day}"
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".meta.json")) if folder.exists() else []


def test_hf_api_landing_asset_lands_the_day(server, tmp_path):
    server.add_faults(DAY16, 1, Status(500))
    result = dg.materialize(
        [hf_api_landing],
        partition_key=DAY16,
        resources=_resources(server, tmp_path),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (landed,) = _landed(tmp_path, DAY16)
    assert json.loads(landed.read_text()) == server.items(DAY16)
    sidecar = json.loads(landed.with_name(landed.name + ".meta.json").read_text())
    assert sidecar["source"] == "hf_daily_papers" and sidecar["source_file"].startswith(f"{DAY16}__")
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == HF_API_LANDING and event.partition == DAY16
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert (metadata["days_fetched"], metadata["papers"], metadata["files_newly_landed"]) == (1, 16, 1)
    assert f"HTTP 500 on {page_url(server, DAY16, page=1, limit=5)}" in metadata["faults"]
    assert metadata["failed_days"] == "none"
    assert list((tmp_path / "tmp").iterdir()) == []  # the scratch folder was cleaned up


def test_hf_api_landing_asset_fails_naming_days_after_landing_the_good_ones(server, tmp_path):
    server.fail_always(DAY16, 0, Status(503))
    result = dg.materialize(
        [hf_api_landing],
        resources=_resources(server, tmp_path),
        instance=dg.DagsterInstance.ephemeral(),
        tags={RANGE_START_TAG: DAY8, RANGE_END_TAG: DAY16},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message
    assert "Daily Papers not fetched for 2025-01-07" in message and "1 other day(s) were landed" in message
    (landed,) = _landed(tmp_path, DAY8)
    assert ids(json.loads(landed.read_text())) == ids(recorded_items(DAY8))
    assert _landed(tmp_path, DAY16) == []


# The CLI --------------------------------------------------------------------------------------------------


def _cli(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, BASE_URL_ENV)}
    env.update(PAPERTRENDS_HOME=str(home), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_cli_hf_api_end_to_end(server, tmp_path):
    days = ["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]
    server.add_faults("2025-01-06", 0, Status(429, retry_after="1"))
    server.add_faults("2025-01-08", 0, Status(500))
    server.add_faults("2025-01-09", 0, Truncated())
    server.add_faults("2025-01-10", 0, Html(503))
    home = tmp_path / "home"
    result = _cli(
        ["--hf-api", "--since", days[0], "--until", days[-1], "--base-url", server.url, "--min-interval", "0"], home
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"fault: 429 Retry-After 1s on {page_url(server, '2025-01-06')} (attempt 1/5)" in out
    assert f"fault: HTTP 500 on {page_url(server, '2025-01-08')} (attempt 1/5)" in out
    assert f"fault: invalid JSON on {page_url(server, '2025-01-09')}: " in out
    assert f"fault: HTTP 503 on {page_url(server, '2025-01-10')}: HTML error page (attempt 1/5)" in out
    expected = {i for day in days for i in ids(recorded_items(day))}
    assert len(expected) == 61
    assert "fetched 5 of 5 day(s), 61 paper(s), 4 fault(s)" in out
    assert [len(server.requests_for(day, 0)) for day in days] == [2, 1, 2, 2, 2]
    published = home / "published" / "papertrends.duckdb"
    assert str(published) in out
    assert {r[0] for r in query(published, "SELECT paper_id FROM marts.dim_papers")} == expected
    for day in days:
        (path,) = _landed(home, day)
        assert ids(json.loads(path.read_text())) == ids(recorded_items(day))
    assert list((home / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hf-api", "--since", "2025-1-6", "--until", "2025-01-10"], "--since '2025-1-6' is not a date"),
        (["--hf-api", "--since", "2025-01-06"], "--hf-api needs both --since YYYY-MM-DD and --until YYYY-MM-DD"),
        (["--hf-api", "--since", "2025-01-10", "--until", "2025-01-06"], "--until 2025-01-06 is before --since"),
        (["--since", "2025-01-06", "--until", "2025-01-10"], "--since, --until and --base-url go with --hf-api"),
    ],
)
def test_cli_rejects_bad_hf_api_arguments(tmp_path, args, message):
    result = _cli(args, tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stdout
    assert not (tmp_path / "raw").exists()


@pytest.fixture
def cli_console(monkeypatch):
    """The CLI's console writing to a buffer, for in-process runs."""
    import pipelines.cli

    buffer = io.StringIO()
    monkeypatch.setattr(pipelines.cli, "console", Console(file=buffer, width=200))
    return buffer


def test_cli_exits_1_naming_failed_days_after_publishing_the_others(server, tmp_path, monkeypatch, cli_console):
    import pipelines.cli
    import pipelines.runner

    server.fail_always(DAY16, 0, Status(404))
    handed: list[tuple[str, list]] = []

    def fake_run_pipeline(paths, home, **kwargs):
        handed.extend((p.name, json.loads(p.read_text())) for p in expand_inputs(paths))
        return RunSummary(landed=[], run_id="r1", success=True, published=home.published)

    monkeypatch.setattr(pipelines.runner, "run_pipeline", fake_run_pipeline)
    monkeypatch.setenv("PAPERTRENDS_HOME", str(tmp_path))
    args = ["run", "--hf-api", "--since", DAY8, "--until", DAY16, "--base-url", server.url, "--min-interval", "0"]
    result = CliRunner().invoke(pipelines.cli.app, args)
    out = cli_console.getvalue()
    assert result.exit_code == 1, out
    assert [(name[:12], ids(items)) for name, items in handed] == [(f"{DAY8}__", ids(recorded_items(DAY8)))]
    assert "failed day(s): 2025-01-07 (the other days were published)" in out
    assert f"2025-01-07: GET {page_url(server, DAY16)} failed after 1 attempt: HTTP 404 Not Found" in out
    assert list((tmp_path / "tmp").iterdir()) == []


def test_cli_exits_1_without_running_when_every_day_failed(server, tmp_path, monkeypatch, cli_console):
    import pipelines.cli
    import pipelines.runner

    for day in (DAY8, DAY16):
        server.fail_always(day, 0, Status(403))
    monkeypatch.setattr(pipelines.runner, "run_pipeline", lambda *a, **k: pytest.fail("nothing to run"))
    monkeypatch.setenv("PAPERTRENDS_HOME", str(tmp_path))
    args = ["run", "--hf-api", "--since", DAY8, "--until", DAY16, "--base-url", server.url, "--min-interval", "0"]
    result = CliRunner().invoke(pipelines.cli.app, args)
    out = cli_console.getvalue()
    assert result.exit_code == 1, out
    assert "fetched 0 of 2 day(s)" in out
    assert "failed day(s): 2025-01-06, 2025-01-07 (nothing was published)" in out
    assert not (tmp_path / "raw" / "hf_daily_papers").exists()
