"""The publish asset: runs only after every upstream asset and blocking check succeeded."""

import dagster as dg

from pipelines.defs.dbt_models import mart_keys
from pipelines.defs.ingestion import LEDGER, RAW_KEYS
from pipelines.defs.metadata import query_markdown
from pipelines.defs.quality import STAGED_PAPERS
from pipelines.defs.resources import WarehouseResource
from pipelines.publish import mart_row_counts, publish
from pipelines.warehouse import connect

PUBLISHED = dg.AssetKey(["published", "papertrends"])
PREVIEW_SQL = """
SELECT rank, period_start, score, upvotes, left(title, 80) AS title
FROM marts.trending_papers JOIN marts.dim_papers USING (paper_id)
WHERE period_type = 'week' AND period_start = (SELECT max(period_start) FROM marts.trending_papers WHERE period_type = 'week')
ORDER BY rank LIMIT 10
"""


def failed_checks_in_run(context: dg.AssetExecutionContext) -> list[str]:
    """Names of the asset checks that failed earlier in this run (audit before publish)."""
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(failed)


@dg.asset(
    key=PUBLISHED,
    group_name="publish",
    # The assets that carry Python blocking checks are direct deps so that a failed
    # check stops this step; dbt test failures already fail the dbt step upstream.
    deps=[*mart_keys(), *RAW_KEYS, LEDGER, STAGED_PAPERS],
    kinds={"duckdb"},
    description="Read-only analyst copy at $PAPERTRENDS_HOME/published/papertrends.duckdb, replaced atomically.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    failed = failed_checks_in_run(context)
    if failed:
        raise dg.Failure(
            description=f"not publishing: {len(failed)} check(s) failed in this run: {', '.join(failed)}",
            allow_retries=False,
        )
    path = publish(warehouse.home.warehouse, warehouse.home.published)
    counts = mart_row_counts(path)
    with connect(path, read_only=True) as con:
        preview = query_markdown(con, PREVIEW_SQL)
    context.log.info(f"published {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "row_counts": dg.MetadataValue.json(counts),
            "top_trending_this_week": preview,
        }
    )
