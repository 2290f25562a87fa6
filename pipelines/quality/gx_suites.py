"""Great Expectations suites for the warehouse, validated on pandas batches.

Suites live as GX 1.x suite JSON (``ExpectationSuite.to_json_dict()``) under
``expectations/<name>.json`` at the repository root.

GX's SQL datasource is not used: with duckdb-engine it fails inside
``resolve_metric_bundle`` (GX issues 10738 / 11579). Instead the table is read
from DuckDB through Arrow into pandas -- only the columns the suite references,
so list/struct columns stay out of the frame unless an expectation needs them --
and validated on a whole-dataframe batch of an in-memory (ephemeral) context.

Date bounds that move with time use GX's own suite parameters: a kwarg written
as ``{"$PARAMETER": "max_listing_date"}`` is filled at validation time from
:func:`runtime_parameters` (``max_listing_date`` = UTC today + 1 day), so the
JSON stays plain GX format and loads back into an ``ExpectationSuite`` as is.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

SAMPLE_SEED = 42
SAMPLE_VALUES = 5  # offending values kept per failed expectation

# Expectations that need the row count but no particular column.
_ROW_COUNT_ONLY = {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}
_NESTED_TYPE = re.compile(r"(\[\d*\]$)|^(STRUCT|MAP|UNION)\(", re.IGNORECASE)
_lock = threading.Lock()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Failure:
    expectation_type: str
    column: str | None
    reason: str
    unexpected_count: int | None = None
    sample: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.expectation_type}({self.column})" if self.column else self.expectation_type

    def to_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation_type,
            "column": self.column,
            "reason": self.reason,
            "unexpected_count": self.unexpected_count,
            "sample": self.sample,
        }


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    table: str
    success: bool
    evaluated: int
    failed: int
    rows_validated: int
    sampled: bool
    seconds: float
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.evaluated - self.failed

    def failure(self, expectation_type: str, column: str | None = None) -> Failure | None:
        """The first failure of this expectation type (and column, if given)."""
        for f in self.failures:
            if f.expectation_type == expectation_type and (column is None or f.column == column):
                return f
        return None

    def summary(self) -> str:
        text = f"{self.suite_name}: {self.passed}/{self.evaluated} expectations passed"
        if self.failures:
            parts = [f"{f.label} e.g. {f.sample!r}" if f.sample else f"{f.label}: {f.reason}" for f in self.failures]
            text += "; failed: " + "; ".join(parts)
        return text

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-safe values, usable directly as Dagster asset-check metadata."""
        return {
            "suite": self.suite_name,
            "table": self.table,
            "success": self.success,
            "evaluated": self.evaluated,
            "passed": self.passed,
            "failed": self.failed,
            "rows_validated": self.rows_validated,
            "sampled": self.sampled,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
            "failures": [f.to_dict() for f in self.failures],
        }


# --------------------------------------------------------------------------- suites


@cache
def _suite_text(name: str) -> str:
    path = EXPECTATIONS_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite {name!r} at {path}")
    return path.read_text(encoding="utf-8")


def load_suite(name: str) -> gx.ExpectationSuite:
    """A fresh ExpectationSuite from expectations/<name>.json (file text cached per process)."""
    spec = json.loads(_suite_text(name))
    return gx.ExpectationSuite(**spec)


def runtime_parameters(today: dt.date | None = None) -> dict[str, str]:
    """Values for the ``{"$PARAMETER": ...}`` kwargs used in the suites."""
    today = today or dt.datetime.now(dt.UTC).date()
    return {"max_listing_date": (today + dt.timedelta(days=1)).isoformat()}


def suite_columns(suite: gx.ExpectationSuite) -> tuple[list[str], bool]:
    """Columns referenced by the suite, and whether some expectation needs the whole table."""
    cols: list[str] = []
    whole_table = False
    for exp in suite.expectations:
        config = exp.configuration
        named = [config.kwargs[k] for k in ("column", "column_A", "column_B") if config.kwargs.get(k)]
        named += list(config.kwargs.get("column_list") or [])
        if not named and config.type not in _ROW_COUNT_ONLY:
            whole_table = True
        cols += [c for c in named if c not in cols]
    return cols, whole_table


# --------------------------------------------------------------------------- validation


@cache
def _batch_definition():
    """One in-memory GX context per process (creating it is cheap; importing GX is not)."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("papertrends").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _qualified(table: str) -> str:
    return ".".join(_quote(part) for part in table.split("."))


def read_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    *,
    sample_rows: int | None = None,
) -> pd.DataFrame:
    """SELECT columns FROM table (optionally a seeded reservoir sample) via Arrow into pandas."""
    query = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_qualified(table)}"
    if sample_rows is not None:
        query += f" USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE ({SAMPLE_SEED})"
    relation = con.sql(query)
    to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table  # duckdb 2.x / 1.x
    return to_arrow().to_pandas()


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_name: str,
    *,
    columns: list[str] | None = None,
    sample_rows: int | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> SuiteOutcome:
    """Validate ``table`` (e.g. ``raw.hf_daily_papers``) against expectations/<suite_name>.json.

    columns: explicit projection; by default the columns the suite references
        (all scalar columns if an expectation is table-wide).
    sample_rows: validate a deterministic reservoir sample of this many rows.
    parameters: overrides for :func:`runtime_parameters`.
    """
    started = time.perf_counter()
    suite = load_suite(suite_name)
    described = con.sql(f"DESCRIBE SELECT * FROM {_qualified(table)}").fetchall()
    types = {row[0]: row[1] for row in described}

    if columns is None:
        wanted, whole_table = suite_columns(suite)
        if whole_table or not wanted:
            wanted += [c for c, t in types.items() if c not in wanted and not _NESTED_TYPE.search(t)]
        # A column the suite names but the table lacks fails its expectations, not the read.
        columns = [c for c in wanted if c in types]
    missing = {c for c in suite_columns(suite)[0] if c not in types}

    frame = read_frame(con, table, columns, sample_rows=sample_rows)
    params = {**runtime_parameters(), **(parameters or {})}
    with _lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format="SUMMARY", expectation_parameters=params)

    failures = [_failure(r, missing, table) for r in result.results if not r.success]
    stats = result.statistics
    return SuiteOutcome(
        suite_name=suite_name,
        table=table,
        success=bool(result.success),
        evaluated=int(stats["evaluated_expectations"]),
        failed=int(stats["unsuccessful_expectations"]),
        rows_validated=len(frame),
        sampled=sample_rows is not None,
        seconds=time.perf_counter() - started,
        failures=failures,
    )


# --------------------------------------------------------------------------- failure text

_CONDITION = {
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_match_regex": "not matching {regex}",
    "expect_column_values_to_be_between": "{range}",
    "expect_column_value_lengths_to_be_between": "with length {range}",
    "expect_column_values_to_be_in_set": "not in {value_set}",
    "expect_column_values_to_be_unique": "duplicated",
    "expect_compound_columns_to_be_unique": "sharing a duplicated key",
}


def _failure(res: Any, missing: set[str], table: str) -> Failure:
    config = res.expectation_config
    kwargs = dict(config.kwargs)
    column = kwargs.get("column") or (", ".join(kwargs["column_list"]) if kwargs.get("column_list") else None)
    info = res.result or {}
    count = info.get("unexpected_count")
    sample = _distinct(_jsonable(v) for v in info.get("partial_unexpected_list") or [])[:SAMPLE_VALUES]

    exception = res.exception_info or {}
    if "raised_exception" not in exception:  # keyed by metric id when several metrics failed
        exception = next(iter(exception.values()), {}) if exception else {}
    named = {c for c in (kwargs.get("column"), *(kwargs.get("column_list") or [])) if c}
    if named & missing:
        reason = f"column {', '.join(sorted(named & missing))} missing from {table}"
    elif exception.get("raised_exception"):
        reason = "error: " + str(exception.get("exception_message") or "unknown").splitlines()[0][:200]
    elif count is not None:
        fmt = {k: _fmt(kwargs.get(k)) for k in ("regex", "value_set")}
        condition = _CONDITION.get(config.type, "unexpected").format(range=_range(kwargs), **fmt)
        reason = f"{count} of {info.get('element_count')} rows {condition}"
    else:
        reason = f"observed {_jsonable(info.get('observed_value'))!r}"
    return Failure(config.type, column, reason, count, sample)


def _range(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"outside [{_fmt(low)}, {_fmt(high)}]"
    return f"below {_fmt(low)}" if low is not None else f"above {_fmt(high)}"


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(_jsonable(value))


def _jsonable(value: Any) -> Any:
    """Make a value JSON-safe: NaN/NaT -> None, numpy -> python, dates -> ISO text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _jsonable(value.tolist())
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _distinct(values: Any) -> list[Any]:
    out, seen = [], set()
    for v in values:
        key = json.dumps(v, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out
