"""Paper frames for the topic code: keywords of papers, and HF files read without a warehouse (bench)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from pipelines.topics.text import MAX_NGRAM, keyword_rows

KEYWORD_SCHEMA = {
    "paper_id": pl.Utf8,
    "keyword": pl.Utf8,
    "words": pl.Int32,
    "occurrences": pl.Int32,
    "title_occurrences": pl.Int32,
    "from_ai_keywords": pl.Boolean,
}
PAPER_SCHEMA = {
    "paper_id": pl.Utf8,
    "title": pl.Utf8,
    "abstract": pl.Utf8,
    "ai_keywords": pl.List(pl.Utf8),
    "first_listed_on": pl.Date,
}
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def keywords_frame(papers: pl.DataFrame, max_n: int = MAX_NGRAM) -> pl.DataFrame:
    """papers (paper_id, title, abstract, ai_keywords) → one row per paper and keyword."""
    rows = keyword_rows(
        papers.select("paper_id", "title", "abstract", "ai_keywords").iter_rows(),
        max_n,
    )
    return pl.DataFrame(list(rows), schema=KEYWORD_SCHEMA, orient="row")


def load_hf_folder(folder: Path) -> pl.DataFrame:
    """Every paper of a folder of HF daily_papers files, parsed by the pipeline's own parser.

    One row per arXiv id: text from the newest listing date, first_listed_on the earliest.
    Only for bench/ and tests, which measure topics without building a warehouse.
    """
    from pipelines.sources import SOURCES
    from pipelines.sources.base import FileParseError

    source = SOURCES["hf_daily_papers"]
    rows = []
    for path in sorted(Path(folder).rglob("*.json")):
        match = _DATE.search(path.name)
        if not match:
            continue
        listing_date = dt.date.fromisoformat(match.group(1))
        try:
            parsed = source.parse(path, path.read_bytes(), listing_date)
        except FileParseError:
            continue
        for row in parsed.rows:
            rows.append((row["arxiv_id"], row["title"], row["summary"], row["ai_keywords"], listing_date))
    frame = pl.DataFrame(rows, schema=PAPER_SCHEMA, orient="row")
    return (
        frame.sort("paper_id", "first_listed_on")
        .group_by("paper_id", maintain_order=True)
        .agg(
            pl.col("title").last(),
            pl.col("abstract").last(),
            pl.col("ai_keywords").drop_nulls().last(),
            pl.col("first_listed_on").min(),
        )
        .with_columns(pl.col("title").str.replace_all(r"\s+", " ").str.strip_chars())
        .sort("paper_id")
    )
