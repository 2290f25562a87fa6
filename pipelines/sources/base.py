"""The one small interface every source implements."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class RecordRejected(ValueError):
    """A record the marts cannot use; the message is its quarantine reason."""


def date_in_name(path: Path) -> dt.date | None:
    """The first YYYY-MM-DD in a file name that is a real date, else None."""
    match = _DATE_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:  # "2025-13-45": not a date, so no listing date from the name
        return None


class FileParseError(ValueError):
    """A whole file cannot be read. Names the file and the line, never guesses."""

    def __init__(self, path: str | Path, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # rebuilt from its parts when it crosses from a worker process
        return (type(self), (self.path, self.line, self.reason))


@dataclass(frozen=True)
class Quarantined:
    """A record that cannot be used, kept with its reason and its raw text."""

    position: int
    reason: str
    raw_text: str
    line_number: int | None = None


@dataclass
class ParsedFile:
    """What a source makes of one file."""

    listing_date: dt.date
    file_shape: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return len(self.rows) + len(self.quarantined)


class Source(Protocol):
    """A source knows its files, checks one and turns one into raw rows.

    ``name`` is the landing folder and ``raw_table`` the table in schema raw.
    ``partitioned`` sources are ingested per listing day (the Dagster daily
    partitions); the others are re-read whole on every run. ``suffixes`` name the
    source's files when their content is too broken to sniff, so that its parser,
    not a generic message, says what is wrong. ``raw_schema`` is the
    DuckDB column list of that table (without the bookkeeping columns that
    :mod:`pipelines.warehouse` adds), which is the contract with dbt staging.

    ``check`` is what landing runs on every input file before any lands: it raises the
    FileParseError that ``parse`` would raise, or returns the listing date ``parse`` would
    give, without making rows (tests hold the two to the same answer on every bad input).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    partitioned: ClassVar[bool]
    raw_table: ClassVar[str]
    date_column: ClassVar[str]
    raw_schema: ClassVar[dict[str, str]]

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def check(self, path: Path, data: bytes) -> dt.date: ...

    def parse(self, path: Path, data: bytes, listing_date: dt.date | None) -> ParsedFile: ...

    def listing_date_from_name(self, path: Path) -> dt.date | None: ...


def decode_utf8(path: str | Path, data: bytes) -> str:
    """Strict UTF-8 with a BOM tolerated; errors name the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileParseError(path, line, f"invalid UTF-8 at byte {exc.start}") from exc
