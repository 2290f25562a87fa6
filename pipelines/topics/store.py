"""The learned-topic tables in the warehouse: read the papers and the previous state, write a fit.

Tables (schema raw; the dbt source ``learned``):

- ``paper_terms``: paper × vocabulary keyword (rewritten each run);
- ``learned_topic_assignments``: the fit's paper → topic (rewritten each run);
- ``learned_topic_registry``: every id ever issued with its status and term distribution
  (upserted: an id is never deleted, ``created_*`` never changes);
- ``learned_topic_events``: what each fit did to each id (created, kept, revived, retired),
  append-only like ``raw.ingestion_runs``.

All writes of a fit happen in one transaction on a short connection.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.topics.corpus import KEYWORD_SCHEMA, PAPER_SCHEMA
from pipelines.topics.model import Previous, TopicFit
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
}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table, columns in TABLES.items():
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({ddl})")


def read_papers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every paper of marts.dim_papers with its text (title, abstract, HF ai_keywords)."""
    query = "SELECT paper_id, title, abstract, ai_keywords, first_listed_on FROM marts.dim_papers ORDER BY paper_id"
    return con.sql(query).pl().cast(PAPER_SCHEMA)


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


def write_fit(con: duckdb.DuckDBPyConnection, keywords: pl.DataFrame, fit: TopicFit, run_id: str) -> None:
    """Replace the keywords and the assignment, upsert the registry, append the events: one transaction."""
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
    terms = keywords.filter(pl.col("keyword").is_in(pl.Series(fit.vocabulary, dtype=pl.Utf8).implode()))
    with transaction(con):
        _replace(con, "paper_terms", terms.cast(KEYWORD_SCHEMA))
        _replace(con, "learned_topic_assignments", fit.assignments)
        _replace(con, "learned_topic_registry", registry)
        insert_frame(con, f"{SCHEMA}.learned_topic_events", events)
