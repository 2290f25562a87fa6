"""Incremental runs give the marts a full rebuild gives (issue 6: cost follows what is new).

One home builds the bundled sample in two runs, split by file: first every file listed up to
three days before the last day, then the rest, together with files that reach back into the
history (a later re-fetch of 2025-01-08, which changes that day's list and adds snapshots to
old papers; an arXiv listing day) and a new HF day carrying the title of a seed-page paper (so
the seed row moves from its own title id to that paper's arXiv id). Another home builds
everything in one run. The second run of the first home is incremental: it ingests only its
days, dbt replaces only what they change (dbt_project/macros/incremental.sql) and the learned
topics assign only the new papers.

What must be equal (the contract documented in pipelines/defs/learned_topics.py):
- every mart that does not read the learned-topic step, row for row;
- on the topic marts, every row of the keyword and taxonomy topics except the columns that
  read the learned step's vocabulary (top keywords);
- learned topics: between fits a new paper joins the nearest topic of the last fit, so the
  learned rows are not a refit's; every paper with vocabulary keywords has exactly one learned
  topic, the papers of the first run keep theirs, and no topic id is created or retired.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest
from conftest import RUN_LOG_MARTS, fresh_home, query

from pipelines.dbt_project import commit_step, plan_step
from pipelines.fingerprint import code_fingerprint
from pipelines.landing import expand_inputs
from pipelines.publish import read_manifest
from pipelines.runner import run_pipeline
from pipelines.settings import SAMPLE_DIR
from pipelines.warehouse import ensure_raw_tables

# Marts whose rows come from the learned-topic step's vocabulary or assignment.
VOCABULARY_MARTS = ("paper_keywords", "dim_keywords", "topic_keywords")
PER_KIND_MARTS = ("paper_topics", "topic_trends", "emerging_topics", "dim_topics")
LATE_REFETCH = SAMPLE_DIR / "hf-daily-papers" / "history" / "2025-01-08__2025-01-09T06-07-15Z.json"
LATE_ARXIV = SAMPLE_DIR / "arxiv-daily-listings" / "2025-03-24.jsonl"
SEED_FILE = SAMPLE_DIR / "seed_page" / "000_d08c345bab2960d3.txt"
SEED_TITLE_PAPER = "2506.99001"
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def listing_date(path: Path) -> dt.date | None:
    match = _DATE.search(path.name)
    return dt.date.fromisoformat(match.group(1)) if match else None


def seed_titled_day(folder: Path) -> Path:
    """A new HF day whose only paper has the title of the seed page's first paper."""
    blocks = [b.strip() for b in SEED_FILE.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    title = blocks[blocks.index("Feb 26") + 1]
    record = json.loads((SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-27.json").read_text())[0]
    record["paper"] = {**record["paper"], "id": SEED_TITLE_PAPER, "title": title, "upvotes": 3}
    record["title"] = title
    path = folder / "2025-06-28.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    extra = seed_titled_day(tmp_path_factory.mktemp("extra_day"))
    files = expand_inputs([SAMPLE_DIR])
    last = max(d for d in map(listing_date, files) if d is not None)
    held_back = {LATE_REFETCH, LATE_ARXIV}
    first = [f for f in files if f not in held_back and (listing_date(f) or dt.date.min) <= last - dt.timedelta(days=3)]
    second = [f for f in files if f not in first] + [extra]
    assert SEED_FILE in first and LATE_REFETCH in second and len(first) > 40

    incremental = fresh_home(tmp_path_factory, "incremental_home")
    one = run_pipeline(first, incremental)
    assert one.success, f"{one.failed_steps} {one.failed_checks}"
    learned_after_first = dict(
        query(incremental.published, "SELECT paper_id, topic_id FROM marts.paper_topics WHERE kind = 'learned'")
    )
    registry_after_first = query(incremental.published, "SELECT topic_id, status FROM raw.learned_topic_registry")
    two = run_pipeline(second, incremental)
    assert two.success, f"{two.failed_steps} {two.failed_checks}"

    full = fresh_home(tmp_path_factory, "full_home")
    everything = run_pipeline([*first, *second], full)
    assert everything.success, f"{everything.failed_steps} {everything.failed_checks}"
    return incremental, two, full, learned_after_first, registry_after_first


def sorted_rows(database: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def mart_names(database: Path) -> list[str]:
    return [
        r[0]
        for r in query(
            database, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
        )
    ]


def test_the_second_run_was_incremental(builds):
    incremental, two, _, _, _ = builds
    # Only the days of its own files were ingested.
    assert two.ingested_days[0] == "2025-01-08" and "2025-06-28" in two.ingested_days
    assert "2024-06-10" not in two.ingested_days
    # Both dbt steps built incrementally from the step state of the first run.
    steps = dict(query(incremental.warehouse, "SELECT step, model_fingerprint IS NOT NULL FROM build_state.steps"))
    assert steps and all(steps.values())
    assert query(incremental.warehouse, "SELECT count(*) FROM build_state.learned_changes") == [(0,)]
    # The learned step assigned the new papers instead of refitting: no new fit event.
    fits = query(incremental.warehouse, "SELECT count(DISTINCT run_id) FROM raw.learned_topic_events")
    assert fits == [(1,)]
    states = dict(query(incremental.warehouse, "SELECT placed_by, count(*) FROM raw.learned_paper_state GROUP BY 1"))
    assert 0 < states["assign"] < states["fit"]


def test_every_other_mart_equals_a_full_rebuild(builds):
    incremental, _, full, _, _ = builds
    names = mart_names(full.published)
    assert names == mart_names(incremental.published)
    compared = [n for n in names if n not in (*RUN_LOG_MARTS, *VOCABULARY_MARTS, *PER_KIND_MARTS)]
    assert {"dim_papers", "fct_paper_snapshots", "trending_papers", "trending_papers_latest"} <= set(compared)
    for name in compared:
        sql = f'SELECT * FROM marts."{name}"'
        assert sorted_rows(incremental.published, sql) == sorted_rows(full.published, sql), name


def test_keyword_and_taxonomy_topics_equal_a_full_rebuild(builds):
    incremental, _, full, _, _ = builds
    for name in PER_KIND_MARTS:
        columns = [
            r[0]
            for r in query(
                full.published,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ?"
                " AND column_name <> 'top_keywords' ORDER BY ordinal_position",
                [name],
            )
        ]
        sql = f"SELECT {', '.join(columns)} FROM marts.\"{name}\" WHERE kind <> 'learned'"
        rows = sorted_rows(full.published, sql)
        assert rows, name
        assert sorted_rows(incremental.published, sql) == rows, name


def test_the_late_history_and_the_seed_match_reach_old_rows(builds):
    incremental, _, full, _, _ = builds
    # The re-fetch of 2025-01-08 is its final list (15 papers, 13 in the earlier fetches).
    listed = "SELECT count(*) FROM marts.dim_papers WHERE first_listed_on = '2025-01-08'"
    assert query(incremental.published, listed) == query(full.published, listed) == [(15,)]
    # The seed row moved from its own title id to the new paper's arXiv id: one paper, both sources.
    seed_paper = query(
        incremental.published,
        "SELECT paper_id, sources FROM marts.dim_papers WHERE list_contains(sources, 'seed_page')"
        " AND list_contains(sources, 'hf_daily_papers')",
    )
    assert seed_paper == [(SEED_TITLE_PAPER, ["hf_daily_papers", "seed_page"])]
    assert query(incremental.published, "SELECT count(*) FROM marts.dim_papers WHERE paper_id LIKE 'title:%'") == [
        (29,)
    ]


def test_learned_topics_keep_their_ids_and_place_every_new_paper(builds):
    incremental, _, _, learned_after_first, registry_after_first = builds
    learned = dict(
        query(incremental.published, "SELECT paper_id, topic_id FROM marts.paper_topics WHERE kind = 'learned'")
    )
    # Every paper with vocabulary keywords has exactly one learned topic.
    with_keywords = query(incremental.published, "SELECT count(DISTINCT paper_id) FROM marts.paper_keywords")[0][0]
    assert len(learned) == with_keywords
    assert query(
        incremental.published,
        "SELECT count(*) FROM (SELECT paper_id FROM marts.paper_topics WHERE kind = 'learned' GROUP BY 1"
        " HAVING count(*) > 1)",
    ) == [(0,)]
    # The first run's papers keep their topic (but the seed paper whose row moved to an arXiv id:
    # its title id is no paper any more); new papers join topics that existed.
    gone = set(learned_after_first) - set(learned)
    assert all(p.startswith("title:") for p in gone) and len(gone) <= 1
    assert {p: learned[p] for p in learned_after_first if p not in gone} == {
        p: t for p, t in learned_after_first.items() if p not in gone
    }
    new_papers = set(learned) - set(learned_after_first)
    assert new_papers and {learned[p] for p in new_papers} <= {t for t, s in registry_after_first if s == "active"}
    assert query(incremental.published, "SELECT topic_id, status FROM raw.learned_topic_registry") == (
        registry_after_first
    )


def test_a_rerun_over_the_same_files_is_a_no_op(builds):
    incremental, two, _, _, _ = builds
    manifest = read_manifest(incremental.published)
    code = code_fingerprint()  # another process editing pipelines/ meanwhile would change it
    assert manifest["build"]["code_fingerprint"] == code, "the code changed during the test"
    again = run_pipeline([], incremental)  # nothing to land: every landed file is published
    assert again.up_to_date and again.run_id == two.run_id


def test_a_step_built_by_other_code_rebuilds_and_its_plan_names_both_fingerprints() -> None:
    con = duckdb.connect()
    ensure_raw_tables(con)
    first = plan_step(con, "step", "a" * 64)
    assert first.full_refresh and first.reason == "first build of this step"
    commit_step(con, "step", "a" * 64)
    again = plan_step(con, "step", "a" * 64)
    assert not again.full_refresh and again.reason == "incremental" and again.changed_days == []
    changed = plan_step(con, "step", "b" * 64)
    assert changed.full_refresh
    assert changed.reason == (
        "dbt project or learned-topic code changed: model fingerprint aaaaaaaaaaaa when last built, bbbbbbbbbbbb now"
    )
