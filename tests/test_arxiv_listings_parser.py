"""arXiv listings parser on the real files bundled in data/sample/arxiv-daily-listings, and lines cut from them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from pipelines.settings import SAMPLE_DIR
from pipelines.sources import SOURCES, FileParseError, Quarantined, detect
from pipelines.sources.arxiv_listings import ArxivListings

ARXIV = SAMPLE_DIR / "arxiv-daily-listings"
FILES = sorted(ARXIV.glob("*.jsonl"))
# lines and distinct ids per file, counted from the files (the lines agree with manifest.csv)
EXPECTED = {
    "2025-03-18.jsonl": (465, 328),
    "2025-03-19.jsonl": (172, 172),
    "2025-03-20.jsonl": (438, 211),
    "2025-03-21.jsonl": (211, 203),
    "2025-03-22.jsonl": (211, 203),
    "2025-03-23.jsonl": (211, 203),
    "2025-03-24.jsonl": (231, 223),
}

source = ArxivListings()


def parse(path: Path, listing_date: dt.date | None = None):
    return source.parse(path, path.read_bytes(), listing_date)


def real_lines(name: str) -> list[str]:
    return (ARXIV / name).read_text(encoding="utf-8").split("\n")[:-1]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def parse_error(path: Path) -> FileParseError:
    with pytest.raises(FileParseError) as caught:
        parse(path)
    return caught.value


# --- registration and detection -----------------------------------------------------------------


def test_registered_and_detected() -> None:
    assert isinstance(SOURCES["arxiv_listings"], ArxivListings)
    assert list(SOURCES) == ["hf_daily_papers", "arxiv_listings", "seed_page"]
    assert [detect(path).name for path in FILES] == ["arxiv_listings"] * 7
    assert source.raw_table == "arxiv_listings" and source.date_column == "listing_date" and source.partitioned
    assert source.listing_date_from_name(ARXIV / "2025-03-18.jsonl") == dt.date(2025, 3, 18)
    assert source.listing_date_from_name(Path("listing.jsonl")) is None


def test_existing_sources_are_still_detected() -> None:
    assert detect(SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-03-18.json").name == "hf_daily_papers"
    assert detect(SAMPLE_DIR / "seed_page" / "000_d08c345bab2960d3.txt").name == "seed_page"
    # An HF file is not a listing file, whatever its name.
    hf = SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-03-18.json"
    assert not source.sniff(hf, hf.read_bytes()[:4096])


def test_sniff_reads_past_a_long_first_line_and_a_broken_one(tmp_path: Path) -> None:
    lines = real_lines("2025-03-18.jsonl")
    longest = max(lines, key=len)
    # Key order of later upstream files: "categories" after "id"; pad the first line far past 4 KB.
    record = json.loads(longest)
    record = {"id": record["id"], "authors": record["authors"] * 40} | {
        k: v for k, v in record.items() if k not in ("id", "authors")
    }
    first = json.dumps(record, ensure_ascii=False)
    assert len(first.encode()) > 4096 and first.index('"categories"') > 4096
    path = write_lines(tmp_path / "2025-03-18.jsonl", [first, *lines[:3]])
    assert detect(path).name == "arxiv_listings"
    broken_first = write_lines(tmp_path / "2025-03-19.jsonl", ['{"id": "2503.1', *lines[:3]])
    assert detect(broken_first).name == "arxiv_listings"
    # Objects without an id and categories are not listings.
    other = write_lines(tmp_path / "2025-03-20.jsonl", ['{"name": "x", "value": 1}'])
    with pytest.raises(FileParseError, match="not a known source format"):
        detect(other)


# --- real files ---------------------------------------------------------------------------------


def test_manifest_matches_the_files() -> None:
    with (ARXIV / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle)}
    assert set(manifest) == set(EXPECTED) == {p.name for p in FILES}
    for name, (lines, _) in EXPECTED.items():
        assert int(manifest[name]["records"]) == lines
        assert int(manifest[name]["bytes"]) == (ARXIV / name).stat().st_size


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_record_counts_per_file(path: Path) -> None:
    parsed = parse(path)
    lines, distinct = EXPECTED[path.name]
    assert parsed.file_shape == "jsonl"
    assert parsed.listing_date == dt.date.fromisoformat(path.stem)
    assert parsed.quarantined == []
    assert parsed.records_read == len(parsed.rows) == lines
    assert len({r["arxiv_id"] for r in parsed.rows}) == distinct
    assert [r["position"] for r in parsed.rows] == list(range(lines))
    assert [r["line_number"] for r in parsed.rows] == list(range(1, lines + 1))
    assert all(r["categories"] and r["primary_category"] == r["categories"][0] for r in parsed.rows)
    assert all(r["authors"] for r in parsed.rows)
    assert all(r["unknown_keys"] == [] for r in parsed.rows)


def test_first_record_of_2025_03_18() -> None:
    first = parse(ARXIV / "2025-03-18.jsonl").rows[0]
    assert first["arxiv_id"] == "2503.11731"
    assert first["title"].startswith("Industrial-Grade Sensor Simulation via Gaussian Splatting")
    assert first["authors"][:3] == ["Xianming Zeng", "Sicong Du", "Qifeng Chen"]
    assert len(first["authors"]) == 16
    assert first["categories"] == ["cs.CV", "cs.RO"]
    assert first["primary_category"] == "cs.CV"
    assert first["comment"] is None
    assert first["summary"].startswith("Sensor simulation is pivotal for scalable validation of autonomous driving\n")
    assert first["pdf_url"] == "https://arxiv.org/pdf/2503.11731"
    assert first["abs_url"] == "https://arxiv.org/abs/2503.11731"
    assert first["title_key"].startswith("industrial grade sensor simulation via gaussian splatting")
    assert first["unknown_keys"] == [] and first["record_json"] is None  # the line stays in its landed file


def test_in_file_cross_list_duplicates_are_all_kept() -> None:
    parsed = parse(ARXIV / "2025-03-20.jsonl")
    counts = Counter(r["arxiv_id"] for r in parsed.rows)
    repeated = {arxiv_id for arxiv_id, n in counts.items() if n > 1}
    assert sum(counts.values()) - len(counts) == 438 - 211 == 227
    assert repeated
    # A repeat is byte-identical to the first occurrence: same row but for position and line.
    by_id: dict[str, list[dict]] = {}
    for row in parsed.rows:
        by_id.setdefault(row["arxiv_id"], []).append(row)
    for arxiv_id in repeated:
        first, *others = by_id[arxiv_id]
        for other in others:
            assert other["position"] > first["position"]
            assert {k: v for k, v in other.items() if k not in ("position", "line_number")} == {
                k: v for k, v in first.items() if k not in ("position", "line_number")
            }


def _line_contents(rows: list[dict]) -> list[str]:
    """Each row but for where it sits in its file, sorted: what two files say, whatever their order."""
    return sorted(repr({k: v for k, v in r.items() if k not in ("position", "line_number")}) for r in rows)


def test_weekend_files_repeat_friday() -> None:
    friday, saturday, sunday = (parse(ARXIV / f"2025-03-{day}.jsonl") for day in (21, 22, 23))
    assert (ARXIV / "2025-03-22.jsonl").read_bytes() == (ARXIV / "2025-03-23.jsonl").read_bytes()
    # Same lines as Friday, in another order.
    assert _line_contents(saturday.rows) == _line_contents(friday.rows) and len(friday.rows) > 100
    assert [r["arxiv_id"] for r in saturday.rows] != [r["arxiv_id"] for r in friday.rows]
    assert [r["arxiv_id"] for r in sunday.rows] == [r["arxiv_id"] for r in saturday.rows]


def test_null_and_string_comments_are_accepted() -> None:
    rows = [row for path in FILES for row in parse(path).rows]
    raw = [json.loads(line) for path in FILES for line in real_lines(path.name)]
    assert [r["comment"] for r in rows] == [r["comment"] for r in raw]
    nulls = sum(r["comment"] is None for r in rows)
    assert 0 < nulls < len(rows)
    assert all(isinstance(r["comment"], str) for r in rows if r["comment"] is not None)


def test_old_id_prefix_is_kept() -> None:
    ids = {r["arxiv_id"] for path in FILES for r in parse(path).rows}
    assert "2409.13661" in ids  # a replacement or late cross-list listed in March 2025


# --- key order, line ends -----------------------------------------------------------------------


def test_key_order_does_not_matter(tmp_path: Path) -> None:
    lines = real_lines("2025-03-19.jsonl")
    reordered = []
    for line in lines:
        record = json.loads(line)
        # Later upstream order: categories second; then everything else reversed.
        keys = ["id", "categories", *reversed([k for k in record if k not in ("id", "categories")])]
        reordered.append(json.dumps({k: record[k] for k in keys}, ensure_ascii=False))
    assert reordered[0] != lines[0]
    original = parse(ARXIV / "2025-03-19.jsonl").rows
    again = parse(write_lines(tmp_path / "2025-03-19.jsonl", reordered)).rows
    strip = lambda rows: [{k: v for k, v in r.items() if k != "record_json"} for r in rows]  # noqa: E731
    assert strip(again) == strip(original)


def test_crlf_blank_lines_and_line_separators_inside_strings(tmp_path: Path) -> None:
    lines = real_lines("2025-03-19.jsonl")[:3]
    record = json.loads(lines[1])
    record["title"] = "A title with\u2028a line separator"
    odd = json.dumps(record, ensure_ascii=False)  # U+2028 stays raw inside the string
    path = tmp_path / "2025-03-19.jsonl"
    path.write_bytes(f"{lines[0]}\r\n\r\n{odd}\r\n{lines[2]}".encode())  # no final newline
    parsed = parse(path)
    assert parsed.quarantined == []
    assert [(r["position"], r["line_number"]) for r in parsed.rows] == [(0, 1), (2, 3), (3, 4)]
    assert parsed.rows[1]["title"] == "A title with\u2028a line separator"


# --- broken lines are quarantined, the rest parses ----------------------------------------------


def test_broken_lines_are_quarantined_with_their_line_numbers(tmp_path: Path) -> None:
    lines = real_lines("2025-03-19.jsonl")
    assert len(lines) == 172
    broken = list(lines)

    def edit(index: int, **changes) -> None:
        record = json.loads(lines[index])
        for key, value in changes.items():
            if value is KeyError:
                record.pop(key)
            else:
                record[key] = value
        broken[index] = json.dumps(record, ensure_ascii=False)

    broken[4] = lines[4][: len(lines[4]) // 2]  # line 5: cut mid-record
    broken[9] = json.dumps([json.loads(lines[9])])  # line 10: an array, not an object
    edit(19, id=KeyError)  # line 20
    edit(29, id="https://arxiv.org/abs/2503.12345")  # line 30: a URL, not an id
    edit(39, id=2503.12345)  # line 40: a number
    edit(49, categories="cs.CV")  # line 50: wrong type
    edit(59, categories=[])  # line 60
    edit(69, authors="A. Author")  # line 70
    edit(79, title=None)  # line 80
    edit(89, comment=["not", "text"])  # line 90
    edit(99, id="2503.12345v2", comment=None)  # line 100: a version suffix is fine
    edit(109, id="hep-th/9901001", extra={"x": 1})  # line 110: old-style id, unknown key kept
    path = write_lines(tmp_path / "2025-03-19.jsonl", broken)

    parsed = parse(path)
    reasons = {q.line_number: q.reason for q in parsed.quarantined}
    assert sorted(reasons) == [5, 10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert reasons[5].startswith("invalid JSON: ")
    assert reasons[10] == "line is a JSON list, expected an object"
    assert reasons[20] == "missing id (arXiv id)"
    assert reasons[30] == "id 'https://arxiv.org/abs/2503.12345' is not an arXiv id"
    assert reasons[40] == "id 2503.12345 is not an arXiv id"
    assert reasons[50] == "categories is str, expected a list of strings"
    assert reasons[60] == "categories is empty"
    assert reasons[70] == "authors is str, expected a list of strings"
    assert reasons[80] == "missing title"
    assert reasons[90] == "comment is list, expected a string"
    assert all(q.position == q.line_number - 1 for q in parsed.quarantined)
    assert parsed.quarantined[0] == Quarantined(position=4, reason=reasons[5], raw_text=broken[4], line_number=5)

    assert len(parsed.rows) == 172 - 10 and parsed.records_read == 172
    by_line = {r["line_number"]: r for r in parsed.rows}
    assert by_line[100]["arxiv_id"] == "2503.12345v2" and by_line[100]["comment"] is None
    assert by_line[110]["arxiv_id"] == "hep-th/9901001" and by_line[110]["unknown_keys"] == ["extra"]
    assert json.loads(by_line[110]["record_json"])["extra"] == {"x": 1}
    # The lines around the broken ones are exactly what the intact file gives.
    intact = {r["line_number"]: r for r in parse(ARXIV / "2025-03-19.jsonl").rows}
    for number in (1, 4, 6, 9, 11, 172):
        assert by_line[number] == intact[number]


# --- whole-file problems ------------------------------------------------------------------------


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    for content in (b"", b"\n\n  \n"):
        path = tmp_path / "2025-03-18.jsonl"
        path.write_bytes(content)
        error = parse_error(path)
        assert (error.path, error.line) == (str(path), 1)
        assert str(error) == f"{path}:1: empty file: expected one JSON object per line"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    lines = [line.encode() for line in real_lines("2025-03-19.jsonl")[:5]]
    lines[2] = lines[2].replace(b'"title": "', b'"title": "\xff', 1)  # line 3
    path = tmp_path / "2025-03-19.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    error = parse_error(path)
    assert error.line == 3
    assert str(error).startswith(f"{path}:3: invalid UTF-8")


def test_listing_date_comes_from_the_name_or_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "listing.jsonl"
    path.write_bytes((ARXIV / "2025-03-19.jsonl").read_bytes())
    error = parse_error(path)
    assert error.line is None
    assert str(error) == f"{path}: cannot tell the listing date: name the file YYYY-MM-DD.jsonl"
    assert parse(path, dt.date(2025, 3, 19)).listing_date == dt.date(2025, 3, 19)
