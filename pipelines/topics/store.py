"""The learned-topic tables in the warehouse: read the papers and the previous state, write a fit.

Tables (schema raw; the dbt source ``learned``):

- ``paper_terms``: paper × vocabulary keyword (rewritten each run);
- ``learned_topic_assignments``: the fit's paper → topic (rewritten each run);
- ``learned_topic_registry``: every id ever issued with its status and term distribution
  (upserted: an id is never deleted, ``created_*`` never changes);
- ``learned_topic_events``: what each fit did to each id (created, kept, revived, retired),
  append-only like ``raw.ingestion_runs``;
- ``learned_topic_model``: the last fit's :class:`~pipelines.topics.model.TopicModel`
  (vocabulary, idf, LSA projection, centroids and their ids) as arrays, with the fingerprint
  of the code that fitted it;
- ``learned_paper_state``: per paper, the dim_papers state (snapshot count, newest as-of)
  the step last saw, and whether the fit or an assignment placed it.

``paper_terms`` and ``learned_topic_assignments`` are rewritten by a fit, and updated paper by
paper by an assignment run (only the papers that are new, changed or gone). Every paper an
assignment run touched is appended to ``build_state.learned_changes``, which the second dbt
step reads (its models recompute those papers) and clears once it has built.

All writes of a fit, or of an assignment run, happen in one transaction. A fit tokenises the
papers into a scratch table block by block (:func:`stage_keywords`) and reads back only the
keywords it clusters, then the others' a block at a time (:func:`fit_keywords`): its memory is
bounded by ``fit_sample`` and the block size, not by the history (1M papers carry ~4 GB of
keyword rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines.memory import release_freed_memory
from pipelines.topics.corpus import KEYWORD_SCHEMA, PAPER_SCHEMA, keyword_blocks, parallel_workers
from pipelines.topics.model import PLACE_BLOCK, SAMPLE_SQL, Previous, TopicFit, TopicModel
from pipelines.topics.registry import RegistryTopic
from pipelines.warehouse import insert_frame, transaction

SCHEMA = "raw"
TABLES = {
    "paper_terms": {
        "paper_id": "VARCHAR",
        "keyword": "VARCHAR",
        "words": "INTEGER",
        "occurrences": "INTEGER",
        "title_occurrences": "INTEGER",
        "from_ai_keywords": "BOOLEAN",
    },
    "learned_topic_assignments": {"paper_id": "VARCHAR", "topic_id": "VARCHAR", "similarity": "DOUBLE"},
    "learned_topic_registry": {
        "topic_id": "VARCHAR",
        "status": "VARCHAR",
        "label": "VARCHAR",
        "papers": "BIGINT",
        "terms": "VARCHAR[]",
        "weights": "DOUBLE[]",
        "created_run_id": "VARCHAR",
        "created_at": "TIMESTAMP",
        "updated_run_id": "VARCHAR",
        "updated_at": "TIMESTAMP",
    },
    "learned_topic_events": {
        "run_id": "VARCHAR",
        "fitted_at": "TIMESTAMP",
        "topic_id": "VARCHAR",
        "event": "VARCHAR",
        "similarity": "DOUBLE",
        "papers": "BIGINT",
        "previous_papers": "BIGINT",
    },
    "learned_topic_model": {"name": "VARCHAR", "dtype": "VARCHAR", "shape": "BIGINT[]", "data": "BLOB"},
    "learned_paper_state": {
        "paper_id": "VARCHAR",
        "snapshot_count": "BIGINT",
        "latest_as_of": "TIMESTAMP",
        "placed_by": "VARCHAR",  # fit | assign
    },
}
CHANGES_SCHEMA = "build_state"
CHANGES_TABLE = f"{CHANGES_SCHEMA}.learned_changes"
# Before-images for the topic step's keyword counts (dbt model int_topic_keyword_counts): the
# keywords a paper had when those counts last took it in, kept from the first change on
# (terms_before_papers says which papers have one) until the counts model applies them.
BEFORE_TABLES = {
    "terms_before": "paper_id VARCHAR, keyword VARCHAR",
    "terms_before_papers": "paper_id VARCHAR",
    "paper_topics_before": "paper_id VARCHAR, topic_id VARCHAR, kind VARCHAR",
    "paper_topics_before_papers": "paper_id VARCHAR",
}


# A fit's scratch table: every paper's keywords (paper_terms' columns, every keyword), from
# stage_keywords until write_fit drops it.
FIT_KEYWORDS = f"{CHANGES_SCHEMA}.fit_keywords"
PAPER_QUERY = "SELECT paper_id, title, abstract, ai_keywords, first_listed_on FROM marts.dim_papers"
# Papers fetched from DuckDB per block while tokenising.
PAPER_BATCH = 20_000


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table, columns in TABLES.items():
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({ddl})")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {CHANGES_SCHEMA}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (paper_id VARCHAR)")
    for table, ddl in BEFORE_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES_SCHEMA}.{table} ({ddl})")


def read_papers(con: duckdb.DuckDBPyConnection, paper_ids: list[str] | None = None) -> pl.DataFrame:
    """Papers of marts.dim_papers with their text (title, abstract, HF ai_keywords): all, or ``paper_ids``."""
    if paper_ids is None:
        return con.sql(f"{PAPER_QUERY} ORDER BY paper_id").pl().cast(PAPER_SCHEMA)
    con.register("wanted_papers", pl.DataFrame({"paper_id": paper_ids}, schema={"paper_id": pl.Utf8}).to_arrow())
    try:
        return (
            con.sql(f"{PAPER_QUERY} WHERE paper_id IN (SELECT paper_id FROM wanted_papers) ORDER BY paper_id")
            .pl()
            .cast(PAPER_SCHEMA)
        )
    finally:
        con.unregister("wanted_papers")


def stage_keywords(con: duckdb.DuckDBPyConnection, workers: int | None = None) -> int:
    """Tokenise every paper of dim_papers into FIT_KEYWORDS (paper order), a block at a time; papers read."""
    ensure_tables(con)
    columns = ", ".join(f'"{name}" {kind}' for name, kind in TABLES["paper_terms"].items())
    con.execute(f"CREATE OR REPLACE TABLE {FIT_KEYWORDS} ({columns})")
    paper_ids = con.sql("SELECT paper_id FROM marts.dim_papers ORDER BY paper_id").pl()["paper_id"]
    reader = con.cursor()  # reads the papers while con inserts their keywords
    try:
        for keywords in keyword_blocks(
            _paper_blocks(reader, paper_ids), workers=workers or parallel_workers(len(paper_ids))
        ):
            insert_frame(con, FIT_KEYWORDS, keywords.cast(KEYWORD_SCHEMA))
    finally:
        reader.close()
    # The inserted blocks stay in DuckDB's memory (past its limit: 0.3 GB at 1M papers) until a
    # checkpoint writes them out, and the fit that follows would run beside them.
    con.execute("CHECKPOINT")
    release_freed_memory()
    return len(paper_ids)


def _paper_blocks(con: duckdb.DuckDBPyConnection, paper_ids: pl.Series) -> Iterator[pl.DataFrame]:
    """The papers, PAPER_BATCH at a time, in paper order: a sort of a block, never of the history.

    One ORDER BY over every paper's text (1.3 GB at 1M papers) could not pin its blocks in the
    fit's 256 MB of DuckDB memory.
    """
    query = f"{PAPER_QUERY} WHERE paper_id BETWEEN $first AND $last ORDER BY paper_id"
    return (block.cast(PAPER_SCHEMA) for block in _id_range_blocks(con, query, paper_ids, PAPER_BATCH))


def _id_range_blocks(
    con: duckdb.DuckDBPyConnection, query: str, paper_ids: pl.Series, size: int
) -> Iterator[pl.DataFrame]:
    """``query`` (which reads ``paper_id BETWEEN $first AND $last``) over each run of ``size``
    sorted ids. A table stored in paper order (dim_papers, FIT_KEYWORDS) finds a range by its
    row groups' min/max without reading the others."""
    for start in range(0, paper_ids.len(), size):
        block = paper_ids.slice(start, size)
        yield con.sql(query, params={"first": block[0], "last": block[-1]}).pl()


def fit_keywords(
    con: duckdb.DuckDBPyConnection, sample_size: int
) -> tuple[pl.DataFrame, Iterator[pl.DataFrame] | None]:
    """From FIT_KEYWORDS: the keywords the fit clusters (paper_id, keyword, occurrences) and, when
    there are more than ``sample_size`` papers, the other papers' keywords in blocks of
    PLACE_BLOCK papers. The sample is :func:`~pipelines.topics.model.fit_sample`'s (SAMPLE_SQL)."""
    columns = "paper_id, keyword, occurrences"
    papers = con.execute(f"SELECT count(DISTINCT paper_id) FROM {FIT_KEYWORDS}").fetchall()[0][0]
    if papers <= sample_size:
        return con.sql(f"SELECT {columns} FROM {FIT_KEYWORDS}").pl(), None
    sample = SAMPLE_SQL.format(source=FIT_KEYWORDS, size=int(sample_size))
    con.execute(f"CREATE OR REPLACE TEMP TABLE fit_sample_papers AS {sample}")
    in_sample = "paper_id IN (SELECT paper_id FROM fit_sample_papers)"
    others = con.sql(f"SELECT DISTINCT paper_id FROM {FIT_KEYWORDS} WHERE NOT {in_sample} ORDER BY paper_id").pl()[
        "paper_id"
    ]
    sample_keywords = con.sql(f"SELECT {columns} FROM {FIT_KEYWORDS} WHERE {in_sample}").pl()
    query = f"SELECT {columns} FROM {FIT_KEYWORDS} WHERE paper_id BETWEEN $first AND $last AND NOT {in_sample}"
    return sample_keywords, _id_range_blocks(con, query, others, PLACE_BLOCK)


@dataclass
class PaperChanges:
    """Papers of dim_papers the learned step has not seen as they are now, and papers gone from it."""

    changed: list[str]
    removed: list[str]
    placed_since_fit: int  # papers an assignment (not the fit) placed, this run's excluded


CHANGES_SQL = f"""
SELECT d.paper_id
FROM marts.dim_papers AS d
LEFT JOIN {SCHEMA}.learned_paper_state AS s USING (paper_id)
WHERE s.paper_id IS NULL
   OR s.snapshot_count IS DISTINCT FROM d.snapshot_count
   OR s.latest_as_of IS DISTINCT FROM d.latest_as_of
ORDER BY d.paper_id
"""


def read_changes(con: duckdb.DuckDBPyConnection) -> PaperChanges:
    """What changed since the step last ran, from dim_papers' snapshot count and newest as-of.

    A paper's text (title, abstract, ai_keywords) comes from its snapshots, and snapshots are
    only ever added (or, with a new seed-page match, moved): a paper whose snapshot count and
    newest as-of are as they were has the text it had.
    """
    ensure_tables(con)
    changed = [r[0] for r in con.execute(CHANGES_SQL).fetchall()]
    removed = [
        r[0]
        for r in con.execute(
            f"SELECT paper_id FROM {SCHEMA}.learned_paper_state"
            " WHERE paper_id NOT IN (SELECT paper_id FROM marts.dim_papers) ORDER BY paper_id"
        ).fetchall()
    ]
    since = con.execute(f"SELECT count(*) FROM {SCHEMA}.learned_paper_state WHERE placed_by = 'assign'").fetchone()[0]
    return PaperChanges(changed, removed, int(since))


_STATE_SQL = """
SELECT paper_id, snapshot_count, latest_as_of, ? AS placed_by FROM marts.dim_papers
"""


def _model_rows(model: TopicModel, fingerprint: str) -> list[tuple]:
    def array(name: str, values: np.ndarray) -> tuple:
        values = np.ascontiguousarray(values)
        return (name, values.dtype.str, list(values.shape), values.tobytes())

    def text(name: str, items: list[str]) -> tuple:
        return (name, "text", [len(items)], "\n".join(items).encode())

    return [
        text("vocabulary", model.vocabulary),
        array("idf", np.asarray(model.idf, dtype=np.float64)),
        # float32 halves the largest array; it only places new papers (the fit's own are kept).
        array("components", np.asarray(model.components, dtype=np.float32)),
        array("centroids", np.asarray(model.centroids, dtype=np.float64)),
        text("topic_ids", model.topic_ids),
        array("papers", np.asarray([model.papers], dtype=np.int64)),
        text("fingerprint", [fingerprint]),
    ]


def read_model(con: duckdb.DuckDBPyConnection) -> tuple[TopicModel, str] | None:
    """The last fit's model and the fingerprint of the code that fitted it, or None without a fit."""
    ensure_tables(con)
    rows = {
        r[0]: r[1:]
        for r in con.execute(f"SELECT name, dtype, shape, data FROM {SCHEMA}.learned_topic_model").fetchall()
    }
    if "centroids" not in rows:
        return None

    def array(name: str) -> np.ndarray:
        dtype, shape, data = rows[name]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)

    def text(name: str) -> list[str]:
        _, shape, data = rows[name]
        return data.decode().split("\n") if shape[0] else []

    model = TopicModel(
        vocabulary=text("vocabulary"),
        idf=array("idf"),
        components=array("components").astype(np.float64),
        centroids=array("centroids"),
        topic_ids=text("topic_ids"),
        papers=int(array("papers")[0]),
    )
    return model, text("fingerprint")[0]


def clear_learned_changes(con: duckdb.DuckDBPyConnection) -> None:
    """The second dbt step has rebuilt every paper the learned step touched."""
    ensure_tables(con)
    con.execute(f"DELETE FROM {CHANGES_TABLE}")


def read_previous(con: duckdb.DuckDBPyConnection) -> Previous:
    ensure_tables(con)
    registry = [
        RegistryTopic(
            topic_id, status, label or "", int(papers or 0), dict(zip(terms or [], weights or [], strict=True))
        )
        for topic_id, status, label, papers, terms, weights in con.execute(
            f"SELECT topic_id, status, label, papers, terms, weights FROM {SCHEMA}.learned_topic_registry ORDER BY topic_id"
        ).fetchall()
    ]
    assignments = dict(
        con.execute(f"SELECT paper_id, topic_id FROM {SCHEMA}.learned_topic_assignments ORDER BY paper_id").fetchall()
    )
    return Previous(registry=registry, assignments=assignments)


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"DELETE FROM {SCHEMA}.{table}")
    insert_frame(con, f"{SCHEMA}.{table}", frame)


def write_fit(
    con: duckdb.DuckDBPyConnection, keywords: pl.DataFrame | None, fit: TopicFit, run_id: str, fingerprint: str = ""
) -> None:
    """Replace the keywords and the assignment, upsert the registry, append the events: one transaction.

    The model and the paper state are replaced too: every paper of dim_papers is now the fit's.
    ``keywords`` None: the keywords are FIT_KEYWORDS' (stage_keywords), which goes once written.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ensure_tables(con)
    existing = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT topic_id, created_run_id, created_at FROM {SCHEMA}.learned_topic_registry"
        ).fetchall()
    }
    registry = pl.DataFrame(
        [
            {
                "topic_id": t.topic_id,
                "status": t.status,
                "label": t.label,
                "papers": t.papers,
                "terms": list(t.terms),
                "weights": list(t.terms.values()),
                "created_run_id": existing.get(t.topic_id, (run_id, now))[0],
                "created_at": existing.get(t.topic_id, (run_id, now))[1],
                "updated_run_id": run_id,
                "updated_at": now,
            }
            for t in fit.registry
        ],
        schema={
            "topic_id": pl.Utf8,
            "status": pl.Utf8,
            "label": pl.Utf8,
            "papers": pl.Int64,
            "terms": pl.List(pl.Utf8),
            "weights": pl.List(pl.Float64),
            "created_run_id": pl.Utf8,
            "created_at": pl.Datetime("us"),
            "updated_run_id": pl.Utf8,
            "updated_at": pl.Datetime("us"),
        },
    )
    events = pl.DataFrame(
        [
            {
                "run_id": run_id,
                "fitted_at": now,
                "topic_id": e.topic_id,
                "event": e.event,
                "similarity": e.similarity,
                "papers": e.papers,
                "previous_papers": e.previous_papers,
            }
            for e in fit.events
        ],
        schema={
            "run_id": pl.Utf8,
            "fitted_at": pl.Datetime("us"),
            "topic_id": pl.Utf8,
            "event": pl.Utf8,
            "similarity": pl.Float64,
            "papers": pl.Int64,
            "previous_papers": pl.Int64,
        },
    )
    vocabulary = pl.DataFrame({"keyword": fit.vocabulary}, schema={"keyword": pl.Utf8})
    with transaction(con):
        if keywords is None:
            con.register("fit_vocabulary", vocabulary.to_arrow())
            con.execute(f"DELETE FROM {SCHEMA}.paper_terms")
            con.execute(
                f"INSERT INTO {SCHEMA}.paper_terms SELECT * FROM {FIT_KEYWORDS}"
                " WHERE keyword IN (SELECT keyword FROM fit_vocabulary)"
            )
            con.unregister("fit_vocabulary")
            con.execute(f"DROP TABLE {FIT_KEYWORDS}")
        else:
            terms = keywords.filter(pl.col("keyword").is_in(vocabulary["keyword"].implode()))
            _replace(con, "paper_terms", terms.cast(KEYWORD_SCHEMA))
        _replace(con, "learned_topic_assignments", fit.assignments)
        _replace(con, "learned_topic_registry", registry)
        insert_frame(con, f"{SCHEMA}.learned_topic_events", events)
        con.execute(f"DELETE FROM {SCHEMA}.learned_topic_model")
        if fit.model is not None:
            con.executemany(
                f"INSERT INTO {SCHEMA}.learned_topic_model VALUES (?, ?, ?, ?)", _model_rows(fit.model, fingerprint)
            )
        con.execute(f"DELETE FROM {SCHEMA}.learned_paper_state")
        con.execute(f"INSERT INTO {SCHEMA}.learned_paper_state {_STATE_SQL}", ["fit"])
        # After a fit the topic step rebuilds from scratch (pipelines/defs/learned_topics.py):
        # no change is pending any more.
        con.execute(f"DELETE FROM {CHANGES_TABLE}")
        for table in BEFORE_TABLES:
            con.execute(f"DELETE FROM {CHANGES_SCHEMA}.{table}")


def write_assignment(
    con: duckdb.DuckDBPyConnection,
    keywords: pl.DataFrame,
    assignments: pl.DataFrame,
    vocabulary: list[str],
    changes: PaperChanges,
) -> None:
    """Replace the keywords and assignment of the changed and removed papers only: one transaction.

    The registry and the events stay as the fit left them: no id is created or retired
    between fits. The papers go to build_state.learned_changes for the second dbt step.
    """
    touched = pl.DataFrame({"paper_id": changes.changed + changes.removed}, schema={"paper_id": pl.Utf8})
    terms = keywords.filter(pl.col("keyword").is_in(pl.Series(vocabulary, dtype=pl.Utf8).implode()))
    ensure_tables(con)
    with transaction(con):
        con.register("touched_papers", touched.to_arrow())
        try:
            # The keyword counts took these papers in with the keywords they have now, unless an
            # earlier run already kept what they had then: keep the first image only.
            before = (
                "SELECT paper_id FROM touched_papers"
                f" WHERE paper_id NOT IN (SELECT paper_id FROM {CHANGES_SCHEMA}.terms_before_papers)"
            )
            con.execute(
                f"INSERT INTO {CHANGES_SCHEMA}.terms_before SELECT paper_id, keyword FROM {SCHEMA}.paper_terms"
                f" WHERE paper_id IN ({before})"
            )
            con.execute(f"INSERT INTO {CHANGES_SCHEMA}.terms_before_papers {before}")
            for table in ("paper_terms", "learned_topic_assignments", "learned_paper_state"):
                con.execute(f"DELETE FROM {SCHEMA}.{table} WHERE paper_id IN (SELECT paper_id FROM touched_papers)")
            insert_frame(con, f"{SCHEMA}.paper_terms", terms.cast(KEYWORD_SCHEMA))
            insert_frame(con, f"{SCHEMA}.learned_topic_assignments", assignments)
            con.execute(
                f"INSERT INTO {SCHEMA}.learned_paper_state {_STATE_SQL}"
                " WHERE paper_id IN (SELECT paper_id FROM touched_papers)",
                ["assign"],
            )
            con.execute(f"INSERT INTO {CHANGES_TABLE} SELECT paper_id FROM touched_papers")
        finally:
            con.unregister("touched_papers")
