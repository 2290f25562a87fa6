"""The expectation suites on disk (``expectations/<name>.json``): names, specs and what each validates.

Plain JSON, no Great Expectations import: the Dagster definitions describe their checks from
these at load time, and Great Expectations (a quarter of a GB and seconds to import) loads
only when a check validates (pipelines/quality/gx_suites.py).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pipelines.settings import EXPECTATIONS_DIR


@cache
def _suite_text(name: str) -> str:
    path = EXPECTATIONS_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite {name!r} at {path}")
    return path.read_text(encoding="utf-8")


def suite_spec(name: str) -> dict[str, Any]:
    """The suite's JSON, parsed afresh (callers may change it; the file text is cached per process)."""
    return json.loads(_suite_text(name))


def suite_names() -> list[str]:
    """Every suite under expectations/, sorted."""
    return sorted(path.stem for path in EXPECTATIONS_DIR.glob("*.json"))


def suite_source(suite_name: str) -> tuple[str, str]:
    """("query", sql) or ("table", name): what the suite's meta says it validates."""
    meta = suite_spec(suite_name).get("meta") or {}
    if meta.get("source_sql"):
        return "query", meta["source_sql"]
    if meta.get("table"):
        return "table", meta["table"]
    raise ValueError(f"suite {suite_name!r} names neither meta.table nor meta.source_sql")
