"""dbt models as Dagster assets; dbt tests become Dagster asset checks.

The translator drives keys and groups from the dbt layout: a model's key is
``[layer, model]`` and its group is its layer folder, and each raw source table
maps to the asset that writes it (an ingestion asset, or the Python step
``topics/learned_topics`` for the ``learned`` source).

dbt runs in two steps around that Python step: ``papertrends_dbt_models`` builds
everything except the models tagged ``learned_topics`` (dim_papers among them);
``topics/learned_topics`` reads dim_papers and writes the raw learned tables;
``papertrends_dbt_topic_models`` builds the tagged models (the topic marts). Dagster
orders the three by their asset dependencies, in one run.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.dbt_project import DBT_PROJECT, ensure_manifest
from pipelines.defs.ingestion import LEDGER, raw_key
from pipelines.defs.learned_topics import LEARNED_TOPICS
from pipelines.defs.metadata import table_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.sources import SOURCES
from pipelines.topics.store import ensure_tables as ensure_learned_tables
from pipelines.warehouse import ensure_raw_tables

# dbt models that need the learned topics: built by the second dbt step.
LEARNED_TOPICS_TAG = "learned_topics"
# Where dbt_project.yml puts the seeds (their asset key is ["seed", name]).
SEED_SCHEMA = "seeds"
SOURCE_KEYS = {source.raw_table: raw_key(source) for source in SOURCES.values()} | {
    "landed_files": LEDGER,
    "quarantine": LEDGER,
    "ingestion_runs": LEDGER,
    "paper_terms": LEARNED_TOPICS,
    "learned_topic_assignments": LEARNED_TOPICS,
    "learned_topic_registry": LEARNED_TOPICS,
}


class PapertrendsTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return SOURCE_KEYS[dbt_resource_props["name"]]
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingestion"
        return self._layer(dbt_resource_props)

    @staticmethod
    def _layer(props: Mapping[str, Any]) -> str:
        # models/<layer>/...; seeds and snapshots get their resource type.
        fqn = props.get("fqn", [])
        return fqn[1] if props["resource_type"] == "model" and len(fqn) > 2 else props["resource_type"]


TRANSLATOR = PapertrendsTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_duplicate_source_asset_keys=True, enable_source_tests_as_checks=True
    )
)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt artifacts are run state: keep them under PAPERTRENDS_HOME, one folder per run and step.
    target = warehouse.home.root / "dbt" / "runs" / context.run_id / context.op.name
    # dbt's sources are the raw tables: they exist, if empty, before dbt looks.
    with warehouse.connect() as con:
        ensure_raw_tables(con)
        ensure_learned_tables(con)
    # dagster-dbt's fetch_row_counts() keeps a dbt adapter connection open in this
    # process, which locks DuckDB; count rows ourselves once dbt has exited.
    # The step's select/exclude (from @dbt_assets) is added by dagster-dbt.
    invocation = dbt.cli(["build"], context=context, target_path=target)
    try:
        events = list(invocation.stream())
    finally:
        # The event stream ends (or raises on a failed build) when dbt closes stdout, which
        # can be before the process exits and releases its DuckDB lock: wait for the exit.
        invocation.process.wait()
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                layer, model = context.asset_key_for_output(event.output_name).path
                schema = SEED_SCHEMA if layer == "seed" else layer
                extra = table_metadata(con, schema, model, preview=layer == "marts")
                event = event.with_metadata({**event.metadata, **extra})
            yield event


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=TRANSLATOR,
    project=DBT_PROJECT,
    select="fqn:*",
    exclude=f"tag:{LEARNED_TOPICS_TAG}",
)
def papertrends_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Step 1: every model not tagged learned_topics (staging, dim_papers, trending, the taxonomy match, ...)."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=TRANSLATOR,
    project=DBT_PROJECT,
    select=f"tag:{LEARNED_TOPICS_TAG}",
)
def papertrends_dbt_topic_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Step 2, after topics/learned_topics: the models tagged learned_topics (they read its tables)."""
    yield from _build(context, dbt, warehouse)


DBT_ASSETS = [papertrends_dbt_models, papertrends_dbt_topic_models]


def mart_keys() -> list[dg.AssetKey]:
    """Every mart of both dbt steps: the publish asset depends on all of them."""
    return sorted(
        (key for assets in DBT_ASSETS for key in assets.keys if key.path[0] == "marts"),
        key=lambda key: key.to_user_string(),
    )
