"""Blocking asset checks written in Python: Great Expectations suites and the ledger reconciliation.

dbt tests arrive as asset checks through dagster-dbt; these cover what dbt
cannot: the raw layer before dbt runs, and GX suites kept under expectations/
(one per layer and table, or per query: see pipelines/quality/gx_suites.py).

Each suite check validates its suite against the table or query the suite names,
reports the failed expectations with a sample of offending values (metadata and
description, which the CLI prints), and saves its validation result for the run's
GX data docs at $PAPERTRENDS_HOME/docs/gx/ (pipelines/quality/data_docs.py), which a
failing check renders at once and docs/gx_data_docs otherwise renders after publishing.

Where mart checks sit: a blocking check on a dbt asset that has downstream models in
the same dbt step makes Dagster split that step (downstream models must wait for the
check). So the mart suites are checks of the leaf marts (only published/papertrends
downstream) whose lineage holds the validated table: trending_papers_latest for the
trending marts, emerging_topics for the topic marts, with the validated tables as
additional deps.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from pipelines.defs.ingestion import HF_RAW, LEDGER, raw_key
from pipelines.defs.resources import WarehouseResource
from pipelines.memory import release_freed_memory
from pipelines.quality.suites import suite_source
from pipelines.runner import RANGE_END_TAG, RANGE_START_TAG
from pipelines.sources import SOURCES
from pipelines.warehouse import STREAMING_MEMORY_LIMIT

STAGED_PAPERS = dg.AssetKey(["staging", "stg_hf_daily_papers__papers"])
ARXIV_RAW = raw_key(SOURCES["arxiv_listings"])
TRENDING_PAPERS = dg.AssetKey(["marts", "trending_papers"])
TRENDING_PAPERS_LATEST = dg.AssetKey(["marts", "trending_papers_latest"])
TOPIC_TRENDS = dg.AssetKey(["marts", "topic_trends"])
PAPER_TOPICS = dg.AssetKey(["marts", "paper_topics"])
EMERGING_TOPICS = dg.AssetKey(["marts", "emerging_topics"])
DAILY_LISTINGS = dg.AssetKey(["intermediate", "int_daily_listings_latest"])
PARTITION_TAG = "dagster/partition"  # a run of one partition (a backfill, the schedule)
# What the suite checks import when they first run (Great Expectations: seconds to import).
CHECK_MODULES = ("pipelines.quality.gx_suites", "pipelines.quality.data_docs")


@dataclass(frozen=True)
class SuiteCheck:
    suite: str  # expectations/<suite>.json
    asset: dg.AssetKey  # the asset the check belongs to (and blocks)
    reads: tuple[dg.AssetKey, ...] = ()  # other assets the suite's table or query reads


SUITE_CHECKS = [
    SuiteCheck("hf_papers_raw", HF_RAW),
    SuiteCheck("arxiv_listings_raw", ARXIV_RAW),
    SuiteCheck("staged_papers", STAGED_PAPERS),
    SuiteCheck("marts_trending_papers", TRENDING_PAPERS_LATEST, reads=(TRENDING_PAPERS,)),
    SuiteCheck("marts_trending_papers_latest", TRENDING_PAPERS_LATEST),
    SuiteCheck("marts_topic_trends", EMERGING_TOPICS, reads=(TOPIC_TRENDS,)),
    SuiteCheck("marts_topic_shares", EMERGING_TOPICS, reads=(TOPIC_TRENDS, PAPER_TOPICS, DAILY_LISTINGS)),
    SuiteCheck("marts_emerging_topics", EMERGING_TOPICS),
    SuiteCheck("marts_paper_topics", EMERGING_TOPICS, reads=(PAPER_TOPICS,)),
]


def run_days(tags: Mapping[str, str]) -> list[dt.date] | None:
    """The listing days a run ingested (its partition or partition range), or None: every day.

    Suites of the raw and staged layers validate only these days' rows (their days are
    immutable once ingested, and were validated by the run that ingested them); the mart
    suites always validate whole marts.
    """
    if tags.get(PARTITION_TAG):
        return [dt.date.fromisoformat(tags[PARTITION_TAG])]
    if not (tags.get(RANGE_START_TAG) and tags.get(RANGE_END_TAG)):
        return None
    first, last = dt.date.fromisoformat(tags[RANGE_START_TAG]), dt.date.fromisoformat(tags[RANGE_END_TAG])
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _describe(spec: SuiteCheck) -> str:
    kind, source = suite_source(spec.suite)
    what = source if kind == "table" else "its source_sql query"
    return f"Great Expectations suite expectations/{spec.suite}.json on {what} (blocking)."


def _suite_check(spec: SuiteCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=spec.asset,
        name=f"gx_{spec.suite}",
        blocking=True,
        description=_describe(spec),
        additional_deps=list(spec.reads),
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        # Great Expectations loads with the first check that validates, not with the definitions.
        from pipelines.quality.data_docs import record_validation, save_result, validation_page
        from pipelines.quality.gx_suites import validate_suite

        # Capped low: the suite's scans (2.6 GB of abstracts in raw at 1M papers) would fill
        # DuckDB's cache up to the run's limit beside GX's frames, in this process.
        with warehouse.connect(read_only=True, limit=STREAMING_MEMORY_LIMIT) as con:
            outcome = validate_suite(con, spec.suite, partitions=run_days(context.op_execution_context.run.tags))
        metadata = outcome.to_metadata()
        home, run_id = warehouse.home.root, context.op_execution_context.run_id
        try:
            if outcome.success:  # rendered with the others by docs/gx_data_docs after publishing
                save_result(home, run_id, outcome)
                page = validation_page(home, run_id, spec.suite)
            else:  # a failure stops the run before docs/gx_data_docs: its page is rendered now
                page = record_validation(home, run_id, outcome)["page"]
            metadata["data_docs"] = dg.MetadataValue.path(str(page))
        except Exception as error:  # docs are a view of the result: they never decide or hide it
            context.log.warning(f"GX data docs not updated for {spec.suite}: {error!r}")
            metadata["data_docs_error"] = repr(error)[:500]
        release_freed_memory()  # GX's validators hold the frames in reference cycles
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata=metadata,
        )

    return _check


suite_checks = [_suite_check(spec) for spec in SUITE_CHECKS]


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


checks = [*suite_checks, records_reconcile, daily_volume_within_range]
