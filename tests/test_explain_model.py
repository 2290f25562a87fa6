"""bench/explain_model.py: DuckDB's profile of a model as the run compiled it, on a built home."""

from __future__ import annotations

import json
import os
import sys

import duckdb
import pytest
from conftest import query

from pipelines.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
import explain_model  # bench/ is a folder of scripts, not a package
import full_build


def test_a_model_is_rebuilt_from_its_compiled_sql_with_its_scans_counted(sample_run, capsys):
    home, _ = sample_run
    warehouse = home.warehouse
    built = query(warehouse, "select count(*) from intermediate.int_arxiv_listings_normalized")[0][0]
    staged = query(warehouse, "select count(*) from raw.arxiv_listings")[0][0]
    assert built > 0

    profile = explain_model.profile_model(home.root, "int_arxiv_listings_normalized", "500MB", 2)

    # The compiled SQL builds the very rows the run built, from every raw listing line.
    assert profile.rows == built
    # Every scan (the plan may read the table once or twice) reads every raw line: a first build
    # has no incremental filter.
    assert {(scan.table, scan.rows_scanned) for scan in profile.scans} == {("papertrends.raw.arxiv_listings", staged)}
    assert profile.seconds > 0 and profile.peak_buffer_bytes > 0
    assert profile.spilled_bytes == 0  # a few hundred lines at 500MB
    assert any("WINDOW" in op.name for op in profile.operators)

    explain_model.show(profile, top=3)
    printed = capsys.readouterr().out
    assert f"int_arxiv_listings_normalized: {profile.seconds:.1f} s, {built:,} rows written" in printed
    assert f"scan papertrends.raw.arxiv_listings: {staged:,} rows read" in printed


def test_a_model_no_run_compiled_is_named_in_the_error(tmp_path):
    with pytest.raises(SystemExit, match=r"no_such_model: no dbt build under .* ran it"):
        explain_model.compiled_sql(tmp_path, "no_such_model")


def test_a_candidate_sql_is_profiled_beside_the_runs_and_compared_row_for_row(sample_run, tmp_path):
    home, _ = sample_run
    compiled = explain_model.compiled_sql(home.root, "int_arxiv_listings_normalized")
    same, fewer = tmp_path / "same.sql", tmp_path / "fewer.sql"
    same.write_text(f"select * from ({compiled}\n) order by landing_path desc")
    fewer.write_text(f"select * from ({compiled}\n) where file_occurrence = 1 and position > 0")

    before, after, equal = explain_model.compare_with(home.root, "int_arxiv_listings_normalized", same, "500MB", 2)
    assert equal and before.rows == after.rows > 0
    assert before.model == "int_arxiv_listings_normalized (the run's)"
    assert after.model == "int_arxiv_listings_normalized (same.sql)"

    before, after, equal = explain_model.compare_with(home.root, "int_arxiv_listings_normalized", fewer, "500MB", 2)
    assert not equal and 0 < after.rows < before.rows


def _run_results(folder, which: str, code: str, mtime: int, model: str = "topic_keywords") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run_results.json"
    run = json.loads(path.read_text()) if path.exists() else {"args": {"which": which}, "results": []}
    run["results"].append({"unique_id": f"model.papertrends.{model}", "compiled_code": code})
    path.write_text(json.dumps(run))
    os.utime(path, (mtime, mtime))


def test_the_sql_is_the_newest_builds_not_the_docs_compilation(tmp_path):
    # dbt docs generate runs after the builds and compiles every model again, an incremental one
    # without the run's filter: its compilation is not what the run built.
    _run_results(tmp_path / "dbt/target/papertrends_dbt_topic_models", "build", "select 'old build'", 1_000)
    _run_results(tmp_path / "dbt/target/papertrends_dbt_models", "build", "select 'new build'", 2_000)
    _run_results(tmp_path / "dbt/target/docs", "generate", "select 'docs'", 3_000)
    assert explain_model.compiled_sql(tmp_path, "topic_keywords") == "select 'new build'"


def test_a_model_whose_sql_read_the_runs_scratch_tables_is_named_and_the_rest_profiled(tmp_path, capsys):
    warehouse = tmp_path / "warehouse" / "papertrends.duckdb"
    warehouse.parent.mkdir()
    duckdb.connect(str(warehouse)).execute("create table papers as select range as id from range(5)").close()
    step = tmp_path / "dbt" / "target" / "papertrends_dbt_models"
    # An incremental run's filter reads build_state, which only exists while the run does.
    _run_results(step, "build", "select * from build_state.changed_days", 1_000, model="incremental_model")
    _run_results(step, "build", "select id from papertrends.main.papers where id > 1", 1_000, model="table_model")

    assert explain_model.main([str(tmp_path), "incremental_model", "table_model", "--memory-limit", "200MB"]) == 1
    printed = capsys.readouterr().out
    assert "incremental_model: cannot be rebuilt from the SQL the run built it with: Catalog Error" in printed
    assert "table_model: " in printed and "3 rows written" in printed
    assert "scan papertrends.main.papers: 5 rows read, 3 kept" in printed


def test_full_builds_node_times_read_every_dbt_call_through_the_shared_reader(tmp_path):
    for target, which, nodes in (
        (
            "papertrends_dbt_models",
            "build",
            [("model.papertrends.dim_papers", 4.5), ("test.papertrends.unique_x", 1.5)],
        ),
        ("docs", "generate", [("model.papertrends.dim_papers", 0.25)]),
    ):
        folder = tmp_path / "dbt" / "target" / target
        folder.mkdir(parents=True)
        results = [{"unique_id": uid, "execution_time": seconds} for uid, seconds in nodes]
        (folder / "run_results.json").write_text(json.dumps({"args": {"which": which}, "results": results}))

    assert full_build.dbt_node_times(tmp_path) == [
        ("model dim_papers", 4.5),
        ("test unique_x", 1.5),
        ("model dim_papers", 0.25),
    ]
    commands = sorted((r.command, r.kind, r.name) for r in explain_model.dbt_results(tmp_path))
    assert commands == [
        ("build", "model", "dim_papers"),
        ("build", "test", "unique_x"),
        ("generate", "model", "dim_papers"),
    ]
