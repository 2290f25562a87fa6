"""HF Daily Papers parser on real files (data/sample) and small fixtures cut from them."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT, SAMPLE_DIR
from pipelines.sources import SOURCES, FileParseError, Quarantined, detect
from pipelines.sources.hf_daily_papers import HfDailyPapers, flatten_record

HF_SAMPLE = SAMPLE_DIR / "hf-daily-papers"
DAILY = HF_SAMPLE / "daily"
HISTORY = HF_SAMPLE / "history"
FIXTURES = REPO_ROOT / "tests" / "fixtures"

source = HfDailyPapers()


def parse(path: Path, listing_date: dt.date | None = None):
    return source.parse(path, path.read_bytes(), listing_date)


def raw_items(path: Path) -> list:
    document = json.loads(path.read_bytes())
    return document["data"] if isinstance(document, dict) else document


def test_registered_and_detected() -> None:
    assert isinstance(SOURCES["hf_daily_papers"], HfDailyPapers)
    assert detect(DAILY / "2024-06-10.json").name == "hf_daily_papers"
    assert detect(HISTORY / "2024-06-15__2024-06-15T17-07-10Z.json").name == "hf_daily_papers"
    assert detect(HISTORY / "2025-01-11__2025-01-12T08-46-52Z.json").name == "hf_daily_papers"


# --- real files -------------------------------------------------------------------------------


def test_plain_array_2024_06_10() -> None:
    path = DAILY / "2024-06-10.json"
    parsed = parse(path)
    assert parsed.file_shape == "array"
    assert parsed.listing_date == dt.date(2024, 6, 10)
    assert len(parsed.rows) == len(raw_items(path)) == 9
    assert parsed.quarantined == []
    assert parsed.records_read == 9
    assert [r["position"] for r in parsed.rows] == list(range(9))
    assert {r["record_format"] for r in parsed.rows} == {"object"}

    first = parsed.rows[0]
    assert first["arxiv_id"] == "2406.04692"
    assert first["title"] == "Mixture-of-Agents Enhances Large Language Model Capabilities"
    assert first["paper_title"] == first["title"]
    assert first["upvotes"] == 14
    assert first["num_comments"] == 0
    assert first["paper_published_at"] == "2024-06-07T07:04:10.000Z"
    assert first["listing_published_at"] == "2024-06-10T01:56:51.089Z"
    assert first["summary"].startswith("Recent advances in large language models (LLMs) demonstrate substantial\n")
    assert first["authors"] == [
        {"name": "Junlin Wang", "hidden": False, "username": "junlinw"},
        {"name": "Jue Wang", "hidden": False, "username": "juewang"},
        {"name": "Ben Athiwaratkun", "hidden": False, "username": "benathiwaratkun"},
        {"name": "Ce Zhang", "hidden": False, "username": "zhangce"},
        {"name": "James Zou", "hidden": False, "username": "jameszou707"},
    ]
    assert first["title_key"] == "mixture of agents enhances large language model capabilities"
    assert first["unknown_keys"] == []
    # Every key is known, so the row is its columns: the record's text stays in its landed file only.
    assert first["record_json"] is None
    assert all(row["record_json"] is None for row in parsed.rows)


def test_absent_optional_keys_are_none_on_2024_records() -> None:
    parsed = parse(DAILY / "2024-06-10.json")
    for row in parsed.rows:
        # Keys that did not exist yet in June 2024 are absent, and come out as None, not as errors.
        assert row["github_repo"] is None
        assert row["github_stars"] is None
        assert row["project_page"] is None
        assert row["ai_keywords"] is None
        assert row["ai_summary"] is None
        assert row["discussion_id"] is None
        assert row["submitted_on_daily_at"] is None
        assert row["submitted_by"] is None  # submittedBy only from 2024-06-13
        assert row["submitted_by_fullname"] is None


def test_present_optional_keys_2025_06_27() -> None:
    rows = {r["arxiv_id"]: r for r in parse(DAILY / "2025-06-27.json").rows}
    assert len(rows) == 9
    first = rows["2506.20670"]
    assert first["github_repo"] == "https://github.com/EvolvingLMMs-Lab/multimodal-search-r1"
    assert first["github_stars"] == 140
    assert first["ai_keywords"][:2] == ["multimodal models", "retrieval-augmented generation"]
    assert first["submitted_by"] == "kimingng"
    assert first["submitted_by_fullname"] == "Jinming Wu"
    # Trailing-slash repo URL is kept raw (normalised in dbt); absent repo is None.
    assert rows["2506.16655"]["github_repo"] == "https://github.com/katanemo/archgw/"
    assert rows["2506.16655"]["github_stars"] == 2765
    assert rows["2506.21551"]["github_repo"] is None
    assert rows["2506.21551"]["github_stars"] is None


def test_python_repr_strings_only_2024_12_11() -> None:
    path = DAILY / "2024-12-11.json"
    items = raw_items(path)
    assert len(items) == 26
    assert all(isinstance(item, str) for item in items)

    parsed = parse(path)
    assert parsed.file_shape == "array"
    assert parsed.quarantined == []
    assert len(parsed.rows) == len(items) == 26
    assert all(r["record_format"] == "python_repr" for r in parsed.rows)

    first = parsed.rows[0]
    assert first["arxiv_id"] == "2412.07730"
    assert first["title"] == "STIV: Scalable Text and Image Conditioned Video Generation"
    assert first["upvotes"] == 54
    assert first["submitted_by"] == "yyf86"
    literal = ast.literal_eval(items[0])
    assert first["paper_title"] == literal["paper"]["title"] and first["record_json"] is None


def test_wrapper_2025_01_10() -> None:
    path = DAILY / "2025-01-10.json"
    document = json.loads(path.read_bytes())
    assert document["status"] == "success" and document["count"] == 9

    parsed = parse(path)
    assert parsed.file_shape == "wrapper"
    assert parsed.listing_date == dt.date(2025, 1, 10)
    assert len(parsed.rows) == 9
    assert parsed.quarantined == []
    assert all(r["record_format"] == "python_repr" for r in parsed.rows)
    assert [(r["position"], r["arxiv_id"], r["upvotes"]) for r in parsed.rows[:3]] == [
        (0, "2501.05441", 51),
        (1, "2501.05453", 28),
        (2, "2501.05032", 23),
    ]


def test_wrapper_date_is_used_when_the_name_has_none(tmp_path: Path) -> None:
    path = tmp_path / "wrapper.json"
    path.write_bytes((DAILY / "2025-01-10.json").read_bytes())
    parsed = parse(path)
    assert parsed.listing_date == dt.date(2025, 1, 10)
    assert len(parsed.rows) == 9


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("2025-01-11__2025-01-12T08-46-52Z.json", dt.date(2025, 1, 11)),
        ("2025-01-12__2025-01-12T08-46-52Z.json", dt.date(2025, 1, 12)),
    ],
)
def test_no_data_files(name: str, day: dt.date) -> None:
    parsed = parse(HISTORY / name)
    assert parsed.file_shape == "no_data"
    assert parsed.listing_date == day
    assert parsed.rows == []
    assert parsed.quarantined == []


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("2024-06-15__2024-06-15T17-07-10Z.json", dt.date(2024, 6, 15)),
        ("2025-01-11__2025-01-11T17-07-14Z.json", dt.date(2025, 1, 11)),
    ],
)
def test_marker_1_files(name: str, day: dt.date) -> None:
    path = HISTORY / name
    assert path.read_bytes() == b"1"
    parsed = parse(path)
    assert parsed.file_shape == "marker"
    assert parsed.listing_date == day
    assert parsed.rows == []
    assert parsed.quarantined == []


def test_hard_wrapped_paper_title_kept_raw() -> None:
    parsed = parse(DAILY / "2025-03-17.json")
    assert len(parsed.rows) == 12
    first = parsed.rows[0]
    assert first["arxiv_id"] == "2503.07677"
    wrapped = "PLADIS: Pushing the Limits of Attention in Diffusion Models at Inference\n  Time by Leveraging Sparsity"
    assert first["paper_title"] == wrapped  # cleaning happens in dbt, not here
    assert first["title"] == wrapped
    assert "\n" not in first["title_key"]
    assert first["title_key"] == (
        "pladis pushing the limits of attention in diffusion models at inference time by leveraging sparsity"
    )
    assert first["submitted_on_daily_at"] is not None


def test_both_user_shapes_give_the_same_username() -> None:
    # 2024: only the top-level submittedBy object, username under "name".
    june = {r["arxiv_id"]: r for r in parse(DAILY / "2024-06-14.json").rows}
    assert june["2406.09414"]["submitted_by"] == "akhaliq"
    assert june["2406.09414"]["submitted_by_fullname"] == "AK"

    # 2025-03+: paper.submittedOnDailyBy, username under "user". Take the real record
    # and drop submittedBy so only the new shape is left.
    record = next(r for r in raw_items(DAILY / "2025-03-17.json") if r["paper"]["id"] == "2503.10970")
    assert record["submittedBy"]["name"] == record["paper"]["submittedOnDailyBy"]["user"] == "akhaliq"
    assert "name" not in record["paper"]["submittedOnDailyBy"]
    only_new = {k: v for k, v in record.items() if k != "submittedBy"}
    only_old = {**record, "paper": {k: v for k, v in record["paper"].items() if k != "submittedOnDailyBy"}}

    assert flatten_record(only_new)["submitted_by"] == "akhaliq"
    assert flatten_record(only_old)["submitted_by"] == "akhaliq"
    assert (
        flatten_record(only_new)["submitted_by_fullname"] == flatten_record(only_old)["submitted_by_fullname"] == "AK"
    )
    assert flatten_record(record)["submitted_by"] == "akhaliq"


def test_unknown_keys_are_listed_and_kept() -> None:
    path = FIXTURES / "hf" / "2025-03-17_unknown_keys.json"
    parsed = parse(path)
    assert parsed.quarantined == []
    assert len(parsed.rows) == 1
    row = parsed.rows[0]
    assert row["arxiv_id"] == "2503.07677"
    assert row["upvotes"] == 46
    # organization is known (its name is kept as a column); paper.xyz is not.
    assert row["unknown_keys"] == ["paper.xyz"]
    assert row["organization"] == "example-org"
    kept = json.loads(row["record_json"])
    assert kept["organization"] == {"name": "example-org", "fullname": "Example Org"}
    assert kept["paper"]["xyz"] == 1


def test_organization_name_top_level_or_paper_level() -> None:
    record = {"paper": {"id": "2503.00001", "title": "T", "upvotes": 1}}
    assert flatten_record(record)["organization"] is None
    assert flatten_record({**record, "organization": {"name": "top-org"}})["organization"] == "top-org"
    paper_level = {"paper": {**record["paper"], "organization": {"name": "paper-org", "fullname": "P"}}}
    assert flatten_record(paper_level)["organization"] == "paper-org"
    # A shape without a name carries no organization and is not an error.
    assert flatten_record({**record, "organization": "just-text"})["organization"] is None


def test_no_unknown_keys_in_the_real_sample() -> None:
    for path in sorted(DAILY.glob("*.json")):
        for row in parse(path).rows:
            assert row["unknown_keys"] == [], (path.name, row["arxiv_id"])


def test_sample_daily_totals() -> None:
    paths = sorted(DAILY.glob("*.json"))
    assert len(paths) == 30
    rows = [row for path in paths for row in parse(path).rows]
    # 471 raw items in the 30 daily files (independently: sum of the JSON array lengths), one id each.
    assert len(rows) == sum(len(raw_items(path)) for path in paths) == 471
    assert len({r["arxiv_id"] for r in rows}) == 471
    assert sum(r["record_format"] == "python_repr" for r in rows) == 128


# --- record quarantine ------------------------------------------------------------------------


def test_bad_records_are_quarantined_and_good_rows_kept() -> None:
    path = FIXTURES / "hf" / "2024-06-10_bad_records.json"
    parsed = parse(path)
    assert parsed.file_shape == "array"
    assert parsed.listing_date == dt.date(2024, 6, 10)
    assert parsed.records_read == 10

    assert [(r["position"], r["arxiv_id"], r["upvotes"]) for r in parsed.rows] == [
        (0, "2406.04692", 14),
        (9, "2406.04370", 11),
    ]
    assert all(isinstance(q, Quarantined) for q in parsed.quarantined)
    reasons = {q.position: q.reason for q in parsed.quarantined}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert reasons[1] == "missing paper.id (arXiv id)"
    assert reasons[2] == "paper.id '2406.4370' is not an arXiv id"
    assert reasons[3] == "paper.upvotes is negative (-3)"
    assert reasons[4] == "paper.upvotes is str '12', expected a non-negative integer"
    assert reasons[5] == "paper.upvotes is bool True, expected a non-negative integer"
    assert reasons[6] == "record is a int, expected an object"
    assert reasons[7] == "string item is not a Python literal: SyntaxError"
    assert reasons[8] == "record is a list, expected an object"


def test_quarantined_raw_text_keeps_the_item() -> None:
    path = FIXTURES / "hf" / "2024-06-10_bad_records.json"
    items = raw_items(path)
    by_position = {q.position: q for q in parse(path).quarantined}
    assert by_position[6].raw_text == "42"
    assert by_position[7].raw_text == items[7]  # the broken repr string, verbatim
    assert json.loads(by_position[8].raw_text) == items[8]
    assert json.loads(by_position[3].raw_text)["paper"]["upvotes"] == -3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.pop("paper"), "missing paper object"),
        (lambda r: r.__setitem__("paper", "2406.04692"), "paper is not an object"),
        (lambda r: r["paper"].__setitem__("id", ""), "missing paper.id (arXiv id)"),
        (lambda r: r["paper"].__setitem__("id", 2406.04692), "paper.id 2406.04692 is not an arXiv id"),
        (lambda r: r["paper"].pop("upvotes"), "missing paper.upvotes"),
        (lambda r: r["paper"].__setitem__("upvotes", 14.0), "paper.upvotes is float 14.0, expected"),
        (lambda r: r.__setitem__("numComments", -1), "numComments is negative (-1)"),
        (lambda r: r.__setitem__("title", 7), "title is int, expected a string"),
        (lambda r: (r.pop("title"), r["paper"].pop("title")), "missing title"),
        (lambda r: r["paper"].__setitem__("authors", "Junlin Wang"), "paper.authors is str, expected a list"),
        (lambda r: r["paper"]["authors"][0].pop("name"), "paper.authors holds an entry without a name"),
        (lambda r: r["paper"].__setitem__("ai_keywords", ["llm", 3]), "paper.ai_keywords is not a list of strings"),
    ],
)
def test_flatten_record_rejections(change, reason: str) -> None:
    from pipelines.sources.hf_daily_papers import RecordRejected

    record = json.loads(json.dumps(raw_items(DAILY / "2024-06-10.json")[0]))
    change(record)
    with pytest.raises(RecordRejected) as caught:
        flatten_record(record)
    assert reason in str(caught.value)


# --- whole-file errors ------------------------------------------------------------------------


def _parse_error(path: Path) -> FileParseError:
    with pytest.raises(FileParseError) as caught:
        parse(path)
    return caught.value


def test_truncated_json_names_file_and_line() -> None:
    path = FIXTURES / "bad" / "2024-06-10_truncated.json"
    error = _parse_error(path)
    assert error.path == str(path)
    assert error.line == 101
    assert f"{path}:101" in str(error)
    assert "invalid JSON: Expecting property name enclosed in double quotes" in str(error)


def test_empty_file() -> None:
    path = FIXTURES / "bad" / "2024-06-10_empty.json"
    assert path.stat().st_size == 0
    error = _parse_error(path)
    assert error.line == 1
    assert str(error) == f"{path}:1: empty file: expected a JSON array, a status object or the marker 1"


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "2024-06-10.json"
    path.write_bytes(b"\xef\xbb\xbf \n\n")
    error = _parse_error(path)
    assert str(error) == f"{path}:1: empty file: expected a JSON array, a status object or the marker 1"


def test_invalid_utf8_names_the_line_of_the_bad_byte() -> None:
    path = FIXTURES / "bad" / "2024-06-10_invalid_utf8.json"
    data = path.read_bytes()
    offset = data.index(b"\x96")
    assert data[:offset].count(b"\n") + 1 == 78
    error = _parse_error(path)
    assert error.line == 78
    assert str(error) == f"{path}:78: invalid UTF-8 at byte {offset}"


def test_top_level_json_string() -> None:
    path = FIXTURES / "bad" / "2025-01-11_string.json"
    error = _parse_error(path)
    assert str(error) == f"{path}:1: top-level JSON str is not a daily-papers answer"


@pytest.mark.parametrize(("content", "kind"), [(b"null", "NoneType"), (b"true", "bool"), (b"1.5", "float")])
def test_other_top_level_scalars(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "2024-06-15.json"
    path.write_bytes(content)
    assert str(_parse_error(path)) == f"{path}:1: top-level JSON {kind} is not a daily-papers answer"


def test_object_without_data() -> None:
    path = FIXTURES / "bad" / "2025-01-10_without_data.json"
    error = _parse_error(path)
    assert str(error) == f"{path}:1: JSON object without a data list (keys: ['count', 'date', 'status'])"


def test_no_listing_date_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_bytes((DAILY / "2024-06-10.json").read_bytes())
    error = _parse_error(path)
    assert error.line is None
    assert str(error) == f"{path}: cannot tell the listing date: name the file YYYY-MM-DD.json"
    # Given explicitly, the date is used.
    assert parse(path, dt.date(2024, 6, 10)).listing_date == dt.date(2024, 6, 10)


def test_utf8_bom_parses() -> None:
    path = FIXTURES / "hf" / "2024-06-10_bom.json"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert detect(path).name == "hf_daily_papers"
    parsed = parse(path)
    assert parsed.file_shape == "array"
    assert [(r["arxiv_id"], r["upvotes"]) for r in parsed.rows] == [("2406.04692", 14)]
    assert parsed.rows[0] | {"position": 0} == parse(DAILY / "2024-06-10.json").rows[0]
