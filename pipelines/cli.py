"""The ``papertrends`` command."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import warnings
from contextlib import ExitStack, nullcontext, redirect_stdout
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines import progress
from pipelines.progress import TaskBars
from pipelines.settings import SAMPLE_DIR, Home, home
from pipelines.sources import FileParseError

app = typer.Typer(help="papertrends: research-paper feeds to trend tables.", no_args_is_help=True, add_completion=False)
# Bound to the real stdout: during a quiet run, sys.stdout (dbt's log stream) goes to a file.
console = Console(file=sys.stdout)


@app.callback()
def main() -> None:
    """papertrends: research-paper feeds to trend tables you can trust."""


@app.command()
def run(
    inputs: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help="File or folder of feed files (repeatable). Default: the bundled sample."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Dagster's own log lines.")] = False,
    hf_api: Annotated[
        bool,
        typer.Option("--hf-api", help="Fetch Daily Papers live from the Hugging Face API (needs --since/--until)."),
    ] = False,
    since: Annotated[str | None, typer.Option("--since", help="With --hf-api: first list day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="With --hf-api: last list day, YYYY-MM-DD.")] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="With --hf-api: API base URL (default $PAPERTRENDS_HF_BASE_URL or huggingface.co)."
        ),
    ] = None,
    min_interval: Annotated[
        float, typer.Option("--min-interval", min=0, help="With --hf-api: polite seconds between API requests.")
    ] = 1.0,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Rebuild even when nothing is new: read every input again, re-ingest every landed day, rebuild every model.",
        ),
    ] = False,
) -> None:
    """Ingest, build every dbt model, run every check, and publish the analyst copy."""
    days = _hf_api_days(hf_api, since, until, base_url)
    where = home().ensure()
    log_path = where.logs / "last_run.log"
    warnings.filterwarnings("ignore", category=Warning, module="dagster")
    console.print(f"[bold]papertrends run[/] home={where.root}")
    with ExitStack() as stack:
        failed_days: dict[dt.date, str] = {}
        paths = list(inputs or [])
        if days:
            scratch = where.root / "tmp"
            scratch.mkdir(parents=True, exist_ok=True)
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hf-api-", dir=scratch)))
            written, failed_days = _fetch_hf_api(days, folder, base_url, min_interval)
            if written:
                paths.append(folder)  # holds exactly the days that were fetched whole
            if not paths:
                _report_failed_days(failed_days, published=False)
                raise typer.Exit(1)
        try:
            _run_and_report(paths or [SAMPLE_DIR], where, log_path, verbose, force)
        except typer.Exit:
            if failed_days:
                _report_failed_days(failed_days, published=False)
            raise
    if failed_days:
        _report_failed_days(failed_days, published=True)
        raise typer.Exit(1)


def _fail_usage(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(2)


def _hf_api_days(hf_api: bool, since: str | None, until: str | None, base_url: str | None) -> list[dt.date]:
    """The days to fetch, or exit 2 with a clear error."""
    if not hf_api:
        if since or until or base_url:
            raise _fail_usage("--since, --until and --base-url go with --hf-api")
        return []
    if not since or not until:
        raise _fail_usage("--hf-api needs both --since YYYY-MM-DD and --until YYYY-MM-DD")
    parsed = []
    for flag, value in (("--since", since), ("--until", until)):
        try:
            if len(value) != 10:
                raise ValueError
            parsed.append(dt.date.fromisoformat(value))
        except ValueError:
            raise _fail_usage(f"{flag} {value!r} is not a date: use YYYY-MM-DD, e.g. 2025-01-06") from None
    start, end = parsed
    if end < start:
        raise _fail_usage(f"--until {end} is before --since {start}")
    if base_url is not None:
        from pipelines.fetch.hf_api import HfApiConfig

        try:
            HfApiConfig(base_url=base_url)
        except ValueError as exc:
            raise _fail_usage(f"--base-url: {exc}") from None
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _fetch_hf_api(
    days: list[dt.date], folder: Path, base_url: str | None, min_interval: float
) -> tuple[list[Path], dict[dt.date, str]]:
    """Fetch every day into ``folder``, printing each day, each fault and each failed day."""
    from pipelines.fetch.hf_api import DayOutcome, HfApiClient, HfApiConfig, fetch_dates_to_folder

    config = HfApiConfig(base_url=base_url, min_interval=min_interval)
    console.print(f"  fetching {len(days)} day(s) {days[0]} … {days[-1]} from {config.endpoint}", highlight=False)

    fetched = 0

    def on_day(outcome: DayOutcome) -> None:
        nonlocal fetched
        fetched += 1
        bars.update("fetching days", fetched, len(days), detail=str(outcome.day))
        for fault in outcome.faults:
            console.print(f"    [yellow]fault:[/] {escape(str(fault))}", highlight=False, soft_wrap=True)
        if outcome.ok:
            console.print(f"  {outcome.day}: {outcome.papers} paper(s), {outcome.pages} page(s)", highlight=False)
        else:
            console.print(
                f"  [red]{outcome.day}: FAILED, nothing written:[/] {escape(outcome.error or '')}",
                highlight=False,
                soft_wrap=True,
            )

    with TaskBars(console) as bars, HfApiClient(config) as client:
        report = fetch_dates_to_folder(days, folder, client, on_day=on_day)
    console.print(
        f"  fetched {len(report.written)} of {len(days)} day(s), {report.papers} paper(s), {len(report.faults)} fault(s)"
    )
    return report.written, report.failed


def _report_failed_days(failed: dict[dt.date, str], *, published: bool) -> None:
    names = ", ".join(day.isoformat() for day in failed)
    rest = "the other days were published" if published else "nothing was published"
    console.print(f"[red]failed day(s): {names}[/] ({rest})", soft_wrap=True)
    for day, why in failed.items():
        console.print(f"  [red]{day}:[/] {escape(why)}", highlight=False, soft_wrap=True)


def _run_and_report(paths: list[Path], where: Home, log_path: Path, verbose: bool, force: bool = False) -> None:
    from pipelines.runner import run_pipeline

    try:
        with console.status("landing input files…"):
            from pipelines.landing import expand_inputs

            console.print(f"  {len(expand_inputs(paths))} input file(s) under {', '.join(map(str, paths))}")
        quiet = nullcontext() if verbose else redirect_stdout(log_path.open("w", encoding="utf-8"))
        # Bars are drawn only on a terminal; piped output keeps just the printed lines.
        with TaskBars(console) as bars, quiet, progress.listening(bars.update):
            watchers: list = []

            def landed_report(landed: list) -> None:
                new = sum(f.newly_landed for f in landed)
                console.print(f"  landed {new} new file(s), {len(landed) - new} already landed")

            def run_started() -> None:
                if console.is_terminal:  # imported here: a run with nothing to do never loads Dagster
                    from pipelines.run_watch import RunWatcher

                    watchers.append(
                        RunWatcher(
                            where.dagster_home,
                            lambda done, total, step: bars.update("assets and checks", done, total, detail=step),
                        )
                    )
                    watchers[0].start()

            try:
                summary = run_pipeline(
                    paths,
                    where,
                    log_level="INFO" if verbose else "ERROR",
                    on_landed=landed_report,
                    on_run_start=run_started,
                    force=force,
                    progress=lambda done, total: bars.update("checking and landing files", done, total),
                )
            finally:
                for watcher in watchers:
                    watcher.stop()
    except (FileParseError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc

    if summary.inbox:
        inbox = summary.inbox
        console.print(
            f"  inbox: {len(inbox.landed)} landed, {len(inbox.duplicates)} already landed, {len(inbox.rejected)} rejected"
        )
        for name, reason in inbox.rejected.items():
            console.print(f"  [yellow]rejected[/] {escape(name)}: {escape(reason)}", soft_wrap=True)
    if summary.up_to_date:
        console.print(f"  nothing new: published copy is current (run {summary.run_id})", highlight=False)
    table = Table(title="papertrends run summary", show_header=False)
    table.add_row("run id", summary.run_id or "-")
    table.add_row("records read", str(summary.records_read))
    table.add_row("papers", str(summary.papers))
    table.add_row("rows quarantined", str(summary.records_quarantined))
    table.add_row("tables built", ", ".join(f"{t} ({n})" for t, n in summary.table_rows.items()) or "-")
    table.add_row(
        "matched across sources",
        ", ".join(f"{s} {m}/{n} by {k}" for s, (n, m, k) in summary.match_rates.items() if n) or "-",
    )
    passed = sum(c.passed for c in summary.checks)
    table.add_row("checks", f"{passed} passed, {len(summary.checks) - passed} failed")
    table.add_row("run log", str(log_path) if not verbose else "-")
    table.add_row("published", str(summary.published) if summary.published else "[red]not published[/]")
    console.print(table)
    for check in summary.failed_checks:
        console.print(f"[red]FAILED[/] {check.asset} {check.name}: {check.description}")
    for step in summary.failed_steps:
        console.print(f"[red]FAILED step[/] {step}")
    if not summary.success or summary.published is None:
        console.print("[red]run failed: the published copy was left as it was[/]")
        raise typer.Exit(1)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the synthetic feed into.")],
    papers: Annotated[int, typer.Option("--papers", min=1, help="Papers in total.")] = 2_000,
    days: Annotated[int, typer.Option("--days", min=1, help="Listing days (weekdays, like the real feed).")] = 10,
    snapshots: Annotated[
        int, typer.Option("--snapshots-per-paper", min=1, help="Observations of each paper: first fetch + re-fetches.")
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same arguments and seed, byte-identical files.")] = 0,
    start: Annotated[
        str, typer.Option("--start", help="First listing day, YYYY-MM-DD (>= 2023-05-01).")
    ] = "2023-05-01",
    quirk_rate: Annotated[
        float, typer.Option("--quirk-rate", min=0, help="Multiplier on the real feed's quirk rates (0: none).")
    ] = 1.0,
    compact: Annotated[
        bool, typer.Option("--compact", help="Unindented JSON (~15% smaller than the real feed's).")
    ] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes generating days in parallel.")] = 2,
    force: Annotated[bool, typer.Option("--force", help="Replace a feed generated earlier in --out.")] = False,
) -> None:
    """Write a synthetic HF Daily Papers feed (with re-fetches), arXiv listings and a topics.csv truth file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from pipelines.generate import GenerateConfig
    from pipelines.generate import generate as generate_feed

    try:
        config = GenerateConfig(
            papers=papers,
            days=days,
            snapshots=snapshots,
            seed=seed,
            start=dt.date.fromisoformat(start),
            quirk_rate=quirk_rate,
            compact=compact,
            workers=workers,
        )
    except ValueError:
        raise _fail_usage(f"--start {start!r} is not a date: use YYYY-MM-DD") from None
    # A live bar on a terminal only; piped output stays quiet until the summary.
    bar = Progress("generating days", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console)
    with bar if console.is_terminal else nullcontext():
        task = bar.add_task("days", total=days)
        try:
            summary = generate_feed(
                config, out, force=force, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        except (ValueError, FileExistsError) as exc:
            raise _fail_usage(str(exc)) from None
    table = Table(title="papertrends generate summary", show_header=False)
    table.add_row("output", str(summary.out))
    table.add_row("listing days", f"{summary.first_day} … {summary.last_day}")
    table.add_row("files", f"{summary.files:,} ({summary.hf_files:,} HF, {summary.arxiv_files:,} arXiv)")
    table.add_row("papers", f"{summary.papers:,}")
    table.add_row("records", f"{summary.hf_records:,} HF, {summary.arxiv_records:,} arXiv lines")
    table.add_row("bytes", f"{summary.bytes:,} ({summary.bytes / 1e9:.2f} GB)")
    table.add_row("seconds", f"{summary.seconds:.1f}")
    table.add_row("quirks", ", ".join(f"{k} {v:,}" for k, v in sorted(summary.quirks.items()) if v) or "-")
    console.print(table)
    console.print(
        f"ingest with: papertrends run --input {summary.out / 'hf-daily-papers'} "
        f"--input {summary.out / 'arxiv-daily-listings'}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL to run. Omit it for an interactive prompt.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json or parquet (parquet needs --out).")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the result to this file (csv, json, parquet).")
    ] = None,
) -> None:
    """Query the published copy read-only: SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN. Nothing can be changed."""
    from pipelines.sql_console import main as sql_console

    code = sql_console(query, output_format, out)
    if code:
        raise typer.Exit(code)


@app.command()
def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for index.html, digest.md and charts/. Default: $PAPERTRENDS_HOME/reports/latest "
            "(data/reports/latest), the folder `papertrends run` refreshes after each publish.",
        ),
    ] = None,
) -> None:
    """Write a static HTML report and a Markdown digest from the published copy (read-only).

    Trending papers with their score components, rising and emerging topics, weekly topic share, papers per category and the run's data-quality checks. No script, nothing fetched: open index.html in any browser. The same published copy always gives the same files.
    """
    from pipelines.report import ReportError, build_report, default_out_dir

    where = home()
    try:
        with console.status("building the report from the published copy…"):
            result = build_report(where.published, out or default_out_dir(where))
    except ReportError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(f"report as of {result.as_of_date} (published {result.published_at}, run {result.run_id})")
    console.print(f"  {result.index_html}", highlight=False, soft_wrap=True)
    console.print(f"  {result.digest_md}", highlight=False, soft_wrap=True)
    console.print(f"  {len(result.charts)} chart(s) in {result.index_html.parent / 'charts'}", highlight=False)


if __name__ == "__main__":
    sys.exit(app())
