"""Great Expectations suites for the warehouse, validated on pandas batches.

Suites live as GX 1.x suite JSON (``ExpectationSuite.to_json_dict()``) under
``expectations/<name>.json`` at the repository root. A suite validates one table
(``meta.table``) or one query (``meta.source_sql``, e.g. an aggregate that GX cannot
express on the table's rows): :func:`validate_suite` picks the right one.

GX's SQL datasource is not used: with duckdb-engine it fails inside
``resolve_metric_bundle`` (GX issues 10738 / 11579). Instead the table or query is read
from DuckDB through Arrow into pandas -- only the columns the suite references, so
list/struct columns stay out of the frame unless an expectation needs them -- and
validated on a whole-dataframe batch of an in-memory (ephemeral) context.

Bounded memory: a source of more than ``max_rows`` rows (default :data:`ROW_THRESHOLD`), or
whose projected columns would take more than :data:`FRAME_BYTES` in pandas (abstracts: about
28k rows), is never read whole. Row-level expectations (column map, column-pair map and multicolumn
map expectations: each row passes or fails on its own) run on a deterministic sample of
``max_rows`` rows, and set-level uniqueness expectations are pushed down to DuckDB,
which finds every row whose key is duplicated (a GROUP BY spills to disk if it must);
GX then evaluates the same expectation on those rows only, so its failure and its
sample of offending keys look exactly as on a full read, with the counts of the whole
table. Any other set-level expectation on a sampled source is an error: it would be
evaluated on the sample and silently mean something else.

Date bounds that move with time use GX's own suite parameters: a kwarg written
as ``{"$PARAMETER": "max_listing_date"}`` is filled at validation time from
:func:`runtime_parameters` (``max_listing_date`` = UTC today + 1 day), so the
JSON stays plain GX format and loads back into an ``ExpectationSuite`` as is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)

from pipelines.quality.suites import suite_source, suite_spec

SAMPLE_SEED = 42
SAMPLE_VALUES = 5  # offending values kept per failed expectation
# Largest frame handed to GX. Above it a source is sampled (row-level expectations) and its
# uniqueness expectations run in DuckDB: at 10M raw rows a full pandas read would need GBs.
ROW_THRESHOLD = 200_000
# ... and largest frame in bytes, as pandas holds it. GX's metrics work on copies of the columns
# they read: a 200k-row sample with abstracts (250 MB of text) took the process 1.5 GB more,
# this budget about 0.3 GB. A sample never has fewer than MIN_SAMPLE_ROWS rows.
FRAME_BYTES = 48 * 2**20
MIN_SAMPLE_ROWS = 10_000
_PY_STR_BYTES = 57  # a pandas object cell: the str's header (49) and the pointer to it (8)
_CELL_BYTES = 8

# Expectations that need the row count but no particular column.
_ROW_COUNT_ONLY = {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}
# Map expectations whose verdict depends on other rows: pushed down to DuckDB when sampled.
_UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
_ROW_LEVEL_CLASSES = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
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
class Batch:
    """One frame handed to GX: what it holds and how many rows."""

    purpose: str  # "all rows", "sample", or "duplicates of <key>"
    rows: int


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    table: str  # the table validated, or "query:<suite>" for a query suite
    success: bool
    evaluated: int
    failed: int
    rows_validated: int  # rows of the frame the row-level expectations saw
    sampled: bool
    seconds: float
    failures: list[Failure] = field(default_factory=list)
    rows_in_source: int | None = None
    pushed_down: list[str] = field(default_factory=list)  # expectations evaluated on DuckDB-selected rows
    scope: str = "all rows"  # or the partitions validated: "listing_date in 2 day(s) of this run"
    batches: list[Batch] = field(default_factory=list)
    # The GX result itself (for data docs); not part of equality or metadata.
    result: ExpectationSuiteValidationResult | None = field(default=None, compare=False, repr=False)

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
        if self.scope != "all rows":
            text += f" on {self.scope}"
        if self.sampled:
            text += f" (row-level on a sample of {self.rows_validated} of {self.rows_in_source} rows)"
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
            "rows_in_source": self.rows_in_source,
            "rows_validated": self.rows_validated,
            "sampled": self.sampled,
            "scope": self.scope,
            "pushed_down": list(self.pushed_down),
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
            "failures": [f.to_dict() for f in self.failures],
        }


# --------------------------------------------------------------------------- suites


def load_suite(name: str) -> gx.ExpectationSuite:
    """A fresh ExpectationSuite from expectations/<name>.json (file text cached per process)."""
    return gx.ExpectationSuite(**suite_spec(name))


def runtime_parameters(today: dt.date | None = None) -> dict[str, str]:
    """Values for the ``{"$PARAMETER": ...}`` kwargs used in the suites."""
    today = today or dt.datetime.now(dt.UTC).date()
    return {"max_listing_date": (today + dt.timedelta(days=1)).isoformat()}


def _named_columns(kwargs: Mapping[str, Any]) -> list[str]:
    named = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    return named + list(kwargs.get("column_list") or [])


def suite_columns(suite: gx.ExpectationSuite) -> tuple[list[str], bool]:
    """Columns referenced by the suite, and whether some expectation needs the whole table."""
    cols: list[str] = []
    whole_table = False
    for exp in suite.expectations:
        config = exp.configuration
        named = _named_columns(config.kwargs)
        if not named and config.type not in _ROW_COUNT_ONLY:
            whole_table = True
        cols += [c for c in named if c not in cols]
    return cols, whole_table


def is_row_level(expectation: Any) -> bool:
    """True when each row passes or fails on its own, so a sample of rows gives a fair verdict."""
    return isinstance(expectation, _ROW_LEVEL_CLASSES) and expectation.configuration.type not in _UNIQUENESS


# --------------------------------------------------------------------------- reading


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


def _to_pandas(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table  # duckdb 2.x / 1.x
    return to_arrow().to_pandas()


def _read(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], *, sample_rows: int | None = None
) -> pd.DataFrame:
    """SELECT columns FROM relation, or a deterministic sample of ``sample_rows`` of its rows.

    The sample is bottom-k by a seeded hash of the projected values: uniform, the same whatever
    the thread count or physical row order (DuckDB's REPEATABLE reservoir is repeatable only
    single-threaded), and defined by content, so the same rows are drawn from a rebuilt table.
    It is drawn in two scans so that no wide row is ever sorted: the first keeps the k smallest
    hashes only (8 bytes each) and yields the k-th, the second streams the rows at or below it.
    Rows hashing to exactly the k-th value are identical (barring 64-bit collisions), so taking
    as many of them as the sample still needs keeps the frame at k rows and deterministic.
    """
    cols = ", ".join(_quote(c) for c in columns)
    if sample_rows is None:
        return _to_pandas(con.sql(f"SELECT {cols} FROM {relation}"))
    row_hash = f"hash({cols}, {SAMPLE_SEED})"
    k = int(sample_rows)
    kth, below = con.execute(f"""
        WITH smallest AS (SELECT {row_hash} AS h FROM {relation} ORDER BY h LIMIT {k})
        SELECT max(h), count(*) FILTER (WHERE h < (SELECT max(h) FROM smallest)) FROM smallest
    """).fetchall()[0]
    if kth is None:  # empty source
        return _to_pandas(con.sql(f"SELECT {cols} FROM {relation} LIMIT 0"))
    # Ordered by the hash (k rows only) so that the frame, and GX's lists of offending values
    # drawn from it, come in the same order on every read.
    return _to_pandas(
        con.sql(f"""
            SELECT {cols} FROM (
                SELECT {cols} FROM {relation} WHERE {row_hash} < {int(kth)}::UBIGINT
                UNION ALL
                (SELECT {cols} FROM {relation} WHERE {row_hash} = {int(kth)}::UBIGINT LIMIT {k - int(below)})
            ) ORDER BY {row_hash}
        """)
    )


def read_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    *,
    sample_rows: int | None = None,
) -> pd.DataFrame:
    """SELECT columns FROM table (optionally a deterministic sample of that many rows) via Arrow into pandas."""
    return _read(con, _qualified(table), columns, sample_rows=sample_rows)


def _duplicated_keys_cte(relation: str, key: list[str]) -> str:
    """CTEs ending in ``dup(<key>, _n)``: every key value held by more than one row, with its count.

    Grouping by the key itself would build a hash table of every distinct key (GBs of text at
    10M rows); grouping by a 64-bit hash of it needs 8 bytes a key, and only the few candidate
    rows whose hash repeats are then grouped by their real key (a collision is no duplicate).
    Rows whose key is all null are left out, as GX's pandas uniqueness expectations ignore them.
    """
    cols = ", ".join(_quote(c) for c in key)
    not_all_null = " OR ".join(f"{_quote(c)} IS NOT NULL" for c in key)
    return f"""
        candidates AS (
            SELECT hash({cols}) AS _h FROM {relation} WHERE {not_all_null} GROUP BY _h HAVING count(*) > 1
        ),
        dup AS (
            SELECT {cols}, count(*) AS _n FROM {relation}
            WHERE ({not_all_null}) AND hash({cols}) IN (SELECT _h FROM candidates)
            GROUP BY ALL HAVING count(*) > 1
        )
    """


def _duplicates_query(relation: str, key: list[str], limit: int) -> str:
    """Every row whose key occurs more than once (at most ``limit``), for a uniqueness expectation."""
    cols = ", ".join(_quote(c) for c in key)
    return f"""
        WITH {_duplicated_keys_cte(relation, key)}
        SELECT {cols} FROM (SELECT {cols}, unnest(range(_n)) AS _copy FROM dup)
        ORDER BY {cols} LIMIT {int(limit)}
    """


def _duplicate_counts(
    con: duckdb.DuckDBPyConnection, relation: str, key: list[str], *, any_duplicates: bool
) -> tuple[int, int]:
    """(rows whose key is not all null, rows whose key is duplicated), counted in DuckDB.

    The duplicates are counted again only when the duplicates query found some: a clean key
    costs one more plain scan.
    """
    not_all_null = " OR ".join(f"{_quote(c)} IS NOT NULL" for c in key)
    eligible = int(con.execute(f"SELECT count(*) FROM {relation} WHERE {not_all_null}").fetchall()[0][0])
    if not any_duplicates:
        return eligible, 0
    duplicated = con.execute(
        f"WITH {_duplicated_keys_cte(relation, key)} SELECT coalesce(sum(_n), 0) FROM dup"
    ).fetchall()[0][0]
    return eligible, int(duplicated)


# --------------------------------------------------------------------------- validation


def _validate_frame(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, parameters: Mapping[str, Any]
) -> ExpectationSuiteValidationResult:
    """Hand one frame to GX. Every frame GX sees passes here (tests hook it to check frame sizes)."""
    with _lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(suite, result_format="SUMMARY", expectation_parameters=dict(parameters))


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite_name: str,
    *,
    columns: list[str] | None = None,
    sample_rows: int | None = None,
    max_rows: int | None = ROW_THRESHOLD,
    parameters: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> SuiteOutcome:
    """Validate ``table`` (e.g. ``raw.hf_daily_papers``) against expectations/<suite_name>.json.

    columns: explicit projection; by default the columns the suite references
        (all scalar columns if an expectation is table-wide).
    sample_rows: validate row-level expectations on a deterministic sample of this many rows.
    max_rows: above this many rows, sample ``max_rows`` rows (None: always read everything).
    parameters: overrides for :func:`runtime_parameters`.
    where: validate only the rows this SQL condition selects.
    """
    relation = (
        _qualified(table) if where is None else f"(SELECT * FROM {_qualified(table)} WHERE {where}) AS rows_in_scope"
    )
    return _validate(
        con,
        relation,
        table,
        suite_name,
        columns=columns,
        sample_rows=sample_rows,
        max_rows=max_rows,
        parameters=parameters,
    )


def validate_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    suite_name: str,
    *,
    label: str | None = None,
    sample_rows: int | None = None,
    max_rows: int | None = ROW_THRESHOLD,
    parameters: Mapping[str, Any] | None = None,
) -> SuiteOutcome:
    """Validate the rows of a query (e.g. per-period share totals) against expectations/<suite_name>.json."""
    relation = f"(\n{sql.strip().rstrip(';')}\n) AS source_query"  # newlines: a trailing -- comment stays inside
    return _validate(
        con,
        relation,
        label or f"query:{suite_name}",
        suite_name,
        columns=None,
        sample_rows=sample_rows,
        max_rows=max_rows,
        parameters=parameters,
    )


def validate_suite(
    con: duckdb.DuckDBPyConnection,
    suite_name: str,
    *,
    partitions: Sequence[dt.date] | None = None,
    **kwargs: Any,
) -> SuiteOutcome:
    """Validate a suite against the table or query its meta names.

    A query suite that also names ``meta.table`` (the mart it reads, plus derived columns) is
    labelled with that table; one without (an aggregate) as ``query:<suite>``.

    ``partitions``: for a suite with ``meta.partition_column`` (the raw and staged layers, whose
    days are immutable once ingested), validate only the rows of these days: a daily run checks
    what it ingested, not the history again. None: every row.
    """
    kind, source = suite_source(suite_name)
    meta = suite_spec(suite_name).get("meta") or {}
    column = meta.get("partition_column")
    if kind == "table" and column and partitions is not None:
        days = sorted(set(partitions))
        values = ", ".join(f"DATE '{day.isoformat()}'" for day in days) or "NULL"
        outcome = validate_table(con, source, suite_name, where=f"{_quote(column)} IN ({values})", **kwargs)
        return dataclasses.replace(outcome, scope=f"{column} in {len(days)} day(s) of this run")
    if kind == "query":
        return validate_query(con, source, suite_name, label=meta.get("table"), **kwargs)
    return validate_table(con, source, suite_name, **kwargs)


def _validate(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    label: str,
    suite_name: str,
    *,
    columns: list[str] | None,
    sample_rows: int | None,
    max_rows: int | None,
    parameters: Mapping[str, Any] | None,
) -> SuiteOutcome:
    started = time.perf_counter()
    spec = suite_spec(suite_name)
    suite = gx.ExpectationSuite(**spec)
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    referenced, whole_table = suite_columns(suite)
    missing = {c for c in referenced if c not in types}
    params = {**runtime_parameters(), **(parameters or {})}

    def projection(wanted: list[str], table_wide: bool) -> list[str]:
        if columns is not None:
            return list(columns)
        wanted = list(wanted)
        if table_wide or not wanted:
            wanted += [c for c, t in types.items() if c not in wanted and not _NESTED_TYPE.search(t)]
        # A column the suite names but the source lacks fails its expectations, not the read.
        return [c for c in wanted if c in types]

    # The bytes of a row are measured only when they may size the sample (no columns: a count).
    sizing = sample_rows is None and max_rows is not None
    total, row_bytes = _count_and_row_bytes(con, relation, projection(referenced, whole_table) if sizing else [], types)
    if sizing:
        fitting = max(MIN_SAMPLE_ROWS, int(FRAME_BYTES // row_bytes)) if row_bytes else max_rows
        if total > min(max_rows, fitting):
            sample_rows = min(max_rows, fitting)
    sampled = sample_rows is not None and total > sample_rows

    batches: list[Batch] = []
    pushed: list[str] = []
    if not sampled:
        frame = _read(con, relation, projection(referenced, whole_table))
        batches.append(Batch("all rows", len(frame)))
        result = _validate_frame(frame, suite, params)
        results = list(result.results)
        rows_validated = len(frame)
    else:
        row_level = [i for i, exp in enumerate(suite.expectations) if is_row_level(exp)]
        unique = [i for i, exp in enumerate(suite.expectations) if exp.configuration.type in _UNIQUENESS]
        other = [i for i in range(len(suite.expectations)) if i not in row_level and i not in unique]
        if other:
            names = ", ".join(suite.expectations[i].configuration.type for i in other)
            raise ValueError(
                f"{suite_name}: {label} has {total} rows (over {sample_rows}), but {names} cannot be "
                "validated on a sample; push it down to a query suite"
            )
        results = []
        rows_validated = 0
        if row_level:
            sub = _sub_suite(spec, row_level)
            wanted, _ = suite_columns(sub)
            frame = _read(con, relation, projection(wanted, False), sample_rows=sample_rows)
            batches.append(Batch("sample", len(frame)))
            rows_validated = len(frame)
            results += _validate_frame(frame, sub, params).results
        for i in unique:
            kwargs = suite.expectations[i].configuration.kwargs
            key = _named_columns(kwargs)
            if set(key) & missing:  # GX reports the missing column on an empty frame
                frame = pd.DataFrame(columns=[c for c in key if c in types])
            else:
                frame = _to_pandas(con.sql(_duplicates_query(relation, key, sample_rows)))
            batches.append(Batch(f"duplicates of {', '.join(key)}", len(frame)))
            pushed.append(f"{suite.expectations[i].configuration.type}({', '.join(key)})")
            [res] = _validate_frame(frame, _sub_suite(spec, [i]), params).results
            if not set(key) & missing:
                _count_over_source(
                    res, *_duplicate_counts(con, relation, key, any_duplicates=len(frame) > 0), total=total
                )
            results.append(res)

    merged = _merge(suite_name, results, label, total=total, sampled=sampled, rows=rows_validated, pushed=pushed)
    failures = [_failure(r, missing, label) for r in merged.results if not r.success]
    stats = merged.statistics
    return SuiteOutcome(
        suite_name=suite_name,
        table=label,
        success=bool(merged.success),
        evaluated=int(stats["evaluated_expectations"]),
        failed=int(stats["unsuccessful_expectations"]),
        rows_validated=rows_validated,
        sampled=sampled,
        seconds=time.perf_counter() - started,
        failures=failures,
        rows_in_source=total,
        pushed_down=pushed,
        batches=batches,
        result=merged,
    )


def _count_and_row_bytes(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], types: Mapping[str, str]
) -> tuple[int, float]:
    """(rows of the relation, mean bytes a row of these columns takes in a pandas frame), one scan.

    Text is counted at its length plus a Python str's overhead, anything else at 8 bytes (a
    nested value at its text length): the frame GX gets is what the budget bounds.
    """
    widths = [
        f"coalesce(strlen({_quote(c)}), 0) + {_PY_STR_BYTES}"
        if types[c].upper() == "VARCHAR"
        else f"coalesce(strlen({_quote(c)}::VARCHAR), 0) + {_PY_STR_BYTES}"
        if _NESTED_TYPE.search(types[c])
        else str(_CELL_BYTES)
        for c in columns
        if c in types
    ]
    total, mean = con.execute(f"SELECT count(*), avg({' + '.join(widths) or '0'}) FROM {relation}").fetchall()[0]
    return int(total), float(mean or 0.0)


def _sub_suite(spec: Mapping[str, Any], indexes: list[int]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(**{**spec, "expectations": [spec["expectations"][i] for i in indexes]})


def _count_over_source(res: ExpectationValidationResult, eligible: int, duplicated: int, *, total: int) -> None:
    """GX saw only the duplicated rows: report counts over the whole source, as a full read would."""
    info = dict(res.result or {})
    percent = 100.0 * duplicated / eligible if eligible else 0.0
    info.update(
        element_count=total,
        missing_count=total - eligible,
        missing_percent=100.0 * (total - eligible) / total if total else None,
        unexpected_count=duplicated,
        unexpected_percent=percent,
        unexpected_percent_total=100.0 * duplicated / total if total else 0.0,
        unexpected_percent_nonmissing=percent,
    )
    res.result = info
    res.meta = {**(res.meta or {}), "papertrends": "evaluated in DuckDB on the rows with a duplicated key"}


def _merge(
    suite_name: str,
    results: list[ExpectationValidationResult],
    label: str,
    *,
    total: int,
    sampled: bool,
    rows: int,
    pushed: list[str],
) -> ExpectationSuiteValidationResult:
    """One suite result from the results of one or more frames (sample + pushdowns)."""
    ok = sum(1 for r in results if r.success)
    n = len(results)
    return ExpectationSuiteValidationResult(
        success=ok == n,
        results=results,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": n,
            "successful_expectations": ok,
            "unsuccessful_expectations": n - ok,
            "success_percent": 100.0 * ok / n if n else None,
        },
        meta={
            "great_expectations_version": gx.__version__,
            "active_batch_definition": {"datasource_name": "papertrends", "data_asset_name": label},
            # Data docs show the batch spec: say what was read, and whether it was sampled.
            "batch_spec": {
                "source": label,
                "rows_in_source": total,
                "sampled": sampled,
                "rows_validated": rows,
                "pushed_down": pushed,
            },
        },
    )


# --------------------------------------------------------------------------- failure text

_CONDITION = {
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_be_null": "not null",
    "expect_column_values_to_match_regex": "not matching {regex}",
    "expect_column_values_to_be_between": "{range}",
    "expect_column_value_lengths_to_be_between": "with length {range}",
    "expect_column_values_to_be_in_set": "not in {value_set}",
    "expect_column_values_to_be_unique": "duplicated",
    "expect_compound_columns_to_be_unique": "sharing a duplicated key",
    "expect_column_pair_values_a_to_be_greater_than_b": "with {column_A} < {column_B}",
}


def _failure(res: Any, missing: set[str], table: str) -> Failure:
    config = res.expectation_config
    kwargs = dict(config.kwargs)
    named = _named_columns(kwargs)
    column = ", ".join(named) if named else None
    info = res.result or {}
    count = info.get("unexpected_count")
    sample = _distinct(_jsonable(v) for v in info.get("partial_unexpected_list") or [])[:SAMPLE_VALUES]

    exception = res.exception_info or {}
    if "raised_exception" not in exception:  # keyed by metric id when several metrics failed
        exception = next(iter(exception.values()), {}) if exception else {}
    if set(named) & missing:
        reason = f"column {', '.join(sorted(set(named) & missing))} missing from {table}"
    elif exception.get("raised_exception"):
        reason = "error: " + str(exception.get("exception_message") or "unknown").splitlines()[0][:200]
    elif count is not None:
        fmt = {k: _fmt(kwargs.get(k)) for k in ("regex", "value_set", "column_A", "column_B")}
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
    """Make a value JSON-safe: NaN/NaT -> None, ±inf -> "inf"/"-inf", numpy -> python, dates -> ISO text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
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
