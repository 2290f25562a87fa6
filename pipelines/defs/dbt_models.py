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

Each step builds incrementally (``dbt_project/macros/incremental.sql``): before dbt runs,
the step works out which listing days changed since its last successful build
(:func:`pipelines.dbt_project.plan_step`), and only after the whole step succeeded does it
record them as done (:func:`pipelines.dbt_project.commit_step`). dbt's artifacts live in
one persistent folder per step under ``$PAPERTRENDS_HOME/dbt/target/``, so that dbt's
partial parsing skips the parse when the project did not change.
"""

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.dbt_project import DBT_PROJECT, commit_step, ensure_manifest, plan_step, share_parse_state
from pipelines.defs.ingestion import LEDGER, raw_key
from pipelines.defs.learned_topics import LEARNED_TOPICS, TOPIC_STEP_PREFIX
from pipelines.defs.metadata import column_schema, is_view, table_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprint import FULL_REFRESH_TAG, model_fingerprint
from pipelines.settings import (
    DBT_MEMORY_SHARE,
    MEMORY_LIMIT_VARIABLE,
    STEP_MEMORY_LIMIT_VARIABLE,
    TOPIC_DBT_MEMORY_SHARE,
    memory_limit,
    scaled_memory_limit,
)
from pipelines.sources import SOURCES
from pipelines.topics.store import clear_learned_changes
from pipelines.topics.store import ensure_tables as ensure_learned_tables
from pipelines.warehouse import ensure_raw_tables

# dbt models that need the learned topics: built by the second dbt step.
LEARNED_TOPICS_TAG = "learned_topics"
# Where dbt_project.yml puts the seeds (their asset key is ["seed", name]).
SEED_SCHEMA = "seeds"
# The op of the second dbt step: it consumes (and, once built, clears) the learned step's changes.
TOPIC_STEP = TOPIC_STEP_PREFIX
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


# Source tests (raw.* not null / unique) run inside `dbt build` and fail the dbt step, so the run,
# when they fail; they are not Dagster checks of the raw assets. As blocking checks of the raw
# assets they would sit between the raw assets and the ingestion ledger, whose tables feed dbt
# models again: to keep that order Dagster splits the first dbt step into four dbt invocations
# (about 5 s each, whatever the data). One step, one invocation.
TRANSLATOR = PapertrendsTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_duplicate_source_asset_keys=True, enable_source_tests_as_checks=False
    )
)


def _step_key(context: dg.AssetExecutionContext) -> str:
    """The step's name, and which models it builds when that is not all of its asset's.

    Dagster may run a subset of a dbt asset (a selection in the UI, or a split around a
    blocking check): such a subset keeps its own incremental state, so it never passes a
    day off as done for the models it did not build.
    """
    selected = set(context.selected_asset_keys)
    if selected == set(context.assets_def.keys):
        return context.op.name
    digest = hashlib.sha256("\n".join(sorted(k.to_user_string() for k in selected)).encode()).hexdigest()[:12]
    return f"{context.op.name}@{digest}"


def _metadata(con, layer: str, model: str) -> dict:
    """Row count and column schema; for a view outside the marts only the schema (a preview of a
    mart view still helps analysts; no view is counted: table_metadata)."""
    schema = SEED_SCHEMA if layer == "seed" else layer
    view = is_view(con, schema, model)
    if view and layer != "marts":
        return {"dagster/column_schema": dg.MetadataValue.table_schema(column_schema(con, schema, model))}
    return table_metadata(con, schema, model, preview=layer == "marts", view=view)


@contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` while the block runs (dagster-dbt starts dbt with this
    process's environment and takes no environment of its own; steps run one at a time)."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


# dbt steps (op names) that run within less than DBT_MEMORY_SHARE of the run's limit.
STEP_MEMORY_SHARES = {TOPIC_STEP: TOPIC_DBT_MEMORY_SHARE}


def dbt_memory_limit(step: str | None = None) -> str:
    """DuckDB's limit in dbt's process for a step (by op name; None: any other dbt call): its
    share of the run's limit."""
    return scaled_memory_limit(memory_limit(), STEP_MEMORY_SHARES.get(step, DBT_MEMORY_SHARE))


def start_dbt(dbt: DbtCliResource, args: list[str], target: Path, step: str | None = None, **cli_kwargs: Any) -> Any:
    """Start a dbt call of a home (a build step or the docs) in its own target folder.

    Every call opens dbt's DuckDB at the same limit, the profile's, and starts from the newest
    parse state of the home's other target folders: dbt's parse state holds the profile, limit
    included, so a call with another one would parse the whole project again. A step's own
    limit is set by dbt's on-run-start hook from an environment variable no parse reads.
    """
    share_parse_state(target)
    # Both from the run's limit, before the first replaces it in the environment.
    profile_limit, step_limit = dbt_memory_limit(), dbt_memory_limit(step)
    with environment(MEMORY_LIMIT_VARIABLE, profile_limit), environment(STEP_MEMORY_LIMIT_VARIABLE, step_limit):
        return dbt.cli(args, target_path=target, **cli_kwargs)


def stream_to_exit(invocation: Any) -> list:
    """Every event of a dbt invocation, returning only once the dbt process has exited."""
    try:
        return list(invocation.stream())
    except BaseException:
        # Nobody reads dbt's stdout once the stream has raised: a dbt still writing would block
        # on the full pipe and the wait below would hang the run forever. Stop it first.
        invocation.process.kill()
        raise
    finally:
        # The event stream ends (or raises on a failed build) when dbt closes stdout, which
        # can be before the process exits and releases its DuckDB lock: wait for the exit.
        invocation.process.wait()


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # One persistent target folder per step and home: dbt finds its partial_parse.msgpack
    # there from the last run and re-parses only what changed (a per-run folder meant a full
    # parse, seconds, in every step of every run).
    target = warehouse.home.root / "dbt" / "target" / context.op.name
    step = _step_key(context)
    fingerprint = model_fingerprint()
    forced = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    # dbt's sources are the raw tables: they exist, if empty, before dbt looks.
    with warehouse.connect() as con:
        ensure_raw_tables(con)
        ensure_learned_tables(con)
        plan = plan_step(con, step, fingerprint, force=forced)
    context.log.info(
        f"dbt step {step}: {'full refresh' if plan.full_refresh else 'incremental'} ({plan.reason}),"
        f" {len(plan.changed_days)} changed day(s), DuckDB memory limit {dbt_memory_limit(context.op.name)}"
    )
    # dagster-dbt's fetch_row_counts() keeps a dbt adapter connection open in this
    # process, which locks DuckDB; count rows ourselves once dbt has exited.
    # The step's select/exclude (from @dbt_assets) is added by dagster-dbt.
    args = ["build", *(["--full-refresh"] if plan.full_refresh else [])]
    invocation = start_dbt(dbt, args, target, step=context.op.name, context=context)
    events = stream_to_exit(invocation)
    # Only now, every model built over every changed day: the next run starts from here.
    with warehouse.connect() as con:
        commit_step(con, step, fingerprint)
        if step == TOPIC_STEP:
            clear_learned_changes(con)
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                layer, model = context.asset_key_for_output(event.output_name).path
                event = event.with_metadata({**event.metadata, **_metadata(con, layer, model)})
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
