"""The papertrends Dagster code location (see workspace.yaml)."""

import dagster as dg

from pipelines.defs import docs, ingestion, quality
from pipelines.defs.dbt_models import DBT_ASSETS
from pipelines.defs.inbox_sensor import inbox_sensor
from pipelines.defs.learned_topics import learned_topics
from pipelines.defs.live_fetch import HfApiResource, hf_api_landing
from pipelines.defs.publishing import published_warehouse
from pipelines.defs.reporting import papertrends_report
from pipelines.defs.resources import default_resources
from pipelines.defs.schedules import daily_job, daily_schedule

defs = dg.Definitions(
    # Two dbt steps around the Python topic step: see pipelines/defs/dbt_models.py.
    assets=[
        hf_api_landing,
        *ingestion.assets,
        *DBT_ASSETS,
        learned_topics,
        published_warehouse,
        papertrends_report,
        *docs.assets,
    ],
    asset_checks=quality.checks,
    jobs=[daily_job],
    schedules=[daily_schedule],
    sensors=[inbox_sensor],
    resources={**default_resources(), "hf_api": HfApiResource()},
)
