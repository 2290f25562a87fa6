"""Topics through the whole pipeline on the bundled sample: taxonomy seed, keywords, learned ids, trends."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess

import dagster as dg
import duckdb
import pytest
from conftest import query

from pipelines.dbt_project import DBT_EXECUTABLE
from pipelines.defs.learned_topics import LEARNED_TOPICS
from pipelines.publish import read_manifest
from pipelines.settings import DBT_PROJECT_DIR, Home

TAXONOMY = DBT_PROJECT_DIR / "seeds" / "topic_taxonomy.csv"
TOPIC_MARTS = {
    "paper_keywords", "dim_keywords", "paper_topics", "topic_keywords", "dim_topics", "topic_trends", "emerging_topics",
}  # fmt: skip


def test_taxonomy_seed_covers_30_areas_with_valid_parents_and_patterns():
    rows = list(csv.DictReader(TAXONOMY.open(encoding="utf-8")))
    assert rows[0].keys() == {"topic", "parent", "pattern"}
    topics = [r["topic"] for r in rows]
    assert len(topics) >= 30 and len(set(topics)) == len(topics)
    assert sum(1 for r in rows if not r["parent"]) >= 20  # top-level research areas
    assert {r["parent"] for r in rows if r["parent"]} <= set(topics)
    con = duckdb.connect()
    for row in rows:  # every pattern is a valid RE2 expression, written lowercase
        assert row["pattern"] == row["pattern"].lower(), row["topic"]
        con.execute("SELECT regexp_matches('text', ?)", [row["pattern"]])


@pytest.mark.parametrize(
    ("paper_id", "title_start", "expected"),
    [
        (
            "2503.14603",
            "Command R7B Arabic",
            {"large-language-models": "title", "machine-translation-and-multilinguality": "title",
             "natural-language-processing": "subtopic"},
        ),
        (
            "2501.01830",
            "Auto-RT: Automatic Jailbreak",
            {"jailbreaks-and-adversarial-attacks": "title", "large-language-models": "title",
             "safety-alignment-and-trustworthiness": "subtopic"},
        ),
        ("2503.16709", "QuartDepth", {"quantization": "title", "3d-vision-and-reconstruction": "title"}),
        ("2503.14355", "MAST-Pro", {"mixture-of-experts": "title", "image-segmentation": "title"}),
        ("2503.15438", "VenusFactory", {"ai-for-science": "title"}),
        ("2503.12383", "VRsketch2Gaussian", {"3d-vision-and-reconstruction": "title", "computer-vision": "subtopic"}),
    ],
)  # fmt: skip
def test_taxonomy_matches_real_titles(sample_run, paper_id, title_start, expected):
    home, _ = sample_run
    title = query(home.published, "SELECT title FROM marts.dim_papers WHERE paper_id = ?", [paper_id])[0][0]
    assert title.startswith(title_start)
    found = dict(
        query(
            home.published,
            "SELECT topic_id, match_source FROM marts.paper_topics WHERE paper_id = ? AND kind = 'taxonomy'",
            [paper_id],
        )
    )
    assert {f"tax:{k}": v for k, v in expected.items()}.items() <= found.items()
    # the parent of every matched topic is there too
    parents = query(
        home.published,
        "SELECT DISTINCT parent_topic_id FROM marts.dim_topics WHERE topic_id IN (SELECT unnest(?::VARCHAR[]))"
        " AND parent_topic_id IS NOT NULL",
        [list(found)],
    )
    assert {p for (p,) in parents} <= set(found)


def test_topic_marts_are_published(sample_run):
    home, summary = sample_run
    # Tables are counted in the manifest; views (paper_keywords) are named there, not counted.
    manifest = read_manifest(home.published)
    assert manifest["mart_views"] == ["paper_keywords"]
    assert set(summary.table_rows) | set(manifest["mart_views"]) >= TOPIC_MARTS
    kinds = dict(query(home.published, "SELECT kind, count(*) FROM marts.dim_topics GROUP BY kind"))
    taxonomy_rows = sum(1 for _ in TAXONOMY.open(encoding="utf-8")) - 1
    assert kinds["taxonomy"] == taxonomy_rows and kinds["keyword"] > 0 and kinds["learned"] >= 10
    assert query(home.published, "SELECT count(*) FROM seeds.topic_taxonomy")[0][0] == taxonomy_rows


def test_keywords_fold_ai_keywords_and_carry_ngrams(sample_run):
    home, _ = sample_run
    words = dict(query(home.published, "SELECT words, count(*) FROM marts.dim_keywords WHERE words <= 3 GROUP BY 1"))
    assert words[1] > 0 and words[2] > 0 and words[3] > 0
    # ai_keywords are folded into the vocabulary (lowercase, singular): "LLMs" -> "llm"
    row = query(
        home.published, "SELECT ai_keyword_paper_count, paper_count FROM marts.dim_keywords WHERE keyword = 'llm'"
    )
    assert row and 0 < row[0][0] <= row[0][1]
    assert query(home.published, "SELECT count(*) FROM marts.dim_keywords WHERE keyword <> lower(keyword)") == [(0,)]
    assert query(home.published, "SELECT count(*) FROM marts.dim_keywords WHERE keyword = 'models'") == [(0,)]


def test_every_paper_with_keywords_has_one_learned_topic_with_a_stable_id(sample_run):
    home, _ = sample_run
    papers = query(home.published, "SELECT count(DISTINCT paper_id) FROM marts.paper_keywords")[0][0]
    learned = query(
        home.published,
        "SELECT count(*), count(DISTINCT paper_id), bool_and(regexp_matches(topic_id, '^lt:[0-9]{4}$'))"
        " FROM marts.paper_topics WHERE kind = 'learned'",
    )
    assert learned == [(papers, papers, True)]
    # The label in the marts (SQL c-TF-IDF) is the one the Python fit computed (same formula, same vocabulary).
    mismatched = query(
        home.published,
        "SELECT d.topic_id, d.label, r.label FROM marts.dim_topics AS d"
        " JOIN raw.learned_topic_registry AS r USING (topic_id) WHERE d.label <> r.label",
    )
    assert mismatched == []
    # The first fit created every id; any later fit of the same sample (the rerun test) only kept them.
    fits = query(
        home.published,
        "SELECT list(DISTINCT event ORDER BY event) FROM raw.learned_topic_events GROUP BY run_id ORDER BY min(fitted_at)",
    )
    assert fits[0] == (["created"],) and all(f == (["kept"],) for f in fits[1:])


def test_learned_topics_log_their_mapping_in_the_asset_metadata(sample_run):
    home, _ = sample_run
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    event = instance.get_latest_materialization_event(LEARNED_TOPICS)
    metadata = event.asset_materialization.metadata
    assert {"mapping_changed", "created", "retired", "kept", "papers_changed_topic", "topic_table"} <= set(metadata)
    created, kept = metadata["created"].value, metadata["kept"].value
    assert metadata["mapping_changed"].value == bool(created)
    assert len(created) + kept == metadata["topics"].value


def test_trend_shares_add_up_and_learned_topics_partition_each_period(sample_run):
    home, _ = sample_run
    # Learned topics are a partition: their papers add up to the period's listed papers.
    rows = query(
        home.published,
        "SELECT period_type, period_start, sum(papers), any_value(period_papers), round(sum(share_of_papers), 3)"
        " FROM marts.topic_trends WHERE kind = 'learned' GROUP BY 1, 2",
    )
    assert rows and all(total == listed and share == 1.0 for _, _, total, listed, share in rows)
    # Dense: every listed topic has a row in every period of each type.
    dense = query(
        home.published,
        "SELECT period_type, count(DISTINCT topic_id) * count(DISTINCT period_start) = count(*)"
        " FROM marts.topic_trends GROUP BY 1",
    )
    assert all(ok for _, ok in dense)
    # growth and z-score are where the formulas say (first period: no growth; too short a window: no z)
    first = query(
        home.published,
        "SELECT count(*) FROM marts.topic_trends WHERE period_index = 1 AND (growth IS NOT NULL OR share_zscore IS NOT NULL)",
    )
    assert first == [(0,)]


def test_emerging_topics_are_bursts_of_topic_trends(sample_run):
    home, _ = sample_run
    bursts = query(
        home.published, "SELECT topic_id, period_type, burst_start, periods, peak_zscore FROM marts.emerging_topics"
    )
    assert bursts, "the sample's 2025 weeks have bursts (ai_keywords start on 2025-03-11)"
    for topic_id, period_type, start, periods, peak in bursts:
        rows = query(
            home.published,
            "SELECT share_zscore, papers FROM marts.topic_trends WHERE topic_id = ? AND period_type = ?"
            " AND period_start >= ? ORDER BY period_start LIMIT ?",
            [topic_id, period_type, start, periods],
        )
        assert len(rows) == periods and all(z >= 2.0 and papers >= 5 for z, papers in rows)
        assert max(z for z, _ in rows) == pytest.approx(peak)


def test_full_build_of_topic_keyword_counts_in_passes_equals_one_pass(sample_run, tmp_path):
    """A full build counts paper_topics x paper_terms in passes over runs of topics (one aggregate
    over 1.7 B rows at 1M papers spills nearly every row): any number of passes gives the counts."""
    home, _ = sample_run
    copy = Home(tmp_path / "home").ensure()
    shutil.copyfile(home.warehouse, copy.warehouse)
    one_pass = query(home.warehouse, "SELECT * FROM intermediate.int_topic_keyword_counts ORDER BY ALL")
    join_rows = query(
        home.warehouse,
        "SELECT count(*) FROM marts.paper_topics INNER JOIN raw.paper_terms USING (paper_id)",
    )[0][0]
    assert len(one_pass) > 1000 and join_rows > 10_000

    budget = join_rows // 20
    result = subprocess.run(
        [
            DBT_EXECUTABLE,
            "run",
            "--select",
            "int_topic_keyword_counts",
            "--full-refresh",
            "--vars",
            f"{{topic_keyword_pass_rows: {budget}}}",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=dict(os.environ, PAPERTRENDS_HOME=str(copy.root)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    passes = int(re.search(r"counted in (\d+) pass\(es\) of at most (\d+) joined rows", result.stdout).group(1))
    # Each pass is over the budget by at most its last topic, so 20 budgets' worth take 10 to 20.
    assert 10 <= passes <= 20, result.stdout[-3000:]
    assert query(copy.warehouse, "SELECT * FROM intermediate.int_topic_keyword_counts ORDER BY ALL") == one_pass
    # The scratch schema of the passes is gone with the build.
    assert query(
        copy.warehouse, "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'topic_keyword_passes'"
    ) == [(0,)]
