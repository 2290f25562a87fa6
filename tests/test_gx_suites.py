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

from pipelines.defs.quality import run_days
from pipelines.quality import gx_suites
from pipelines.quality.gx_suites import load_suite, read_frame, suite_columns, validate_suite, validate_table
from pipelines.quality.suites import suite_names, suite_source
from pipelines.settings import EXPECTATIONS_DIR

RAW = "raw.hf_daily_papers"
ARXIV_ID_REGEX = (
    r"^(?:(?:0[7-9]|1[0-4])[0-9]{2}\.[0-9]{4}|(?:1[5-9]|[2-9][0-9])[0-9]{2}\.[0-9]{5}"
    r"|[a-z][a-z-]*(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?\Z"
)
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


SUITES = [
    "arxiv_listings_raw",
    "hf_papers_raw",
    "marts_emerging_topics",
    "marts_paper_topics",
    "marts_topic_shares",
    "marts_topic_trends",
    "marts_trending_papers",
    "marts_trending_papers_latest",
    "staged_papers",
]
LAYERS = {"arxiv_listings_raw": "raw", "hf_papers_raw": "raw", "staged_papers": "staging"}


def test_suite_files_are_canonical_gx_json():
    assert suite_names() == SUITES
    for name in SUITES:
        on_disk = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())
        suite = load_suite(name)
        assert suite.name == name
        assert suite.to_json_dict() == on_disk  # round-trips exactly
        assert on_disk["meta"]["layer"] == LAYERS.get(name, "marts")
    # A query suite carries its SQL in meta.source_sql; a table suite names its table.
    assert suite_source("marts_topic_shares")[0] == "query"
    assert suite_source("marts_emerging_topics") == ("table", "marts.emerging_topics")
    assert suite_source("arxiv_listings_raw") == ("table", "raw.arxiv_listings")

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
    assert regex.reason == f"1 of 5 rows not matching {ARXIV_ID_REGEX}"

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


# --------------------------------------------------------------------------- arXiv ids: suites agree with the parser

VALID_IDS = [
    "2406.11230", "2406.11230v2", "2501.04519v10", "0704.0001", "1412.9999", "1501.00001", "9912.99999",
    "hep-th/9901001", "hep-th/9901001v3", "math.CV/0101001", "cond-mat/0001001", "q-bio/0401001",
    "physics/9701001v1", "math-ph/0001001", "astro-ph/0512345",
]  # fmt: skip
INVALID_IDS = [
    "abc", "", " ", "2406.1123", "0704.00001", "1412.00001", "0612.0001", "2406.11230v", "2406.11230V2",
    "2406.11230\n", " 2406.11230", "2406.11230 ", "arXiv:2406.11230", "https://arxiv.org/abs/2406.11230",
    "HEP-TH/9901001", "hep-th/990100", "hep-th/99010011", "math.cv/0101001", "math.CVX/0101001",
    "hep-th/9901001v1v2", "2406.11230v1v2", "\u0662\u0664\u0660\u0666.\u0661\u0661\u0662\u0663\u0660",
    "-hep/9901001", "hep_th/9901001", "2406-11230", "24061.1230",
]  # fmt: skip


def _fuzzed_ids(count: int = 600) -> list[str]:
    """Deterministic near-misses of real ids: one character replaced, inserted or dropped."""
    import random

    rng = random.Random(SAMPLE_SEED_FOR_FUZZ)
    alphabet = "0123456789.v/-abcXYZ hep-th"
    out = []
    for _ in range(count):
        word = list(rng.choice(VALID_IDS))
        at = rng.randrange(len(word) + 1)
        action = rng.choice(["replace", "insert", "drop"])
        if action == "insert" or not word:
            word.insert(at, rng.choice(alphabet))
        elif action == "replace":
            word[min(at, len(word) - 1)] = rng.choice(alphabet)
        else:
            del word[min(at, len(word) - 1)]
        out.append("".join(word))
    return out


SAMPLE_SEED_FOR_FUZZ = 7


def _gx_unexpected(regex_expectation: dict, values: list[str]) -> set[str]:
    """Values the suite's own regex expectation rejects, evaluated by GX (COMPLETE: every value listed)."""
    import great_expectations as gx
    import pandas as pd

    suite = gx.ExpectationSuite(name="ids", expectations=[regex_expectation])
    rejected: set[str] = set()
    for start in range(0, len(values), 100):  # GX lists at most 200 unexpected values per result
        chunk = values[start : start + 100]
        batch = gx_suites._batch_definition().get_batch(batch_parameters={"dataframe": pd.DataFrame({"id": chunk})})
        result = batch.validate(suite, result_format="COMPLETE").results[0].result
        assert result["unexpected_count"] == len(result["unexpected_list"])
        rejected |= set(result["unexpected_list"])
    return rejected


def test_arxiv_id_rule_is_the_parsers_in_every_suite():
    from pipelines.sources.text_keys import is_arxiv_id

    regexes = {}
    for name, column in (
        ("hf_papers_raw", "arxiv_id"),
        ("staged_papers", "arxiv_id_raw"),
        ("arxiv_listings_raw", "arxiv_id"),
    ):
        [spec] = [
            e for e in load_suite(name).to_json_dict()["expectations"]
            if e["type"] == "expect_column_values_to_match_regex" and e["kwargs"]["column"] == column
        ]  # fmt: skip
        regexes[name] = spec["kwargs"]["regex"]
    assert set(regexes.values()) == {ARXIV_ID_REGEX}  # one rule, three suites

    # The parser's verdict and GX's, on hand-picked cases and on fuzzed near-misses of real ids.
    candidates = sorted(set(VALID_IDS + INVALID_IDS + _fuzzed_ids()))
    expectation = {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "id", "regex": ARXIV_ID_REGEX}}
    rejected_by_gx = _gx_unexpected(expectation, candidates)
    rejected_by_parser = {c for c in candidates if not is_arxiv_id(c)}
    assert rejected_by_gx == rejected_by_parser
    assert rejected_by_gx >= set(INVALID_IDS) and not rejected_by_gx & set(VALID_IDS)
    assert len(rejected_by_parser) > 300 and len(candidates) - len(rejected_by_parser) > 50  # both sides exercised


def test_old_style_ids_pass_the_raw_suite(con):
    con.execute("UPDATE raw.hf_daily_papers SET arxiv_id = 'hep-th/9901001v2' WHERE position = 0")
    con.execute("UPDATE raw.hf_daily_papers SET arxiv_id = 'math.CV/0101001' WHERE position = 1")
    outcome = validate_table(con, RAW, "hf_papers_raw")
    assert outcome.success, outcome.summary()


# --------------------------------------------------------------------------- what the suites cover


def _kinds(name: str) -> set[tuple[str, str]]:
    out = set()
    for e in load_suite(name).to_json_dict()["expectations"]:
        kw = e["kwargs"]
        out.add(
            (
                e["type"],
                kw.get("column") or ",".join(kw.get("column_list") or [kw.get("column_A", ""), kw.get("column_B", "")]),
            )
        )
    return out


def test_suites_cover_the_issue_checklist():
    between, unique, null = (
        "expect_column_values_to_be_between",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_null",
    )
    # Key uniqueness at each mart's declared grain (the dbt unique_combination_of_columns tests).
    assert (unique, "as_of_date,window_type,rank") in _kinds("marts_trending_papers")
    assert (unique, "window_type,rank") in _kinds("marts_trending_papers_latest")
    assert (unique, "topic_id,period_type,period_start") in _kinds("marts_topic_trends")
    assert (unique, "topic_id,period_type,burst_start") in _kinds("marts_emerging_topics")
    assert (unique, "paper_id,topic_id") in _kinds("marts_paper_topics")
    assert (unique, "landing_path,position") in _kinds("arxiv_listings_raw")
    # Non-negative counts.
    for name, column in [
        ("hf_papers_raw", "github_stars"), ("staged_papers", "comments"), ("marts_trending_papers", "upvotes"),
        ("marts_topic_trends", "papers"), ("marts_emerging_topics", "papers"),
    ]:  # fmt: skip
        [spec] = [
            e
            for e in load_suite(name).to_json_dict()["expectations"]
            if (e["type"], e["kwargs"].get("column")) == (between, column)
        ]
        assert spec["kwargs"]["min_value"] == 0, (name, column)
    # Dates from 1991 to the runtime bound.
    for name, column in [
        ("arxiv_listings_raw", "listing_date"), ("marts_trending_papers", "as_of_date"),
        ("marts_topic_trends", "period_start"), ("marts_emerging_topics", "burst_end"),
    ]:  # fmt: skip
        [spec] = [
            e
            for e in load_suite(name).to_json_dict()["expectations"]
            if (e["type"], e["kwargs"].get("column")) == (between, column)
        ]
        assert spec["kwargs"]["min_value"] == "1991-01-01"
        assert spec["kwargs"]["max_value"] == {"$PARAMETER": "max_listing_date"}
    # Scores finite: nullable doubles through a derived *_not_finite column that must be null.
    assert (null, "velocity_per_hour_not_finite") in _kinds("marts_trending_papers")
    assert {(null, f"{c}_not_finite") for c in ("growth", "window_mean_share", "share_zscore")} <= _kinds(
        "marts_topic_trends"
    )
    assert (null, "score_not_finite") in _kinds("marts_paper_topics")
    # Title and abstract lengths.
    assert ("expect_column_value_lengths_to_be_between", "summary") in _kinds("arxiv_listings_raw")
    assert ("expect_column_value_lengths_to_be_between", "title") in _kinds("marts_trending_papers_latest")
    # Shares summing to one per period.
    [share] = [
        e
        for e in load_suite("marts_topic_shares").to_json_dict()["expectations"]
        if e["kwargs"].get("column") == "share_total" and e["type"] == between
    ]
    assert (share["kwargs"]["min_value"], share["kwargs"]["max_value"]) == (0.999999, 1.000001)


# --------------------------------------------------------------------------- bounded memory


def test_large_table_validates_bounded_frames_and_still_catches_a_duplicate(con, monkeypatch):
    """1M rows: GX never sees more than ROW_THRESHOLD rows, yet one duplicated key is found."""
    con.execute("DELETE FROM raw.hf_daily_papers")
    con.execute(
        """
        INSERT INTO raw.hf_daily_papers BY NAME
        SELECT 'raw/hf_daily_papers/dt=2025-01-01/f' || (i // 1000)::VARCHAR || '.json' AS landing_path,
               (i % 1000)::INTEGER AS position,
               DATE '2025-01-01' + (i % 300)::INTEGER AS listing_date,
               CASE WHEN i % 2 = 0 THEN 'object' ELSE 'python_repr' END AS record_format,
               '25' || lpad((i % 12 + 1)::VARCHAR, 2, '0') || '.' || lpad((i % 100000)::VARCHAR, 5, '0') AS arxiv_id,
               'Paper number ' || i::VARCHAR AS title,
               'An abstract about paper ' || i::VARCHAR AS summary,
               -- one row in a hundred has negative upvotes: a systematic fault a sample must see
               CASE WHEN i % 100 = 7 THEN -1 ELSE i % 500 END AS upvotes,
               i % 7 AS num_comments,
               CASE WHEN i % 10 = 0 THEN i % 1000 END AS github_stars
        FROM range(1000000) AS r(i)
        """
    )
    # ... and one exact duplicate of a record key (landing_path, position).
    con.execute(
        "INSERT INTO raw.hf_daily_papers SELECT * FROM raw.hf_daily_papers "
        "WHERE landing_path = 'raw/hf_daily_papers/dt=2025-01-01/f512.json' AND position = 17"
    )
    seen: list[int] = []
    real = gx_suites._validate_frame

    def spy(frame, suite, parameters):
        seen.append(len(frame))
        return real(frame, suite, parameters)

    monkeypatch.setattr(gx_suites, "_validate_frame", spy)
    monkeypatch.setattr(gx_suites, "FRAME_BYTES", 2**40)  # the row cap, not the byte budget, binds here
    outcome = validate_table(con, RAW, "hf_papers_raw")

    assert max(seen) <= gx_suites.ROW_THRESHOLD
    assert seen == [gx_suites.ROW_THRESHOLD, 2]  # the sample, then the two rows sharing a key
    assert [(b.purpose, b.rows) for b in outcome.batches] == [
        ("sample", 200_000),
        ("duplicates of landing_path, position", 2),
    ]
    assert outcome.sampled and outcome.rows_in_source == 1_000_001 and outcome.rows_validated == 200_000
    assert outcome.pushed_down == ["expect_compound_columns_to_be_unique(landing_path, position)"]

    dupes = outcome.failure("expect_compound_columns_to_be_unique", "landing_path, position")
    assert dupes.sample == [{"landing_path": "raw/hf_daily_papers/dt=2025-01-01/f512.json", "position": 17}]
    assert dupes.unexpected_count == 2 and dupes.reason == "2 of 1000001 rows sharing a duplicated key"
    upvotes = outcome.failure("expect_column_values_to_be_between", "upvotes")
    assert upvotes.sample == [-1] and 1_500 < upvotes.unexpected_count < 2_500  # ~1% of the 200k sample
    assert {(f.expectation_type, f.column) for f in outcome.failures} == {
        ("expect_compound_columns_to_be_unique", "landing_path, position"),
        ("expect_column_values_to_be_between", "upvotes"),
    }
    meta = outcome.to_metadata()
    assert meta["sampled"] is True and meta["rows_in_source"] == 1_000_001 and meta["rows_validated"] == 200_000
    assert "sample of 200000 of 1000001 rows" in outcome.summary()

    # The same sample on a second read: deterministic whatever the thread count.
    con.execute("SET threads = 1")
    again = validate_table(con, RAW, "hf_papers_raw")
    assert again.failure("expect_column_values_to_be_between", "upvotes").unexpected_count == upvotes.unexpected_count


def test_wide_text_is_sampled_to_the_frame_byte_budget(con, monkeypatch):
    """60k rows (under ROW_THRESHOLD) with 3 KB abstracts: 190 MB of text that GX would copy
    several times over. The frame is sampled down to FRAME_BYTES, and still sees a 1% fault."""
    con.execute("DELETE FROM raw.hf_daily_papers")
    con.execute(
        """
        INSERT INTO raw.hf_daily_papers BY NAME
        SELECT 'raw/hf_daily_papers/dt=2025-01-01/f' || (i // 1000)::VARCHAR || '.json' AS landing_path,
               (i % 1000)::INTEGER AS position, DATE '2025-01-01' AS listing_date, 'object' AS record_format,
               '2501.' || lpad(i::VARCHAR, 5, '0') AS arxiv_id, 'Paper number ' || i::VARCHAR AS title,
               repeat('a long abstract ', 190) || i::VARCHAR AS summary,
               CASE WHEN i % 100 = 7 THEN -1 ELSE i % 500 END AS upvotes, 0 AS num_comments
        FROM range(60000) AS r(i)
        """
    )
    frames: list = []
    real = gx_suites._validate_frame

    def spy(frame, suite, parameters):
        frames.append(frame)
        return real(frame, suite, parameters)

    monkeypatch.setattr(gx_suites, "_validate_frame", spy)
    outcome = validate_table(con, RAW, "hf_papers_raw")

    sample = frames[0]
    # 3,060 bytes of text a row + the other columns: 48 MiB hold about 15k rows.
    assert 14_000 < len(sample) < 16_000 and len(sample) >= gx_suites.MIN_SAMPLE_ROWS
    assert sample.memory_usage(deep=True).sum() <= gx_suites.FRAME_BYTES * 1.05
    assert outcome.sampled and outcome.rows_in_source == 60_000 and outcome.rows_validated == len(sample)
    upvotes = outcome.failure("expect_column_values_to_be_between", "upvotes")
    assert upvotes.sample == [-1] and 0.007 < upvotes.unexpected_count / len(sample) < 0.013

    # A narrow table of as many rows fits the budget: read whole, as before.
    con.execute("UPDATE raw.hf_daily_papers SET summary = 'short'")
    frames.clear()
    whole = validate_table(con, RAW, "hf_papers_raw")
    assert not whole.sampled and len(frames[0]) == 60_000 and whole.rows_validated == 60_000


# --------------------------------------------------------------------------- query suites


def _topic_warehouse(con, *, learned: list[tuple[str, str]], listings: list[tuple[str, str]]) -> None:
    """marts.topic_trends / paper_topics and int_daily_listings_latest as the models would build them.

    learned: (paper_id, topic_id) learned assignments; listings: (listing_date, paper_id).
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS intermediate")
    con.execute("CREATE OR REPLACE TABLE intermediate.int_daily_listings_latest (listing_date DATE, paper_id VARCHAR)")
    con.executemany("INSERT INTO intermediate.int_daily_listings_latest VALUES (?, ?)", listings)
    con.execute("CREATE OR REPLACE TABLE marts.paper_topics (paper_id VARCHAR, topic_id VARCHAR, kind VARCHAR)")
    con.executemany("INSERT INTO marts.paper_topics VALUES (?, ?, 'learned')", learned)
    # topic_trends: dense learned topic x period counts, share rounded to 6 decimals (as in the model).
    con.execute(
        """
        CREATE OR REPLACE TABLE marts.topic_trends AS
        WITH listed AS (
            SELECT DISTINCT p.period_type, CAST(date_trunc(p.period_type, l.listing_date) AS DATE) AS period_start, l.paper_id
            FROM intermediate.int_daily_listings_latest l CROSS JOIN (SELECT unnest(['week', 'month']) AS period_type) p
        ), periods AS (SELECT period_type, period_start, count(*) AS period_papers FROM listed GROUP BY ALL),
        topics AS (SELECT DISTINCT topic_id FROM marts.paper_topics),
        counts AS (
            SELECT t.topic_id, listed.period_type, listed.period_start, count(*) AS papers
            FROM listed JOIN marts.paper_topics t USING (paper_id) GROUP BY ALL
        )
        SELECT topics.topic_id, 'learned' AS kind, periods.period_type, periods.period_start,
               coalesce(counts.papers, 0) AS papers, periods.period_papers,
               round(coalesce(counts.papers, 0) / periods.period_papers, 6) AS share_of_papers
        FROM topics CROSS JOIN periods
        LEFT JOIN counts USING (topic_id, period_type, period_start)
        """
    )


def test_topic_shares_sum_to_one_per_period_despite_rounding(con):
    # 30 learned topics, one paper each, plus 3 papers the fit left without a topic: each stored
    # share is round(1/33, 6), and 30 of them sum to 0.909090 (exact: 30/33 = 0.90909090...).
    papers = [f"2501.{i:05d}" for i in range(33)]
    _topic_warehouse(
        con,
        learned=[(p, f"lt:{i + 1:04d}") for i, p in enumerate(papers[:30])],
        listings=[("2025-01-06", p) for p in papers],
    )
    outcome = gx_suites.validate_suite(con, "marts_topic_shares")
    assert outcome.success, outcome.summary()
    assert outcome.table == "query:marts_topic_shares" and outcome.rows_in_source == 2  # the week and the month
    rows = con.execute(
        f"SELECT period_type, unclustered_papers, learned_topics, share_total FROM ({suite_source('marts_topic_shares')[1]})"
    ).fetchall()
    assert rows == [("month", 3, 30, 1.0), ("week", 3, 30, 1.0)]


def test_topic_shares_catch_a_paper_in_two_learned_topics(con):
    papers = ["2501.00001", "2501.00002", "2501.00003", "2501.00004"]
    _topic_warehouse(
        con,
        learned=[(papers[0], "lt:0001"), (papers[1], "lt:0001"), (papers[2], "lt:0002"), (papers[3], "lt:0002"),
                 (papers[3], "lt:0001")],  # paper 4 counted twice: not a partition any more
        listings=[("2025-02-03", p) for p in papers],
    )  # fmt: skip
    outcome = gx_suites.validate_suite(con, "marts_topic_shares")
    assert not outcome.success
    share = outcome.failure("expect_column_values_to_be_between", "share_total")
    assert share.sample == [1.25] and share.unexpected_count == 2  # 5 memberships over 4 papers, week and month
    assert share.reason == "2 of 2 rows outside [0.999999, 1.000001]"
    assert "expect_column_values_to_be_between(share_total) e.g. [1.25]" in outcome.summary()


TRENDING_ROW = {
    "as_of_date": "2025-01-08", "window_type": "day", "window_start": "2025-01-08", "rank": 1,
    "paper_id": "2501.04519", "score": 2.5, "upvotes": 40, "comments": 2, "velocity_per_hour": None,
    "age_hours": 24.0, "decay": 0.79, "gravity": 0.1, "upvotes_component": 2.9, "comments_component": 0.4,
    "code_component": 0.0, "velocity_component": 0.0, "gravity_component": 0.5, "listed_on": "2025-01-08",
}  # fmt: skip
TRENDING_TYPES = {
    "as_of_date": "DATE",
    "window_start": "DATE",
    "listed_on": "DATE",
    "window_type": "VARCHAR",
    "paper_id": "VARCHAR",
    "rank": "INTEGER",
    "upvotes": "BIGINT",
    "comments": "BIGINT",
}  # fmt: skip; every other column is DOUBLE


def test_trending_suite_catches_non_finite_scores_and_a_duplicated_rank(con):
    types = {k: TRENDING_TYPES.get(k, "DOUBLE") for k in TRENDING_ROW}
    con.execute("CREATE SCHEMA marts")
    con.execute(f"CREATE TABLE marts.trending_papers ({', '.join(f'{k} {t}' for k, t in types.items())})")
    rows = [
        TRENDING_ROW,
        {**TRENDING_ROW, "rank": 2, "paper_id": "hep-th/9901001", "velocity_per_hour": 0.25},
        {**TRENDING_ROW, "rank": 3, "paper_id": "title:0c6277ac138e0032", "velocity_per_hour": float("nan")},
        {**TRENDING_ROW, "rank": 4, "paper_id": "2501.00004", "score": float("inf")},
        {**TRENDING_ROW, "rank": 4, "paper_id": "2501.00005"},  # rank 4 twice
    ]
    placeholders = ", ".join(f"CAST(? AS {t})" for t in types.values())
    con.executemany(f"INSERT INTO marts.trending_papers VALUES ({placeholders})", [list(r.values()) for r in rows])

    outcome = gx_suites.validate_suite(con, "marts_trending_papers")

    assert outcome.table == "marts.trending_papers" and outcome.rows_in_source == 5
    assert {(f.expectation_type, f.column) for f in outcome.failures} == {
        ("expect_compound_columns_to_be_unique", "as_of_date, window_type, rank"),
        ("expect_column_values_to_be_null", "velocity_per_hour_not_finite"),
        ("expect_column_values_to_be_between", "score"),
    }
    # NaN: invisible to pandas (it reads as null), so DuckDB's isfinite names it.
    assert outcome.failure("expect_column_values_to_be_null", "velocity_per_hour_not_finite").sample == ["nan"]
    # inf: outside the finite bounds.
    assert outcome.failure("expect_column_values_to_be_between", "score").sample == ["inf"]
    assert outcome.failure("expect_compound_columns_to_be_unique").sample == [
        {"as_of_date": "2025-01-08", "window_type": "day", "rank": 4}
    ]


def test_set_level_expectations_other_than_uniqueness_refuse_a_sample(con):
    # trending_papers_latest has expect_column_unique_value_count_to_be_between: on a sample it would lie.
    types = {k: TRENDING_TYPES.get(k, "DOUBLE") for k in TRENDING_ROW} | {"window_label": "VARCHAR", "title": "VARCHAR"}
    con.execute("CREATE SCHEMA marts")
    con.execute(f"CREATE TABLE marts.trending_papers_latest ({', '.join(f'{k} {t}' for k, t in types.items())})")
    con.execute("INSERT INTO marts.trending_papers_latest BY NAME SELECT i + 1 AS rank FROM range(50) r(i)")
    with pytest.raises(
        ValueError, match="expect_column_unique_value_count_to_be_between cannot be validated on a sample"
    ):
        gx_suites.validate_suite(con, "marts_trending_papers_latest", max_rows=10)
    assert gx_suites.validate_suite(con, "marts_trending_papers_latest").rows_in_source == 50  # small: read whole


def test_sample_is_exactly_k_rows_even_when_rows_tie(con):
    # 300 identical rows hash alike: the k-th smallest hash is shared by all of them, and the
    # sample must still hold k rows (and the same rows whichever of them are taken).
    con.execute("DELETE FROM raw.hf_daily_papers")
    for _ in range(60):
        _insert(con, PAPERS[:1] * 5)  # same landing path and positions 0..4, same values
    frame = read_frame(con, RAW, ["arxiv_id", "title"], sample_rows=50)
    assert len(frame) == 50 and set(frame["arxiv_id"]) == {"2406.11230"}
    mixed = read_frame(con, RAW, ["arxiv_id", "position"], sample_rows=50)
    assert len(mixed) == 50 and mixed.sort_values("position").reset_index(drop=True).equals(
        read_frame(con, RAW, ["arxiv_id", "position"], sample_rows=50).sort_values("position").reset_index(drop=True)
    )


def test_partitions_scope_the_raw_suite_to_the_days_of_a_run(con):
    """A daily run validates the raw rows it ingested; a day validated before is not read again."""
    _insert(con, [("not-an-id", "A later paper", 1, 0, None)], landing=LANDING.replace("18", "19"), day="2024-06-19")

    earlier = validate_suite(con, "hf_papers_raw", partitions=[dt.date(2024, 6, 18)])
    assert earlier.success and earlier.rows_in_source == 5
    assert earlier.scope == "listing_date in 1 day(s) of this run"
    assert earlier.summary() == "hf_papers_raw: 15/15 expectations passed on listing_date in 1 day(s) of this run"
    assert earlier.to_metadata()["scope"] == earlier.scope

    later = validate_suite(con, "hf_papers_raw", partitions=[dt.date(2024, 6, 19), dt.date(2024, 6, 20)])
    assert not later.success and later.rows_in_source == 1 and later.table == RAW
    assert later.failure("expect_column_values_to_match_regex", "arxiv_id").sample == ["not-an-id"]

    every = validate_suite(con, "hf_papers_raw")  # no partitions: every row
    assert not every.success and every.rows_in_source == 6 and every.scope == "all rows"


def test_run_days_come_from_the_partition_tags():
    assert run_days({}) is None
    assert run_days({"dagster/partition": "2025-03-04"}) == [dt.date(2025, 3, 4)]
    assert run_days(
        {"dagster/asset_partition_range_start": "2025-02-27", "dagster/asset_partition_range_end": "2025-03-02"}
    ) == [dt.date(2025, 2, 27), dt.date(2025, 2, 28), dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
