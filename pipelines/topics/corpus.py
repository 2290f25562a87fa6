"""Paper frames for the topic code: keywords of papers, and HF files read without a warehouse (bench)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from pipelines.file_pool import configured_workers, map_ordered
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


# Papers tokenised per block: only a block's rows exist as Python tuples at a time (a frame of
# every paper's tuples took GBs at 100k papers), and blocks of a large input go to worker
# processes, since tokenising is pure Python (one core a process).
KEYWORD_BLOCK = 5_000
PARALLEL_PAPERS = 20_000


def _block_keywords(block: tuple[list[tuple], int]) -> pl.DataFrame:
    rows, max_n = block
    return pl.DataFrame(list(keyword_rows(rows, max_n)), schema=KEYWORD_SCHEMA, orient="row")


def keyword_blocks(
    paper_blocks: Iterable[pl.DataFrame], max_n: int = MAX_NGRAM, workers: int = 1
) -> Iterator[pl.DataFrame]:
    """Each block of papers (paper_id, title, abstract, ai_keywords) → its keyword rows, in order."""
    blocks = (
        (block.select("paper_id", "title", "abstract", "ai_keywords").rows(), max_n)
        for paper_block in paper_blocks
        for block in paper_block.iter_slices(KEYWORD_BLOCK)
    )
    return map_ordered(_block_keywords, blocks, workers)


def keywords_frame(papers: pl.DataFrame, max_n: int = MAX_NGRAM, workers: int | None = None) -> pl.DataFrame:
    """papers (paper_id, title, abstract, ai_keywords) → one row per paper and keyword, in paper order."""
    if workers is None:
        workers = parallel_workers(papers.height)
    frames = list(keyword_blocks([papers], max_n, workers))
    return pl.concat(frames) if frames else pl.DataFrame(schema=KEYWORD_SCHEMA)


def parallel_workers(papers: int) -> int:
    """Processes worth tokenising this many papers in."""
    return configured_workers() if papers >= PARALLEL_PAPERS else 1


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
