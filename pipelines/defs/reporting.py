"""The report asset: the analysts' HTML report and digest, rebuilt after every publish."""

import dagster as dg

from pipelines.defs.publishing import PUBLISHED
from pipelines.defs.resources import WarehouseResource
from pipelines.report import build_report, default_out_dir
from pipelines.report.render import markdown_escape

REPORT = dg.AssetKey(["reports", "papertrends_report"])


@dg.asset(
    key=REPORT,
    group_name="reports",
    # Its only dependency is the publish step: a run whose checks or publish failed never
    # reaches this step, so the report never shows data that was not published.
    deps=[PUBLISHED],
    kinds={"html"},
    description=(
        "Static HTML report (index.html, SVG charts, no script) and Markdown digest (digest.md) at "
        "$PAPERTRENDS_HOME/reports/latest, built from the published copy only. Same as `papertrends report`."
    ),
)
def papertrends_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    home = warehouse.home
    result = build_report(home.published, default_out_dir(home))
    context.log.info(f"report written to {result.index_html}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.index_html)),
            "digest": dg.MetadataValue.path(str(result.digest_md)),
            "charts": dg.MetadataValue.int(len(result.charts)),
            "chart_files": dg.MetadataValue.json([path.name for path in result.charts]),
            "sections": dg.MetadataValue.json(result.sections),
            "as_of_date": result.as_of_date or "-",
            "published_run_id": result.run_id or "-",
            "top_trending_this_week": dg.MetadataValue.md(
                "\n".join(
                    f"{rank}. {markdown_escape(title)}" for rank, title in enumerate(result.top_trending, start=1)
                )
                or "-"
            ),
        }
    )
