"""Where papertrends keeps its state.

Everything a run writes lives under one folder, ``$PAPERTRENDS_HOME`` (default:
``data/`` in the repository), so an operator can back it up, move it or wipe it
as a unit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
# DuckDB's cap on its working memory, for every connection of a run (dbt's through the profile):
# past it DuckDB spills joins, sorts and most aggregates to disk. Its default, 80% of RAM, let a
# 100k-paper build peak at 8.4 GB. dbt's process holds ~0.3 GB besides and the Dagster process
# ~0.6 GB while dbt runs: with 1 GB, dbt's steps peak at 1.9 GB at 1M papers (bench/RESULTS.md).
MEMORY_LIMIT_VARIABLE = "PAPERTRENDS_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"
# dbt's share of that limit (step 1, the docs; and the profile's, for every call): its process
# holds ~0.3 GB besides DuckDB while the Dagster process waits beside it. At 1M papers every model
# passes at 800MB (int_papers_merged since it sorts only the keys and fetches the abstract for
# each paper's winner alone; bench/RESULTS.md, session 13).
DBT_MEMORY_SHARE = 0.8
# The topic dbt step's own share, lower: it runs beside the Dagster process at its largest, after
# the learned step (at 1M papers ~0.9 GB beside dbt's ~1.1 GB at 800MB: bench/RESULTS.md). dbt's
# on-run-start hook sets it (dbt_project/macros/step_memory_limit.sql), which no parse reads.
TOPIC_DBT_MEMORY_SHARE = 0.7
STEP_MEMORY_LIMIT_VARIABLE = "PAPERTRENDS_DBT_STEP_MEMORY_LIMIT"
# DuckDB's own size units: KB is 1000 bytes, KiB 1024.
_SIZE_UNITS = (
    {"": 1, "b": 1, "bytes": 1}
    | {f"{prefix}b": 1000**power for power, prefix in enumerate("kmgt", 1)}
    | {f"{prefix}ib": 1024**power for power, prefix in enumerate("kmgt", 1)}
)


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "papertrends.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published" / "papertrends.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def check_cache(self) -> Path:
        """Input files already checked and landed, by path, size and mtime (pipelines/landing.py)."""
        return self.root / "state" / "checked_inputs.json"

    def landing_dir(self, source: str, listing_date: str) -> Path:
        return self.raw / source / f"dt={listing_date}"

    def ensure(self) -> Home:
        for folder in (self.raw, self.warehouse.parent, self.published.parent, self.dagster_home, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def home() -> Home:
    """The current home, made absolute and exported.

    dbt runs in a subprocess with its own working directory, so the profile can
    only find the warehouse if ``PAPERTRENDS_HOME`` is absolute in the environment.
    """
    root = Path(os.environ.get("PAPERTRENDS_HOME") or REPO_ROOT / "data").resolve()
    os.environ["PAPERTRENDS_HOME"] = str(root)
    os.environ.setdefault(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT)  # read by dbt's profile
    return Home(root)


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_VARIABLE) or DEFAULT_MEMORY_LIMIT


def scaled_memory_limit(limit: str, share: float) -> str:
    """``share`` of a DuckDB size such as ``1GB`` or ``1.5 GiB``, in MB (``1GB``, 0.8: ``800MB``).

    A limit this cannot read is returned as it is: DuckDB itself will say what is wrong with it.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", limit)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        return limit
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    return f"{max(1, round(size * share / 10**6))}MB"
