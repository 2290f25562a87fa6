"""Metadata helpers: what the Dagster UI shows about a table."""

import dagster as dg
import duckdb

PREVIEW_ROWS = 5
PREVIEW_TEXT_WIDTH = 80


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value: object) -> str:
        text = str(value).replace("\n", " ").replace("|", "\\|")
        return text if len(text) <= PREVIEW_TEXT_WIDTH else text[: PREVIEW_TEXT_WIDTH - 1] + "…"

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def query_markdown(con: duckdb.DuckDBPyConnection, sql: str) -> dg.MetadataValue:
    cursor = con.execute(sql)
    return dg.MetadataValue.md(markdown_table([d[0] for d in cursor.description], cursor.fetchall()))


def column_schema(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dg.TableSchema:
    """The columns as DuckDB built them: the dbt docs say what a column means, this says what it is."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, data_type, constraints=dg.TableColumnConstraints(nullable=nullable == "YES"))
            for name, data_type, nullable in rows
        ]
    )


def is_view(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()
    return bool(kind) and kind[0] == "VIEW"


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str, *, preview: bool, view: bool) -> dict:
    """Row count (tables only), column schema and, with ``preview``, the first rows.

    ``view``: whether the relation is a view (:func:`is_view`; the caller has asked already).

    A view is not counted: counting runs its whole query, every run (marts.paper_keywords at 1M
    papers: 92M rows, 14 s), and its rows are computed when read anyway.
    """
    relation = f'"{schema}"."{table}"'
    metadata: dict = {"dagster/column_schema": dg.MetadataValue.table_schema(column_schema(con, schema, table))}
    if view:
        metadata["relation"] = "view: its rows are computed when it is read"
    else:
        metadata["dagster/row_count"] = dg.MetadataValue.int(
            con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        )
    if preview:
        metadata["preview"] = query_markdown(con, f"SELECT * FROM {relation} LIMIT {PREVIEW_ROWS}")
    return metadata
