"""How the dbt steps start dbt: a failed event stream must not hang the run waiting for dbt,
and each step's dbt process gets its own DuckDB memory limit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from pipelines.defs.dbt_models import TOPIC_STEP, dbt_memory_limit, environment, stream_to_exit
from pipelines.settings import MEMORY_LIMIT_VARIABLE, scaled_memory_limit


class _FailingInvocation:
    """A dbt stand-in that keeps writing to stdout after its event stream has raised."""

    def __init__(self) -> None:
        # 10 MB is far more than a pipe buffer: unread, the writer blocks until killed.
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdout.write('x' * 10_000_000)"], stdout=subprocess.PIPE
        )

    def stream(self):
        yield "first event"
        raise KeyError("model.papertrends.new_model")


class _CleanInvocation:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", "print('done')"], stdout=subprocess.PIPE)

    def stream(self):
        yield from (line.decode().strip() for line in self.process.stdout)


def test_failed_stream_kills_dbt_instead_of_waiting_forever():
    invocation = _FailingInvocation()
    started = time.monotonic()
    with pytest.raises(KeyError, match="new_model"):
        stream_to_exit(invocation)
    # Without the kill, wait() blocks on the full pipe for as long as the test runs.
    assert time.monotonic() - started < 30
    assert invocation.process.returncode is not None and invocation.process.returncode != 0


def test_clean_stream_returns_every_event_after_exit():
    invocation = _CleanInvocation()
    assert stream_to_exit(invocation) == ["done"]
    assert invocation.process.returncode == 0


@pytest.mark.parametrize(
    ("limit", "share", "scaled"),
    [("1GB", 0.8, "800MB"), ("1.5 GiB", 0.8, "1288MB"), ("2048mb", 0.5, "1024MB"), ("about a gig", 0.8, "about a gig")],
)
def test_scaled_memory_limit_reads_duckdb_sizes(limit, share, scaled):
    assert scaled_memory_limit(limit, share) == scaled


def test_environment_restores_what_was_there(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1GB")
    with environment(MEMORY_LIMIT_VARIABLE, "800MB"):
        assert os.environ[MEMORY_LIMIT_VARIABLE] == "800MB"
    assert os.environ[MEMORY_LIMIT_VARIABLE] == "1GB"
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE)
    with pytest.raises(RuntimeError, match="inside"), environment(MEMORY_LIMIT_VARIABLE, "800MB"):
        raise RuntimeError("inside")
    assert MEMORY_LIMIT_VARIABLE not in os.environ


def test_dbt_starts_at_its_share_of_the_runs_limit(tmp_path, monkeypatch):
    """What DuckDB in dbt's own process reports, for the limit the dbt steps start dbt with.

    The steps' resource starts dbt without a dbt adapter in this process (DbtCli)."""
    from pipelines.dbt_project import DBT_PROJECT
    from pipelines.defs.resources import DBT_EXECUTABLE, DbtCli, default_resources

    monkeypatch.setenv("PAPERTRENDS_HOME", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    assert type(default_resources()["dbt"]) is DbtCli
    dbt = DbtCli(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)
    seen = {}
    for run_limit in ("1GB", "2GiB"):
        monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, run_limit)
        with environment(MEMORY_LIMIT_VARIABLE, dbt_memory_limit()):
            invocation = dbt.cli(
                ["show", "--inline", "select current_setting('memory_limit') as memory_limit"],
                target_path=tmp_path / "target",  # the second invocation reuses the first one's parse
            )
        previews = [
            event.raw_event["data"]["preview"]
            for event in invocation.stream_raw_events()
            if event.raw_event["info"]["name"] == "ShowNode"
        ]
        assert invocation.process.wait() == 0
        assert invocation.adapter is None  # dagster-dbt loaded no dbt project or macros here
        seen[run_limit] = previews[0].splitlines()[-1].strip("| ")
        assert os.environ[MEMORY_LIMIT_VARIABLE] == run_limit
    # DuckDB prints sizes in binary units: 800MB as 762.9 MiB, 4/5 of 2 GiB (1718MB) as 1.5 GiB.
    assert seen == {"1GB": "762.9 MiB", "2GiB": "1.5 GiB"}


def test_a_run_names_each_dbt_steps_memory_limit(sample_run):
    import dagster as dg

    home, summary = sample_run
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        logs = instance.all_logs(summary.run_id)
    limits = {
        entry.step_key: entry.user_message.rsplit("DuckDB memory limit ", 1)[1]
        for entry in logs
        if entry.step_key and "DuckDB memory limit" in entry.user_message
    }
    assert limits == {"papertrends_dbt_models": "800MB", TOPIC_STEP: "700MB"}


def test_each_dbt_step_runs_at_its_own_limit_in_dbts_duckdb(sample_run):
    """What DuckDB in each step's dbt process held (dbt's on-run-start hook logs it), not what the
    Python side meant: the topic step's lower limit must survive dbt-duckdb's own settings."""
    home, _ = sample_run
    held = {
        target.name: re.findall(
            r"DuckDB memory limit in dbt: ([^\n\\\"]+)", (target / "dbt.log").read_text(encoding="utf-8")
        )
        for target in (home.root / "dbt" / "target").iterdir()
        if target.name != "docs"
    }
    # DuckDB prints sizes in binary units: 800MB as 762.9 MiB, 700MB as 667.5 MiB.
    assert {step: set(limits) for step, limits in held.items()} == {
        "papertrends_dbt_models": {"762.9 MiB"},
        TOPIC_STEP: {"667.5 MiB"},
    }


def test_later_dbt_calls_of_a_new_home_start_from_the_first_ones_parse(sample_run):
    """Each step keeps its own target folder; only the first dbt call of a new home parses in full."""
    home, _ = sample_run
    full_parses = {
        target.name: '"UnableToPartialParse"' in (target / "dbt.log").read_text(encoding="utf-8")
        for target in (home.root / "dbt" / "target").iterdir()
    }
    assert full_parses == {"papertrends_dbt_models": True, TOPIC_STEP: False, "docs": False}
