"""Daily partitions: one per Daily-Papers list date."""

import datetime as dt

import dagster as dg

# Hugging Face started its Daily Papers list in May 2023.
DAILY = dg.DailyPartitionsDefinition(start_date="2023-05-01", end_offset=1)

# Daily lists arrive every weekday: warn after a day and a half, fail after a long weekend.
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=80), warn_window=dt.timedelta(hours=36))
