"""dbt models as Dagster assets; dbt tests become Dagster asset checks.

The translator drives keys and groups from the dbt layout: a model's key is
``[layer, model]`` and its group is its layer folder, and each raw source table
maps to the ingestion asset that writes it.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.dbt_project import DBT_PROJECT, ensure_manifest
from pipelines.defs.ingestion import LEDGER, raw_key
from pipelines.defs.metadata import table_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.sources import SOURCES
from pipelines.warehouse import ensure_raw_tables

SOURCE_KEYS = {source.raw_table: raw_key(source) for source in SOURCES.values()} | {
    "landed_files": LEDGER,
    "quarantine": LEDGER,
    "ingestion_runs": LEDGER,
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


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=TRANSLATOR, project=DBT_PROJECT)
def papertrends_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt artifacts are run state: keep them under PAPERTRENDS_HOME, one folder per run.
    target = warehouse.home.root / "dbt" / "runs" / context.run_id
    # dbt's sources are the raw tables: they exist, if empty, before dbt looks.
    with warehouse.connect() as con:
        ensure_raw_tables(con)
    # dagster-dbt's fetch_row_counts() keeps a dbt adapter connection open in this
    # process, which locks DuckDB; count rows ourselves once dbt has exited.
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
                extra = table_metadata(con, layer, model, preview=layer == "marts")
                event = event.with_metadata({**event.metadata, **extra})
            yield event


def mart_keys() -> list[dg.AssetKey]:
    return [key for key in papertrends_dbt_models.keys if key.path[0] == "marts"]
