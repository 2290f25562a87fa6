"""The ``papertrends`` command."""

from __future__ import annotations

import sys
import warnings
from contextlib import nullcontext, redirect_stdout
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipelines.settings import SAMPLE_DIR, home
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
) -> None:
    """Ingest, build every dbt model, run every check, and publish the analyst copy."""
    from pipelines.runner import run_pipeline

    where = home().ensure()
    paths = inputs or [SAMPLE_DIR]
    log_path = where.logs / "last_run.log"
    warnings.filterwarnings("ignore", category=Warning, module="dagster")
    console.print(f"[bold]papertrends run[/] home={where.root}")
    try:
        with console.status("landing input files…"):
            from pipelines.landing import expand_inputs

            console.print(f"  {len(expand_inputs(paths))} input file(s) under {', '.join(map(str, paths))}")
        quiet = nullcontext() if verbose else redirect_stdout(log_path.open("w", encoding="utf-8"))
        with console.status("ingesting, building dbt models, running checks…"), quiet:
            summary = run_pipeline(
                paths,
                where,
                log_level="INFO" if verbose else "ERROR",
                on_landed=lambda landed: console.print(
                    f"  landed {sum(f.newly_landed for f in landed)} new file(s), "
                    f"{len(landed) - sum(f.newly_landed for f in landed)} already landed"
                ),
            )
    except (FileParseError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc

    table = Table(title="papertrends run summary", show_header=False)
    table.add_row("run id", summary.run_id or "-")
    table.add_row("records read", str(summary.records_read))
    table.add_row("papers", str(summary.papers))
    table.add_row("rows quarantined", str(summary.records_quarantined))
    table.add_row("tables built", ", ".join(f"{t} ({n})" for t, n in summary.table_rows.items()) or "-")
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


if __name__ == "__main__":
    sys.exit(app())
