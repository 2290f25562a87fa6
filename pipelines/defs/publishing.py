"""The publish asset: runs only after every upstream asset and blocking check succeeded."""

import dagster as dg

from pipelines.defs.dbt_models import mart_keys
from pipelines.defs.ingestion import LEDGER, RAW_KEYS
from pipelines.defs.metadata import query_markdown
from pipelines.defs.quality import STAGED_PAPERS
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprint import CODE_TAG, code_fingerprint
from pipelines.publish import CheckResult, manifest_path, publish, read_manifest
from pipelines.warehouse import connect

PUBLISHED = dg.AssetKey(["published", "papertrends"])
PREVIEW_SQL = """
SELECT rank, as_of_date, score, upvotes, left(title, 80) AS title
FROM marts.trending_papers_latest
WHERE window_type = 'week'
ORDER BY rank LIMIT 10
"""


def checks_in_run(context: dg.AssetExecutionContext) -> list[CheckResult]:
    """Every asset check evaluated so far in this run (the audit of write-audit-publish)."""
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    results = set()
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        results.add(
            CheckResult(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=bool(evaluation.passed),
                severity=evaluation.severity.value,
                description=evaluation.description or "",
            )
        )
    return sorted(results)


def blocking_failures(checks: list[CheckResult]) -> list[str]:
    return sorted(
        f"{c.asset}:{c.name}" for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR.value
    )


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
    checks = checks_in_run(context)
    failed = blocking_failures(checks)
    if failed:
        raise dg.Failure(
            description=f"not publishing: {len(failed)} check(s) failed in this run: {', '.join(failed)}",
            allow_retries=False,
        )
    # The code this run was built with, so that a later run over the same inputs can skip
    # (pipelines.fingerprint): the runner's tag, taken before the run started, else now.
    code = context.run.tags.get(CODE_TAG) or code_fingerprint()
    path = publish(
        warehouse.home.warehouse,
        warehouse.home.published,
        run_id=context.run_id,
        checks=checks,
        build={"code_fingerprint": code},
    )
    manifest = read_manifest(path)
    # The preview reads the warehouse (the bytes just copied): the published path may be
    # held open by readers, and is theirs alone.
    with connect(warehouse.home.warehouse, read_only=True) as con:
        preview = query_markdown(con, PREVIEW_SQL)
    context.log.info(f"published {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "manifest": dg.MetadataValue.path(str(manifest_path(path))),
            "sha256": manifest["database"]["sha256"],
            "input_files": len(manifest["inputs"]),
            "checks": f"{manifest['checks_summary']['total']} evaluated, {manifest['checks_summary']['failed']} failed",
            "row_counts": dg.MetadataValue.json(manifest["mart_row_counts"]),
            "top_trending_this_week": preview,
        }
    )
