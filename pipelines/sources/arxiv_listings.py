"""arXiv daily listings: one JSON-Lines file per crawl day, one arXiv metadata record per line.

Quirks of the real feed (see shared/data arxiv-daily-listings SOURCE.md) and how they are met:
a cross-listed paper repeats inside a file and weekend files repeat Friday -- every line is kept
in raw, dbt collapses them; ``comment`` is a string or null; key order changes between crawler
versions, so records are read by key, never by position; there is no date in a record, the
listing date is the file name. A broken line is quarantined with its line number, the rest of the
file still parses. Keys the parser does not know are listed in ``unknown_keys``, and such a record is
kept whole in ``record_json``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

from pipelines.sources.base import FileParseError, ParsedFile, Quarantined, RecordRejected, date_in_name, decode_utf8
from pipelines.sources.fast_json import line_loader, unknown_record_json
from pipelines.sources.text_keys import is_arxiv_id, title_key

KNOWN_KEYS = frozenset({"id", "pdf", "abs", "authors", "title", "categories", "comment", "summary"})
# A listing record names its id and at least one of these; HF records nest the id under "paper".
_SNIFF_KEYS = ("categories", "abs", "pdf")
_SNIFF_LINES = 5
_SNIFF_MAX_BYTES = 1 << 20


def _text(record: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = record.get(key)
    if value is None:
        if required:
            raise RecordRejected(f"missing {key}")
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{key} is {type(value).__name__}, expected a string")
    if required and not value.strip():
        raise RecordRejected(f"missing {key}")
    return value


def _strings(record: dict[str, Any], key: str, *, required: bool) -> list[str]:
    value = record.get(key)
    if value is None:
        if required:
            raise RecordRejected(f"missing {key}")
        return []
    if not isinstance(value, list):
        raise RecordRejected(f"{key} is {type(value).__name__}, expected a list of strings")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise RecordRejected(f"{key} holds {item!r:.60}, expected non-empty strings")
    if required and not value:
        raise RecordRejected(f"{key} is empty")
    return value


def flatten_record(record: Any, *, by_orjson: bool = False) -> dict[str, Any]:
    """One listing record to one raw row, or RecordRejected with the reason.

    ``by_orjson``: the line was decoded by orjson, so it holds no NaN or lone surrogate.
    """
    if not isinstance(record, dict):
        raise RecordRejected(f"line is a JSON {type(record).__name__}, expected an object")
    arxiv_id = record.get("id")
    if arxiv_id is None or arxiv_id == "":
        raise RecordRejected("missing id (arXiv id)")
    if not isinstance(arxiv_id, str) or not is_arxiv_id(arxiv_id):
        raise RecordRejected(f"id {arxiv_id!r:.60} is not an arXiv id")
    title = _text(record, "title", required=True)
    # arXiv lists every paper under at least one category; the first is the primary one.
    categories = [c.strip() for c in _strings(record, "categories", required=True)]
    unknown = sorted(k for k in record if k not in KNOWN_KEYS)
    return {
        "arxiv_id": arxiv_id,
        "title": title,
        "summary": _text(record, "summary"),
        "authors": _strings(record, "authors", required=False),
        "categories": categories,
        "primary_category": categories[0],
        "comment": _text(record, "comment"),
        "pdf_url": _text(record, "pdf"),
        "abs_url": _text(record, "abs"),
        "unknown_keys": unknown,
        "record_json": unknown_record_json(record, unknown, by_orjson=by_orjson),
        "title_key": title_key(title),
    }


def _lines(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines() would also split at U+2028 or U+0085 inside a string value.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it does not start another
    return [line.removesuffix("\r") for line in lines]


class ArxivListings:
    name: ClassVar[str] = "arxiv_listings"
    description: ClassVar[str] = (
        "arXiv daily new-submission listings (JSON Lines), one row per line of every crawl file "
        "(cross-list and weekend repeats included; dbt collapses them)."
    )
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl",)
    partitioned: ClassVar[bool] = True
    raw_table: ClassVar[str] = "arxiv_listings"
    date_column: ClassVar[str] = "listing_date"
    raw_schema: ClassVar[dict[str, str]] = {
        "line_number": "INTEGER",
        "arxiv_id": "VARCHAR",
        "title": "VARCHAR",
        "summary": "VARCHAR",
        "authors": "VARCHAR[]",
        "categories": "VARCHAR[]",
        "primary_category": "VARCHAR",
        "comment": "VARCHAR",
        "pdf_url": "VARCHAR",
        "abs_url": "VARCHAR",
        "unknown_keys": "VARCHAR[]",
        "record_json": "VARCHAR",
        "title_key": "VARCHAR",
    }

    def sniff(self, path: Path, head: bytes) -> bool:
        """A .jsonl file whose first parseable line (of the first few) is an object with an id and categories.

        The first line of a real file can be longer than the sniffed head (274 authors and an
        abstract), so the first lines are read from the file itself.
        """
        if path.suffix.lower() != ".jsonl" or not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        try:
            with path.open("rb") as handle:
                start = handle.read(_SNIFF_MAX_BYTES)
        except OSError:
            return False
        start = start.removeprefix(b"\xef\xbb\xbf")
        for raw in [line for line in start.split(b"\n") if line.strip()][:_SNIFF_LINES]:
            try:
                record = json.loads(raw)
            except ValueError:  # a broken or cut line: look at the next one
                continue
            return isinstance(record, dict) and "id" in record and any(k in record for k in _SNIFF_KEYS)
        return False

    def listing_date_from_name(self, path: Path) -> dt.date | None:
        return date_in_name(path)

    def check(self, path: Path, data: bytes) -> dt.date:
        """Text and a listing date; a broken line is a quarantined record, not a bad file."""
        return self._text(path, data, None)[0]

    def parse(self, path: Path, data: bytes, listing_date: dt.date | None) -> ParsedFile:
        listing_date, text = self._text(path, data, listing_date)
        loads = line_loader(data)
        parsed = ParsedFile(listing_date=listing_date, file_shape="jsonl")
        for position, line in enumerate(_lines(text)):
            if not line.strip():
                continue  # a blank line holds no record
            line_number = position + 1
            try:
                try:
                    record, by_orjson = loads(line)
                except json.JSONDecodeError as exc:
                    raise RecordRejected(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
                row = flatten_record(record, by_orjson=by_orjson)
            except RecordRejected as exc:
                parsed.quarantined.append(
                    Quarantined(position=position, reason=str(exc), raw_text=line, line_number=line_number)
                )
                continue
            parsed.rows.append({"position": position, "line_number": line_number, **row})
        return parsed

    def _text(self, path: Path, data: bytes, listing_date: dt.date | None) -> tuple[dt.date, str]:
        text = decode_utf8(path, data)  # invalid UTF-8: FileParseError naming the line
        if not text.strip():
            raise FileParseError(path, 1, "empty file: expected one JSON object per line")
        listing_date = listing_date or self.listing_date_from_name(path)
        if listing_date is None:
            raise FileParseError(path, None, "cannot tell the listing date: name the file YYYY-MM-DD.jsonl")
        return listing_date, text
