"""Live fetchers: feeds read from their APIs into files that :mod:`pipelines.landing` lands."""

import logging

from pipelines.fetch.hf_api import (
    DEFAULT_BASE_URL,
    DayFetch,
    DayOutcome,
    Fault,
    FetchReport,
    HfApiClient,
    HfApiConfig,
    HfApiError,
    fetch_dates_to_folder,
    fetch_days_to_folder,
)

# A library logs; the application (CLI, Dagster) decides where the lines go.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_BASE_URL",
    "DayFetch",
    "DayOutcome",
    "Fault",
    "FetchReport",
    "HfApiClient",
    "HfApiConfig",
    "HfApiError",
    "fetch_dates_to_folder",
    "fetch_days_to_folder",
]
