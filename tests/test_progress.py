"""Progress bars: drawn on a terminal, silent when piped; the run watcher follows a real Dagster run."""

from __future__ import annotations

import io
import os
import time

import dagster as dg
from rich.console import Console

from pipelines import progress
from pipelines.progress import TaskBars
from pipelines.run_watch import RunProgress, RunWatcher


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100, color_system=None), out


def test_bars_draw_on_a_terminal():
    console, out = _console(terminal=True)
    with TaskBars(console) as bars:
        bars.update("checking and landing files", 3, 5)
        bars.progress.refresh()
        assert bars.completed("checking and landing files") == (3, 5)
    assert "checking and landing files" in out.getvalue()
    assert "3/5" in out.getvalue()


def test_bars_stay_quiet_when_piped():
    console, out = _console(terminal=False)
    with TaskBars(console) as bars:
        bars.update("checking and landing files", 3, 5)
        bars.update("assets and checks", 10, 40, detail="papertrends_dbt_models")
    assert out.getvalue() == ""
    # The counts are still kept, for a summary line.
    assert bars.completed("assets and checks") == (10, 40)


def test_reports_reach_only_current_listeners():
    heard: list[tuple[str, int, int]] = []
    progress.report("ingesting hf_daily_papers", 1, 9)  # nobody listens: a no-op
    with progress.listening(lambda *event: heard.append(event)):
        progress.report("ingesting hf_daily_papers", 2, 9)
    progress.report("ingesting hf_daily_papers", 3, 9)
    assert heard == [("ingesting hf_daily_papers", 2, 9)]


def test_finished_sample_run_has_every_planned_asset_and_check_done(sample_run):
    home, summary = sample_run
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        state = RunProgress().poll(instance, summary.run_id)
    assert state.planned > 40  # every raw, dbt and topic asset plus their checks
    assert state.finished == state.planned
    assert state.running == []


def test_watcher_follows_a_run_as_it_happens(tmp_path):
    @dg.asset
    def slow_upstream() -> None:
        time.sleep(1.5)

    @dg.asset(deps=[slow_upstream])
    def downstream() -> None:
        time.sleep(1.0)

    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    seen: list[tuple[int, int, str]] = []
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        watcher = RunWatcher(home, lambda *state: seen.append(state), interval=0.1)
        watcher.start()
        result = dg.materialize([slow_upstream, downstream], instance=instance)
        time.sleep(0.5)
        watcher.stop()
    assert result.success
    assert seen, "the watcher never reported"
    # Mid-run it saw the first step running with nothing finished, and at the end both assets done.
    assert (0, 2, "slow_upstream") in seen
    assert seen[-1][:2] == (2, 2)
