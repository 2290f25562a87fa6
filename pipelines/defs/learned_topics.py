"""The Python step between the two dbt steps: keywords and learned topics with stable ids.

It reads ``marts.dim_papers`` (built by the first dbt step), tokenises every paper
(pipelines/topics/text.py), clusters them warm-started from the previous run's registry and
assignment (pipelines/topics/model.py), and writes ``raw.paper_terms`` and the ``raw.learned_*``
tables (pipelines/topics/store.py), which the second dbt step (models tagged ``learned_topics``)
reads as the dbt source ``learned``. Connections are short: one read, one write transaction.
"""

import dataclasses
import time

import dagster as dg

from pipelines.defs.metadata import markdown_table
from pipelines.defs.resources import WarehouseResource
from pipelines.topics.corpus import keywords_frame
from pipelines.topics.model import TopicConfig, fit_topics
from pipelines.topics.store import read_papers, read_previous, write_fit

LEARNED_TOPICS = dg.AssetKey(["topics", "learned_topics"])
DIM_PAPERS = dg.AssetKey(["marts", "dim_papers"])
_DEFAULTS = TopicConfig()


class LearnedTopicsConfig(dg.Config):
    """Learned-topic parameters; the defaults are pipelines.topics.model.TopicConfig's."""

    n_topics: int = _DEFAULTS.n_topics
    min_topic_size: int = _DEFAULTS.min_topic_size
    min_papers: int = _DEFAULTS.min_papers
    min_df: int = _DEFAULTS.min_df
    max_df: float = _DEFAULTS.max_df
    svd_components: int = _DEFAULTS.svd_components
    split_max_similarity: float = _DEFAULTS.split_max_similarity
    match_threshold: float = _DEFAULTS.match_threshold
    centroid_terms: int = _DEFAULTS.centroid_terms
    top_terms: int = _DEFAULTS.top_terms
    keyword_candidates: int = _DEFAULTS.keyword_candidates
    ctfidf_idf_power: float = _DEFAULTS.ctfidf_idf_power
    label_terms: int = _DEFAULTS.label_terms
    random_state: int = _DEFAULTS.random_state

    def topic_config(self) -> TopicConfig:
        fields = {f.name for f in dataclasses.fields(TopicConfig)}
        return TopicConfig(**{k: v for k, v in self.model_dump().items() if k in fields})


@dg.asset(
    key=LEARNED_TOPICS,
    group_name="topics",
    deps=[DIM_PAPERS],
    kinds={"python", "scikitlearn", "duckdb"},
    description=(
        "Keywords (raw.paper_terms) and learned topics of every paper (raw.learned_topic_assignments), "
        "ids kept stable by the registry raw.learned_topic_registry (events: raw.learned_topic_events)."
    ),
)
def learned_topics(
    context: dg.AssetExecutionContext, config: LearnedTopicsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start = time.perf_counter()
    with warehouse.connect() as con:  # not read-only: creates the learned tables on a first run
        papers = read_papers(con)
        previous = read_previous(con)
    keywords = keywords_frame(papers)
    fit = fit_topics(keywords.select("paper_id", "keyword", "occurrences"), previous, config.topic_config())
    with warehouse.connect() as con:
        write_fit(con, keywords, fit, context.run_id)

    events = {e.topic_id: e for e in fit.events}
    changes = [e for e in fit.events if e.event != "kept"]
    moved = sum(
        1 for paper, topic in fit.assignments.select("paper_id", "topic_id").iter_rows()
        if paper in previous.assignments and previous.assignments[paper] != topic
    )  # fmt: skip
    if changes:
        context.log.warning(
            "learned topic ids changed: " + ", ".join(f"{e.topic_id} {e.event} ({e.papers} papers)" for e in changes)
        )
    if "skipped" in fit.diagnostics:
        context.log.warning(f"no learned topics this run: {fit.diagnostics['skipped']}")
    rows = [
        (t["topic_id"], events[t["topic_id"]].event if t["topic_id"] in events else "", t["papers"], t["label"])
        for t in fit.topics.iter_rows(named=True)
    ] + [(e.topic_id, e.event, 0, "") for e in fit.events if e.event == "retired"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(fit.assignments.height),
            "topics": dg.MetadataValue.int(fit.topics.height),
            "papers": dg.MetadataValue.int(fit.diagnostics["papers"]),
            "vocabulary": dg.MetadataValue.int(len(fit.vocabulary)),
            "mapping_changed": dg.MetadataValue.bool(bool(changes)),
            "created": dg.MetadataValue.json(sorted(e.topic_id for e in changes if e.event == "created")),
            "retired": dg.MetadataValue.json(sorted(e.topic_id for e in changes if e.event == "retired")),
            "revived": dg.MetadataValue.json(sorted(e.topic_id for e in changes if e.event == "revived")),
            "kept": dg.MetadataValue.int(sum(1 for e in fit.events if e.event == "kept")),
            "papers_changed_topic": dg.MetadataValue.int(moved),
            "fit": dg.MetadataValue.json({k: v for k, v in fit.diagnostics.items()}),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - start, 3)),
            "topic_table": dg.MetadataValue.md(markdown_table(["topic_id", "event", "papers", "label"], rows)),
        }
    )
