"""The inbox sensor: lands dropped files exactly once, then asks for one run over their days."""

import hashlib

import dagster as dg

from pipelines.defs.live_fetch import HF_API_LANDING
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import daily_job
from pipelines.inbox import process_inbox
from pipelines.runner import RANGE_END_TAG, RANGE_START_TAG, partitioned_days


def offline_selection() -> dg.AssetSelection:
    """Everything but live fetching: an inbox run must not reach the network."""
    return dg.AssetSelection.all() - dg.AssetSelection.keys(HF_API_LANDING)


@dg.sensor(
    job=daily_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Lands files dropped into $PAPERTRENDS_HOME/inbox/ and runs the pipeline over their days.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    result = process_inbox(warehouse.home)
    for name, reason in result.rejected.items():
        context.log.warning(f"inbox: {name} moved to inbox/rejected/: {reason}")
    if not result.landed:
        return dg.SkipReason(
            f"nothing new in the inbox ({len(result.duplicates)} duplicate(s), {len(result.rejected)} rejected)"
        )
    days = partitioned_days(result.landed)
    # Exactly once: the run key is the content of what landed.
    run_key = hashlib.sha256("".join(sorted(f.sha256 for f in result.landed)).encode()).hexdigest()[:32]
    tags = {RANGE_START_TAG: days[0], RANGE_END_TAG: days[-1]} if days else {}
    selection = offline_selection()
    if not days:
        selection = selection - dg.AssetSelection.assets(*_partitioned_keys())
    return dg.RunRequest(run_key=run_key, tags=tags, asset_selection=list(selection.resolve(_graph())))


def _partitioned_keys() -> list[dg.AssetKey]:
    from pipelines.defs.ingestion import PARTITIONED_RAW_KEYS

    return PARTITIONED_RAW_KEYS


def _graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()
