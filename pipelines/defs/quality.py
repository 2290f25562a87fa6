"""Blocking asset checks written in Python: Great Expectations suites and the ledger reconciliation.

dbt tests arrive as asset checks through dagster-dbt; these cover what dbt
cannot: the raw layer before dbt runs, and GX suites kept under expectations/.
"""

import dagster as dg

from pipelines.defs.ingestion import HF_RAW, LEDGER
from pipelines.defs.resources import WarehouseResource
from pipelines.quality.gx_suites import validate_table

STAGED_PAPERS = dg.AssetKey(["staging", "stg_hf_daily_papers__papers"])


def _suite_check(asset: dg.AssetKey, table: str, suite: str, description: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name=f"gx_{suite}", blocking=True, description=description)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            outcome = validate_table(con, table, suite)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata=outcome.to_metadata(),
        )

    return _check


raw_papers_suite = _suite_check(
    HF_RAW, "raw.hf_daily_papers", "hf_papers_raw", "Great Expectations suite expectations/hf_papers_raw.json."
)
staged_papers_suite = _suite_check(
    STAGED_PAPERS,
    "staging.stg_hf_daily_papers__papers",
    "staged_papers",
    "Great Expectations suite expectations/staged_papers.json.",
)


@dg.asset_check(
    asset=LEDGER, blocking=True, description="Every record read is accepted or quarantined, and nothing else."
)
def records_reconcile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        mismatches = con.execute(
            """
            WITH accepted AS (
                SELECT landing_path, count(*) AS n FROM raw.hf_daily_papers GROUP BY ALL
                UNION ALL
                SELECT landing_path, count(*) FROM raw.seed_page_papers GROUP BY ALL
            ), quarantined AS (
                SELECT landing_path, count(*) AS n FROM raw.quarantine GROUP BY ALL
            )
            SELECT f.landing_path, f.records_read, coalesce(a.n, 0) AS accepted, coalesce(q.n, 0) AS quarantined
            FROM raw.landed_files AS f
            LEFT JOIN accepted AS a USING (landing_path)
            LEFT JOIN quarantined AS q USING (landing_path)
            WHERE f.records_read <> coalesce(a.n, 0) + coalesce(q.n, 0)
            ORDER BY f.landing_path
            """
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not mismatches,
        description="records read = accepted + quarantined for every file"
        if not mismatches
        else f"{len(mismatches)} file(s) do not reconcile, first: {mismatches[0]}",
        metadata={"files_not_reconciling": dg.MetadataValue.int(len(mismatches))},
    )


checks = [raw_papers_suite, staged_papers_suite, records_reconcile]
