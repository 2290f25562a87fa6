"""Sources: one module each, behind the small interface in :mod:`pipelines.sources.base`.

A new source is one new module registered in ``SOURCES`` plus one dbt staging model.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.sources.arxiv_listings import ArxivListings
from pipelines.sources.base import FileParseError, ParsedFile, Quarantined, Source
from pipelines.sources.hf_daily_papers import HfDailyPapers
from pipelines.sources.seed_page import SeedPage

SOURCES: dict[str, Source] = {source.name: source for source in (HfDailyPapers(), ArxivListings(), SeedPage())}

_SNIFF_BYTES = 4096


def _decodes(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sniff window is not an error
        return exc.start >= len(head) - 3
    return True


def detect(path: Path) -> Source:
    """The source a file belongs to, judged by its name and first bytes."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    for source in SOURCES.values():
        if source.sniff(path, head):
            return source
    # Blank or undecodable content sniffs as nothing: the suffix picks the parser, so that
    # the error names what is wrong ("empty file", "invalid UTF-8 at line N").
    by_suffix = [source for source in SOURCES.values() if path.suffix.lower() in source.suffixes]
    if len(by_suffix) == 1 and (not head.strip() or not _decodes(head)):
        return by_suffix[0]
    raise FileParseError(path, 1, f"not a known source format (known: {', '.join(SOURCES)})")


__all__ = ["SOURCES", "FileParseError", "ParsedFile", "Quarantined", "Source", "detect"]
