"""The project's own dbt generic tests, rendered as dbt renders them and run on DuckDB tables."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2

GENERIC_TESTS = Path(__file__).resolve().parents[1] / "dbt_project" / "tests" / "generic"


def render_generic_test(name: str, **arguments) -> str:
    """The SELECT of ``{% test name(...) %} ... {% endtest %}`` with these arguments."""
    text = (GENERIC_TESTS / f"{name}.sql").read_text(encoding="utf-8")
    body = re.search(r"{%\s*test\s+" + name + r"\(.*?\)\s*%}(.*){%\s*endtest\s*%}", text, re.S).group(1)
    return jinja2.Template(body).render(**arguments)


def test_unique_combination_of_columns_returns_each_repeated_key_with_its_count():
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE terms AS
        SELECT * FROM (VALUES
            ('p1', 'graph', 1), ('p1', 'graph', 2), ('p1', 'graph', 3),  -- three rows of one key
            ('p1', 'vision', 1), ('p2', 'graph', 1),                      -- distinct keys
            (NULL, 'orphan', 1), (NULL, 'orphan', 2),                     -- a repeated key with a NULL
            ('p3', NULL, 1)
        ) AS t(paper_id, keyword, n)
        """
    )
    sql = render_generic_test(
        "unique_combination_of_columns", model="terms", combination_of_columns=["paper_id", "keyword"]
    )
    rows = sorted(con.execute(sql).fetchall(), key=str)
    assert rows == [("p1", "graph", 3), (None, "orphan", 2)]


def test_unique_combination_of_columns_agrees_with_a_plain_group_by_on_many_rows():
    """200k rows with 1,000 planted duplicates: the hash pass finds exactly the plain GROUP BY's keys."""
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE terms AS
        SELECT 'p' || (i // 20)::VARCHAR AS paper_id, 'k' || (i % 20)::VARCHAR AS keyword FROM range(200000) r(i)
        UNION ALL
        SELECT 'p' || (i * 37 % 10000)::VARCHAR, 'k' || (i % 20)::VARCHAR FROM range(1000) r(i)
        """
    )
    sql = render_generic_test(
        "unique_combination_of_columns", model="terms", combination_of_columns=["paper_id", "keyword"]
    )
    found = set(con.execute(sql).fetchall())
    plain = set(
        con.execute("SELECT paper_id, keyword, count(*) FROM terms GROUP BY ALL HAVING count(*) > 1").fetchall()
    )
    assert len(found) == 1000 and found == plain
