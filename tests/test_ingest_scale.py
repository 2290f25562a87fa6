"""Ingestion built for scale keeps its guarantees.

Files are read by a pool of worker processes or in-process, through orjson or the
standard library, in one batch or many: the raw tables come out identical. Ingesting a
day reads only that day's new files and leaves every other row as it was. Work is
streamed (a bounded number of files in flight) and reported file by file.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import shutil
import time
from pathlib import Path

import psutil
import pytest

import pipelines.file_pool as file_pool
import pipelines.raw_rows as raw_rows
import pipelines.sources.fast_json as fast_json
import pipelines.sources.hf_daily_papers as hf_module
import pipelines.warehouse as warehouse
from pipelines.file_pool import map_ordered
from pipelines.landing import check_file, land, land_file, landed_files
from pipelines.settings import SAMPLE_DIR, Home
from pipelines.sources import SOURCES, FileParseError
from pipelines.warehouse import connect, ingest

HF = SAMPLE_DIR / "hf-daily-papers"
DAILY = HF / "daily"
DAY = "2025-01-08"  # fetched nine times in the sample
RAW_TABLES = ("hf_daily_papers", "arxiv_listings", "seed_page_papers", "quarantine", "landed_files")


def landed_home(root: Path, inputs: list[Path]) -> Home:
    home = Home(root).ensure()
    land(inputs, home, workers=1)
    return home


def ingest_all(home: Home, **options) -> list[warehouse.IngestStats]:
    with connect(home.warehouse) as con:
        return [ingest(con, home, name, None, **options) for name in SOURCES]


def raw_tables(home: Home) -> dict[str, list[tuple]]:
    """Every raw table in physical (insertion) order: equal dicts mean identical tables."""
    with connect(home.warehouse, read_only=True) as con:
        return {table: con.execute(f"SELECT * FROM raw.{table}").fetchall() for table in RAW_TABLES}


def sorted_rows(home: Home, table: str) -> list[tuple]:
    with connect(home.warehouse, read_only=True) as con:
        return con.execute(f"SELECT * FROM raw.{table} ORDER BY ALL").fetchall()


def count_parses(monkeypatch: pytest.MonkeyPatch, source: str = "hf_daily_papers") -> list[str]:
    """Names of the files the source parses from now on (in-process ingestion only)."""
    parsed: list[str] = []
    instance = SOURCES[source]
    original = type(instance).parse

    def parse(path, data, listing_date):
        parsed.append(path.name)
        return original(instance, path, data, listing_date)

    monkeypatch.setattr(instance, "parse", parse)
    return parsed


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The whole bundled sample, landed and ingested in-process: the reference tables."""
    home = landed_home(tmp_path_factory.mktemp("reference"), [SAMPLE_DIR])
    ingest_all(home, workers=1)
    return home


def copy_landing(reference: Home, root: Path) -> Home:
    home = Home(root).ensure()
    shutil.copytree(reference.raw, home.raw, dirs_exist_ok=True)
    return home


# --- the same rows whichever way the files are read -------------------------------------------


def test_the_reference_holds_the_whole_sample(sample_home: Home) -> None:
    tables = raw_tables(sample_home)
    assert len(tables["landed_files"]) == 55  # 47 HF files, 7 arXiv listings, 1 page
    assert len(tables["hf_daily_papers"]) == 653  # 2622 records read in all: 653 + 1939 + 30
    assert len(tables["arxiv_listings"]) == 1939
    assert len(tables["seed_page_papers"]) == 30
    assert tables["quarantine"] == []


def test_a_pool_of_workers_gives_identical_raw_tables(sample_home: Home, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_pool, "MIN_PARALLEL_BYTES", 0)  # the sample is small: force the pool
    sizes: list[int] = []
    real_pool_size = warehouse.pool_size
    monkeypatch.setattr(
        warehouse, "pool_size", lambda paths, workers: sizes.append(real_pool_size(paths, workers)) or sizes[-1]
    )
    home = copy_landing(sample_home, tmp_path / "pool")
    ingest_all(home, workers=2)
    assert sizes[:2] == [2, 2]  # HF and arXiv files were read by two worker processes
    assert raw_tables(home) == raw_tables(sample_home)


def test_the_standard_library_path_gives_identical_raw_tables(sample_home: Home, tmp_path: Path, monkeypatch) -> None:
    """Every document through json.loads and every repr record through ast.literal_eval, as before orjson."""
    monkeypatch.setattr(fast_json, "has_long_number", lambda data: True)
    monkeypatch.setattr(hf_module, "decode_literal", lambda text: (ast.literal_eval(text), False))
    home = copy_landing(sample_home, tmp_path / "stdlib")
    ingest_all(home, workers=1)
    assert raw_tables(home) == raw_tables(sample_home)


def test_small_batches_give_identical_raw_tables(sample_home: Home, tmp_path: Path, monkeypatch) -> None:
    inserted: list[int] = []
    real_insert = warehouse._insert_batch
    monkeypatch.setattr(warehouse, "BATCH_BYTES", 1)  # one file a batch
    monkeypatch.setattr(
        warehouse,
        "_insert_batch",
        lambda con, source, batch, run_id: inserted.append(len(batch)) or real_insert(con, source, batch, run_id),
    )
    home = copy_landing(sample_home, tmp_path / "batches")
    ingest_all(home, workers=1)
    assert len([n for n in inserted if n]) == 55
    assert raw_tables(home) == raw_tables(sample_home)


def test_raw_rows_are_the_parsers_rows(sample_home: Home) -> None:
    """What a file's parse gives is what its rows hold, bookkeeping columns aside."""
    path = next(landed_files(sample_home, "hf_daily_papers", ["2024-12-11"]))  # Python-repr strings only
    parsed = SOURCES["hf_daily_papers"].parse(path, path.read_bytes(), dt.date(2024, 12, 11))
    relative = path.relative_to(sample_home.root).as_posix()
    with connect(sample_home.warehouse, read_only=True) as con:
        cursor = con.execute(
            "SELECT * EXCLUDE (landing_path, source_file, as_of, listing_date) FROM raw.hf_daily_papers"
            " WHERE landing_path = ? ORDER BY position",
            [relative],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert len(rows) == len(parsed.rows) == 26
    assert rows == [{name: row[name] for name in names} for row in parsed.rows]
    assert rows[0]["arxiv_id"] == "2412.07730" and rows[0]["record_format"] == "python_repr"
    assert rows[0]["upvotes"] == 54 and rows[0]["record_json"] is None


def test_rows_are_drained_into_arrow_in_chunks_as_from_a_list(sample_home: Home, monkeypatch) -> None:
    """Chunked conversion (a worker's memory at 1M papers) gives the table a whole-list one does."""
    path = next(landed_files(sample_home, "hf_daily_papers", ["2024-12-11"]))
    source = SOURCES["hf_daily_papers"]
    rows = source.parse(path, path.read_bytes(), dt.date(2024, 12, 11)).rows
    columns = {name: kind for name, kind in raw_rows.source_columns(source).items() if name in source.raw_schema}
    whole = raw_rows.rows_table(rows, columns)
    monkeypatch.setattr(raw_rows, "ROW_CHUNK", 7)  # 26 rows: four chunks, the last of five
    drained = raw_rows.drain_rows(rows, columns)
    assert rows == []
    assert [len(batch) for batch in drained.to_batches()] == [7, 7, 7, 5]
    assert drained.schema == whole.schema
    assert drained.to_pylist() == whole.to_pylist()
    assert drained.num_rows == 26 and drained.column("arxiv_id")[0].as_py() == "2412.07730"


def test_a_workers_ledger_counts_every_record_read(tmp_path: Path) -> None:
    """records_read is the parse's accepted plus quarantined records, counted before the drain."""
    records = day_records()
    path = tmp_path / "2025-01-08.json"
    path.write_text(json.dumps([*records, records[0]], ensure_ascii=False), encoding="utf-8")  # one repeat
    home = Home(tmp_path / "home").ensure()
    landed = land_file(path, home).path
    task = raw_rows.FileTask("hf_daily_papers", landed, landed.relative_to(home.root).as_posix(), dt.date(2025, 1, 8))
    done = raw_rows.read_landed(task)
    assert done.rows.num_rows == len(records) == 15
    assert [q["reason"] for q in done.quarantine] == [
        f"duplicate paper.id {records[0]['paper']['id']} in this file (first at position 0)"
    ]
    assert (done.ledger["records_read"], done.ledger["records_accepted"], done.ledger["records_quarantined"]) == (
        16,
        15,
        1,
    )


def test_a_rerun_from_scratch_is_identical(sample_home: Home, tmp_path: Path) -> None:
    again = landed_home(tmp_path / "again", [SAMPLE_DIR])
    ingest_all(again)
    assert raw_tables(again) == raw_tables(sample_home)


# --- partition-scoped ingestion -------------------------------------------------------------


def day_records() -> list[dict]:
    """The records of daily/2025-01-08.json (Python-repr strings in the file)."""
    return [ast.literal_eval(item) for item in json.loads((DAILY / "2025-01-08.json").read_bytes())]


def new_snapshot(home: Home, tmp_path: Path) -> Path:
    """A tenth fetch of 2025-01-08, later than the others, with grown upvotes; landed."""
    records = day_records()
    for record in records:
        record["paper"]["upvotes"] += 100
    path = tmp_path / "2025-01-08__2025-01-10T12-00-00Z.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return land_file(path, home).path


def test_ingesting_a_day_reads_only_its_new_files(sample_home: Home, tmp_path: Path, monkeypatch) -> None:
    home = copy_landing(sample_home, tmp_path / "home")
    shutil.copyfile(sample_home.warehouse, home.warehouse)
    before = raw_tables(home)
    day_files = len(list(landed_files(home, "hf_daily_papers", [DAY])))
    assert day_files == 9
    new = new_snapshot(home, tmp_path)
    parsed = count_parses(monkeypatch)

    with connect(home.warehouse) as con:
        stats = ingest(con, home, "hf_daily_papers", [DAY], workers=1)
    assert parsed == [new.name]  # the nine files ingested before are not read again
    assert (stats.files_read, stats.files_skipped, stats.files_removed, stats.files) == (1, 9, 0, 10)

    after = raw_tables(home)
    new_path = new.relative_to(home.root).as_posix()
    # Every row of every other file is untouched, in place; the new file's rows are added after them.
    for table in ("hf_daily_papers", "landed_files"):
        old_rows = [row for row in after[table] if new_path not in row]
        assert old_rows == before[table]
    added = [row for row in after["hf_daily_papers"] if new_path in row]
    first = day_records()[0]
    assert len(added) == len(day_records()) == 15
    assert stats.records_accepted == 15 + sum(row[8] for row in before["landed_files"] if str(row[4]) == DAY)
    with connect(home.warehouse, read_only=True) as con:
        upvotes = con.execute(
            "SELECT upvotes FROM raw.hf_daily_papers WHERE landing_path = ? AND arxiv_id = ?",
            [new_path, first["paper"]["id"]],
        ).fetchone()[0]
    assert upvotes == first["paper"]["upvotes"] + 100

    # A range over every landed day (what a backfill asks for) now reads nothing at all.
    parsed.clear()
    every_day = sorted({p.parent.name.removeprefix("dt=") for p in landed_files(home, "hf_daily_papers")})
    with connect(home.warehouse) as con:
        stats = ingest(con, home, "hf_daily_papers", every_day, workers=1)
    assert parsed == [] and stats.files_read == 0 and stats.files == 48
    assert raw_tables(home) == after


def test_refresh_rereads_a_day_and_changes_nothing(sample_home: Home, tmp_path: Path, monkeypatch) -> None:
    home = copy_landing(sample_home, tmp_path / "home")
    shutil.copyfile(sample_home.warehouse, home.warehouse)
    parsed = count_parses(monkeypatch)
    with connect(home.warehouse) as con:
        stats = ingest(con, home, "hf_daily_papers", [DAY], refresh=True, workers=1)
    assert len(parsed) == 9 and stats.files_read == 9
    # The day's rows were deleted and inserted again (now after the other days'): same rows, other order.
    assert sorted_rows(home, "hf_daily_papers") == sorted_rows(sample_home, "hf_daily_papers")
    assert sorted_rows(home, "landed_files") == sorted_rows(sample_home, "landed_files")


def test_a_file_that_left_landing_loses_its_rows(sample_home: Home, tmp_path: Path) -> None:
    home = copy_landing(sample_home, tmp_path / "home")
    shutil.copyfile(sample_home.warehouse, home.warehouse)
    gone = next(landed_files(home, "hf_daily_papers", [DAY]))
    relative = gone.relative_to(home.root).as_posix()
    gone.chmod(0o644)
    gone.unlink()  # an operator took a landed file out by hand
    with connect(home.warehouse) as con:
        stats = ingest(con, home, "hf_daily_papers", [DAY], workers=1)
        left = [
            con.execute(f"SELECT count(*) FROM raw.{table} WHERE landing_path = ?", [relative]).fetchone()[0]
            for table in ("hf_daily_papers", "landed_files", "quarantine")
        ]
    assert (stats.files_read, stats.files_removed, stats.files) == (0, 1, 8)
    assert left == [0, 0, 0]


def test_a_retried_run_keeps_one_audit_row_per_file(sample_home: Home, tmp_path: Path) -> None:
    home = copy_landing(sample_home, tmp_path / "home")
    with connect(home.warehouse) as con:
        ingest(con, home, "hf_daily_papers", [DAY], run_id="run-1", workers=1)
        ingest(con, home, "hf_daily_papers", [DAY], run_id="run-1", refresh=True, workers=1)
        audit = con.execute(
            "SELECT count(*), count(DISTINCT landing_path), sum(records_read) FROM raw.ingestion_runs WHERE run_id = 'run-1'"
        ).fetchone()
    with connect(sample_home.warehouse, read_only=True) as con:
        day_records_read = con.execute(
            "SELECT sum(records_read) FROM raw.landed_files WHERE listing_date = ?", [DAY]
        ).fetchone()[0]
    assert day_records_read == 133  # 13 in the first fetch … 15 in the ninth
    assert audit == (9, 9, 133)


# --- progress, streaming ----------------------------------------------------------------------


def test_ingest_reports_every_file_and_prints_nothing(tmp_path: Path, capsys) -> None:
    home = landed_home(tmp_path / "home", [DAILY])
    calls: list[tuple[int, int]] = []
    with connect(home.warehouse) as con:
        ingest(con, home, "hf_daily_papers", None, workers=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(done, 30) for done in range(1, 31)]
    assert capsys.readouterr() == ("", "")


_pulled: list[int] = []


def _numbers(count: int):
    for number in range(count):
        _pulled.append(number)
        yield number


def test_map_ordered_keeps_order_and_a_bounded_window() -> None:
    _pulled.clear()
    seen = []
    for value in map_ordered(abs, _numbers(40), workers=2, window=3):
        # Items are read from the input only as results are taken: never the whole input at once.
        assert len(_pulled) - len(seen) <= 3
        seen.append(value)
    assert seen == list(range(40))


def _pool_processes() -> list[str]:
    """This process's multiprocessing descendants (the fork server and its forked workers)."""
    commands = [" ".join(child.cmdline()) for child in psutil.Process().children(recursive=True)]
    return [command for command in commands if "multiprocessing.forkserver" in command]


def test_a_pool_leaves_no_process_behind_not_even_the_fork_server() -> None:
    # The fork server would otherwise keep its ~0.1 GB of preloaded code through the dbt steps.
    results = list(map_ordered(abs, range(-5, 5), workers=2))
    assert results == [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]
    deadline = time.monotonic() + 10
    while _pool_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pool_processes() == []
    # A later pool starts its own server again.
    assert list(map_ordered(abs, [-1, -2], workers=2)) == [1, 2]


def test_a_bad_file_in_a_worker_stops_landing_before_anything_lands(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_pool, "MIN_PARALLEL_BYTES", 0)
    bad = tmp_path / "in" / "2025-03-18.json"
    bad.parent.mkdir()
    bad.write_text('[\n  {"paper": {"id": "2503.00001"}},\n  {"paper": \n', encoding="utf-8")
    home = Home(tmp_path / "home")
    with pytest.raises(FileParseError) as caught:
        land([DAILY / "2024-06-10.json", DAILY / "2024-06-11.json", bad, DAILY / "2024-06-12.json"], home, workers=2)
    # The error crossed from a worker process whole: file, line and reason.
    assert (caught.value.path, caught.value.line) == (str(bad), 4)
    assert str(caught.value).startswith(f"{bad}:4: invalid JSON")
    assert list(landed_files(home, "hf_daily_papers")) == []


def test_landing_in_a_pool_lands_what_landing_in_process_lands(tmp_path: Path, monkeypatch) -> None:
    serial = land([HF], Home(tmp_path / "serial"), workers=1)
    monkeypatch.setattr(file_pool, "MIN_PARALLEL_BYTES", 0)
    pooled = land([HF], Home(tmp_path / "pooled"), workers=2)
    assert len(pooled) == 47
    assert [(f.relative_path, f.sha256, f.as_of, f.newly_landed) for f in pooled] == [
        (f.relative_path, f.sha256, f.as_of, f.newly_landed) for f in serial
    ]


def test_a_file_changed_after_its_check_does_not_land(tmp_path: Path) -> None:
    path = tmp_path / "2024-06-10.json"
    path.write_bytes((DAILY / "2024-06-10.json").read_bytes())
    checked = check_file(path)
    path.write_bytes((DAILY / "2024-06-11.json").read_bytes())  # replaced between the check and the copy
    home = Home(tmp_path / "home")
    with pytest.raises(FileParseError, match="changed after it was checked"):
        land_file(path, home, checked)
    assert list(landed_files(home, "hf_daily_papers")) == []
