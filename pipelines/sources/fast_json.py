"""Python's JSON and literal semantics at orjson's speed.

Parsing is most of the cost of ingestion, so the sources parse with orjson. Its
answers are used only where they are provably the ones the standard library would
give; everywhere else the standard library decides, so a file means exactly what it
meant before and error messages (line, column, reason) are Python's:

* orjson rejects what ``json`` accepts as an extension (``NaN``, ``Infinity``, lone
  surrogate escapes) and nests at most 1,024 deep: on any orjson error the standard
  library parses again and either succeeds or raises its own error.
* orjson reads an integer beyond 64 bits as a float, ``json`` as an int: input where a
  run of 19 or more digits could be a number goes straight to the standard library. A
  number starts the input or follows one of ``- : , [`` or whitespace; digit runs inside
  hex ids and avatar hashes (frequent: most large real files hold one) follow a letter or
  a quote and are no risk. (A regular expression finds such runs at ~60 MB/s in this
  digit-dense data; one ``bytes.translate`` and a substring search run at ~800 MB/s.)

Python-repr record strings (``"{'paper': {'id': ...}}"``) are the slowest part of the
real feed through :func:`ast.literal_eval` (~0.2 ms each). :func:`literal` rewrites the
repr into JSON token by token and lets orjson read it; anything the rewrite does not
cover exactly goes to ``literal_eval``.

A record that holds keys its parser does not know is kept as text too (``record_json``, see
:func:`unknown_record_json`): :func:`dumps_record` writes compact JSON
with orjson (~6x faster than ``json.dumps``; the text is the same for every string, int
and finite float but a few exponents: orjson ``1e-7``, ``json`` ``1e-07``), and falls back to
``json.dumps`` for what orjson cannot write faithfully (NaN and infinities, which it would
write as null, integers beyond 64 bits, keys that are not strings).
"""

from __future__ import annotations

import ast
import codecs
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from pipelines.sources.base import FileParseError, RecordRejected, decode_utf8

_BOM = b"\xef\xbb\xbf"
# 19 digits can exceed int64 (20 exceed uint64), where orjson returns a float: leave those to ``json``.
# The translation maps every digit to "9" and every byte a number can follow to "(" (and "(" itself away).
_NUMBER_VIEW = bytes.maketrans(b"0123456789-:,[ \t\n\r(", b"9999999999((((((((" + b")")
_LONG_RUN = b"9" * 19
_LONG_NUMBER = b"(" + _LONG_RUN
# The tokens of a Python literal that JSON spells differently: quoted strings and keyword constants,
# captured so that ``split`` alternates text between tokens (even items) and tokens (odd items).
# Strings with a prefix, triple quotes, control characters (a raw CR ends a line for the compiler, NUL is
# refused) or a line continuation do not match as one token; their quotes are then left between tokens,
# where the check below refuses them. Possessive loops keep the scan linear (the scan is most of the cost).
_PY_TOKENS = re.compile(
    r"""('[^'\\\x00-\x08\x0a-\x1f]*+(?:\\[^\x00-\x08\x0a-\x1f][^'\\\x00-\x08\x0a-\x1f]*+)*+'"""
    r'|"[^"\\\x00-\x08\x0a-\x1f]*+(?:\\[^\x00-\x08\x0a-\x1f][^"\\\x00-\x08\x0a-\x1f]*+)*+"'
    r"|True|False|None)"
)
# Between tokens, a literal of JSON-like data holds only brackets, separators, numbers and JSON whitespace.
# Any other character (a name such as ``true`` that JSON would accept, a comment, a set) means literal_eval.
_GAPS = re.compile(r"[ \t\n\r\[\]{},:0-9.eE+\-]*")
# CPython refuses 200 nested brackets, orjson accepts 1,024: deeply built literals go to literal_eval.
_MAX_OPENERS = 199
_CONSTANTS = {"True": "true", "False": "false", "None": "null"}


def has_long_number(data: bytes) -> bool:
    """True when ``data`` may hold a number of 19 or more digits (one orjson may not read as Python does).

    Never false for such a number; true also for some digit runs in strings (then only slower).
    """
    view = data.translate(_NUMBER_VIEW)
    return _LONG_NUMBER in view or view.startswith(_LONG_RUN)


def _text_has_long_number(text: str) -> bool:
    return has_long_number(text.encode("utf-8", "surrogatepass"))


def loads_document(path: str | Path, data: bytes, empty_reason: str) -> Any:
    """A whole file's JSON value, or FileParseError naming the line (as ``json.loads`` would)."""
    return decode_document(path, data, empty_reason)[0]


def decode_document(path: str | Path, data: bytes, empty_reason: str) -> tuple[Any, bool]:
    """:func:`loads_document`, and whether orjson read it (then it holds no NaN, infinity or huge int)."""
    body = data[3:] if data.startswith(_BOM) else data
    if not has_long_number(body):
        try:
            return orjson.loads(body), True
        except orjson.JSONDecodeError:
            pass  # maybe valid for Python (NaN, lone surrogates): the standard library decides, and words the error
    text = decode_utf8(path, data)
    if not text.strip():
        raise FileParseError(path, 1, empty_reason)
    try:
        return json.loads(text), False
    except json.JSONDecodeError as exc:
        raise FileParseError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    except RecursionError as exc:
        raise FileParseError(path, None, "invalid JSON: nested too deeply") from exc


def _loads_line(line: str) -> tuple[Any, bool]:
    try:
        return orjson.loads(line), True
    except orjson.JSONDecodeError:
        return json.loads(line), False


def _json_loads_line(line: str) -> tuple[Any, bool]:
    return json.loads(line), False


def line_loader(data: bytes) -> Callable[[str], tuple[Any, bool]]:
    """``json.loads`` for the lines of ``data`` (same values, same JSONDecodeError), through orjson where exact.

    The loader returns each line's value and whether orjson read it. A number cannot be
    written with escapes, so one look at the file's bytes clears all its lines.
    """
    return _json_loads_line if has_long_number(data) else _loads_line


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def dumps_record(value: Any, *, by_orjson: bool) -> str:
    """Compact JSON text of a decoded record; ``by_orjson``: it was read by orjson (so holds no NaN or infinity).

    The text is always storable UTF-8: a record holding a lone surrogate (a ``"\\ud800"``
    escape read by ``json``) raises UnicodeEncodeError. orjson refuses those on both reading
    and writing, so only the ``json.dumps`` fallback needs the check.
    """
    if by_orjson or not _has_non_finite(value):
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # an int beyond 64 bits, a key that is not a string, a lone surrogate
            pass
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text.encode("utf-8")
    return text


def unknown_record_json(record: Any, unknown_keys: list[str], *, by_orjson: bool) -> str | None:
    """The raw row's ``record_json``: the record as JSON text when it holds keys its parser does not know, else None.

    Those keys are what the raw columns cannot hold, and their values can be queried there until
    a parser learns them. Every other record is its columns, and its exact text stays in its
    landed file (immutable, kept) at the row's ``landing_path`` and ``position``. A copy of every
    record (~5.5 KB of JSON at 1M papers) made the raw tables 1.7x as large and the 1M warehouse,
    which every publish copies, 13 GB instead of 10.7; without it, ingestion at 1M took half as
    long (bench/RESULTS.md, sessions 12 and 14: two runs).

    A record decoded by the standard library may hold a lone surrogate (a ``"\\ud800"`` escape),
    which no table can store: it is written out to find that, and rejected, kept or not.
    """
    if by_orjson and not unknown_keys:
        return None  # orjson refuses lone surrogates when it reads
    try:
        text = dumps_record(record, by_orjson=by_orjson)
    except UnicodeEncodeError as exc:
        raise RecordRejected(f"record holds a lone surrogate {exc.object[exc.start]!r}, not text") from exc
    return text if unknown_keys else None


def _string(token: str) -> str:
    """A Python string literal's value: escapes decoded like the compiler does."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    if body.isascii():
        # For ASCII text the unicode_escape codec decodes exactly the escapes of a str literal
        # (\n, \', \xhh, \uXXXX, \N{...}, octal; unknown ones stay as typed) and fails where the compiler does.
        return codecs.decode(body, "unicode_escape")
    return ast.literal_eval(token)


def _json_token(token: str) -> str:
    constant = _CONSTANTS.get(token)
    if constant is not None:
        return constant
    return orjson.dumps(_string(token)).decode()


def literal(text: str) -> Any:
    """``ast.literal_eval(text)`` for the repr of a dict or list: same value, same errors, ~4x faster."""
    return decode_literal(text)[0]


def decode_literal(text: str) -> tuple[Any, bool]:
    """:func:`literal`, and whether orjson read it (then it holds no NaN, infinity or huge int)."""
    if (
        text[:1] in ("{", "[")
        and text.count("{") + text.count("[") <= _MAX_OPENERS
        and not _text_has_long_number(text)  # checked on the text: a repr's digits may be JSON escapes in the file
    ):
        parts = _PY_TOKENS.split(text)
        # A constant glued to a name ("Truex") leaves the name between tokens, so this check also
        # stands in for word boundaries.
        if _GAPS.fullmatch("".join(parts[0::2])):
            try:
                # Most tokens are single-quoted strings without escapes or double quotes: the same text
                # in double quotes is their JSON. The rest are decoded and encoded one by one.
                parts[1::2] = [
                    f'"{token[1:-1]}"'
                    if token[0] == "'" and '"' not in token and "\\" not in token
                    else _json_token(token)
                    for token in parts[1::2]
                ]
                return orjson.loads("".join(parts)), True
            except Exception:
                pass  # a bad escape, a lone surrogate, not JSON after all: literal_eval decides and words the error
    return ast.literal_eval(text), False


__all__ = [
    "decode_document",
    "decode_literal",
    "dumps_record",
    "has_long_number",
    "line_loader",
    "literal",
    "loads_document",
    "unknown_record_json",
]
