"""Ingestion assets: landed files of a source into its raw table.

Landing itself (input files to ``raw/<source>/dt=…/``) happens before a run, in
:mod:`pipelines.landing`; these assets read only what has landed.
"""

import dagster as dg

from pipelines.defs.partitions import DAILY
from pipelines.defs.resources import WarehouseResource
from pipelines.warehouse import IngestStats, ingest

HF_RAW = dg.AssetKey(["raw", "hf_daily_papers"])
SEED_RAW = dg.AssetKey(["raw", "seed_page_papers"])
LEDGER = dg.AssetKey(["raw", "ingestion_ledger"])


def _metadata(stats: IngestStats) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.int(stats.files),
        "records_read": dg.MetadataValue.int(stats.records_read),
        "dagster/row_count": dg.MetadataValue.int(stats.records_accepted),
        "records_quarantined": dg.MetadataValue.int(stats.records_quarantined),
    }


@dg.asset(
    key=HF_RAW,
    group_name="ingestion",
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python", "duckdb"},
    description="Hugging Face api/daily_papers records of the landed files, one row per record per file version.",
)
def hf_daily_papers_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    # A backfill arrives as one run over a range of days: ingest them together.
    days = context.partition_keys
    with warehouse.connect() as con:
        stats = ingest(con, warehouse.home, "hf_daily_papers", days)
    context.log.info(f"{len(days)} day(s): {stats}")
    return dg.MaterializeResult(metadata=_metadata(stats))


@dg.asset(
    key=SEED_RAW,
    group_name="ingestion",
    kinds={"python", "duckdb"},
    description="Papers of scraped Daily Papers listing pages (no ids), one row per paper block.",
)
def seed_page_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        stats = ingest(con, warehouse.home, "seed_page", None)
    context.log.info(str(stats))
    return dg.MaterializeResult(metadata=_metadata(stats))


@dg.asset(
    key=LEDGER,
    group_name="ingestion",
    deps=[HF_RAW, SEED_RAW],
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


assets = [hf_daily_papers_raw, seed_page_raw, ingestion_ledger]
