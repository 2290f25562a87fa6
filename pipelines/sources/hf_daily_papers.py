"""Hugging Face Daily Papers: files of the ``api/daily_papers`` endpoint.

Every quirk of the real feed is handled here (see shared/data SOURCE.md):
arrays of objects, arrays holding Python ``repr`` strings, ``{"status", "data"}``
wrappers, ``no_data`` objects and files that hold only ``1``. Keys the parser
does not know are listed in ``unknown_keys``, and such a record is kept whole in ``record_json``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

from pipelines.sources.base import FileParseError, ParsedFile, Quarantined, RecordRejected, date_in_name
from pipelines.sources.fast_json import decode_document, decode_literal, unknown_record_json
from pipelines.sources.text_keys import is_arxiv_id, title_key

KNOWN_TOP_KEYS = frozenset(
    {
        "paper", "title", "publishedAt", "numComments", "mediaUrl", "thumbnail",
        "mediaUrls", "submittedBy", "isAuthorParticipating", "summary", "organization",
    }
)  # fmt: skip
KNOWN_PAPER_KEYS = frozenset(
    {
        "id", "authors", "publishedAt", "title", "summary", "upvotes", "discussionId",
        "githubRepo", "projectPage", "ai_keywords", "submittedOnDailyAt",
        "submittedOnDailyBy", "mediaUrls", "ai_summary", "githubStars", "organization",
    }
)  # fmt: skip
# Hard limits on what can be stored at all; the GX suites hold the tighter,
# reviewable data-quality bounds (a 1,500-character title lands, then blocks publishing).
MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 100_000
# A paper cannot be published or listed after the day it is listed on; one day of
# slack absorbs the feed's EDT/EST-labelled-as-UTC shift.
FUTURE_SLACK = dt.timedelta(days=1)
# Counts are stored as BIGINT.
MAX_COUNT = 2**63 - 1
EMPTY_FILE = "empty file: expected a JSON array, a status object or the marker 1"


def _count(value: Any, field: str, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise RecordRejected(f"missing {field}")
        return None
    # bool is an int subclass in Python; a true/false vote count is a type error.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordRejected(f"{field} is {type(value).__name__} {value!r:.40}, expected a non-negative integer")
    if value < 0:
        raise RecordRejected(f"{field} is negative ({value})")
    if value > MAX_COUNT:
        raise RecordRejected(f"{field} is {value:.3g}, over the 64-bit limit")
    return value


def _text(value: Any, field: str, max_chars: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{field} is {type(value).__name__}, expected a string")
    if max_chars is not None and len(value) > max_chars:
        raise RecordRejected(f"{field} is {len(value):,} characters, over the {max_chars:,} limit")
    return value


def _timestamp(value: Any, field: str, listing_date: dt.date | None) -> str | None:
    """ISO-8601 text, kept as text for staging to cast; rejected when unreadable or after the listing day."""
    text = _text(value, field)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordRejected(f"{field} {text!r:.40} is not an ISO-8601 time") from exc
    if listing_date is not None and moment.date() > listing_date + FUTURE_SLACK:
        raise RecordRejected(f"{field} {text} is after the listing date {listing_date}")
    return text


def _username(record: dict[str, Any], paper: dict[str, Any]) -> tuple[str | None, str | None]:
    # Two user-object shapes hold the same username: submittedBy.name and
    # paper.submittedOnDailyBy.user.
    for user, key in ((record.get("submittedBy"), "name"), (paper.get("submittedOnDailyBy"), "user")):
        if isinstance(user, dict) and isinstance(user.get(key), str):
            fullname = user.get("fullname")
            return user[key], fullname if isinstance(fullname, str) else None
    return None, None


def _organization(record: dict[str, Any], paper: dict[str, Any]) -> str | None:
    # The live API's optional organization object (top level or on the paper); its name is
    # the org's HF handle. Any other shape carries no name and gives None.
    for org in (record.get("organization"), paper.get("organization")):
        if isinstance(org, dict) and isinstance(org.get("name"), str) and org["name"].strip():
            return org["name"].strip()
    return None


def _authors(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordRejected(f"paper.authors is {type(value).__name__}, expected a list")
    authors = []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else None
        if not isinstance(name, str):
            raise RecordRejected(f"paper.authors holds an entry without a name: {author!r:.80}")
        user = author.get("user")
        username = user.get("user") if isinstance(user, dict) else None
        authors.append(
            {
                "name": name,
                "hidden": bool(author.get("hidden", False)),
                "username": username if isinstance(username, str) else None,
            }
        )
    return authors


def _keywords(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise RecordRejected("paper.ai_keywords is not a list of strings")
    return value


def flatten_record(record: Any, listing_date: dt.date | None = None, *, by_orjson: bool = False) -> dict[str, Any]:
    """One API item to one raw row, or RecordRejected with the reason.

    ``by_orjson``: the record was decoded by orjson, so it holds no NaN or lone surrogate.
    """
    if not isinstance(record, dict):
        raise RecordRejected(f"record is a {type(record).__name__}, expected an object")
    paper = record.get("paper")
    if not isinstance(paper, dict):
        raise RecordRejected("missing paper object" if paper is None else "paper is not an object")
    arxiv_id = paper.get("id")
    if arxiv_id is None or arxiv_id == "":
        raise RecordRejected("missing paper.id (arXiv id)")
    if not isinstance(arxiv_id, str) or not is_arxiv_id(arxiv_id):
        raise RecordRejected(f"paper.id {arxiv_id!r:.60} is not an arXiv id")
    title = _text(record.get("title"), "title", MAX_TITLE_CHARS) or _text(
        paper.get("title"), "paper.title", MAX_TITLE_CHARS
    )
    if not title or not title.strip():
        raise RecordRejected("missing title")
    submitted_by, submitted_by_fullname = _username(record, paper)
    if record.keys() <= KNOWN_TOP_KEYS and paper.keys() <= KNOWN_PAPER_KEYS:
        unknown = []  # the common case, decided by two set comparisons
    else:
        unknown = sorted(
            [k for k in record if k not in KNOWN_TOP_KEYS] + [f"paper.{k}" for k in paper if k not in KNOWN_PAPER_KEYS]
        )
    return {
        "arxiv_id": arxiv_id,
        "title": title,
        "paper_title": _text(paper.get("title"), "paper.title", MAX_TITLE_CHARS),
        "summary": _text(paper.get("summary"), "paper.summary", MAX_ABSTRACT_CHARS)
        or _text(record.get("summary"), "summary", MAX_ABSTRACT_CHARS),
        "authors": _authors(paper.get("authors")),
        "paper_published_at": _timestamp(paper.get("publishedAt"), "paper.publishedAt", listing_date),
        "listing_published_at": _timestamp(record.get("publishedAt"), "publishedAt", listing_date),
        "submitted_on_daily_at": _timestamp(paper.get("submittedOnDailyAt"), "paper.submittedOnDailyAt", listing_date),
        "upvotes": _count(paper.get("upvotes"), "paper.upvotes", required=True),
        "num_comments": _count(record.get("numComments"), "numComments", required=False),
        "submitted_by": submitted_by,
        "submitted_by_fullname": submitted_by_fullname,
        "organization": _organization(record, paper),
        "github_repo": _text(paper.get("githubRepo"), "paper.githubRepo"),
        "github_stars": _count(paper.get("githubStars"), "paper.githubStars", required=False),
        "project_page": _text(paper.get("projectPage"), "paper.projectPage"),
        "ai_keywords": _keywords(paper.get("ai_keywords")),
        "ai_summary": _text(paper.get("ai_summary"), "paper.ai_summary"),
        "discussion_id": _text(paper.get("discussionId"), "paper.discussionId"),
        "unknown_keys": unknown,
        "record_json": unknown_record_json(record, unknown, by_orjson=by_orjson),
        "title_key": title_key(title),
    }


def _decode_item(item: Any, by_orjson: bool) -> tuple[Any, str, bool]:
    """Objects pass; Python-repr strings are read as literals (literal_eval's semantics), never eval.

    Also says whether orjson decoded the record (``by_orjson``: it decoded the file).
    """
    if isinstance(item, str):
        try:
            return *decode_literal(item), "python_repr"
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise RecordRejected(f"string item is not a Python literal: {type(exc).__name__}") from exc
    return item, by_orjson, "object"


def _storable(text: str) -> str:
    """Quarantined raw text as stored: a lone surrogate (from a "\\ud800" escape) is kept as its escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class HfDailyPapers:
    name: ClassVar[str] = "hf_daily_papers"
    description: ClassVar[str] = "Hugging Face api/daily_papers records, one row per record per file version."
    suffixes: ClassVar[tuple[str, ...]] = (".json",)
    partitioned: ClassVar[bool] = True
    raw_table: ClassVar[str] = "hf_daily_papers"
    date_column: ClassVar[str] = "listing_date"
    raw_schema: ClassVar[dict[str, str]] = {
        "record_format": "VARCHAR",
        "arxiv_id": "VARCHAR",
        "title": "VARCHAR",
        "paper_title": "VARCHAR",
        "summary": "VARCHAR",
        "authors": "STRUCT(name VARCHAR, hidden BOOLEAN, username VARCHAR)[]",
        "paper_published_at": "VARCHAR",
        "listing_published_at": "VARCHAR",
        "submitted_on_daily_at": "VARCHAR",
        "upvotes": "BIGINT",
        "num_comments": "BIGINT",
        "submitted_by": "VARCHAR",
        "submitted_by_fullname": "VARCHAR",
        "organization": "VARCHAR",
        "github_repo": "VARCHAR",
        "github_stars": "BIGINT",
        "project_page": "VARCHAR",
        "ai_keywords": "VARCHAR[]",
        "ai_summary": "VARCHAR",
        "discussion_id": "VARCHAR",
        "unknown_keys": "VARCHAR[]",
        "record_json": "VARCHAR",
        "title_key": "VARCHAR",
    }

    def sniff(self, path: Path, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return (path.suffix.lower() == ".json" and start in (b"[", b"{", b'"')) or (
            start.isdigit() and len(head.strip()) <= 4
        )

    def listing_date_from_name(self, path: Path) -> dt.date | None:
        return date_in_name(path)

    def check(self, path: Path, data: bytes) -> dt.date:
        """The whole-file part of :meth:`parse`: the JSON, its shape and the listing date; no records."""
        return self._document(path, data, None)[0]

    def parse(self, path: Path, data: bytes, listing_date: dt.date | None) -> ParsedFile:
        listing_date, shape, items, by_orjson = self._document(path, data, listing_date)
        parsed = ParsedFile(listing_date=listing_date, file_shape=shape)
        first_position: dict[str, int] = {}
        for position, item in enumerate(items):
            try:
                record, record_by_orjson, record_format = _decode_item(item, by_orjson)
                row = flatten_record(record, listing_date, by_orjson=record_by_orjson)
                # A day's list holds each paper once; a repeat is set aside, never merged.
                first = first_position.setdefault(row["arxiv_id"], position)
                if first != position:
                    raise RecordRejected(
                        f"duplicate paper.id {row['arxiv_id']} in this file (first at position {first})"
                    )
            except RecordRejected as exc:
                raw = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
                parsed.quarantined.append(Quarantined(position=position, reason=str(exc), raw_text=_storable(raw)))
                continue
            row["position"] = position
            row["record_format"] = record_format
            parsed.rows.append(row)
        return parsed

    def _document(self, path: Path, data: bytes, listing_date: dt.date | None) -> tuple[dt.date, str, list[Any], bool]:
        document, by_orjson = decode_document(path, data, EMPTY_FILE)
        shape, items = self._items(path, document)
        if listing_date is None and isinstance(document, dict) and isinstance(document.get("date"), str):
            try:
                listing_date = dt.date.fromisoformat(document["date"])
            except ValueError as exc:
                raise FileParseError(path, 1, f"the wrapper's date {document['date']!r:.40} is not a date") from exc
        listing_date = listing_date or self.listing_date_from_name(path)
        if listing_date is None:
            raise FileParseError(path, None, "cannot tell the listing date: name the file YYYY-MM-DD.json")
        return listing_date, shape, items, by_orjson

    @staticmethod
    def _items(path: Path, document: Any) -> tuple[str, list[Any]]:
        if isinstance(document, list):
            return "array", document
        if isinstance(document, dict):
            if document.get("status") == "no_data":
                return "no_data", []
            if isinstance(document.get("data"), list):
                return "wrapper", document["data"]
            raise FileParseError(path, 1, f"JSON object without a data list (keys: {sorted(document)[:8]})")
        # The upstream fetcher wrote the bare literal 1 on days with no list.
        if isinstance(document, int) and not isinstance(document, bool):
            return "marker", []
        raise FileParseError(path, 1, f"top-level JSON {type(document).__name__} is not a daily-papers answer")
