"""Ingestion assets: the landed files of each source into its raw table, one asset per source.

Landing itself (input files to ``raw/<source>/dt=…/``) happens before a run, in
:mod:`pipelines.landing`; these assets read only what has landed. A new source
registered in :data:`pipelines.sources.SOURCES` gets its asset here for free.
"""

import dagster as dg

from pipelines import progress
from pipelines.defs.live_fetch import HF_API_LANDING
from pipelines.defs.partitions import DAILY, DAILY_FRESHNESS
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprint import FULL_REFRESH_TAG
from pipelines.memory import release_freed_memory
from pipelines.sources import SOURCES, Source
from pipelines.warehouse import IngestStats, ingest

LEDGER = dg.AssetKey(["raw", "ingestion_ledger"])
# Sources with a live fetcher: their raw asset reads what that fetch landed (schedule, backfills).
LIVE_LANDING = {"hf_daily_papers": HF_API_LANDING}


def raw_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey(["raw", source.raw_table])


def _metadata(stats: IngestStats) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.int(stats.files),
        "records_read": dg.MetadataValue.int(stats.records_read),
        "dagster/row_count": dg.MetadataValue.int(stats.records_accepted),
        "records_quarantined": dg.MetadataValue.int(stats.records_quarantined),
        "files_read": dg.MetadataValue.int(stats.files_read),
        "files_skipped": dg.MetadataValue.int(stats.files_skipped),
        "files_removed": dg.MetadataValue.int(stats.files_removed),
    }


def _reporter(context: dg.AssetExecutionContext, task: str):
    """Per-file progress: to a listening CLI (every file) and to the step's log (every tenth of the work)."""
    logged = [0]

    def report(done: int, total: int) -> None:
        progress.report(task, done, total)
        tenth = 10 * done // total
        if tenth > logged[0] or done == total:
            logged[0] = tenth
            context.log.info(f"{task}: {done}/{total} files")

    return report


def raw_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(source),
        group_name="ingestion",
        partitions_def=DAILY if source.partitioned else None,
        deps=[LIVE_LANDING[source.name]] if source.name in LIVE_LANDING else None,
        freshness_policy=DAILY_FRESHNESS if source.partitioned else None,
        # A backfill arrives as one run over a range of days: ingest them together.
        backfill_policy=dg.BackfillPolicy.single_run() if source.partitioned else None,
        kinds={"python", "duckdb"},
        description=source.description,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        days = context.partition_keys if source.partitioned else None
        # Files already ingested are skipped; a forced run (`papertrends run --force`) re-reads them all.
        refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
        with warehouse.connect() as con:
            stats = ingest(
                con,
                warehouse.home,
                source.name,
                days,
                run_id=context.run_id,
                refresh=refresh,
                progress=_reporter(context, f"ingesting {source.name}"),
            )
        release_freed_memory()  # the parsed batches, before the dbt steps run beside this process
        context.log.info(f"{len(days) if days else 'all'} day(s): {stats}")
        return dg.MaterializeResult(metadata=_metadata(stats))

    return _asset


RAW_ASSETS = {name: raw_asset(source) for name, source in SOURCES.items()}
RAW_KEYS = [raw_key(source) for source in SOURCES.values()]
PARTITIONED_RAW_KEYS = [raw_key(source) for source in SOURCES.values() if source.partitioned]
HF_RAW = raw_key(SOURCES["hf_daily_papers"])
hf_daily_papers_raw = RAW_ASSETS["hf_daily_papers"]
seed_page_raw = RAW_ASSETS["seed_page"]


@dg.asset(
    key=LEDGER,
    group_name="ingestion",
    deps=RAW_KEYS,
    kinds={"duckdb"},
    description="raw.landed_files and raw.quarantine: what every landed file yielded, and every record set aside.",
)
def ingestion_ledger(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as con:
        files, read, quarantined = con.execute(
            "SELECT count(*), coalesce(sum(records_read), 0), coalesce(sum(records_quarantined), 0) FROM raw.landed_files"
        ).fetchone()
        reasons = con.execute(
            "SELECT reason, count(*) FROM raw.quarantine GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 10"
        ).fetchall()
    table = "\n".join(["| reason | records |", "| --- | --- |", *(f"| {r} | {n} |" for r, n in reasons)])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(files),
            "records_read": dg.MetadataValue.int(int(read)),
            "records_quarantined": dg.MetadataValue.int(int(quarantined)),
            "quarantine_reasons": dg.MetadataValue.md(table),
        }
    )


assets = [*RAW_ASSETS.values(), ingestion_ledger]
