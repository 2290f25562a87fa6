"""The orjson fast paths give exactly what the standard library gives: values, types and errors.

The sources read JSON with orjson and Python-repr records with a rewrite to JSON
(``pipelines.sources.fast_json``); these tests hold both to ``json.loads`` and
``ast.literal_eval`` on the real sample, on hand-picked edge cases and on a few
thousand random (and randomly damaged) documents.
"""

from __future__ import annotations

import ast
import json
import math
import random
import warnings

import pytest

from pipelines.settings import SAMPLE_DIR
from pipelines.sources import FileParseError
from pipelines.sources.base import RecordRejected
from pipelines.sources.fast_json import (
    dumps_record,
    has_long_number,
    line_loader,
    literal,
    loads_document,
    unknown_record_json,
)

HF = SAMPLE_DIR / "hf-daily-papers"


def same(a, b) -> bool:
    """Equal values of equal types, all the way down (True is not 1, 1.0 is not 1, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def outcome(function, argument):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes warn in literal_eval; the value is what counts
        try:
            return "ok", function(argument)
        except Exception as exc:  # the exception type is part of the contract
            return "error", type(exc)


def assert_same_outcome(expected, got, text) -> None:
    assert expected[0] == got[0], text
    if expected[0] == "ok":
        assert same(expected[1], got[1]), text
    else:
        assert expected[1] is got[1], text


# --- Python-repr records ----------------------------------------------------------------------


def test_every_repr_record_of_the_sample_reads_as_literal_eval_reads_it() -> None:
    texts = []
    for path in sorted(HF.rglob("*.json")):
        document = json.loads(path.read_bytes())
        items = document.get("data", []) if isinstance(document, dict) else document
        texts += [item for item in items if isinstance(item, str)] if isinstance(items, list) else []
    assert len(texts) == 296  # 128 in the daily files, the rest in their re-fetches under history/
    for text in texts:
        assert same(literal(text), ast.literal_eval(text))


@pytest.mark.parametrize(
    "text",
    [
        "{'a': True, 'b': None, 'c': [False, 1, -2.5e-3]}",
        """{'quote': "it's", 'both': 'say "hi" it\\'s', 'slash': 'a\\\\b', 'nl': 'a\\nb'}""",
        "{'esc': '\\x41\\u00e9\\N{BULLET}\\777\\q', 'tab': 'a\tb'}",
        "{'non_ascii': 'caf\\xe9 中\\n'}",
        "{'big': 123456789012345678901234567890, 'neg': -12345678901234567890}",
        "{'a': true}",  # a JSON name is not a Python literal
        "{'a': 1,}",  # trailing comma: Python accepts, JSON does not
        "{'a': (1, 2)}",
        "{1: 'int key'}",
        "{'a': 1e999}",  # inf in Python
        "{'a': .5}",
        "{'a': 'x' 'y'}",  # implicit concatenation
        "{'a': '''triple'''}",
        "{'a': r'raw\\n'}",
        "{'a': 'cr\rinside'}",
        "{'a': 'nul\x00inside'}",
        "{'a': 'bad escape \\x4'}",
        "{'a': '\\ud800'}",  # lone surrogate escape
        "{'a': Truex}",
        "{'a': 1} # comment",
        "{'a': 1}\n",
        " {'a': 1}",
        "[" * 210 + "]" * 210,  # CPython refuses 200 levels, orjson would not
        "__import__('os').system('true')",
        "{'a': 1",
        "",
    ],
)
def test_literal_edge_cases(text: str) -> None:
    assert_same_outcome(outcome(ast.literal_eval, text), outcome(literal, text), text)


_PIECES = [
    *"abc xyz'\"\\\n\r\t\x00\x01\x0b\x0c\x1f\x7fé中😀\u2028\x85{}[]:,",
    *("\\n", "\\x41", "\\u00e9", "\\N{BULLET}", "\\777", "\\q", "True", "None", "1e5"),
]
_DAMAGE = [*"'\"\\{}[]:, \n\rTrueFalsNoetrufalsn0123456789.-+#()", "\x00", "\x0c", "u'", "b'", "''", "set()"]


def _random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth < 4 and roll < 0.25:
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    scalars = [_random_text(rng), rng.randint(-(10**25), 10**25), rng.randint(-5, 5)]
    scalars += [rng.random() * 10.0 ** rng.randint(-300, 300), True, False, None, -0.0, 1e400, float("nan")]
    return rng.choice(scalars)


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8)))


def test_literal_matches_literal_eval_on_random_and_damaged_reprs() -> None:
    rng = random.Random(20260101)
    fast = 0
    for _ in range(4000):
        value = _random_value(rng)
        text = repr(value if isinstance(value, dict | list) else [value])
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(text) + 1)
                text = text[:at] + rng.choice(_DAMAGE) + text[at + (rng.random() < 0.3) :]
        expected = outcome(ast.literal_eval, text)
        assert_same_outcome(expected, outcome(literal, text), text)
        fast += expected[0] == "ok"
    assert fast > 1000  # the comparison covered many readable literals, not only errors


# --- whole JSON documents and lines -----------------------------------------------------------


def test_every_sample_file_loads_as_json_loads_loads_it() -> None:
    for path in sorted(SAMPLE_DIR.rglob("*.json")):
        data = path.read_bytes()
        if not data.strip():
            continue
        assert same(loads_document(path, data, "empty"), json.loads(data)), path


@pytest.mark.parametrize(
    "text",
    [
        '[{"a": 1, "b": [true, false, null], "c": -2.5e-3, "d": "\\u00e9\\n\\/"}]',
        '{"big": 123456789012345678901234567890}',  # an int for json, a float for orjson
        "[-12345678901234567890, 9223372036854775807, 18446744073709551615]",
        "[NaN, Infinity, -Infinity]",  # json accepts these, orjson does not
        "[1e400]",
        '["\\ud800"]',  # a lone surrogate escape: json accepts it
        '{"a": 1, "a": 2}',
        "[1,]",
        "[1] 2",
        '{"a": 1',
        "\n\n  ",
        '"just a string"',
        "[" * 3000 + "]" * 3000,  # deeper than either parser goes
    ],
)
def test_loads_document_edge_cases(text: str, tmp_path) -> None:
    data = text.encode()
    try:
        expected = ("ok", json.loads(text))
    except json.JSONDecodeError as exc:
        expected = ("error", f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except RecursionError:
        expected = ("error", "invalid JSON: nested too deeply", None)
    if not text.strip():
        expected = ("error", "empty", 1)
    try:
        got = ("ok", loads_document(tmp_path / "x.json", data, "empty"))
    except FileParseError as exc:
        got = ("error", exc.reason, exc.line)
    if expected[0] == "ok":
        assert got[0] == "ok" and same(expected[1], got[1])
    else:
        assert got == expected


def test_loads_document_names_the_line_of_a_syntax_error(tmp_path) -> None:
    data = b'[\n  {"a": 1},\n  {"a": 2,}\n]'
    with pytest.raises(FileParseError) as caught:
        loads_document(tmp_path / "x.json", data, "empty")
    assert caught.value.line == 3
    assert (
        str(caught.value)
        == f"{tmp_path / 'x.json'}:3: invalid JSON: Expecting property name enclosed in double quotes (column 11)"
    )


def test_line_loader_matches_json_loads() -> None:
    lines = ['{"id": "2503.00001", "n": 5}', '{"n": 12345678901234567890}', '{"n": NaN}', '{"a": ', "[1, 2]"]
    by_orjson = []
    for line in lines:
        loaded = outcome(line_loader(line.encode()), line)
        value = ("ok", loaded[1][0]) if loaded[0] == "ok" else loaded
        assert_same_outcome(outcome(json.loads, line), value, line)
        by_orjson.append(("ok", loaded[1][1]) if loaded[0] == "ok" else loaded)
    # orjson read the plain lines; json the 20-digit number and NaN (and worded the syntax error).
    assert by_orjson == [("ok", True), ("ok", False), ("ok", False), ("error", json.JSONDecodeError), ("ok", True)]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": [1, "é\n\u2028", None, True], "b": {"c": -0.5}}, '{"a":[1,"é\\n\u2028",null,true],"b":{"c":-0.5}}'),
        ({"big": 2**70}, '{"big":1180591620717411303424}'),  # beyond orjson: json.dumps writes it
        ({"x": float("nan"), "y": [float("inf")]}, '{"x":NaN,"y":[Infinity]}'),  # orjson would write null
        ({1: "a"}, '{"1":"a"}'),  # a key from a Python literal that is not a string
    ],
)
def test_dumps_record_is_compact_json_and_faithful(value, text: str) -> None:
    assert dumps_record(value, by_orjson=False) == text
    assert dumps_record(value, by_orjson=False) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_dumps_record_writes_every_character_as_json_dumps_does() -> None:
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert dumps_record({"t": text}, by_orjson=True) == json.dumps(
        {"t": text}, ensure_ascii=False, separators=(",", ":")
    )


def test_record_json_is_kept_only_for_records_with_unknown_keys() -> None:
    record = {"paper": {"id": "2506.00001", "xyz": [1.5, None]}, "title": "é"}
    assert unknown_record_json(record, [], by_orjson=True) is None
    assert unknown_record_json(record, [], by_orjson=False) is None
    assert (
        unknown_record_json(record, ["paper.xyz"], by_orjson=True)
        == '{"paper":{"id":"2506.00001","xyz":[1.5,null]},"title":"é"}'
    )
    # What only the standard library reads is still written as it reads (NaN), when kept.
    assert unknown_record_json({"x": float("nan")}, ["x"], by_orjson=False) == '{"x":NaN}'


def test_a_lone_surrogate_is_rejected_whether_or_not_the_record_is_kept() -> None:
    record = json.loads('{"title": "broken \\ud800 text"}')
    for unknown in ([], ["title"]):
        with pytest.raises(RecordRejected, match=r"record holds a lone surrogate '\\ud800', not text"):
            unknown_record_json(record, unknown, by_orjson=False)


@pytest.mark.parametrize(
    ("data", "flagged"),
    [
        (b"1234567890123456789", True),
        (b"[1234567890123456789]", True),
        (b'{"a":-1234567890123456789}', True),
        (b'{"a":\t1234567890123456789}', True),
        (b"[123456789012345678]", False),  # 18 digits always fit in 64 bits
        (b'"/avatars/22197a8c85232135609331766299c3e7.svg"', False),  # digits inside a hex hash
        (b'"x 1234567890123456789"', True),  # a false alarm: only slower, never wrong
    ],
)
def test_long_numbers_are_found_and_hashes_are_not(data: bytes, flagged: bool) -> None:
    assert has_long_number(data) is flagged
