"""The analyst's desk: ``papertrends sql`` queries the published copy, read-only.

Nothing can be changed through it. DuckDB itself enforces that: the published file
is opened with ``read_only=True``, external access off (no file reads or writes:
COPY, EXPORT, ATTACH of other files, read_csv/read_text/read_parquet/glob, 'x.csv'
table references), extension install/autoload off, and the configuration locked
(no SET, RESET or config PRAGMA). On top of that every statement is classified with
DuckDB's own parser (``extract_statements``) before anything runs, so a refused
statement gets a clear one-line message (exit code 2) and the statements before it
never run. ``--out`` is the only way to write a file, and the tool writes it, not SQL.

Readers never block the pipeline, nor it them: a run writes only the working
warehouse and replaces the published file by atomic rename, so an open reader keeps
its snapshot and the next connection sees the new copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import math
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb

from pipelines.settings import Home
from pipelines.settings import home as current_home

FORMATS = ("table", "csv", "json", "parquet")
MAX_TABLE_ROWS = 1000
PIPED_WIDTH = 4096
HISTORY_FILE = "sql_history"
HISTORY_LENGTH = 1000
PROMPT, CONTINUATION = "papertrends> ", "        ...> "

# DuckDB's own protections. Every one of these exists in DuckDB 2.0; lock_configuration
# comes last in effect: once the connection is open nothing above can be changed back.
READ_ONLY_CONFIG: dict[str, object] = {
    "enable_external_access": False,  # no file or network access besides the database itself
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # no scanning of Python variables as tables
    "lock_configuration": True,
}

QUERIES_ONLY = "only queries run here: SELECT, FROM, WITH, VALUES, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN"
READ_ONLY_PRAGMAS = frozenset(
    {
        "collations", "database_list", "database_size", "functions", "metadata_info", "platform", "show",
        "show_databases", "show_tables", "show_tables_expanded", "storage_info", "table_info", "user_agent", "version",
    }
)  # fmt: skip
WRITES = {"CREATE", "CREATE_FUNC", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "MERGE_INTO", "VACUUM"}
_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_EXPLAIN = re.compile(r"^EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^)]*\)\s*)?", re.IGNORECASE)
_FILE_ACCESS = re.compile(r'Cannot access (?:file|directory) "([^"]*)"')


class ConsoleError(Exception):
    """A one-line error for the user; ``exit_code`` 2 for refusals and usage, 1 for failed queries."""

    exit_code = 1


class Refused(ConsoleError):
    exit_code = 2


class UsageError(ConsoleError):
    exit_code = 2


def _strip_comments(sql: str) -> str:
    return _COMMENTS.sub("", sql, count=1)


def _keyword(sql: str) -> str:
    words = _strip_comments(sql).split(None, 2)
    first = words[0].upper().rstrip(";") if words else ""
    if first == "FORCE" and len(words) > 1:
        return f"FORCE {words[1].upper()}"
    return first


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def check_statement(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> None:
    """Raise :class:`Refused` unless ``statement`` only reads the published copy."""
    kind = statement.type
    keyword = _keyword(statement.query)
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", _strip_comments(statement.query), count=1)
        try:
            statements = con.extract_statements(inner)
        except duckdb.Error:
            return  # DuckDB's read-only protections still hold; its own error will say why
        for nested in statements:
            check_statement(con, nested)
        return
    if kind == duckdb.StatementType.MULTI and keyword in {"PIVOT", "UNPIVOT"}:
        return
    if keyword == "PRAGMA":  # a PRAGMA statement, or a PRAGMA x = y (parsed as SET)
        name = re.match(r"PRAGMA\s+(\w+)", _strip_comments(statement.query), re.IGNORECASE)
        pragma = name.group(1).lower() if name else "?"
        if kind == duckdb.StatementType.PRAGMA and pragma in READ_ONLY_PRAGMAS:
            return
        raise Refused(f"PRAGMA {pragma} is not allowed: the console's configuration is locked")
    if kind == duckdb.StatementType.SET and keyword == "USE":
        return  # only picks the default schema of this session
    if kind.name in WRITES:
        raise Refused(f"{keyword} is not allowed: the published copy is read-only")
    if kind in (duckdb.StatementType.ATTACH, duckdb.StatementType.DETACH):
        raise Refused(f"{keyword} is not allowed: the console reads the published copy only")
    if kind in (duckdb.StatementType.COPY, duckdb.StatementType.COPY_DATABASE):
        raise Refused("COPY is not allowed: SQL cannot read or write files here; use --out FILE to save a result")
    if kind == duckdb.StatementType.EXPORT:
        raise Refused("EXPORT DATABASE is not allowed: SQL cannot write files here; use --out FILE to save a result")
    if kind == duckdb.StatementType.LOAD:
        raise Refused(f"{keyword} is not allowed: extensions are off in the console")
    if kind in (duckdb.StatementType.SET, duckdb.StatementType.VARIABLE_SET):
        raise Refused(f"{keyword} is not allowed: the console's configuration is locked")
    raise Refused(f"{keyword or kind.name} is not allowed: {QUERIES_ONLY}")


def check_sql(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    """Parse ``sql`` with DuckDB and refuse it whole if any statement could change anything."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConsoleError(_first_line(exc)) from None
    if not statements:
        raise UsageError("no SQL statement given")
    for statement in statements:
        check_statement(con, statement)
    return statements


def open_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, locked-down connection to the published copy."""
    if not path.is_file():
        raise UsageError(f"no published copy at {path}: run `papertrends run` first")
    try:
        return duckdb.connect(str(path), read_only=True, config=READ_ONLY_CONFIG)
    except duckdb.Error as exc:
        raise ConsoleError(f"cannot open {path}: {_first_line(exc)}") from None


@dataclass
class Result:
    columns: list[str]
    types: list[str]
    rows: list[tuple]
    truncated: bool = False


def _translate(exc: duckdb.Error) -> ConsoleError:
    message = _first_line(exc)
    if isinstance(exc, duckdb.PermissionException):
        found = _FILE_ACCESS.search(message)
        if found:
            return Refused(
                f'file access is not allowed: "{found.group(1)}" (the console reads the published copy only)'
            )
        return Refused(f"not allowed: {message.removeprefix('Permission Error: ')}")
    return ConsoleError(message)


def execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    fetch: Callable[[duckdb.DuckDBPyConnection, str], object | None] | None = None,
) -> list[object]:
    """Check, then run every statement of ``sql``; one fetched result per statement that returns rows."""
    fetch = fetch or (lambda c, query: _fetch_rows(c, query, limit=None))
    results = []
    for statement in check_sql(con, sql):
        try:
            result = fetch(con, statement.query)
        except duckdb.Error as exc:
            raise _translate(exc) from None
        if result is not None:
            results.append(result)
    return results


def _fetch_arrow(con: duckdb.DuckDBPyConnection, query: str) -> object | None:
    relation = con.sql(query)
    return None if relation is None else relation.to_arrow_table()


def _fetch_rows(con: duckdb.DuckDBPyConnection, query: str, *, limit: int | None) -> Result | None:
    cursor = con.execute(query)
    if cursor.description is None:
        return None
    columns = [d[0] for d in cursor.description]
    types = [str(d[1]) for d in cursor.description]
    if limit is None:
        return Result(columns, types, cursor.fetchall())
    rows = cursor.fetchmany(limit + 1)
    return Result(columns, types, rows[:limit], truncated=len(rows) > limit)


# ---------------------------------------------------------------- output formats


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _json_default(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def _json_clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_json_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_clean(v) for k, v in value.items()}
    return value


def write_csv(result: Result, stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_text(v) for v in row] for row in result.rows)


def write_json(result: Result, stream: IO[str]) -> None:
    """A JSON array with one object per row, one row per line."""
    objects = [
        json.dumps(
            {c: _json_clean(v) for c, v in zip(result.columns, row, strict=True)},
            default=_json_default,
            ensure_ascii=False,
        )
        for row in result.rows
    ]
    stream.write("[\n" + ",\n".join(objects) + "\n]\n" if objects else "[]\n")


def print_table(result: Result, stream: IO[str]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for column, kind in zip(result.columns, result.types, strict=True):
        table.add_column(escape(column), overflow="fold", justify="right" if _numeric(kind) else "left")
    for row in result.rows:
        table.add_row(*("[dim]NULL[/]" if v is None else escape(_text(v)) for v in row))
    # On a terminal the table fits the window (cells wrap, nothing is cut); piped, it is as wide as it needs.
    width = None if stream.isatty() else int(os.environ.get("COLUMNS") or 0) or PIPED_WIDTH
    console = Console(file=stream, highlight=False, width=width)
    console.print(table)
    shown = len(result.rows)
    if result.truncated:
        console.print(f"first {shown} rows shown; use --format csv or json with --out for all of them")
    else:
        console.print(f"{shown} row{'' if shown == 1 else 's'}")


def _numeric(kind: str) -> bool:
    return kind.upper().split("(")[0] in {
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
        "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "NUMBER",
    }  # fmt: skip


@contextmanager
def _atomic_output(path: Path) -> Iterator[Path]:
    """Write next to ``path`` under a temporary name and rename it into place once complete."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def check_out(out: Path, where: Home) -> Path:
    resolved = out.expanduser().resolve()
    protected = (where.published.parent.resolve(), where.warehouse.parent.resolve())
    if any(resolved == p or p in resolved.parents for p in protected):
        raise UsageError(f"--out {out} is inside {resolved.parent}: only `papertrends run` writes there")
    if not resolved.parent.is_dir():
        raise UsageError(f"--out {out}: folder {resolved.parent} does not exist")
    if resolved.is_dir():
        raise UsageError(f"--out {out} is a folder: give a file name")
    return resolved


def emit(
    con: duckdb.DuckDBPyConnection, sql: str, fmt: str, out: Path | None, stdout: IO[str]
) -> tuple[int, Path | None]:
    """Run ``sql`` and print (table, csv, json) or write (``out``) the result of its last statement."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        tables = execute(con, sql, _fetch_arrow)
        if not tables:
            raise UsageError("the SQL returned no result to write")
        assert out is not None
        with _atomic_output(out) as temporary:
            pq.write_table(tables[-1], temporary)
        return tables[-1].num_rows, out
    if fmt == "table":
        results = execute(con, sql, lambda c, query: _fetch_rows(c, query, limit=MAX_TABLE_ROWS))
        for result in results:
            print_table(result, stdout)
        return sum(len(r.rows) for r in results), None
    writer = write_csv if fmt == "csv" else write_json
    results = execute(con, sql)
    if not results:
        raise UsageError("the SQL returned no result to write")
    if out is None:
        writer(results[-1], stdout)
        return len(results[-1].rows), None
    with _atomic_output(out) as temporary, temporary.open("w", encoding="utf-8", newline="") as handle:
        writer(results[-1], handle)
    return len(results[-1].rows), out


# ---------------------------------------------------------------- the prompt


@dataclass
class Prompt:
    """Reads SQL a statement at a time (ending in ``;``), with meta-commands ``.tables``, ``.help``, ``.quit``."""

    read_line: Callable[[str], str | None]
    buffer: list[str] = field(default_factory=list)

    def statements(self) -> Iterator[str]:
        while True:
            line = self.read_line(CONTINUATION if self.buffer else PROMPT)
            if line is None:
                if "".join(self.buffer).strip():
                    yield "\n".join(self.buffer)
                return
            if not self.buffer and line.strip().startswith((".", "\\")):
                yield line.strip()
                continue
            if not self.buffer and not line.strip():
                continue
            self.buffer.append(line)
            if line.rstrip().endswith(";"):
                text, self.buffer = "\n".join(self.buffer), []
                yield text


TABLES_SQL = """
SELECT table_schema AS schema, table_name AS name, table_type AS kind
FROM information_schema.tables ORDER BY table_schema, table_name
"""
HELP = f"""Type SQL ending with ';' ({QUERIES_ONLY}).
.tables   list the published tables and views
.help     this help
.quit     leave (or Ctrl-D)"""


def _stdin_reader(stdin: IO[str]) -> Callable[[str], str | None]:
    def read(_prompt: str) -> str | None:
        line = stdin.readline()
        return line.rstrip("\n") if line else None

    return read


def _terminal_reader(history: Path) -> tuple[Callable[[str], str | None], Callable[[], None]]:
    """``input()`` with readline editing and a history file under $PAPERTRENDS_HOME."""
    try:
        import readline
    except ImportError:  # pragma: no cover - not on Linux or macOS
        readline = None
    if readline is not None:
        readline.set_history_length(HISTORY_LENGTH)
        if history.is_file():
            with suppress(OSError):
                readline.read_history_file(history)

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            print(file=sys.stdout)
            return None

    def save() -> None:
        if readline is not None:
            with suppress(OSError):
                readline.write_history_file(history)

    return read, save


class Session:
    """The prompt's connection: reopened when a run has published a new copy since the last statement."""

    def __init__(self, path: Path, stderr: IO[str]) -> None:
        self.path, self.stderr = path, stderr
        try:
            self.inode: int | None = path.stat().st_ino  # before opening: at worst one needless reopen later
        except FileNotFoundError:
            self.inode = None
        self.con = open_published(path)

    def current(self) -> duckdb.DuckDBPyConnection:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            return self.con
        if inode != self.inode:
            self.con.close()
            self.con, self.inode = open_published(self.path), inode
            print("(a new copy was published: now reading it)", file=self.stderr)
        return self.con

    def close(self) -> None:
        self.con.close()


def interactive(
    where: Home,
    fmt: str,
    *,
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    """The prompt loop. Errors are printed and the loop goes on.

    At a terminal it exits 0; fed a script on stdin, with the worst code seen (0, 1 or 2), as a script runner should.
    """
    session = Session(where.published, stderr)
    tty = stdin.isatty()
    save = None
    if tty:
        read, save = _terminal_reader(where.root / HISTORY_FILE)
        print(f"papertrends sql on {where.published} (read-only). .help for help, .quit to leave.", file=stdout)
    else:
        read = _stdin_reader(stdin)
    worst = 0
    prompt = Prompt(read)
    try:
        while True:
            try:
                for text in prompt.statements():
                    command = text.lower().rstrip(";")
                    if command in {".quit", ".exit", "\\q"}:
                        break
                    if command == ".help":
                        print(HELP, file=stdout)
                        continue
                    if text.startswith((".", "\\")) and command != ".tables":
                        print(f"error: unknown command {text.split()[0]}: .help lists the commands", file=stderr)
                        worst = max(worst, 2)
                        continue
                    try:
                        emit(session.current(), TABLES_SQL if command == ".tables" else text, fmt, None, stdout)
                    except ConsoleError as exc:
                        print(f"error: {exc}", file=stderr)
                        worst = max(worst, exc.exit_code)
                    stdout.flush()
                return 0 if tty else worst
            except KeyboardInterrupt:
                prompt.buffer = []
                print("^C (Ctrl-D or .quit to leave)", file=stderr)
                if not tty:
                    return max(worst, 1)
    finally:
        session.close()
        if save:
            save()


# ---------------------------------------------------------------- entry point


def main(
    sql: str | None,
    fmt: str = "table",
    out: Path | None = None,
    *,
    where: Home | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """``papertrends sql``: returns the exit code (0 ok, 1 query failed, 2 refused or usage error)."""
    where = where or current_home()
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    fmt = (fmt or "table").lower()
    try:
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
        if sql is None:
            if out is not None:
                raise UsageError('--out needs a query: papertrends sql "SELECT …" --format csv --out FILE')
            if fmt == "parquet":
                raise UsageError("--format parquet needs a query and --out FILE")
        elif fmt == "parquet" and out is None:
            raise UsageError("--format parquet needs --out FILE")
        elif fmt == "table" and out is not None:
            raise UsageError("--format table prints to the terminal: use --format csv, json or parquet with --out")
        target = check_out(out, where) if out is not None else None
        if sql is None:
            return interactive(where, fmt, stdin=stdin, stdout=stdout, stderr=stderr)
        con = open_published(where.published)
    except ConsoleError as exc:
        print(f"error: {exc}", file=stderr)
        return exc.exit_code
    try:
        rows, written = emit(con, sql, fmt, target, stdout)
    except ConsoleError as exc:
        print(f"error: {exc}", file=stderr)
        return exc.exit_code
    finally:
        con.close()
    if written is not None:
        print(f"wrote {rows} row{'' if rows == 1 else 's'} to {written}", file=stderr)
    return 0
