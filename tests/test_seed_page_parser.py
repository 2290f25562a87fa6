"""Seed page parser on the real listing page bundled in data/sample/seed_page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.settings import SAMPLE_DIR
from pipelines.sources import SOURCES, FileParseError, Quarantined, detect
from pipelines.sources.seed_page import SeedPage, resolve_page_date

PAGE = SAMPLE_DIR / "seed_page" / "000_d08c345bab2960d3.txt"
FIRST_TITLE = (
    "Modeling the Human Visual System: Comparative Insights from Response-Optimized and Task-Optimized "
    "Vision Models, Language Models, and different Readout Mechanisms"
)

source = SeedPage()


def parse_text(path: Path, text: str, listing_date: dt.date | None = None):
    return source.parse(path, text.encode("utf-8"), listing_date)


@pytest.fixture(scope="module")
def page_lines() -> list[str]:
    return PAGE.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def parsed():
    return source.parse(PAGE, PAGE.read_bytes(), None)


def test_registered_and_detected() -> None:
    assert isinstance(SOURCES["seed_page"], SeedPage)
    assert detect(PAGE).name == "seed_page"
    assert source.listing_date_from_name(PAGE) is None


def test_real_page_rows(parsed) -> None:
    assert parsed.file_shape == "page"
    assert len(parsed.rows) == 30
    assert parsed.quarantined == []
    assert [r["position"] for r in parsed.rows] == list(range(30))
    # Every block is 8 lines apart: title, blank, abstract, blank, authors, ·, date, blank.
    assert [r["line_number"] for r in parsed.rows] == list(range(13, 13 + 8 * 30, 8))


def test_first_paper(parsed, page_lines) -> None:
    first = parsed.rows[0]
    assert first["line_number"] == 13
    assert page_lines[first["line_number"] - 1] == FIRST_TITLE
    assert first["title"] == FIRST_TITLE
    assert first["author_count"] == 3
    assert first["paper_date_text"] == "Oct 17, 2024"
    assert first["upvotes"] is None
    assert first["summary"].startswith("Over the past decade, predictive modeling of neural responses")
    assert first["summary"].endswith("building more precise models of the visual system.")
    assert first["title_key"] == (
        "modeling the human visual system comparative insights from response optimized and task optimized "
        "vision models language models and different readout mechanisms"
    )


def test_exactly_one_paper_has_upvotes(parsed) -> None:
    with_votes = [r for r in parsed.rows if r["upvotes"] is not None]
    assert len(with_votes) == 1
    row = with_votes[0]
    assert row["title"].startswith("Neural Circuit Diagrams")
    assert row["paper_date_text"] == "Feb 8, 2024"
    assert row["upvotes"] == 1
    assert row["author_count"] == 1
    assert row["position"] == 21
    assert row["line_number"] == 181


def test_last_paper_without_trailing_newline(parsed) -> None:
    assert not PAGE.read_bytes().endswith(b"\n")
    last = parsed.rows[-1]
    assert last["title"].startswith("A Deep Look into Neural Ranking Models")
    assert last["paper_date_text"] == "Mar 16, 2019"
    assert last["author_count"] == 9


def test_listing_date_from_header_and_newest_paper(parsed) -> None:
    # The header says "Feb 26" without a year; the newest paper is from Jul 11, 2025.
    dates = [dt.datetime.strptime(r["paper_date_text"], "%b %d, %Y").date() for r in parsed.rows]
    assert max(dates) == dt.date(2025, 7, 11)
    assert parsed.listing_date == dt.date(2026, 2, 26)


def test_explicit_listing_date_wins() -> None:
    parsed = source.parse(PAGE, PAGE.read_bytes(), dt.date(2026, 3, 1))
    assert parsed.listing_date == dt.date(2026, 3, 1)
    assert len(parsed.rows) == 30


def test_damaged_block_is_quarantined_with_its_line(page_lines) -> None:
    assert page_lines[17] == "·"  # line 18: the first paper's "·"
    damaged = "\n".join(page_lines[:17] + page_lines[18:])
    parsed = parse_text(PAGE, damaged)
    assert len(parsed.rows) == 29
    assert len(parsed.quarantined) == 1
    bad = parsed.quarantined[0]
    assert isinstance(bad, Quarantined)
    assert bad.position == 0
    assert bad.line_number == 13
    assert bad.reason == "authors line is not followed by '·' and a date line"
    assert bad.raw_text.startswith(FIRST_TITLE + "\n\n")
    assert bad.raw_text.endswith("  • 3 authors\nOct 17, 2024")
    # The other 29 are intact and keep their positions and lines; the page date is unchanged.
    assert parsed.rows[0]["position"] == 1
    assert parsed.rows[0]["title"].startswith("Neuroformer")
    assert parsed.rows[0]["line_number"] == 20
    assert parsed.listing_date == dt.date(2026, 2, 26)


def test_impossible_date_is_quarantined(page_lines) -> None:
    # Line 27 is the second paper's date "Oct 31, 2023".
    assert page_lines[26] == "Oct 31, 2023"
    lines = list(page_lines)
    lines[26] = "Feb 30, 2024"
    parsed = parse_text(PAGE, "\n".join(lines))
    assert len(parsed.rows) == 29
    assert [(q.position, q.line_number) for q in parsed.quarantined] == [(1, 21)]
    assert "day is out of range for month" in parsed.quarantined[0].reason


def test_unreadable_date_line_is_quarantined(page_lines) -> None:
    lines = list(page_lines)
    lines[26] = "yesterday"
    parsed = parse_text(PAGE, "\n".join(lines))
    assert [(q.position, q.line_number, q.reason) for q in parsed.quarantined] == [
        (1, 21, "unreadable date line 'yesterday'")
    ]


def test_two_line_title_is_quarantined(page_lines) -> None:
    lines = list(page_lines)
    lines[20:21] = ["Neuroformer:", "Multimodal and Multitask Generative Pretraining for Brain Data"]
    parsed = parse_text(PAGE, "\n".join(lines))
    assert len(parsed.rows) == 29
    assert [(q.position, q.line_number) for q in parsed.quarantined] == [(1, 21)]
    assert parsed.quarantined[0].reason.startswith("expected a one-line title and an abstract")


def test_page_without_header_date_uses_newest_paper(page_lines) -> None:
    assert page_lines[10] == "Feb 26"
    text = "\n".join(page_lines[:10] + page_lines[12:])
    parsed = parse_text(PAGE, text)
    assert len(parsed.rows) == 30
    assert parsed.listing_date == dt.date(2025, 7, 11)


def test_no_paper_blocks(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    with pytest.raises(FileParseError) as caught:
        parse_text(path, "new\n\nDaily Papers\n\nFeb 26\n")
    assert str(caught.value) == f'{path}:1: no paper blocks found (no "• N authors" line)'


def test_invalid_utf8_names_the_line(page_lines) -> None:
    data = "\n".join(page_lines).encode("utf-8").replace(b"Neuroformer", b"Neuroformer\xff", 1)
    with pytest.raises(FileParseError) as caught:
        source.parse(PAGE, data, None)
    assert caught.value.line == 21
    assert str(caught.value).startswith(f"{PAGE}:21: invalid UTF-8 at byte ")


def test_header_date_that_does_not_exist_is_a_file_error(tmp_path: Path, page_lines) -> None:
    lines = list(page_lines)
    lines[10] = "Feb 30"
    path = tmp_path / "page.txt"
    with pytest.raises(FileParseError) as caught:
        parse_text(path, "\n".join(lines))
    assert str(caught.value) == f"{path}:1: cannot tell the page date: no header date and no dated paper"


@pytest.mark.parametrize(
    ("month_day", "newest", "expected"),
    [
        ("Feb 26", dt.date(2025, 7, 11), dt.date(2026, 2, 26)),  # the real page
        ("Jul 11", dt.date(2025, 7, 11), dt.date(2025, 7, 11)),  # same day counts
        ("Jul 10", dt.date(2025, 7, 11), dt.date(2026, 7, 10)),  # one day before: next year
        ("Dec 31", dt.date(2025, 7, 11), dt.date(2025, 12, 31)),
        ("Jan 1", dt.date(2025, 12, 31), dt.date(2026, 1, 1)),
        ("Feb 29", dt.date(2023, 12, 20), dt.date(2024, 2, 29)),  # leap day, only valid next year
        ("Feb 29", dt.date(2024, 1, 5), dt.date(2024, 2, 29)),
        ("Feb 29", dt.date(2024, 3, 1), None),  # next Feb 29 is four years away
        ("Feb 30", dt.date(2025, 1, 1), None),
        ("Feb 26", None, None),
    ],
)
def test_resolve_page_date(month_day: str, newest: dt.date | None, expected: dt.date | None) -> None:
    assert resolve_page_date(month_day, newest) == expected
