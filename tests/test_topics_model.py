"""Learned topics: deterministic fits and stable ids (same input, an added week, a new subject, retirement)."""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.settings import SAMPLE_DIR
from pipelines.topics import store
from pipelines.topics.corpus import PAPER_SCHEMA, keywords_frame, load_hf_folder
from pipelines.topics.model import Previous, TopicConfig, TopicFit, assign_topics, fit_sample, fit_topics
from pipelines.topics.registry import RegistryTopic, assign_ids
from pipelines.topics.store import fit_keywords, read_previous, stage_keywords, write_fit

CONFIG = TopicConfig(n_topics=4, min_topic_size=8, min_papers=20, min_df=2, svd_components=20)
SUBJECTS = {
    "vision": "image pixel convolution segmentation detection camera photo resolution",
    "language": "token sentence translation grammar parsing vocabulary corpus syntax",
    "robotics": "robot gripper manipulation locomotion actuator torque grasp arm",
    "audio": "speech waveform spectrogram speaker acoustic phoneme microphone pitch",
    "biology": "protein enzyme genome molecule cell receptor peptide folding",
}
SHARED = "model method data learning benchmark training"


def papers(subject: str, start: int, count: int, seed: int) -> pl.DataFrame:
    """``count`` papers on ``subject``: 5 of its 8 words and 2 shared words each, ids start..start+count-1."""
    rng = np.random.default_rng(seed)
    words, shared = SUBJECTS[subject].split(), SHARED.split()
    rows = []
    for i in range(start, start + count):
        chosen = [*rng.choice(words, 5, replace=False), *rng.choice(shared, 2, replace=False)]
        rows += [(f"{subject}-{i:03d}", w, int(rng.integers(1, 4))) for w in chosen]
    return pl.DataFrame(rows, schema={"paper_id": pl.Utf8, "keyword": pl.Utf8, "occurrences": pl.Int64}, orient="row")


def corpus(subjects, start: int = 0, count: int = 30, seed: int = 0) -> pl.DataFrame:
    return pl.concat([papers(s, start, count, seed + i) for i, s in enumerate(subjects)])


def previous(fit: TopicFit) -> Previous:
    return Previous(registry=fit.registry, assignments=dict(fit.assignments.select("paper_id", "topic_id").iter_rows()))


def topic_of_subject(fit: TopicFit) -> dict[str, str]:
    """subject -> the topic id most of its papers have."""
    frame = fit.assignments.with_columns(subject=pl.col("paper_id").str.split("-").list.first())
    counts = frame.group_by("subject", "topic_id").len().sort("len", descending=True)
    return {s: counts.filter(pl.col("subject") == s)["topic_id"][0] for s in counts["subject"].unique()}


@pytest.fixture(scope="module")
def first_fit() -> TopicFit:
    return fit_topics(corpus(["vision", "language", "robotics", "audio"]), config=CONFIG)


def test_a_fit_finds_the_subjects_and_labels_them(first_fit):
    assert first_fit.topics.height == 4
    assert [e.event for e in first_fit.events] == ["created"] * 4
    mapping = topic_of_subject(first_fit)
    assert len(set(mapping.values())) == 4  # one topic per subject, every paper of a subject in it
    purity = first_fit.assignments.with_columns(subject=pl.col("paper_id").str.split("-").list.first())
    assert purity.group_by("subject").agg(pl.col("topic_id").n_unique())["topic_id"].max() == 1
    labels = dict(first_fit.topics.select("topic_id", "label").iter_rows())
    top = dict(first_fit.topics.select("topic_id", "top_terms").iter_rows())
    for subject, topic_id in mapping.items():
        assert set(top[topic_id][:3]) <= set(SUBJECTS[subject].split()), (subject, labels[topic_id])
    assert sorted(mapping.values()) == ["lt:0001", "lt:0002", "lt:0003", "lt:0004"]


def test_same_input_gives_same_ids(first_fit):
    keywords = corpus(["vision", "language", "robotics", "audio"])
    again = fit_topics(keywords, config=CONFIG)  # a fresh home: no registry
    assert again.assignments.equals(first_fit.assignments)
    assert again.topics.equals(first_fit.topics)
    # input order does not matter
    shuffled = fit_topics(keywords.sample(fraction=1.0, shuffle=True, seed=7), config=CONFIG)
    assert shuffled.assignments.equals(first_fit.assignments)
    # a rerun on the same rows, starting from the registry, is a fixed point: same ids, nothing created
    rerun = fit_topics(keywords, previous(first_fit), CONFIG)
    assert rerun.assignments.equals(first_fit.assignments)
    assert {e.event for e in rerun.events} == {"kept"}
    assert all(e.similarity == pytest.approx(1.0) for e in rerun.events)


def test_an_added_week_keeps_the_old_ids(first_fit):
    grown = pl.concat(
        [
            corpus(["vision", "language", "robotics", "audio"]),
            corpus(["vision", "language", "robotics", "audio"], 30, 8, 10),
        ]
    )
    second = fit_topics(grown, previous(first_fit), CONFIG)
    assert {e.event for e in second.events} == {"kept"}
    joined = first_fit.assignments.join(second.assignments, on="paper_id", suffix="_2")
    assert joined.height == 120
    assert (joined["topic_id"] == joined["topic_id_2"]).all()
    assert topic_of_subject(second) == topic_of_subject(first_fit)  # the new papers join their subject's id


def test_a_new_subject_gets_a_new_id_and_old_ids_stay(first_fit):
    grown = pl.concat([corpus(["vision", "language", "robotics", "audio"]), papers("biology", 0, 25, 99)])
    second = fit_topics(grown, previous(first_fit), CONFIG)
    events = {e.topic_id: e.event for e in second.events}
    assert events == {"lt:0001": "kept", "lt:0002": "kept", "lt:0003": "kept", "lt:0004": "kept", "lt:0005": "created"}
    mapping = topic_of_subject(second)
    assert mapping["biology"] == "lt:0005"
    assert {s: t for s, t in mapping.items() if s != "biology"} == topic_of_subject(first_fit)
    assert second.diagnostics["split"] == 1  # the new subject was split out of the cluster it first joined
    # ... and the new topic is stable from then on
    third = fit_topics(grown, previous(second), CONFIG)
    assert {e.event for e in third.events} == {"kept"}
    assert third.assignments.equals(second.assignments)


def test_a_vanished_subject_retires_its_id_and_a_return_revives_it(first_fit):
    mapping = topic_of_subject(first_fit)
    without_audio = corpus(["vision", "language", "robotics"])
    second = fit_topics(without_audio, previous(first_fit), CONFIG)
    events = {e.topic_id: e.event for e in second.events}
    assert events[mapping["audio"]] == "retired"
    assert sorted(t.topic_id for t in second.registry) == ["lt:0001", "lt:0002", "lt:0003", "lt:0004"]  # kept
    assert {t.topic_id: t.status for t in second.registry}[mapping["audio"]] == "retired"
    assert mapping["audio"] not in set(second.assignments["topic_id"])

    back = fit_topics(corpus(["vision", "language", "robotics", "audio"]), previous(second), CONFIG)
    events = {e.topic_id: e.event for e in back.events}
    assert events[mapping["audio"]] == "revived"
    assert topic_of_subject(back) == mapping  # never renumbered: no lt:0005


def test_hungarian_matching_threshold_and_numbering():
    registry = [
        RegistryTopic("lt:0001", "active", "a", 10, {"a": 1.0}),
        RegistryTopic("lt:0007", "retired", "b", 0, {"b": 1.0}),
    ]
    clusters = [({"b": 0.8, "c": 0.6}, 5, "p2"), ({"a": 0.9, "z": 0.43}, 9, "p1"), ({"q": 1.0}, 20, "p3")]
    updated, events, ids = assign_ids(clusters, registry, threshold=0.5, return_ids=True)
    # cosine({b:.8,c:.6}, {b:1}) = 0.8 >= 0.5: revives lt:0007; {a:.9,z:.43} ~ 0.90 keeps lt:0001;
    # {q} matches nothing and is numbered after the highest id ever issued (7), not after the count.
    assert ids == ["lt:0007", "lt:0001", "lt:0008"]
    assert {e.topic_id: e.event for e in events} == {"lt:0001": "kept", "lt:0007": "revived", "lt:0008": "created"}
    _, events, ids = assign_ids(clusters[:1], registry, threshold=0.9, return_ids=True)
    assert ids == ["lt:0008"]  # below the threshold: a new id, and lt:0001 retires
    assert {e.topic_id: e.event for e in events} == {"lt:0001": "retired", "lt:0008": "created"}
    assert [t.topic_id for t in updated] == ["lt:0001", "lt:0007", "lt:0008"]


def test_the_registry_round_trips_through_the_warehouse(first_fit):
    con = duckdb.connect()
    keywords = corpus(["vision", "language", "robotics", "audio"]).with_columns(
        words=pl.lit(1, pl.Int32), title_occurrences=pl.lit(0, pl.Int32), from_ai_keywords=pl.lit(False)
    )
    # write_fit records each paper's dim_papers state (what later runs diff against): give it one.
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.dim_papers AS SELECT DISTINCT paper_id, 1 AS snapshot_count,"
        " TIMESTAMP '2025-06-02 08:00:00' AS latest_as_of FROM keywords"
    )
    write_fit(con, keywords, first_fit, run_id="run-1")
    assert con.execute("SELECT count(*) FROM raw.learned_paper_state").fetchone()[0] == keywords["paper_id"].n_unique()
    loaded = read_previous(con)
    assert loaded.registry == first_fit.registry
    assert loaded.assignments == previous(first_fit).assignments
    write_fit(con, keywords, fit_topics(keywords, loaded, CONFIG), run_id="run-2")
    created = con.execute("SELECT DISTINCT created_run_id FROM raw.learned_topic_registry").fetchall()
    assert created == [("run-1",)]  # an id's creation is never rewritten
    assert con.execute("SELECT run_id, count(*) FROM raw.learned_topic_events GROUP BY 1 ORDER BY 1").fetchall() == [
        ("run-1", 4),
        ("run-2", 4),
    ]


def test_too_few_papers_fit_nothing_and_change_nothing(first_fit):
    tiny = papers("vision", 0, 10, 0)
    fit = fit_topics(tiny, previous(first_fit), CONFIG)
    assert fit.assignments.height == 0 and fit.events == []
    assert fit.registry == first_fit.registry
    assert "skipped" in fit.diagnostics


def test_papers_without_a_shared_keyword_fit_nothing():
    lonely = pl.DataFrame(
        {"paper_id": ["a", "b"], "keyword": ["only-a", "only-b"], "occurrences": [1, 1]},
        schema={"paper_id": pl.Utf8, "keyword": pl.Utf8, "occurrences": pl.Int64},
    )
    fit = fit_topics(lonely, config=CONFIG)
    assert fit.vocabulary == [] and fit.assignments.height == 0 and fit.topics.height == 0
    assert fit_topics(lonely.clear(), config=CONFIG).assignments.height == 0


def test_a_fit_past_fit_sample_clusters_the_sample_and_places_every_other_paper():
    keywords = corpus(["vision", "language", "robotics", "audio"], count=40)  # 160 papers
    sampled = TopicConfig(**{**CONFIG.__dict__, "fit_sample": 60})
    fit = fit_topics(keywords, config=sampled)
    again = fit_topics(keywords, config=sampled)

    chosen = set(fit_sample(keywords, 60)["paper_id"])
    digests = sorted((hashlib.md5(p.encode()).hexdigest(), p) for p in keywords["paper_id"].unique())
    assert chosen == {p for _, p in digests[:60]}
    assert fit.diagnostics["clustered"] == 60 and fit.diagnostics["placed"] == 100
    assert fit.diagnostics["papers"] == 160 and fit.model.papers == 160
    assert fit.assignments.height == 160 and fit.assignments["paper_id"].is_sorted()
    assert fit.assignments.equals(again.assignments)  # deterministic

    # The sample finds the four subjects; the placed papers join their subject's topic.
    subject_topic = topic_of_subject(fit)
    assert len(set(subject_topic.values())) == 4
    placed = fit.assignments.filter(~pl.col("paper_id").is_in(list(chosen)))
    expected = placed["paper_id"].str.split("-").list.first().replace_strict(subject_topic)
    assert (placed["topic_id"] == expected).all()
    # Placed = where assign_topics (the daily path) would put them, with the same cosine.
    daily = assign_topics(keywords.filter(pl.col("paper_id").is_in(placed["paper_id"].to_list())), fit.model)
    assert daily.equals(placed)
    # Sizes count every paper, not just the sample.
    assert fit.topics["papers"].sum() == 160
    assert sorted(fit.topics["papers"].to_list()) == [40, 40, 40, 40]
    assert {e.papers for e in fit.events if e.event == "created"} == {40}


def test_a_fit_within_fit_sample_clusters_every_paper():
    keywords = corpus(["vision", "language"], count=30)
    fit = fit_topics(keywords, config=CONFIG)
    assert fit_sample(keywords, CONFIG.fit_sample) is None
    assert "placed" not in fit.diagnostics and fit.diagnostics["papers"] == 60


def test_the_warehouse_fit_path_equals_the_in_memory_fit(tmp_path, monkeypatch):
    """stage_keywords + fit_keywords (scratch table, sample, blocks of the others) = fit_topics on a frame."""
    papers = load_hf_folder(SAMPLE_DIR / "hf-daily-papers")
    config = TopicConfig(fit_sample=200)
    keywords = keywords_frame(papers, workers=1)
    in_memory = fit_topics(keywords.select("paper_id", "keyword", "occurrences"), config=config)
    assert in_memory.diagnostics["clustered"] == 200 and in_memory.diagnostics["placed"] > 200

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.register("papers_frame", papers.to_arrow())
    con.execute(
        "CREATE TABLE marts.dim_papers AS SELECT *, 1::BIGINT AS snapshot_count,"
        " TIMESTAMP '2025-06-30' AS latest_as_of FROM papers_frame"
    )
    assert stage_keywords(con, workers=2) == papers.height
    wal = tmp_path / "w.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed: the fit does not run beside the rows
    monkeypatch.setattr(store, "PLACE_BLOCK", 50)  # the others in several blocks
    sample, others = fit_keywords(con, config.fit_sample)
    assert sample["paper_id"].n_unique() == 200
    assert set(sample["paper_id"]) == set(fit_sample(keywords, 200)["paper_id"])  # chosen in DuckDB, the same
    from_warehouse = fit_topics(sample, Previous(), config, others)
    assert from_warehouse.assignments.equals(in_memory.assignments)
    assert from_warehouse.topics.equals(in_memory.topics)
    assert from_warehouse.diagnostics == in_memory.diagnostics

    write_fit(con, None, from_warehouse, "run-1")
    terms = con.sql("SELECT * FROM raw.paper_terms").pl()
    vocabulary = set(from_warehouse.vocabulary)
    expected = keywords.filter(pl.col("keyword").is_in(list(vocabulary)))
    assert terms.height == expected.height > 0
    assert terms.sort("paper_id", "keyword").equals(expected.sort("paper_id", "keyword").cast(terms.schema))
    scratch = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fit_keywords'"
    ).fetchall()[0]
    assert scratch == (0,)  # the scratch table is gone with the fit written
    con.close()


def test_papers_are_read_for_tokenising_in_blocks_within_a_small_memory_limit(tmp_path, monkeypatch):
    """100 MB of abstracts under a 64 MB DuckDB limit: one ORDER BY over every paper cannot pin its
    blocks (the 1M-paper fit failed so at 256 MB); blocks of ids, each sorted alone, come through
    complete and in paper order."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.dim_papers AS SELECT '2501.' || lpad(i::VARCHAR, 5, '0') AS paper_id,"
        " 'Paper ' || i AS title, md5(i::VARCHAR) || ' ' || repeat('x', 8400) AS abstract,"
        " ['graphs']::VARCHAR[] AS ai_keywords, DATE '2025-01-01' AS first_listed_on"
        " FROM range(12000) r(i) ORDER BY hash(i)"  # stored out of paper order
    )
    con.execute("SET memory_limit = '64MB'")
    with pytest.raises(duckdb.OutOfMemoryException):
        con.sql(f"{store.PAPER_QUERY} ORDER BY paper_id").pl()

    monkeypatch.setattr(store, "PAPER_BATCH", 1000)
    ids = con.sql("SELECT paper_id FROM marts.dim_papers ORDER BY paper_id").pl()["paper_id"]
    blocks = list(store._paper_blocks(con, ids))
    assert [b.height for b in blocks] == [1000] * 12
    read = pl.concat(blocks)
    assert read["paper_id"].to_list() == sorted(read["paper_id"].to_list()) == ids.to_list()
    assert read.schema == pl.Schema(PAPER_SCHEMA) and read["abstract"].str.len_bytes().min() == 8433
