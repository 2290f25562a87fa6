"""bench/bare_duckdb.sql builds the pipeline's marts, row for row: the correctness guard of bench/full_build.py.

The input is the bundled sample made quirk-free (bench/_common.py clean_copy: Python-repr and
wrapper files rewritten as JSON arrays of the same records, marker/no_data files and the scraped
page left out), plus three files that exercise landing rules the bare script must reproduce:

- a byte-identical re-fetch of 2025-01-08 under a later as-of name: lands once, so it is no snapshot;
- a byte-identical copy of an arXiv listing whose name sorts before the original and has no
  manifest row: the copy lands (first in input order), with the end of its listing day as as-of;
- a day file whose manifest row is removed: its as-of falls back to the end of its listing day.

The pipeline runs on that folder in a fresh home; the bare script runs on the same folder, reading
the pipeline's learned-topic tables (exported to parquet, as the benchmark does).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import fresh_home, query

from pipelines.runner import run_pipeline
from pipelines.settings import REPO_ROOT, SAMPLE_DIR
from pipelines.sources import detect

sys.path.insert(0, str(REPO_ROOT / "bench"))
import _common as bench  # bench/ is a folder of scripts, not a package

REFETCH = "history/2025-01-08__2025-01-09T06-07-15Z.json"
REFETCH_COPY = "history/2025-01-08__2025-01-09T09-00-00Z.json"
LISTING = "2025-03-24.jsonl"
LISTING_COPY = "2025-03-24 (copy).jsonl"  # ' ' sorts before '.': this name comes first
UNLISTED_DAY = "daily/2025-03-25.json"  # its manifest row is removed


def _sample_records() -> dict[str, int]:
    """Records the pipeline's own parsers accept in the sample's HF and arXiv files."""
    counts = {"hf_daily_papers": 0, "arxiv_listings": 0}
    for path in sorted(SAMPLE_DIR.rglob("*")):
        if path.suffix in (".json", ".jsonl"):
            source = detect(path)
            counts[source.name] += len(source.parse(path, path.read_bytes(), None).rows)
    return counts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    """(input folder, pipeline home, bare database) over the quirk-free sample with the extra files."""
    folder = tmp_path_factory.mktemp("bare_input")
    done = bench.clean_copy(SAMPLE_DIR, folder)
    assert done["rewritten"] > 0, "the sample's Python-repr and wrapper files must be part of the comparison"
    hf, arxiv = folder / bench.HF_DIR, folder / bench.ARXIV_DIR
    shutil.copyfile(hf / REFETCH, hf / REFETCH_COPY)
    shutil.copyfile(arxiv / LISTING, arxiv / LISTING_COPY)
    manifest = hf / "manifest.csv"
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    kept = [row for row in rows if row[0] != UNLISTED_DAY]
    assert len(kept) == len(rows) - 1
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)

    home = fresh_home(tmp_path_factory, "bare_pipeline_home")
    summary = run_pipeline([hf, arxiv], home)
    assert summary.success, f"pipeline failed: {summary.failed_steps} {summary.failed_checks}"

    work = tmp_path_factory.mktemp("bare_run")
    bench.export_learned(home.published, work / "learned")
    database = work / "bare.duckdb"
    timings = bench.run_bare(database, bench.bare_variables(folder, work / "learned"))
    built = sorted(label.removeprefix("CREATE TABLE marts.") for label, _ in timings if "TABLE marts." in label)
    assert built == sorted(bench.BARE_MARTS), "the script builds exactly the benchmarked marts"
    return folder, home, database


def test_pipeline_read_every_sample_record_and_quarantined_none(runs):
    _, home, _ = runs
    expected = _sample_records()
    counts = dict(
        query(
            home.published,
            "SELECT source, sum(records_accepted) FROM raw.landed_files GROUP BY source",
        )
    )
    # Every record of the sample survives the rewrite; the duplicate files add none (they land once).
    assert counts == expected
    assert query(home.published, "SELECT count(*) FROM raw.quarantine") == [(0,)]


def test_the_extra_files_exercise_landing_rules(runs):
    _, home, _ = runs
    landed = query(
        home.published,
        "SELECT source_file, as_of FROM raw.landed_files WHERE source_file IN (?, ?, ?, ?, ?)",
        [Path(REFETCH).name, Path(REFETCH_COPY).name, LISTING, LISTING_COPY, Path(UNLISTED_DAY).name],
    )
    assert dict(landed) == {
        Path(REFETCH).name: dt.datetime(2025, 1, 9, 6, 7, 15),
        LISTING_COPY: dt.datetime(2025, 3, 24, 23, 59, 59),
        Path(UNLISTED_DAY).name: dt.datetime(2025, 3, 25, 23, 59, 59),
    }


def test_bare_marts_equal_the_pipeline_marts_row_for_row(runs):
    _, home, database = runs
    diffs = bench.compare_marts(home.published, database)
    assert [d.table for d in diffs] == list(bench.BARE_MARTS)
    problems = [f"{d.table}: {p}" for d in diffs for p in d.problems]
    assert not problems, "\n".join(problems)
    # Real content on both sides: every mart has rows (compare_marts counted the pipeline's).
    empty = [d.table for d in diffs if d.rows == 0]
    assert not empty, f"empty marts prove nothing: {empty}"
    snapshots = query(
        database,
        "SELECT count(*), count(DISTINCT as_of) FROM marts.fct_paper_snapshots WHERE source = 'hf_daily_papers' AND listing_date = '2025-01-08'",
    )
    assert snapshots == [(15 + 13 + 7 * 15, 9)], "nine fetches of 2025-01-08, the identical re-fetch not counted"


def test_comparison_reports_a_changed_value_and_tolerates_rounding_noise(runs, tmp_path):
    _, home, database = runs
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(database, changed)
    con = duckdb.connect(str(changed))
    try:
        # noise far below the tolerance: still equal
        con.execute("UPDATE marts.topic_trends SET smoothed_share = smoothed_share * (1 + 1e-13)")
        # one score a millionth off, one title changed: both differences must be reported
        con.execute(
            "UPDATE marts.trending_papers SET score = score * (1 + 1e-6) WHERE rank = 1 AND window_type = 'day'"
            " AND as_of_date = (SELECT min(as_of_date) FROM marts.trending_papers)"
        )
        con.execute(
            "UPDATE marts.dim_papers SET title = title || '.' WHERE paper_id = (SELECT min(paper_id) FROM marts.dim_papers)"
        )
    finally:
        con.close()
    diffs = {d.table: d for d in bench.compare_marts(home.published, changed)}
    assert diffs["topic_trends"].ok
    assert not diffs["trending_papers"].ok and "1 row(s) differ" in diffs["trending_papers"].problems[0]
    assert "score" in diffs["trending_papers"].problems[1]
    assert not diffs["dim_papers"].ok and "title" in diffs["dim_papers"].problems[1]
    assert [name for name, d in diffs.items() if not d.ok] == ["dim_papers", "trending_papers"]


def test_the_bare_script_runs_at_the_memory_limit_it_is_given(monkeypatch, tmp_path):
    """full_build.py --bare-memory-limits: run_bare sets the limit before the script's first statement."""
    script = tmp_path / "held.sql"
    script.write_text(
        "CREATE TABLE held AS SELECT current_setting('memory_limit') AS memory_limit;\n", encoding="utf-8"
    )
    monkeypatch.setattr(bench, "BARE_SQL", script)
    held = {}
    for limit in ("300MB", None):
        database = tmp_path / f"held-{limit}.duckdb"
        bench.run_bare(database, {}, memory_limit=limit)
        held[limit] = query(database, "SELECT memory_limit FROM held")[0][0]
    assert held["300MB"] == "286.1 MiB"  # DuckDB shows 300 MB in MiB
    assert held[None] != held["300MB"], "without a limit DuckDB keeps its default (80% of RAM)"


def test_the_bare_script_in_its_own_process_at_the_pipelines_limit_builds_the_same_marts(runs, tmp_path):
    folder, home, _ = runs
    learned, database, timings = tmp_path / "learned", tmp_path / "bare-1GB.duckdb", tmp_path / "timings.json"
    bench.export_learned(home.published, learned)
    command = bench.bare_command(database, bench.bare_variables(folder, learned), timings, "1GB")
    assert command[-1] == "1GB"
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    problems = [f"{d.table}: {p}" for d in bench.compare_marts(home.published, database) for p in d.problems]
    assert not problems, "\n".join(problems)
    assert len(json.loads(timings.read_text(encoding="utf-8"))) > len(bench.BARE_MARTS)


def test_a_bare_run_that_fails_is_recorded_and_the_next_limit_is_compared(runs, tmp_path):
    """full_build.py --bare-memory-limits 10MB,1GB: the 10MB run fails (at 1M the 1GB one did, in
    session 14, and took the default-limit run down with it); the 1GB run is still compared row for row."""
    import argparse

    import full_build

    folder, home, _ = runs
    learned, work = tmp_path / "learned", tmp_path / "work"
    work.mkdir()
    bench.export_learned(home.published, learned)
    args = argparse.Namespace(bare_memory_limits=["10MB", "1GB"], timeout=600, keep_homes=False)
    result = full_build.SizeResult(0, 0, 0)
    full_build.run_bares(result, folder, learned, work, home.published, args)

    [failed] = result.failed_bares
    assert failed["limit"] == "10MB"
    assert "bare_duckdb.sql, statement" in failed["error"] and "Out of Memory" in failed["error"]
    assert not (work / "bare-10MB.duckdb").exists() and not (work / "bare-10MB.duckdb.wal").exists()
    assert result.bare_limit == "1GB" and result.bare_s > 0 and result.equal, result.differences
    assert set(result.mart_rows) == set(bench.BARE_MARTS) and result.mart_rows["dim_papers"] > 0
    assert result.more_bares == []
