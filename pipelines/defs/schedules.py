"""The daily job and its schedule (off by default: an operator turns it on)."""

import dagster as dg

from pipelines.defs.partitions import DAILY

daily_job = dg.define_asset_job(
    "papertrends_daily",
    selection=dg.AssetSelection.all(),
    partitions_def=DAILY,
    description="Ingest one day, build every model, run every check, publish.",
)

daily_schedule = dg.build_schedule_from_partitioned_job(
    daily_job, hour_of_day=9, minute_of_hour=0, default_status=dg.DefaultScheduleStatus.STOPPED
)
