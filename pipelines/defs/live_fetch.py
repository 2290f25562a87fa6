"""Live landing: the Hugging Face Daily Papers API, one day per partition, into ``raw/hf_daily_papers``.

``hf_api_landing`` fetches each day of its partitions (a backfill is one run over a
range), writes a day's file only when all its pages were read, lands the files with
:func:`pipelines.landing.land`, and fails naming the days that could not be fetched,
after the good days have landed.
"""

import tempfile
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.defs.partitions import DAILY, DAILY_FRESHNESS
from pipelines.defs.resources import WarehouseResource
from pipelines.fetch.hf_api import DayOutcome, HfApiClient, HfApiConfig, fetch_dates_to_folder
from pipelines.landing import land

HF_API_LANDING = dg.AssetKey(["landing", "hf_daily_papers"])


class HfApiResource(dg.ConfigurableResource):
    """The Hugging Face Daily Papers API. HF_TOKEN, if set in the environment, is sent and never shown."""

    base_url: str | None = Field(
        default=None, description="API base URL; unset: $PAPERTRENDS_HF_BASE_URL, else https://huggingface.co."
    )
    limit: int = Field(default=50, description="Papers per page (the `limit` query parameter).")
    timeout: float = Field(default=30.0, description="Seconds to wait to connect or for the next bytes.")
    min_interval: float = Field(default=1.0, description="Polite minimum seconds between two requests.")
    max_attempts: int = Field(default=5, description="Attempts per page before the day fails.")
    max_retry_after: float = Field(default=60.0, description="Longest Retry-After honoured, in seconds.")
    backoff_base: float = Field(default=1.0, description="First backoff in seconds; doubles per retry, plus jitter.")

    def config(self) -> HfApiConfig:
        return HfApiConfig(
            base_url=self.base_url,
            limit=self.limit,
            timeout=self.timeout,
            min_interval=self.min_interval,
            max_attempts=self.max_attempts,
            max_retry_after=self.max_retry_after,
            backoff_base=self.backoff_base,
            jitter=min(1.0, self.backoff_base),
        )

    def client(self) -> HfApiClient:
        return HfApiClient(self.config())


def _md_list(lines: list[str]) -> str:
    return "\n".join(f"- `{line}`" for line in lines) if lines else "none"


@dg.asset(
    key=HF_API_LANDING,
    group_name="ingestion",
    freshness_policy=DAILY_FRESHNESS,
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python"},
    description="Daily Papers lists fetched live from the Hugging Face API and landed under raw/hf_daily_papers.",
)
def hf_api_landing(
    context: dg.AssetExecutionContext, hf_api: HfApiResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    days = sorted(context.partition_keys)
    home = warehouse.home
    scratch = home.root / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)

    def progress(outcome: DayOutcome) -> None:
        for fault in outcome.faults:
            context.log.warning(str(fault))
        if outcome.ok:
            context.log.info(f"{outcome.day}: {outcome.papers} paper(s) in {outcome.pages} page(s)")
        else:
            context.log.error(f"{outcome.day}: nothing written: {outcome.error}")

    with tempfile.TemporaryDirectory(prefix="hf-api-", dir=scratch) as folder, hf_api.client() as client:
        report = fetch_dates_to_folder(days, Path(folder), client, on_day=progress)
        landed = land(report.written, home)

    metadata = {
        "days_requested": dg.MetadataValue.int(len(days)),
        "days_fetched": dg.MetadataValue.int(len(report.written)),
        "papers": dg.MetadataValue.int(report.papers),
        "files_newly_landed": dg.MetadataValue.int(sum(f.newly_landed for f in landed)),
        "landed": dg.MetadataValue.md(_md_list([f.relative_path for f in landed])),
        "faults": dg.MetadataValue.md(_md_list(report.faults)),
        "failed_days": dg.MetadataValue.md(_md_list([f"{d}: {why}" for d, why in report.failed.items()])),
    }
    if report.failed:
        names = ", ".join(d.isoformat() for d in report.failed)
        raise dg.Failure(
            description=f"Daily Papers not fetched for {names}; the {len(landed)} other day(s) were landed.",
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)
