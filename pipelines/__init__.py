"""papertrends: research-paper feeds to trend tables (Dagster + dbt + DuckDB)."""
