"""Daily partitions: one per Daily-Papers list date."""

import dagster as dg

# Hugging Face started its Daily Papers list in May 2023.
DAILY = dg.DailyPartitionsDefinition(start_date="2023-05-01", end_offset=1)
