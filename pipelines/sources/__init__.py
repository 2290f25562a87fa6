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


def detect(path: Path) -> Source:
    """The source a file belongs to, judged by its name and first bytes."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    for source in SOURCES.values():
        if source.sniff(path, head):
            return source
    raise FileParseError(path, 1, f"not a known source format (known: {', '.join(SOURCES)})")


__all__ = ["SOURCES", "FileParseError", "ParsedFile", "Quarantined", "Source", "detect"]
