"""The bad-input corpus: every case ends in a clear error naming the file and line, or in a
quarantined record with its reason while the good records of the same file are kept."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.landing import check_file
from pipelines.settings import SAMPLE_DIR
from pipelines.sources import FileParseError, detect

HF_DAY = SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-27.json"
ARXIV_DAY = SAMPLE_DIR / "arxiv-daily-listings" / "2025-03-18.jsonl"
SEED_PAGE = next((SAMPLE_DIR / "seed_page").glob("*.txt"))

GOOD_HF = json.loads(HF_DAY.read_text(encoding="utf-8"))[:2]
GOOD_ARXIV_LINES = ARXIV_DAY.read_text(encoding="utf-8").splitlines()[:2]


def hf_record(**changes) -> dict:
    """A real record with changes; keys like 'paper.upvotes' reach into the paper object, None deletes."""
    record = copy.deepcopy(GOOD_HF[0])
    record["paper"]["id"] = "2506.99999"
    for key, value in changes.items():
        target, leaf = (record["paper"], key.split(".", 1)[1]) if key.startswith("paper.") else (record, key)
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return record


def hf_file(bad: object) -> bytes:
    """Two good records with the bad item between them (position 1)."""
    return json.dumps([GOOD_HF[0], bad, GOOD_HF[1]], ensure_ascii=False, indent=2).encode()


def arxiv_file(bad_line: str) -> bytes:
    return "\n".join([GOOD_ARXIV_LINES[0], bad_line, GOOD_ARXIV_LINES[1]]).encode() + b"\n"


def seed_page(edit: Callable[[str], str]) -> bytes:
    return edit(SEED_PAGE.read_text(encoding="utf-8")).encode()


@dataclass(frozen=True)
class Quarantine:
    position: int
    reason: str  # substring of the quarantine reason
    good_rows: int
    line_number: int | None = None


@dataclass(frozen=True)
class FileError:
    line: int | None
    message: str  # substring of the error


CASES: dict[str, tuple[str, bytes, Quarantine | FileError]] = {
    # --- Hugging Face daily_papers files: whole-file errors
    "hf truncated JSON": ("2025-06-27.json", hf_file(hf_record())[:-40], FileError(None, "invalid JSON")),
    "hf empty file": ("2025-06-27.json", b"  \n\n", FileError(1, "empty file")),
    "hf zero-byte file": ("2025-06-27.json", b"", FileError(1, "empty file")),
    "hf binary garbage": ("2025-06-27.json", b"[\x89PNG\r\n\x1a\n\x00\xff\xfe", FileError(1, "invalid UTF-8")),
    "hf invalid UTF-8 on line 5": (
        "2025-06-27.json",
        b'[\n  {\n    "paper": {\n      "id": "2506.00001",\n      "title": "caf\xe9"\n    }\n  }\n]\n',
        FileError(5, "invalid UTF-8"),
    ),
    "hf top-level string": ("2025-06-27.json", b'"hello"', FileError(1, "is not a daily-papers answer")),
    "hf object without data": ("2025-06-27.json", b'{"status": "success"}', FileError(1, "without a data list")),
    "hf impossible date in the file name": (
        "2025-13-45.json",
        hf_file(hf_record()),
        FileError(None, "cannot tell the listing date"),
    ),
    "hf listing date in the future": ("2031-01-06.json", hf_file(hf_record()), FileError(None, "in the future")),
    "hf wrapper with an impossible date": (
        "wrapper.json",
        b'{"status": "success", "date": "2025-02-30", "data": []}',
        FileError(1, "the wrapper's date '2025-02-30' is not a date"),
    ),
    "hf nested too deeply": ("2025-06-27.json", b"[" * 50_000 + b"]" * 50_000, FileError(None, "nested too deeply")),
    # --- Hugging Face records: quarantined, the two good records kept
    "hf string upvotes": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.upvotes": "12"})),
        Quarantine(1, "paper.upvotes is str", 2),
    ),
    "hf negative upvotes": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.upvotes": -4})),
        Quarantine(1, "paper.upvotes is negative (-4)", 2),
    ),
    "hf boolean upvotes": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.upvotes": True})),
        Quarantine(1, "paper.upvotes is bool", 2),
    ),
    "hf string comments": (
        "2025-06-27.json",
        hf_file(hf_record(numComments="3")),
        Quarantine(1, "numComments is str", 2),
    ),
    # A 20-digit number: orjson would read a float, so the standard library reads this file.
    "hf upvotes beyond 64 bits": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.upvotes": 2**64})),
        Quarantine(1, "paper.upvotes is 1.84e+19, over the 64-bit limit", 2),
    ),
    "hf NaN upvotes": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.upvotes": float("nan")})),
        Quarantine(1, "paper.upvotes is float nan, expected a non-negative integer", 2),
    ),
    "hf lone surrogate in a title": (
        "2025-06-27.json",
        json.dumps([GOOD_HF[0], hf_record(title="broken \ud800 text"), GOOD_HF[1]]).encode(),
        Quarantine(1, "record holds a lone surrogate '\\ud800', not text", 2),
    ),
    "hf negative github stars": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.githubStars": -1})),
        Quarantine(1, "paper.githubStars is negative", 2),
    ),
    "hf numeric title": ("2025-06-27.json", hf_file(hf_record(title=42)), Quarantine(1, "title is int", 2)),
    "hf paper is a string": (
        "2025-06-27.json",
        hf_file(hf_record(paper="2506.00001")),
        Quarantine(1, "paper is not an object", 2),
    ),
    "hf missing id": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.id": None})),
        Quarantine(1, "missing paper.id", 2),
    ),
    "hf id of the wrong shape": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.id": "abc"})),
        Quarantine(1, "'abc' is not an arXiv id", 2),
    ),
    "hf id with too few digits": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.id": "2506.1234"})),
        Quarantine(1, "is not an arXiv id", 2),
    ),
    "hf arXiv date in the future": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.publishedAt": "2031-02-01T00:00:00.000Z"})),
        Quarantine(1, "is after the listing date 2025-06-27", 2),
    ),
    "hf unreadable timestamp": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.submittedOnDailyAt": "yesterday"})),
        Quarantine(1, "'yesterday' is not an ISO-8601 time", 2),
    ),
    "hf 10 MB abstract": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.summary": "x" * 10_000_000})),
        Quarantine(1, "paper.summary is 10,000,000 characters, over the 100,000 limit", 2),
    ),
    "hf same id twice, conflicting values": (
        "2025-06-27.json",
        json.dumps([GOOD_HF[0], {**GOOD_HF[0], "numComments": 99}, GOOD_HF[1]]).encode(),
        Quarantine(1, f"duplicate paper.id {GOOD_HF[0]['paper']['id']} in this file (first at position 0)", 2),
    ),
    "hf record nested one level too deep": (
        "2025-06-27.json",
        hf_file([hf_record()]),
        Quarantine(1, "record is a list", 2),
    ),
    "hf null record": ("2025-06-27.json", hf_file(None), Quarantine(1, "record is a NoneType", 2)),
    "hf repr string that is code": (
        "2025-06-27.json",
        hf_file("__import__('os').system('touch /tmp/pwned')"),
        Quarantine(1, "string item is not a Python literal", 2),
    ),
    "hf authors not a list": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.authors": "A. Author"})),
        Quarantine(1, "paper.authors is str", 2),
    ),
    "hf keywords not strings": (
        "2025-06-27.json",
        hf_file(hf_record(**{"paper.ai_keywords": ["ok", 3]})),
        Quarantine(1, "ai_keywords is not a list of strings", 2),
    ),
    # --- arXiv listings (JSON Lines)
    "arxiv broken line": (
        "2025-03-18.jsonl",
        arxiv_file('{"id": "2503.11731", "title": '),
        Quarantine(1, "invalid JSON", 2, line_number=2),
    ),
    "arxiv line is a list": ("2025-03-18.jsonl", arxiv_file('["2503.11731"]'), Quarantine(1, "list", 2, line_number=2)),
    "arxiv id of the wrong shape": (
        "2025-03-18.jsonl",
        arxiv_file(json.dumps({**json.loads(GOOD_ARXIV_LINES[0]), "id": "not-an-id"})),
        Quarantine(1, "not an arXiv id", 2, line_number=2),
    ),
    "arxiv categories not a list": (
        "2025-03-18.jsonl",
        arxiv_file(json.dumps({**json.loads(GOOD_ARXIV_LINES[0]), "categories": "cs.CV"})),
        Quarantine(1, "categories is str", 2, line_number=2),
    ),
    "arxiv id that is a 25-digit number": (
        "2025-03-18.jsonl",
        arxiv_file(json.dumps({**json.loads(GOOD_ARXIV_LINES[0]), "id": 1234567890123456789012345})),
        Quarantine(1, "id 1234567890123456789012345 is not an arXiv id", 2, line_number=2),
    ),
    "arxiv zero-byte file": ("2025-03-18.jsonl", b"", FileError(1, "empty")),
    # --- listing pages
    "page block without its '·' line": (
        "page.txt",
        seed_page(lambda text: text.replace("  • 3 authors\n·\n", "  • 3 authors\n", 1)),
        Quarantine(0, "authors line is not followed by", 29, line_number=13),
    ),
    "page impossible date": (
        "page.txt",
        seed_page(lambda text: text.replace("Oct 17, 2024", "Feb 30, 2024", 1)),
        Quarantine(0, "Feb 30, 2024", 29, line_number=13),
    ),
    "page with no paper blocks": (
        "page.txt",
        b"Daily Papers\n\nFeb 26\n\nnothing here \xe2\x80\xa2 1 authors?\n",
        FileError(1, "no paper blocks"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case: str, tmp_path: Path):
    name, content, expected = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    if isinstance(expected, FileError):
        with pytest.raises(FileParseError) as caught:
            check_file(path)
        message = str(caught.value)
        assert str(path) in message
        if expected.line is not None:
            assert caught.value.line == expected.line
            assert f"{path}:{expected.line}:" in message
        assert expected.message in message
        return
    parsed = detect(path).parse(path, content, None)
    assert len(parsed.rows) == expected.good_rows
    [quarantined] = parsed.quarantined
    assert quarantined.position == expected.position
    assert expected.reason in quarantined.reason
    assert quarantined.line_number == expected.line_number
    assert quarantined.raw_text  # the record itself is kept with its reason


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_landing_check_agrees_with_the_parser(case: str, tmp_path: Path):
    """Landing runs the cheap Source.check, ingestion the full parse: same verdict on every file."""
    name, content, _ = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    source = detect(path)
    try:
        parsed = source.parse(path, content, None)
    except FileParseError as exc:
        with pytest.raises(FileParseError) as caught:
            source.check(path, content)
        assert (caught.value.line, str(caught.value)) == (exc.line, str(exc))
    else:
        assert source.check(path, content) == parsed.listing_date


def test_corpus_is_large_and_spans_every_source():
    assert len(CASES) >= 30
    suffixes = {name.rsplit(".", 1)[1] for name, _, _ in CASES.values()}
    assert suffixes == {"json", "jsonl", "txt"}


def test_repr_code_is_never_executed(tmp_path: Path):
    marker = tmp_path / "pwned"
    path = tmp_path / "2025-06-27.json"
    path.write_bytes(hf_file(f"__import__('os').system('touch {marker}')"))
    detect(path).parse(path, path.read_bytes(), None)
    assert not marker.exists()
