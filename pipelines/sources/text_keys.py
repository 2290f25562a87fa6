"""Normalised keys shared by sources.

The title key is computed in Python rather than SQL because DuckDB has no NFKC
normalisation, and matching pages without ids to papers depends on it.
"""

from __future__ import annotations

import re
import unicodedata

_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\*?")
_NON_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
# YYMM.NNNN from 0704 to 1412, YYMM.NNNNN from 1501 on.
_ARXIV_NEW = re.compile(r"(?:0[7-9]|1[0-4])\d{2}\.\d{4}|(?:1[5-9]|[2-9]\d)\d{2}\.\d{5}", re.ASCII)
_ARXIV_OLD = re.compile(r"[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}", re.ASCII)
_VERSION_SUFFIX = re.compile(r"v\d+\Z", re.ASCII)


def title_key(title: str | None) -> str | None:
    """NFKC, casefold, drop LaTeX commands and punctuation, collapse whitespace."""
    if title is None:
        return None
    text = unicodedata.normalize("NFKC", title).casefold()
    text = _LATEX_COMMAND.sub(" ", text)
    text = _NON_WORD.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def is_arxiv_id(value: str) -> bool:
    """True for a bare arXiv id, new style (2406.11230) or old style (hep-th/9901001), with an optional vN."""
    bare = _VERSION_SUFFIX.sub("", value)
    return bool(_ARXIV_NEW.fullmatch(bare) or _ARXIV_OLD.fullmatch(bare))
