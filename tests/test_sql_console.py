"""``papertrends sql``: the analyst's read-only desk on the published copy."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import fresh_home

from pipelines import sql_console
from pipelines.publish import DIGEST_NAME, MANIFEST_NAME, publish, read_manifest
from pipelines.settings import Home
from pipelines.sql_console import main, open_published

PAPERS = [
    ("2501.00001", "Sparse Attention, Revisited", 42, ["hf_daily_papers"], "2025-01-08 09:00:00"),
    ("2501.00002", 'Quotes "and", commas', 7, ["hf_daily_papers", "arxiv_listings"], "2025-01-08 10:30:00"),
    ("title:abc123", "A Seed-Page Paper", None, ["seed_page"], "2025-01-09 00:00:00"),
]


def _build_warehouse(path: Path, papers: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(
            "CREATE OR REPLACE TABLE marts.dim_papers (paper_id VARCHAR, title VARCHAR, latest_upvotes INTEGER, "
            "sources VARCHAR[], latest_as_of TIMESTAMP)"
        )
        con.executemany("INSERT INTO marts.dim_papers VALUES (?, ?, ?, ?, ?)", papers)
        con.execute(
            "CREATE OR REPLACE TABLE raw.landed_files (source VARCHAR, landing_path VARCHAR, sha256 VARCHAR, "
            "listing_date DATE, as_of TIMESTAMP, records_read BIGINT, records_accepted BIGINT, records_quarantined BIGINT)"
        )
        con.execute(
            "INSERT INTO raw.landed_files VALUES ('hf_daily_papers', 'raw/hf_daily_papers/dt=2025-01-08/a.json', "
            f"'{'ab' * 32}', '2025-01-08', '2025-01-08 23:59:59', {len(papers)}, {len(papers)}, 0)"
        )
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def home(tmp_path_factory, monkeypatch) -> Home:
    where = fresh_home(tmp_path_factory, "sql_home")
    _build_warehouse(where.warehouse, PAPERS)
    publish(where.warehouse, where.published, run_id="run-1")
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))  # a relative COPY TO would land here
    return where


@pytest.fixture(autouse=True)
def piped_output_width(monkeypatch):
    # Piped output is as wide as $COLUMNS says, else unbounded; pytest-xdist's workers set
    # COLUMNS=80, which cut SUMMARIZE's column names ("approx_unique" -> "app").
    monkeypatch.delenv("COLUMNS", raising=False)


def run(sql: str | None, *args, where: Home, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    fmt = args[0] if args else "table"
    target = Path(args[1]) if len(args) > 1 else None
    code = main(sql, fmt, target, where=where, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def cli(*args: str, where: Home, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAPERTRENDS_HOME=str(where.root), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "sql", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_select_prints_a_table(home):
    code, out, err = run("SELECT paper_id, title, latest_upvotes FROM marts.dim_papers ORDER BY paper_id", where=home)
    assert (code, err) == (0, "")
    assert "Sparse Attention, Revisited" in out and "title:abc123" in out
    assert "NULL" in out  # the seed-page paper has no upvotes
    assert out.rstrip().endswith("3 rows")


def test_describe_show_summarize_explain_and_read_only_pragmas_run(home):
    for sql, expected in [
        ("DESCRIBE marts.dim_papers", "latest_upvotes"),
        ("SHOW ALL TABLES", "landed_files"),
        ("SUMMARIZE marts.dim_papers", "approx_unique"),
        ("EXPLAIN SELECT count(*) FROM marts.dim_papers", "physical_plan"),
        ("PRAGMA table_info('marts.dim_papers')", "sources"),
        ("WITH t AS (FROM marts.dim_papers) SELECT count(*) AS n FROM t", "1 row"),
        ("USE marts; SELECT count(*) AS n FROM dim_papers", "│ 3 │"),
        ("PIVOT marts.dim_papers ON latest_upvotes USING count(*) GROUP BY title", "Sparse Attention, Revisited"),
    ]:
        code, out, err = run(sql, where=home)
        assert (code, err) == (0, ""), sql
        assert expected in out, (sql, out)


def test_csv_and_json_to_stdout(home):
    sql = "SELECT paper_id, title, latest_upvotes, sources, latest_as_of FROM marts.dim_papers ORDER BY paper_id"
    code, out, err = run(sql, "csv", where=home)
    assert (code, err) == (0, "")
    assert list(csv.reader(io.StringIO(out))) == [
        ["paper_id", "title", "latest_upvotes", "sources", "latest_as_of"],
        ["2501.00001", "Sparse Attention, Revisited", "42", '["hf_daily_papers"]', "2025-01-08 09:00:00"],
        ["2501.00002", 'Quotes "and", commas', "7", '["hf_daily_papers", "arxiv_listings"]', "2025-01-08 10:30:00"],
        ["title:abc123", "A Seed-Page Paper", "", '["seed_page"]', "2025-01-09 00:00:00"],
    ]
    code, out, err = run(sql, "json", where=home)
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "paper_id": p[0],
            "title": p[1],
            "latest_upvotes": p[2],
            "sources": p[3],
            "latest_as_of": p[4].replace(" ", "T"),
        }
        for p in PAPERS
    ]
    assert run("SELECT 1 AS a WHERE false", "json", where=home)[1] == "[]\n"


def test_out_files_csv_json_parquet(home, tmp_path):
    sql = "SELECT paper_id, latest_upvotes FROM marts.dim_papers ORDER BY paper_id"
    for fmt in ("csv", "json", "parquet"):
        target = tmp_path / f"papers.{fmt}"
        code, out, err = run(sql, fmt, target, where=home)
        assert (code, out) == (0, "")
        assert err == f"wrote 3 rows to {target}\n"
    assert (
        tmp_path / "papers.csv"
    ).read_text() == "paper_id,latest_upvotes\n2501.00001,42\n2501.00002,7\ntitle:abc123,\n"
    assert json.loads((tmp_path / "papers.json").read_text())[2] == {"paper_id": "title:abc123", "latest_upvotes": None}
    table = pq.read_table(tmp_path / "papers.parquet")
    assert table.column_names == ["paper_id", "latest_upvotes"]
    assert table.to_pylist()[0] == {"paper_id": "2501.00001", "latest_upvotes": 42}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers.csv", "papers.json", "papers.parquet"]  # no temps


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("parquet",), "error: --format parquet needs --out FILE\n"),
        (("xml",), "error: --format xml: use one of table, csv, json, parquet\n"),
        (
            ("table", "x.txt"),
            "error: --format table prints to the terminal: use --format csv, json or parquet with --out\n",
        ),
    ],
)
def test_usage_errors(home, args, message):
    assert run("SELECT 1", *args, where=home) == (2, "", message)


def test_out_may_not_write_into_published_or_warehouse(home):
    for target in (home.published, home.published.parent / "x.csv", home.warehouse.parent / "y.csv"):
        code, out, err = run("SELECT 1", "csv", str(target), where=home)
        assert (code, out) == (2, "")
        assert err == f"error: --out {target} is inside {target.parent}: only `papertrends run` writes there\n"


LOCKED = "the console's configuration is locked"
READ_ONLY = "the published copy is read-only"
NO_FILES = "(the console reads the published copy only)"
QUERIES = "only queries run here: SELECT, FROM, WITH, VALUES, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN"
REFUSED = [
    ("CREATE TABLE marts.evil AS SELECT 1", f"CREATE is not allowed: {READ_ONLY}"),
    ("CREATE TEMP TABLE scratch AS SELECT 1", f"CREATE is not allowed: {READ_ONLY}"),
    ("CREATE VIEW marts.v AS SELECT 1", f"CREATE is not allowed: {READ_ONLY}"),
    ("CREATE MACRO m(x) AS x", f"CREATE is not allowed: {READ_ONLY}"),
    ("INSERT INTO marts.dim_papers (paper_id) VALUES ('x')", f"INSERT is not allowed: {READ_ONLY}"),
    ("UPDATE marts.dim_papers SET latest_upvotes = 0", f"UPDATE is not allowed: {READ_ONLY}"),
    ("DELETE FROM marts.dim_papers", f"DELETE is not allowed: {READ_ONLY}"),
    ("TRUNCATE marts.dim_papers", f"TRUNCATE is not allowed: {READ_ONLY}"),
    ("DROP TABLE marts.dim_papers", f"DROP is not allowed: {READ_ONLY}"),
    ("ALTER TABLE marts.dim_papers ADD COLUMN x INTEGER", f"ALTER is not allowed: {READ_ONLY}"),
    ("-- sneaky\n/* really */ delete from marts.dim_papers", f"DELETE is not allowed: {READ_ONLY}"),
    ("SELECT 1; DROP TABLE marts.dim_papers", f"DROP is not allowed: {READ_ONLY}"),
    ("EXPLAIN ANALYZE DELETE FROM marts.dim_papers", f"DELETE is not allowed: {READ_ONLY}"),
    ("ATTACH 'other.duckdb' AS other", "ATTACH is not allowed: the console reads the published copy only"),
    ("ATTACH ':memory:' AS scratch", "ATTACH is not allowed: the console reads the published copy only"),
    ("DETACH papertrends", "DETACH is not allowed: the console reads the published copy only"),
    (
        "COPY marts.dim_papers TO 'papers.csv'",
        "COPY is not allowed: SQL cannot read or write files here; use --out FILE to save a result",
    ),
    (
        "COPY (SELECT 1) TO 'one.parquet' (FORMAT parquet)",
        "COPY is not allowed: SQL cannot read or write files here; use --out FILE to save a result",
    ),
    (
        "EXPORT DATABASE 'dump'",
        "EXPORT DATABASE is not allowed: SQL cannot write files here; use --out FILE to save a result",
    ),
    ("INSTALL httpfs", "INSTALL is not allowed: extensions are off in the console"),
    ("FORCE INSTALL httpfs", "FORCE INSTALL is not allowed: extensions are off in the console"),
    ("LOAD httpfs", "LOAD is not allowed: extensions are off in the console"),
    ("SET enable_external_access = true", f"SET is not allowed: {LOCKED}"),
    ("SET threads = 1", f"SET is not allowed: {LOCKED}"),
    ("RESET lock_configuration", f"RESET is not allowed: {LOCKED}"),
    ("SET VARIABLE x = 1", f"SET is not allowed: {LOCKED}"),
    ("PRAGMA enable_profiling", f"PRAGMA enable_profiling is not allowed: {LOCKED}"),
    ("PRAGMA threads = 1", f"PRAGMA threads is not allowed: {LOCKED}"),
    ("CHECKPOINT", f"CHECKPOINT is not allowed: {QUERIES}"),
    ("BEGIN TRANSACTION", f"BEGIN is not allowed: {QUERIES}"),
    ("SELECT * FROM read_csv('/etc/passwd')", f'file access is not allowed: "/etc/passwd" {NO_FILES}'),
    ("SELECT * FROM read_text('/etc/passwd')", f'file access is not allowed: "/etc/passwd" {NO_FILES}'),
    ("SELECT * FROM read_blob('/etc/hostname')", f'file access is not allowed: "/etc/hostname" {NO_FILES}'),
    ("SELECT * FROM read_parquet('x.parquet')", f'file access is not allowed: "x.parquet" {NO_FILES}'),
    ("SELECT * FROM glob('*')", f'file access is not allowed: "*" {NO_FILES}'),
    ("SELECT * FROM 'file.csv'", f'file access is not allowed: "file.csv" {NO_FILES}'),
    ("FROM 'data.parquet'", f'file access is not allowed: "data.parquet" {NO_FILES}'),
]


def test_nothing_can_be_changed_or_read_besides_the_copy(home):
    before, manifest = _sha(home.published), read_manifest(home.published)
    cwd = Path.cwd()
    (cwd / "file.csv").write_text("secret\n1\n")
    (cwd / "data.parquet").write_bytes(b"")
    for sql, message in REFUSED:
        code, out, err = run(sql, where=home)
        assert (code, out, err) == (2, "", f"error: {message}\n"), sql
    assert _sha(home.published) == before
    assert read_manifest(home.published) == manifest
    assert sorted(p.name for p in home.published.parent.iterdir()) == [DIGEST_NAME, MANIFEST_NAME, "papertrends.duckdb"]
    assert sorted(p.name for p in cwd.iterdir()) == ["data.parquet", "file.csv"]  # nothing was written
    code, out, _ = run("SELECT count(*) AS n FROM marts.dim_papers", "csv", where=home)
    assert (code, out) == (0, "n\n3\n")


def test_duckdb_itself_enforces_read_only_without_the_statement_check(home):
    """The statement check gives clear messages; DuckDB's own settings would refuse anyway."""
    con = open_published(home.published)
    try:
        for sql, fragment in [
            ("CREATE TABLE marts.evil AS SELECT 1", "read-only mode"),
            ("COPY marts.dim_papers TO 'papers.csv'", "file system operations are disabled by configuration"),
            ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled by configuration"),
            ("ATTACH 'other.duckdb' AS other", "file system operations are disabled by configuration"),
            ("LOAD httpfs", "disabled through configuration"),
            ("SET enable_external_access = true", "the configuration has been locked"),
            ("SET lock_configuration = false", "the configuration has been locked"),
        ]:
            with pytest.raises(duckdb.Error, match=fragment):
                con.execute(sql)
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('access_mode', 'enable_external_access', "
                "'autoinstall_known_extensions', 'autoload_known_extensions', 'lock_configuration')"
            ).fetchall()
        )
    finally:
        con.close()
    assert settings == {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "lock_configuration": "true",
    }
    assert not (Path.cwd() / "papers.csv").exists()


def test_query_errors_are_one_line_with_exit_1(home):
    code, out, err = run("SELECT * FROM marts.nope", where=home)
    assert (code, out) == (1, "")
    assert err.startswith("error: Catalog Error: Table with name nope does not exist") and err.count("\n") == 1
    code, _, err = run("SELEC 1", where=home)
    assert code == 1 and err.startswith("error: Parser Error: syntax error at or near") and err.count("\n") == 1


def test_missing_published_copy_says_run_first(tmp_path):
    where = Home(tmp_path / "empty")
    message = f"error: no published copy at {where.published}: run `papertrends run` first\n"
    assert run("SELECT 1", where=where) == (2, "", message)
    assert run(None, where=where) == (2, "", message)
    assert not where.root.exists()  # a read-only tool creates nothing


def test_table_output_is_capped(home, monkeypatch):
    monkeypatch.setattr(sql_console, "MAX_TABLE_ROWS", 2)
    code, out, _ = run("SELECT paper_id FROM marts.dim_papers ORDER BY 1", where=home)
    assert code == 0 and "title:abc123" not in out
    assert out.rstrip().endswith("first 2 rows shown; use --format csv or json with --out for all of them")


def test_prompt_loop_reads_statements_from_stdin(home):
    script = "\n".join(
        [
            "SELECT count(*) AS n",
            "  FROM marts.dim_papers;",
            "",
            ".tables",
            "DROP TABLE marts.dim_papers;",
            "SELECT title FROM marts.dim_papers WHERE latest_upvotes = 42;",
            ".nope",
            "SELECT 'last, no semicolon' AS tail",
        ]
    )
    code, out, err = run(None, where=home, stdin=script)
    assert code == 2  # the worst error seen
    assert err.splitlines() == [
        f"error: DROP is not allowed: {READ_ONLY}",
        "error: unknown command .nope: .help lists the commands",
    ]
    assert "│ 3 │" in out and "dim_papers" in out and "landed_files" in out
    assert "Sparse Attention, Revisited" in out and "last, no semicolon" in out
    assert "papertrends>" not in out  # no prompts when stdin is not a terminal

    code, out, err = run(None, "csv", where=home, stdin="SELECT 1 AS a;\n.quit\nSELECT 2 AS b;\n")
    assert (code, out, err) == (0, "a\n1\n", "")


def test_cli_sql_command(home, tmp_path):
    ok = cli("SELECT paper_id FROM marts.dim_papers ORDER BY 1", "--format", "csv", where=home)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "paper_id\n2501.00001\n2501.00002\ntitle:abc123\n", "")
    refused = cli("DROP TABLE marts.dim_papers", where=home)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == f"error: DROP is not allowed: {READ_ONLY}\n"
    target = tmp_path / "p.parquet"
    written = cli("FROM marts.dim_papers", "-f", "parquet", "--out", str(target), where=home)
    assert written.returncode == 0 and pq.read_table(target).num_rows == 3
    prompt = cli(where=home, stdin="SELECT 40 + 2 AS answer;\n")
    assert prompt.returncode == 0 and "42" in prompt.stdout


def test_a_reader_keeps_its_snapshot_while_a_new_copy_is_published(home):
    """Publishing never waits for readers, and readers never see a half-written copy."""
    reader = open_published(home.published)
    try:
        assert reader.execute("SELECT count(*) FROM marts.dim_papers").fetchone() == (3,)
        # The pipeline writes the working warehouse (holding it open for writing) while the reader reads.
        _build_warehouse(home.warehouse, [*PAPERS, ("2501.00009", "A Newer Paper", 1, ["hf_daily_papers"], None)])
        writer = duckdb.connect(str(home.warehouse))
        try:
            assert cli("SELECT count(*) AS n FROM marts.dim_papers", "-f", "csv", where=home).stdout == "n\n3\n"
        finally:
            writer.close()
        publish(home.warehouse, home.published, run_id="run-2")
        # The open reader still reads its own snapshot, complete and unchanged.
        assert reader.execute("SELECT count(*) FROM marts.dim_papers").fetchone() == (3,)
        assert reader.execute("SELECT max(title) FROM marts.dim_papers").fetchone() == ("Sparse Attention, Revisited",)
        # A new reader (another process, as analysts are) sees the new copy and its manifest.
        fresh = cli(
            "SELECT count(*) AS n, count(*) FILTER (title = 'A Newer Paper') AS new FROM marts.dim_papers",
            "-f",
            "csv",
            where=home,
        )
        assert (fresh.returncode, fresh.stdout) == (0, "n,new\n4,1\n")
        assert read_manifest(home.published)["run_id"] == "run-2"
        assert read_manifest(home.published)["mart_row_counts"] == {"dim_papers": 4}
    finally:
        reader.close()
    con = open_published(home.published)
    try:
        assert con.execute("SELECT count(*) FROM marts.dim_papers").fetchone() == (4,)
    finally:
        con.close()


def test_prompt_moves_to_a_newly_published_copy_between_statements(home):
    count = "SELECT count(*) AS n FROM marts.dim_papers;\n"

    class PublishesMidway(io.StringIO):
        lines = 0

        def readline(self, *args):
            self.lines += 1
            if self.lines == 2:  # after the first statement ran: a run publishes a new copy
                _build_warehouse(home.warehouse, [*PAPERS, ("2501.00009", "A Newer Paper", 1, [], None)])
                publish(home.warehouse, home.published, run_id="run-2")
            return super().readline(*args)

    out, err = io.StringIO(), io.StringIO()
    code = main(None, "csv", where=home, stdin=PublishesMidway(count * 2), stdout=out, stderr=err)
    assert (code, out.getvalue(), err.getvalue()) == (0, "n\n3\nn\n4\n", "(a new copy was published: now reading it)\n")
