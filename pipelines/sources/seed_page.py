"""Scraped Daily Papers listing pages (browser text copy): title, abstract,
"• N authors", "·", "Mon D, YYYY[ upvotes]". No ids: papers are keyed by title."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, ClassVar

from pipelines.sources.base import FileParseError, ParsedFile, Quarantined, decode_utf8
from pipelines.sources.text_keys import title_key

_AUTHORS = re.compile(r"^\s*•\s*(\d+)\s+authors?\s*$")
_PAPER_DATE = re.compile(r"^([A-Z][a-z]{2} \d{1,2}, \d{4})(?: (\d+))?$")
_PAGE_DATE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2})$")
_HEADER_MARK = "Daily Papers"


def _paragraphs(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated paragraphs with the 1-based line number of their first line."""
    paragraphs: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            paragraphs.append((start, current))
            current = []
    if current:
        paragraphs.append((start, current))
    return paragraphs


def resolve_page_date(month_day: str, newest_paper: dt.date | None) -> dt.date | None:
    """The page shows "Feb 26" without a year: take the first such date on or after the newest paper."""
    if newest_paper is None:
        return None
    for year in (newest_paper.year, newest_paper.year + 1):
        try:
            candidate = dt.datetime.strptime(f"{month_day} {year}", "%b %d %Y").date()
        except ValueError:  # "Feb 29" outside a leap year, "Feb 30"
            continue
        if candidate >= newest_paper:
            return candidate
    return None


class SeedPage:
    name: ClassVar[str] = "seed_page"
    description: ClassVar[str] = "Papers of scraped Daily Papers listing pages (no ids), one row per paper block."
    suffixes: ClassVar[tuple[str, ...]] = (".txt",)
    partitioned: ClassVar[bool] = False
    raw_table: ClassVar[str] = "seed_page_papers"
    date_column: ClassVar[str] = "page_date"
    raw_schema: ClassVar[dict[str, str]] = {
        "line_number": "INTEGER",
        "title": "VARCHAR",
        "summary": "VARCHAR",
        "author_count": "BIGINT",
        "paper_date_text": "VARCHAR",
        "upvotes": "BIGINT",
        "title_key": "VARCHAR",
    }

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace")
        return _HEADER_MARK in text and "•" in text and " authors" in text

    def listing_date_from_name(self, path: Path) -> dt.date | None:
        return None

    def check(self, path: Path, data: bytes) -> dt.date:
        # The page date can come from its newest paper, so the check is the parse (pages are small).
        return self.parse(path, data, None).listing_date

    def parse(self, path: Path, data: bytes, listing_date: dt.date | None) -> ParsedFile:
        text = decode_utf8(path, data)
        paragraphs = _paragraphs(text)
        metas = [i for i, (_, lines) in enumerate(paragraphs) if _AUTHORS.match(lines[0])]
        if not metas:
            raise FileParseError(path, 1, 'no paper blocks found (no "• N authors" line)')

        header = paragraphs[: max(metas[0] - 2, 0)]
        rows: list[dict[str, Any]] = []
        quarantined: list[Quarantined] = []
        previous = metas[0] - 2
        for position, meta_index in enumerate(metas):
            block = paragraphs[max(previous, 0) : meta_index + 1]
            previous = meta_index + 1
            try:
                rows.append({"position": position, **self._block(block)})
            except ValueError as exc:
                raw = "\n\n".join("\n".join(lines) for _, lines in block)
                quarantined.append(Quarantined(position, str(exc), raw, line_number=block[0][0]))

        if listing_date is None:
            newest = max((dt.datetime.strptime(r["paper_date_text"], "%b %d, %Y").date() for r in rows), default=None)
            page_dates = [p[1][0] for p in header if _PAGE_DATE.match(p[1][0])]
            listing_date = resolve_page_date(page_dates[-1], newest) if page_dates else newest
        if listing_date is None:
            raise FileParseError(path, 1, "cannot tell the page date: no header date and no dated paper")
        return ParsedFile(listing_date=listing_date, file_shape="page", rows=rows, quarantined=quarantined)

    @staticmethod
    def _block(block: list[tuple[int, list[str]]]) -> dict[str, Any]:
        *texts, (_, meta) = block
        if len(texts) != 2 or len(texts[0][1]) != 1:
            raise ValueError(
                f"expected a one-line title and an abstract before the authors line, got {len(texts)} paragraphs"
            )
        (title_line, title_lines), (_, abstract_lines) = texts
        if len(meta) != 3 or meta[1].strip() != "·":
            raise ValueError("authors line is not followed by '·' and a date line")
        date_match = _PAPER_DATE.match(meta[2].strip())
        if not date_match:
            raise ValueError(f"unreadable date line {meta[2].strip()!r}")
        try:
            dt.datetime.strptime(date_match.group(1), "%b %d, %Y")
        except ValueError as exc:  # "Feb 30, 2024" matches the pattern but is no date
            raise ValueError(f"unreadable date {date_match.group(1)!r}: {exc}") from exc
        title = title_lines[0].strip()
        return {
            "line_number": title_line,
            "title": title,
            "summary": " ".join(line.strip() for line in abstract_lines),
            "author_count": int(_AUTHORS.match(meta[0]).group(1)),
            "paper_date_text": date_match.group(1),
            "upvotes": int(date_match.group(2)) if date_match.group(2) else None,
            "title_key": title_key(title),
        }
