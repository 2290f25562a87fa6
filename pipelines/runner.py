"""One pipeline run: land the inputs, then materialise every asset in one Dagster run.

The CLI and the tests call :func:`run_pipeline`; Dagster (``dagster dev``, the
schedule, backfills) runs the same assets, so every step lives in one place.

Cost follows what is new (issue 6):

- Nothing new (every landed file and the code are what the published copy was built from,
  :mod:`pipelines.fingerprint`): no Dagster run at all, and Dagster is not even imported
  (``import dagster`` alone costs seconds); the summary names the published run.
- Otherwise only the days with files the warehouse has not ingested are ingested (a range
  of daily partitions), and the dbt models and the learned topics work incrementally on
  what those days changed (``pipelines/defs/dbt_models.py``, ``pipelines/topics/``).
- ``force=True`` (``papertrends run --force``) re-ingests every landed day and rebuilds
  every model and the learned-topic fit from scratch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.fingerprint import CODE_TAG, FULL_REFRESH_TAG, LandedEntry, code_fingerprint, landed_inventory
from pipelines.fingerprint import published_run_if_current as _published_run_if_current
from pipelines.inbox import InboxResult, process_inbox
from pipelines.landing import LandedFile, land
from pipelines.settings import Home
from pipelines.sources import SOURCES

if TYPE_CHECKING:
    import dagster as dg

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool
    description: str


@dataclass
class RunSummary:
    landed: list[LandedFile]
    run_id: str | None
    success: bool
    checks: list[CheckOutcome] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    published: Path | None = None
    table_rows: dict[str, int] = field(default_factory=dict)
    records_read: int = 0
    records_quarantined: int = 0
    papers: int = 0
    inbox: InboxResult | None = None
    # source -> (papers, matched by another source, match key)
    match_rates: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # True when nothing was new: no Dagster run started, run_id is the published copy's run.
    up_to_date: bool = False
    # Partitioned days this run ingested (those with files the warehouse had not ingested).
    ingested_days: list[str] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]


def _instance(home: Home) -> dg.DagsterInstance:
    import dagster as dg

    from pipelines.event_log import instance_config

    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    config = home.dagster_home / "dagster.yaml"
    wanted = instance_config(home.dagster_home)  # rewritten when the home moved
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    return dg.DagsterInstance.get()


def _summarise(home: Home, summary: RunSummary) -> None:
    """Figures for the CLI, read from the manifest and the warehouse.

    The published copy itself is never opened here: the manifest already holds its row
    counts, and after a publish the warehouse holds the same bytes.
    """
    from pipelines.publish import read_manifest
    from pipelines.warehouse import connect

    if summary.published and summary.published.exists():
        summary.table_rows = read_manifest(summary.published)["mart_row_counts"]
    if not home.warehouse.exists():
        return
    with connect(home.warehouse, read_only=True) as con:
        read, quarantined = con.execute(
            "SELECT coalesce(sum(records_read), 0), coalesce(sum(records_quarantined), 0) FROM raw.landed_files"
        ).fetchone()
        summary.records_read, summary.records_quarantined = int(read), int(quarantined)
        marts = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        }
        summary.papers = (
            con.execute("SELECT count(*) FROM marts.dim_papers").fetchone()[0] if "dim_papers" in marts else 0
        )
        if summary.table_rows and "source_match_rates" in marts:
            rows = con.execute(
                "SELECT source, papers, matched_papers, match_key FROM marts.source_match_rates ORDER BY source"
            ).fetchall()
            summary.match_rates = {source: (papers, matched, key) for source, papers, matched, key in rows}


def partitioned_days(landed: Sequence[LandedFile | LandedEntry]) -> list[str]:
    """Partitioned sources are ingested over the range of days the landed files touch."""
    return sorted({f.listing_date.isoformat() for f in landed if SOURCES[f.source].partitioned})


def pending_files(home: Home, inventory: dict[str, LandedEntry]) -> list[LandedEntry]:
    """Landed files the warehouse has not ingested (new ones, or left by a run that failed early)."""
    from pipelines.warehouse import connect

    if not home.warehouse.exists():
        return list(inventory.values())
    with connect(home.warehouse, read_only=True) as con:
        present = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'landed_files'"
        ).fetchone()[0]
        ingested = (
            set(con.execute("SELECT landing_path, sha256 FROM raw.landed_files").fetchall()) if present else set()
        )
    return [e for e in inventory.values() if (e.landing_path, e.sha256) not in ingested]


def _up_to_date_summary(home: Home, landed: list[LandedFile], inbox: InboxResult | None, run_id: str) -> RunSummary:
    """The summary of the published run, from its manifest: the checks it passed, its row counts."""
    from pipelines.publish import read_manifest

    summary = RunSummary(landed=landed, run_id=run_id, success=True, published=home.published, inbox=inbox)
    summary.up_to_date = True
    for check in read_manifest(home.published).get("checks", []):
        summary.checks.append(
            CheckOutcome(
                asset=check["asset"],
                name=check["name"],
                passed=check["passed"],
                blocking=check.get("severity") == "ERROR",
                description=check.get("description", ""),
            )
        )
    _summarise(home, summary)
    return summary


def run_pipeline(
    inputs: Sequence[Path],
    home: Home,
    *,
    log_level: str = "WARNING",
    on_landed: Callable[[list[LandedFile]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_run_start: Callable[[], None] | None = None,
    force: bool = False,
) -> RunSummary:
    """Land ``inputs`` (FileParseError on a bad file), then build, check and publish.

    Returns at once, with ``up_to_date`` set, when the published copy is already what this
    run would publish (unless ``force``). ``on_run_start`` is called just before a Dagster
    run starts, never when there is nothing to do.
    """
    home.ensure()
    os.environ["PAPERTRENDS_HOME"] = str(home.root)  # read by dbt's profile in its subprocess
    os.environ["DBT_LOG_PATH"] = str(home.logs / "dbt")
    # The inbox is an input like any folder, except that its files move (exactly once)
    # and unreadable ones are set aside instead of stopping the run.
    is_inbox = [Path(p).resolve() == home.inbox.resolve() for p in inputs]
    inbox = process_inbox(home) if any(is_inbox) else None
    # --force also reads every input again (a file changed in place with its mtime kept).
    landed = land([p for p, skip in zip(inputs, is_inbox, strict=True) if not skip], home, progress, recheck=force)
    landed += inbox.landed if inbox else []
    if on_landed:
        on_landed(landed)

    code = code_fingerprint()
    inventory = landed_inventory(home)
    if not force:
        run_id = _published_run_if_current(home, code, inventory)
        if run_id is not None:
            return _up_to_date_summary(home, landed, inbox, run_id)
    # Only the days whose files the warehouse lacks (every landed day when forced).
    days = partitioned_days(list(inventory.values()) if force else pending_files(home, inventory))

    import dagster as dg  # deferred: seconds to import, and not needed when nothing is new

    from pipelines.definitions import defs  # deferred: loading definitions parses dbt when needed
    from pipelines.defs.ingestion import PARTITIONED_RAW_KEYS
    from pipelines.defs.live_fetch import HF_API_LANDING
    from pipelines.defs.publishing import PUBLISHED
    from pipelines.defs.quality import CHECK_MODULES
    from pipelines.defs.resources import WarehouseResource
    from pipelines.memory import modules_frozen

    # Runs read only what has landed: live fetching is the CLI's --hf-api or the schedule's job.
    selection = dg.AssetSelection.all() - dg.AssetSelection.keys(HF_API_LANDING)
    if not days:
        selection = selection - dg.AssetSelection.keys(*PARTITIONED_RAW_KEYS)
    tags = {RANGE_START_TAG: days[0], RANGE_END_TAG: days[-1]} if days else {}
    tags[CODE_TAG] = code
    if force:
        tags[FULL_REFRESH_TAG] = "true"
    if on_run_start:
        on_run_start()
    with modules_frozen(preload=CHECK_MODULES):  # every run has suite checks to run
        result = dg.materialize(
            [*(defs.assets or []), *(defs.asset_checks or [])],
            instance=_instance(home),
            resources={**defs.resources, "warehouse": WarehouseResource(home_dir=str(home.root))},
            selection=selection,
            tags=tags,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    summary = RunSummary(landed=landed, run_id=result.run_id, success=result.success, inbox=inbox, ingested_days=days)
    for evaluation in result.get_asset_check_evaluations():
        summary.checks.append(
            CheckOutcome(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=evaluation.passed,
                blocking=evaluation.blocking if evaluation.blocking is not None else False,
                description=evaluation.description or "",
            )
        )
    summary.failed_steps = [
        event.step_key for event in result.all_events if event.event_type_value == "STEP_FAILURE" and event.step_key
    ]
    published = [m for m in result.get_asset_materialization_events() if m.asset_key == PUBLISHED]
    summary.published = home.published if published else None
    _summarise(home, summary)
    return summary
