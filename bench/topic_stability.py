"""Topic-id stability: fit on every week but the last, refit with the last week added.

The papers (shared HF data set, else the bundled sample) are split by the ISO week of their
first listing. Fit 1 sees every week but the last; fit 2 sees all of them and starts from fit
1's registry and assignment, exactly as the pipeline's next run would. Printed: the share of
fit 1's papers whose topic id is the same in fit 2 (target >= 90%), the topics kept, created
and retired, and, for comparison, the same share when fit 2 ignores fit 1 (a fresh fit whose
clusters are only Hungarian-matched to fit 1's ids). Never asserts. Usage:

    .venv/bin/python bench/topic_stability.py [FOLDER]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

from pipelines.settings import REPO_ROOT, SAMPLE_DIR
from pipelines.topics.corpus import keywords_frame, load_hf_folder
from pipelines.topics.model import Previous, TopicConfig, TopicFit, fit_topics


def kept_share(first: TopicFit, second: TopicFit) -> tuple[int, int]:
    joined = first.assignments.join(second.assignments, on="paper_id", suffix="_2")
    return int((joined["topic_id"] == joined["topic_id_2"]).sum()), first.assignments.height


def refit(papers: pl.DataFrame, keywords: pl.DataFrame, held_out_weeks: int, config: TopicConfig) -> None:
    weeks = papers["week"].unique().sort()
    cut = weeks[-held_out_weeks]
    earlier = papers.filter(pl.col("week") < cut)["paper_id"]
    start = time.perf_counter()
    first = fit_topics(keywords.filter(pl.col("paper_id").is_in(earlier.implode())), config=config)
    assignments = dict(first.assignments.select("paper_id", "topic_id").iter_rows())
    second = fit_topics(keywords, Previous(registry=first.registry, assignments=assignments), config)
    seconds = time.perf_counter() - start
    fresh = fit_topics(keywords, Previous(registry=first.registry), config)
    kept, total = kept_share(first, second)
    fresh_kept, _ = kept_share(first, fresh)
    events = Counter(e.event for e in second.events)
    print(
        f"{held_out_weeks:>5}  {cut}  {papers.height - earlier.len():>6}  {first.topics.height:>3} -> {second.topics.height:<3}"
        f"  {kept / total:>9.1%}  {fresh_kept / total:>9.1%}  {seconds:>6.1f}  {dict(sorted(events.items()))}"
    )


def main() -> None:
    shared = REPO_ROOT.parent / "shared" / "data" / "hf-daily-papers"
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else (shared if shared.exists() else SAMPLE_DIR / "hf-daily-papers")
    config = TopicConfig()
    papers = load_hf_folder(folder).with_columns(week=pl.col("first_listed_on").dt.truncate("1w"))
    keywords = keywords_frame(papers).select("paper_id", "keyword", "occurrences")
    print(f"corpus: {folder} ({papers.height} papers, {papers['week'].n_unique()} ISO weeks)")
    print("weeks  held out from  papers  topics    kept ids  fresh fit   secs  fit 2 events")
    refit(papers, keywords, 1, config)  # the measure: the last week added (target >= 90% kept)
    for weeks in (2, 4, 8):  # context: larger increments
        if weeks < papers["week"].n_unique():
            refit(papers, keywords, weeks, config)
    print("kept ids = share of fit 1's papers with the same topic id after fit 2 (warm start, as the pipeline);")
    print("fresh fit = the same when fit 2 ignores fit 1's assignment and is only matched to its ids")


if __name__ == "__main__":
    main()
