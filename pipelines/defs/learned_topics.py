"""The Python step between the two dbt steps: keywords and learned topics with stable ids.

It reads ``marts.dim_papers`` (built by the first dbt step) and writes ``raw.paper_terms`` and
the ``raw.learned_*`` tables (pipelines/topics/store.py), which the second dbt step (models
tagged ``learned_topics``) reads as the dbt source ``learned``. Two modes:

- **fit** (O(history)): tokenise every paper (pipelines/topics/text.py), cluster them
  warm-started from the previous run's registry and assignment (pipelines/topics/model.py),
  match the clusters to the registry so that ids stay stable, keep the fitted model. A run
  fits when there is no model yet, when the learned-topic or dbt code changed, when the run
  is forced (``papertrends run --force``), or when the papers placed by assignment since the
  last fit reach ``refit_fraction`` of the papers that fit placed.
- **assign** (O(new), the daily path): only the papers that are new or changed since the step
  last ran (dim_papers' snapshot count or newest as-of moved) are tokenised and placed in the
  cluster of their nearest centroid, in the fit's own TF-IDF/LSA space; papers gone from
  dim_papers lose their rows. Old papers keep their topic, ids are the fit's ids, the
  registry and its events change only at a fit; the vocabulary (raw.paper_terms) is the fit's.

So between fits, a paper's learned topic is where the last fit would put it, not where a fit
of today's papers would: an incremental run equals a full rebuild on every mart that does not
read the learned step, and on the learned marts every paper is assigned once with a stable id
(tests/test_incremental.py). A fit holds one connection (its keywords wait in a scratch table);
an assignment run has a short read and one write transaction.
"""

import dataclasses
import time

import dagster as dg

from pipelines.dbt_project import invalidate_steps
from pipelines.defs.metadata import markdown_table
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprint import FULL_REFRESH_TAG, model_fingerprint
from pipelines.memory import release_freed_memory
from pipelines.topics.corpus import keywords_frame
from pipelines.topics.model import TopicConfig, assign_topics, fit_topics
from pipelines.topics.store import (
    fit_keywords,
    read_changes,
    read_model,
    read_papers,
    read_previous,
    stage_keywords,
    write_assignment,
    write_fit,
)
from pipelines.warehouse import FIT_MEMORY_LIMIT, STREAMING_MEMORY_LIMIT

LEARNED_TOPICS = dg.AssetKey(["topics", "learned_topics"])
# The second dbt step's op (pipelines/defs/dbt_models.py), with any subset of it.
TOPIC_STEP_PREFIX = "papertrends_dbt_topic_models"
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
    fit_sample: int = _DEFAULTS.fit_sample
    refit_fraction: float = _DEFAULTS.refit_fraction

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
    fingerprint = model_fingerprint()
    with warehouse.connect() as con:  # not read-only: creates the learned tables on a first run
        stored = read_model(con)
        changes = read_changes(con)
    settings = config.topic_config()
    reason = _fit_reason(context, stored, fingerprint, changes, settings)
    if reason is None:
        return _assign(context, warehouse, stored[0], changes, start)
    context.log.info(f"learned topics: fitting every paper ({reason})")
    # The second dbt step rebuilds from scratch after a fit (every paper may have moved):
    # forget its state first, so that a crash after the fit cannot leave it incremental.
    # One connection for the fit: the keywords wait in a scratch table, read back in blocks.
    # Capped low: DuckDB would keep the table's blocks up to its limit beside the fit's frames.
    with warehouse.connect(limit=STREAMING_MEMORY_LIMIT) as con:
        invalidate_steps(con, TOPIC_STEP_PREFIX)
        previous = read_previous(con)
        papers = stage_keywords(con)
        context.log.info(f"learned topics: {papers} papers tokenised in {time.perf_counter() - start:.1f} s")
        con.execute(f"SET memory_limit = '{FIT_MEMORY_LIMIT}'")
        sample, others = fit_keywords(con, settings.fit_sample)
        fit = fit_topics(sample, previous, settings, others)
        write_fit(con, None, fit, context.run_id, fingerprint)

    events = {e.topic_id: e for e in fit.events}
    changes_logged = [e for e in fit.events if e.event != "kept"]
    moved = sum(
        1 for paper, topic in fit.assignments.select("paper_id", "topic_id").iter_rows()
        if paper in previous.assignments and previous.assignments[paper] != topic
    )  # fmt: skip
    if changes_logged:
        context.log.warning(
            "learned topic ids changed: "
            + ", ".join(f"{e.topic_id} {e.event} ({e.papers} papers)" for e in changes_logged)
        )
    if "skipped" in fit.diagnostics:
        context.log.warning(f"no learned topics this run: {fit.diagnostics['skipped']}")
    rows = [
        (t["topic_id"], events[t["topic_id"]].event if t["topic_id"] in events else "", t["papers"], t["label"])
        for t in fit.topics.iter_rows(named=True)
    ] + [(e.topic_id, e.event, 0, "") for e in fit.events if e.event == "retired"]
    result = dg.MaterializeResult(
        metadata={
            "mode": dg.MetadataValue.text("fit"),
            "fit_reason": dg.MetadataValue.text(reason),
            "dagster/row_count": dg.MetadataValue.int(fit.assignments.height),
            "topics": dg.MetadataValue.int(fit.topics.height),
            "papers": dg.MetadataValue.int(fit.diagnostics["papers"]),
            "vocabulary": dg.MetadataValue.int(len(fit.vocabulary)),
            "mapping_changed": dg.MetadataValue.bool(bool(changes_logged)),
            "created": dg.MetadataValue.json(sorted(e.topic_id for e in changes_logged if e.event == "created")),
            "retired": dg.MetadataValue.json(sorted(e.topic_id for e in changes_logged if e.event == "retired")),
            "revived": dg.MetadataValue.json(sorted(e.topic_id for e in changes_logged if e.event == "revived")),
            "kept": dg.MetadataValue.int(sum(1 for e in fit.events if e.event == "kept")),
            "papers_changed_topic": dg.MetadataValue.int(moved),
            "fit": dg.MetadataValue.json({k: v for k, v in fit.diagnostics.items()}),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - start, 3)),
            "topic_table": dg.MetadataValue.md(markdown_table(["topic_id", "event", "papers", "label"], rows)),
        }
    )
    # What the fit held is garbage now, but the heap it leaves would sit beside the next step's
    # dbt process unless it is handed back (session 7 at 1M: 0.3 GB more than before the fit).
    del fit, previous, sample, others
    release_freed_memory()
    return result


def _fit_reason(context, stored, fingerprint: str, changes, settings: TopicConfig) -> str | None:
    """Why this run must fit every paper, or None: assigning the new ones is enough."""
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        return "forced"
    if stored is None:
        return "no fitted model yet"
    model, fitted_with = stored
    if fitted_with != fingerprint:
        return f"learned-topic or dbt code changed since the fit (model fingerprint {fitted_with[:12]}, now {fingerprint[:12]})"
    placed = changes.placed_since_fit + len(changes.changed)
    if placed >= settings.refit_fraction * max(model.papers, 1):
        return f"{placed} papers placed since the fit, >= {settings.refit_fraction:g} of the fit's {model.papers}"
    return None


def _assign(context, warehouse: WarehouseResource, model, changes, start: float) -> dg.MaterializeResult:
    """The daily path: tokenise and place only the new and changed papers (module doc)."""
    with warehouse.connect(read_only=True) as con:
        papers = read_papers(con, changes.changed)
    keywords = keywords_frame(papers)
    assignments = assign_topics(keywords.select("paper_id", "keyword", "occurrences"), model)
    with warehouse.connect() as con:
        write_assignment(con, keywords, assignments, model.vocabulary, changes)
    active = sorted(set(model.topic_ids))
    counts = assignments.group_by("topic_id").len().sort("topic_id").rows() if assignments.height else []
    context.log.info(
        f"learned topics: assigned {assignments.height} of {len(changes.changed)} new or changed paper(s),"
        f" {len(changes.removed)} removed, no refit"
    )
    return dg.MaterializeResult(
        metadata={
            "mode": dg.MetadataValue.text("assign"),
            "dagster/row_count": dg.MetadataValue.int(assignments.height),
            "topics": dg.MetadataValue.int(len(active)),
            "papers": dg.MetadataValue.int(len(changes.changed)),
            "papers_removed": dg.MetadataValue.int(len(changes.removed)),
            "papers_placed_since_fit": dg.MetadataValue.int(changes.placed_since_fit + len(changes.changed)),
            "vocabulary": dg.MetadataValue.int(len(model.vocabulary)),
            # Ids only change at a fit: an assignment keeps every one.
            "mapping_changed": dg.MetadataValue.bool(False),
            "created": dg.MetadataValue.json([]),
            "retired": dg.MetadataValue.json([]),
            "revived": dg.MetadataValue.json([]),
            "kept": dg.MetadataValue.int(len(active)),
            "papers_changed_topic": dg.MetadataValue.int(0),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - start, 3)),
            "topic_table": dg.MetadataValue.md(markdown_table(["topic_id", "new papers"], counts)),
        }
    )
