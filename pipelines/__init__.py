"""papertrends: research-paper feeds to trend tables (Dagster + dbt + DuckDB)."""

import os

# polars allocates through its own jemalloc, which keeps freed pages for about 10 s: the learned
# step's frames then stayed in the run's process beside the fit and the next dbt step (0.26 GB
# after tokenising 100k papers; pipelines/memory.py). jemalloc reads this once, when polars is
# loaded, so it is set here, before any module of the package imports polars.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
