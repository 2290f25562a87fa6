"""Blocking asset checks written in Python: Great Expectations suites and the ledger reconciliation.

dbt tests arrive as asset checks through dagster-dbt; these cover what dbt
cannot: the raw layer before dbt runs, and GX suites kept under expectations/.
"""

import dagster as dg

from pipelines.defs.ingestion import HF_RAW, LEDGER
from pipelines.defs.resources import WarehouseResource
from pipelines.quality.gx_suites import validate_table
from pipelines.sources import SOURCES

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


RECONCILE_SQL = """
WITH accepted AS ({accepted}),
quarantined AS (SELECT landing_path, count(*) AS n FROM raw.quarantine GROUP BY ALL),
this_run AS (SELECT * FROM raw.ingestion_runs WHERE run_id = ?)
SELECT f.landing_path, f.records_read, coalesce(a.n, 0) AS accepted, coalesce(q.n, 0) AS quarantined,
       r.records_read AS audited_read, r.records_accepted AS audited_accepted
FROM raw.landed_files AS f
LEFT JOIN accepted AS a USING (landing_path)
LEFT JOIN quarantined AS q USING (landing_path)
LEFT JOIN this_run AS r USING (landing_path)
WHERE f.records_read <> coalesce(a.n, 0) + coalesce(q.n, 0)
   OR r.records_read <> r.records_accepted + r.records_quarantined
   OR r.records_accepted <> coalesce(a.n, 0)
ORDER BY f.landing_path
"""


@dg.asset_check(
    asset=LEDGER,
    blocking=True,
    description="Every record read is accepted or quarantined, nothing else; this run's audit rows agree with the raw tables.",
)
def records_reconcile(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    accepted = " UNION ALL ".join(
        f"SELECT landing_path, count(*) AS n FROM raw.{source.raw_table} GROUP BY ALL" for source in SOURCES.values()
    )
    with warehouse.connect(read_only=True) as con:
        mismatches = con.execute(
            RECONCILE_SQL.format(accepted=accepted), [context.op_execution_context.run_id]
        ).fetchall()
        audited = con.execute(
            "SELECT count(*) FROM raw.ingestion_runs WHERE run_id = ?", [context.op_execution_context.run_id]
        ).fetchone()[0]
    return dg.AssetCheckResult(
        passed=not mismatches,
        description=f"records read = accepted + quarantined for every file ({audited} audited in this run)"
        if not mismatches
        else f"{len(mismatches)} file(s) do not reconcile, first: {mismatches[0]}",
        metadata={
            "files_not_reconciling": dg.MetadataValue.int(len(mismatches)),
            "files_audited_this_run": dg.MetadataValue.int(audited),
        },
    )


VOLUME_WINDOW_DAYS = 20
VOLUME_K = 3.0
VOLUME_SQL = """
WITH latest AS (  -- a day's list is its latest fetch that carried a list
    SELECT listing_date, records_read,
           row_number() OVER (PARTITION BY listing_date ORDER BY as_of DESC, landing_path DESC) AS fetch_rank
    FROM raw.landed_files
    WHERE source = 'hf_daily_papers' AND file_shape IN ('array', 'wrapper') AND records_read > 0
), days AS (
    SELECT listing_date, records_read AS papers, row_number() OVER (ORDER BY listing_date DESC) AS recency
    FROM latest WHERE fetch_rank = 1
)
SELECT (SELECT listing_date FROM days WHERE recency = 1),
       (SELECT papers FROM days WHERE recency = 1),
       avg(papers), stddev_samp(papers), count(*)
FROM days WHERE recency BETWEEN 2 AND ?
"""


@dg.asset_check(
    asset=HF_RAW,
    description=f"The newest day's paper count lies within the trailing {VOLUME_WINDOW_DAYS}-day mean ± {VOLUME_K:g}·sd.",
)
def daily_volume_within_range(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        day, papers, mean, sd, history = con.execute(VOLUME_SQL, [VOLUME_WINDOW_DAYS + 1]).fetchone()
    if day is None or history < 5 or sd is None:
        return dg.AssetCheckResult(
            passed=True, severity=dg.AssetCheckSeverity.WARN, description=f"not enough history ({history or 0} days)"
        )
    low, high = mean - VOLUME_K * sd, mean + VOLUME_K * sd
    passed = low <= papers <= high
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{day}: {papers} papers, trailing mean {mean:.1f} ± {VOLUME_K:g}·{sd:.1f} = [{low:.1f}, {high:.1f}]",
        metadata={
            "day": dg.MetadataValue.text(str(day)),
            "papers": dg.MetadataValue.int(int(papers)),
            "trailing_mean": dg.MetadataValue.float(float(mean)),
            "trailing_sd": dg.MetadataValue.float(float(sd)),
            "z": dg.MetadataValue.float(float((papers - mean) / sd) if sd else 0.0),
        },
    )


checks = [raw_papers_suite, staged_papers_suite, records_reconcile, daily_volume_within_range]
