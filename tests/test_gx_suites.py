"""Great Expectations suites run on pandas batches read from a temporary DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import duckdb
import pytest

# The repo is not installed into the venv (yet); make `pipelines` importable from a plain `pytest` run.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.quality import gx_suites
from pipelines.quality.gx_suites import load_suite, read_frame, suite_columns, validate_table

RAW = "raw.hf_daily_papers"
LANDING = "raw/hf_daily_papers/dt=2024-06-18/2024-06-18.json"

RAW_DDL = """
CREATE SCHEMA raw;
CREATE TABLE raw.hf_daily_papers (
    landing_path VARCHAR, source_file VARCHAR, listing_date DATE, as_of TIMESTAMP,
    position INTEGER, record_format VARCHAR, arxiv_id VARCHAR, title VARCHAR,
    paper_title VARCHAR, summary VARCHAR,
    authors STRUCT(name VARCHAR, hidden BOOLEAN, username VARCHAR)[],
    upvotes BIGINT, num_comments BIGINT, github_repo VARCHAR, github_stars BIGINT,
    ai_keywords VARCHAR[], title_key VARCHAR
);
"""

PAPERS = [
    ("2406.11230", "Multimodal Needle in a Haystack: Benchmarking Long-Context Capability", 42, 3, None),
    ("2406.11194", "In-Context Editing: Learning Knowledge from Self-Induced Distributions", 17, 1, 128),
    ("2406.10209", "Be like a Goldfish, Don't Memorize! Mitigating Memorization in LLMs", 9, 0, None),
    ("2406.11813v2", "How Do Large Language Models Acquire Factual Knowledge During Pretraining?", 30, 2, 0),
    ("2406.09406", "4M-21: An Any-to-Any Vision Model for Tens of Tasks and Modalities", 12, 0, 1543),
]


def _insert(con: duckdb.DuckDBPyConnection, rows: list[tuple], landing: str = LANDING, day: str = "2024-06-18"):
    for position, (arxiv_id, title, upvotes, comments, stars) in enumerate(rows):
        con.execute(
            """
            INSERT INTO raw.hf_daily_papers VALUES (
                ?, ?, CAST(? AS DATE), TIMESTAMP '2024-06-18 21:04:11', ?,
                CASE WHEN ? % 2 = 0 THEN 'object' ELSE 'python_repr' END,
                ?, ?, ?, ?,
                [{'name': 'Ada Example', 'hidden': false, 'username': 'ada'}],
                ?, ?, ?, ?, ['long context', 'benchmark'], lower(?)
            )
            """,
            [
                landing,
                landing.rsplit("/", 1)[-1],
                day,
                position,
                position,
                arxiv_id,
                title,
                title,
                f"Abstract of {title}. " * 5,
                upvotes,
                comments,
                "https://github.com/example/repo" if stars is not None else None,
                stars,
                title,
            ],
        )


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute(RAW_DDL)
    _insert(connection, PAPERS)
    yield connection
    connection.close()


def _expectation_types(name: str) -> list[tuple[str, str]]:
    return [
        (e.configuration.type, e.configuration.kwargs.get("column") or ",".join(e.configuration.kwargs["column_list"]))
        for e in load_suite(name).expectations
    ]


def test_suite_files_are_canonical_gx_json():
    for name in ("hf_papers_raw", "staged_papers"):
        on_disk = json.loads((gx_suites.EXPECTATIONS_DIR / f"{name}.json").read_text())
        suite = load_suite(name)
        assert suite.name == name
        assert suite.to_json_dict() == on_disk  # round-trips exactly

    assert _expectation_types("hf_papers_raw") == [
        ("expect_column_values_to_not_be_null", "arxiv_id"),
        ("expect_column_values_to_match_regex", "arxiv_id"),
        ("expect_column_values_to_not_be_null", "title"),
        ("expect_column_value_lengths_to_be_between", "title"),
        ("expect_column_values_to_not_be_null", "summary"),
        ("expect_column_value_lengths_to_be_between", "summary"),
        ("expect_column_values_to_not_be_null", "upvotes"),
        ("expect_column_values_to_be_between", "upvotes"),
        ("expect_column_values_to_not_be_null", "num_comments"),
        ("expect_column_values_to_be_between", "num_comments"),
        ("expect_column_values_to_be_between", "github_stars"),
        ("expect_column_values_to_not_be_null", "listing_date"),
        ("expect_column_values_to_be_between", "listing_date"),
        ("expect_column_values_to_be_in_set", "record_format"),
        ("expect_compound_columns_to_be_unique", "landing_path,position"),
    ]
    date_bounds = load_suite("hf_papers_raw").to_json_dict()["expectations"][12]["kwargs"]
    assert date_bounds["min_value"] == "1991-01-01"
    assert date_bounds["max_value"] == {"$PARAMETER": "max_listing_date"}


def test_suite_reads_only_scalar_columns_it_needs():
    columns, whole_table = suite_columns(load_suite("hf_papers_raw"))
    assert not whole_table
    assert columns == [
        "arxiv_id",
        "title",
        "summary",
        "upvotes",
        "num_comments",
        "github_stars",
        "listing_date",
        "record_format",
        "landing_path",
        "position",
    ]
    assert "authors" not in columns and "ai_keywords" not in columns


def test_runtime_parameters_bound_is_tomorrow():
    assert gx_suites.runtime_parameters(dt.date(2024, 12, 31)) == {"max_listing_date": "2025-01-01"}


def test_clean_rows_pass(con):
    outcome = validate_table(con, RAW, "hf_papers_raw")

    assert outcome.success is True
    assert (outcome.evaluated, outcome.failed, outcome.passed) == (15, 0, 15)
    assert outcome.failures == []
    assert outcome.rows_validated == 5
    assert outcome.summary() == "hf_papers_raw: 15/15 expectations passed"
    meta = outcome.to_metadata()
    assert meta["suite"] == "hf_papers_raw" and meta["table"] == RAW and meta["failures"] == []
    json.dumps(meta)  # plain values only


def test_bad_rows_are_named_with_offending_values(con):
    future = dt.date.today() + dt.timedelta(days=30)
    con.execute("UPDATE raw.hf_daily_papers SET arxiv_id = 'abc' WHERE position = 1")
    con.execute("UPDATE raw.hf_daily_papers SET upvotes = -3 WHERE position = 2")
    con.execute("UPDATE raw.hf_daily_papers SET listing_date = ? WHERE position = 3", [future])

    outcome = validate_table(con, RAW, "hf_papers_raw")

    assert outcome.success is False
    assert (outcome.evaluated, outcome.failed) == (15, 3)
    assert {(f.expectation_type, f.column) for f in outcome.failures} == {
        ("expect_column_values_to_match_regex", "arxiv_id"),
        ("expect_column_values_to_be_between", "upvotes"),
        ("expect_column_values_to_be_between", "listing_date"),
    }

    regex = outcome.failure("expect_column_values_to_match_regex", "arxiv_id")
    assert regex.sample == ["abc"] and regex.unexpected_count == 1
    assert regex.reason == r"1 of 5 rows not matching ^\d{4}\.\d{4,5}(?:v\d+)?$"

    upvotes = outcome.failure("expect_column_values_to_be_between", "upvotes")
    assert upvotes.sample == [-3]
    assert upvotes.reason == "1 of 5 rows below 0"

    dates = outcome.failure("expect_column_values_to_be_between", "listing_date")
    assert dates.sample == [future.isoformat()]
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert dates.reason == f"1 of 5 rows outside [1991-01-01, {tomorrow}]"

    summary = outcome.summary()
    assert summary.startswith("hf_papers_raw: 12/15 expectations passed; failed: ")
    assert "expect_column_values_to_match_regex(arxiv_id) e.g. ['abc']" in summary
    assert "expect_column_values_to_be_between(upvotes) e.g. [-3]" in summary

    meta = json.loads(json.dumps(outcome.to_metadata()))
    assert meta["success"] is False and meta["failed"] == 3
    assert {
        "expectation": "expect_column_values_to_match_regex",
        "column": "arxiv_id",
        "reason": regex.reason,
        "unexpected_count": 1,
        "sample": ["abc"],
    } in meta["failures"]


def test_nulls_set_membership_and_duplicate_keys(con):
    con.execute("UPDATE raw.hf_daily_papers SET title = NULL, record_format = 'yaml' WHERE position = 0")
    _insert(con, PAPERS[:1])  # same landing_path and position 0 again

    outcome = validate_table(con, RAW, "hf_papers_raw")

    assert outcome.failure("expect_column_values_to_not_be_null", "title").sample == [None]
    in_set = outcome.failure("expect_column_values_to_be_in_set", "record_format")
    assert in_set.sample == ["yaml"] and in_set.reason == "1 of 6 rows not in ['object', 'python_repr']"
    dupes = outcome.failure("expect_compound_columns_to_be_unique", "landing_path, position")
    assert dupes.unexpected_count == 2
    assert dupes.sample == [{"landing_path": LANDING, "position": 0}]


def test_parameters_override_the_date_bound(con):
    outcome = validate_table(con, RAW, "hf_papers_raw", parameters={"max_listing_date": "2024-06-17"})
    dates = outcome.failure("expect_column_values_to_be_between", "listing_date")
    assert dates.unexpected_count == 5 and dates.sample == ["2024-06-18"]


def test_sample_rows_is_deterministic(con):
    for day in range(1, 41):
        _insert(con, PAPERS, landing=f"raw/hf_daily_papers/dt=2024-05-{day:02d}.json", day="2024-05-01")

    outcome = validate_table(con, RAW, "hf_papers_raw", sample_rows=50)
    assert outcome.success is True and outcome.rows_validated == 50 and outcome.sampled is True

    first = read_frame(con, RAW, ["landing_path", "position"], sample_rows=50)
    again = read_frame(con, RAW, ["landing_path", "position"], sample_rows=50)
    assert len(first) == 50 and first.equals(again)


def test_explicit_columns_and_missing_columns(con):
    con.execute("CREATE TABLE raw.narrow AS SELECT * EXCLUDE (github_stars) FROM raw.hf_daily_papers")
    outcome = validate_table(con, "raw.narrow", "hf_papers_raw")
    assert outcome.failed == 1
    missing = outcome.failures[0]
    assert (missing.expectation_type, missing.column) == ("expect_column_values_to_be_between", "github_stars")
    assert missing.reason == "column github_stars missing from raw.narrow"


def test_staged_suite_on_a_raw_like_view(con):
    con.execute("CREATE SCHEMA staging")
    con.execute(
        "CREATE VIEW staging.stg_hf_daily_papers__papers AS "
        "SELECT * EXCLUDE (record_format, authors, ai_keywords) RENAME (arxiv_id AS arxiv_id_raw, title AS title_raw,"
        " summary AS abstract, num_comments AS comments) FROM raw.hf_daily_papers"
    )
    outcome = validate_table(con, "staging.stg_hf_daily_papers__papers", "staged_papers")
    assert outcome.success is True and (outcome.evaluated, outcome.failed) == (14, 0)
