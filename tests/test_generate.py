"""The synthetic feed generator: shape, determinism, realism, quirks, and a full pipeline run on it.

Every generated file is read back with the project's own sources (``detect`` + ``parse``)
and landing rules (``expand_inputs``, ``resolve_as_of``), so "the pipeline can ingest it"
is tested with the same code the pipeline runs.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import fresh_home, query
from rich.console import Console
from typer.testing import CliRunner

from pipelines.generate import GenerateConfig, GenerateSummary, generate
from pipelines.generate.plan import PARTITION_START, estimated_bytes, listing_days, make_plan
from pipelines.generate.text import title_case
from pipelines.generate.vocab import SHARED_TERMS, TOPICS
from pipelines.landing import expand_inputs, resolve_as_of
from pipelines.sources import detect

SMALL = {"papers": 2_000, "days": 10, "snapshots": 3}
HF_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:__(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z))?\.json$")
ARXIV_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.jsonl$")


def make(root: Path, seed: int = 11, workers: int = 1, **overrides) -> GenerateSummary:
    config = GenerateConfig(seed=seed, workers=workers, **{**SMALL, **overrides})
    return generate(config, root)


def digest(root: Path) -> str:
    """One hash over every file's relative path and bytes."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class Parsed:
    """Every generated input file read back through the pipeline's sources."""

    hf_rows: list[dict] = field(default_factory=list)  # with as_of and file name added
    arxiv_rows: list[dict] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    shapes: collections.Counter = field(default_factory=collections.Counter)
    records_per_file: dict[str, int] = field(default_factory=dict)
    all_repr_files: int = 0


def parse_feed(root: Path) -> Parsed:
    parsed = Parsed()
    for path in expand_inputs([root / "hf-daily-papers", root / "arxiv-daily-listings"]):
        source = detect(path)
        result = source.parse(path, path.read_bytes(), None)
        parsed.records_per_file[path.name] = result.records_read
        parsed.quarantined += [(path.name, q.reason) for q in result.quarantined]
        if source.name == "hf_daily_papers":
            parsed.shapes[result.file_shape] += 1
            as_of = resolve_as_of(path, result.listing_date)
            rows = [{**row, "as_of": as_of, "file": path.name} for row in result.rows]
            parsed.hf_rows += rows
            if rows and all(row["record_format"] == "python_repr" for row in rows):
                parsed.all_repr_files += 1
        else:
            assert source.name == "arxiv_listings", path
            parsed.arxiv_rows += [{**row, "file": path.name} for row in result.rows]
    return parsed


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def read_topics(root: Path) -> dict[str, str]:
    with (root / "topics.csv").open(newline="", encoding="utf-8") as handle:
        return {row["arxiv_id"]: row["topic"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary, Parsed]:
    root = tmp_path_factory.mktemp("generated") / "feed"
    summary = make(root)
    return root, summary, parse_feed(root)


# --------------------------------------------------------------------------- layout


def test_layout_names_and_manifests(small) -> None:
    root, summary, _ = small
    hf, arxiv = root / "hf-daily-papers", root / "arxiv-daily-listings"
    days = [d.isoformat() for d in listing_days(PARTITION_START, SMALL["days"])]
    assert days[0] == "2023-05-01" and days[-1] == "2023-05-12"  # ten weekdays

    names = sorted(p.name for p in hf.iterdir())
    assert "manifest.csv" in names
    by_day = collections.defaultdict(list)
    for name in names:
        if name == "manifest.csv":
            continue
        match = HF_NAME.match(name)
        assert match, f"unexpected HF file name {name}"
        by_day[match.group(1)].append(match.group(2))
    # Every listing day: one first fetch plus S-1 re-fetches named by their as-of time.
    for day in days:
        assert by_day[day].count(None) == 1
        assert len([s for s in by_day[day] if s]) == SMALL["snapshots"] - 1
    # Any other day is a weekend answer (the real feed's `1` or no_data), one file, no re-fetch.
    for day in set(by_day) - set(days):
        assert dt.date.fromisoformat(day).weekday() >= 5 and by_day[day] == [None]

    assert all(ARXIV_NAME.match(p.name) for p in arxiv.iterdir() if p.name != "manifest.csv")
    # The truth sidecar and the description sit outside the input folders.
    assert (root / "topics.csv").is_file() and (root / "SOURCE.md").is_file()

    # Manifests list every data file with its true size and hash, and nothing else.
    for folder in (hf, arxiv):
        manifest = read_manifest(folder)
        files = {p.name: p for p in folder.iterdir() if p.name != "manifest.csv"}
        assert set(manifest) == set(files)
        for name, row in manifest.items():
            data = files[name].read_bytes()
            assert int(row["bytes"]) == len(data)
            assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert summary.hf_files == len(read_manifest(hf)) and summary.arxiv_files == len(read_manifest(arxiv))
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert summary.bytes == total


def test_inputs_detect_and_the_sidecar_is_never_an_input(small) -> None:
    root, summary, _ = small
    # What `papertrends run --input DIR/hf-daily-papers --input DIR/arxiv-daily-listings` reads:
    inputs = expand_inputs([root / "hf-daily-papers", root / "arxiv-daily-listings"])
    assert len(inputs) == summary.files
    assert {detect(p).name for p in inputs if p.suffix == ".json"} == {"hf_daily_papers"}
    assert {detect(p).name for p in inputs if p.suffix == ".jsonl"} == {"arxiv_listings"}
    # Even pointed at the whole output folder, the runner is not handed topics.csv, SOURCE.md or a manifest.
    everything = expand_inputs([root])
    assert sorted(everything) == sorted(inputs)


def test_as_of_times_come_from_manifest_and_name_suffix(small) -> None:
    root, _, parsed = small
    manifest = read_manifest(root / "hf-daily-papers")
    as_of = {row["file"]: row["as_of"] for row in parsed.hf_rows}
    for name, when in as_of.items():
        suffix = HF_NAME.match(name).group(2)
        if suffix:  # a re-fetch: the name carries its as-of
            assert when == dt.datetime.strptime(suffix, "%Y-%m-%dT%H-%M-%SZ")
        else:  # a first fetch: landing reads its time from manifest.csv, about 07:50 UTC that day
            assert when == dt.datetime.fromisoformat(manifest[name]["fetched_utc"].replace("Z", ""))
            assert when.date().isoformat() == name[:10] and 7 <= when.hour <= 8


# --------------------------------------------------------------------------- parsing


def test_every_hf_file_parses_into_the_expected_records(small) -> None:
    root, summary, parsed = small
    manifest = read_manifest(root / "hf-daily-papers")
    for name, row in manifest.items():
        assert parsed.records_per_file[name] == int(row["records"]), name
    hf_quarantined = [reason for name, reason in parsed.quarantined if name.endswith(".json")]
    assert len(parsed.hf_rows) + len(hf_quarantined) == summary.hf_records
    # Only the deliberate quirks are quarantined: repeats and the rare unusable record.
    assert len(hf_quarantined) == summary.quirks["duplicate_record"] + summary.quirks["bad_record"]
    assert len(hf_quarantined) <= 0.005 * summary.hf_records
    for reason in hf_quarantined:
        assert re.match(r"duplicate paper\.id|missing paper\.id|paper\.upvotes is str|missing title", reason), reason
    # N papers observed S times, minus the first fetch of the late-added ones.
    n, s = SMALL["papers"], SMALL["snapshots"]
    expected = n * s - summary.quirks["late_added"] + summary.quirks["duplicate_record"]
    assert summary.hf_records == expected


def test_arxiv_listings_parse_with_the_arxiv_source(small) -> None:
    root, summary, parsed = small
    topics = read_topics(root)
    arxiv_quarantined = [q for q in parsed.quarantined if q[0].endswith(".jsonl")]
    assert not arxiv_quarantined
    assert len(parsed.arxiv_rows) == summary.arxiv_records
    ids = {row["arxiv_id"] for row in parsed.arxiv_rows}
    assert ids <= set(topics)
    # The crawler follows cs/eess/stat, so most but not all HF papers are listed.
    assert 0.75 * len(topics) < len(ids) < len(topics)
    for row in parsed.arxiv_rows:
        assert row["primary_category"] == row["categories"][0]
        assert row["abs_url"] == f"https://arxiv.org/abs/{row['arxiv_id']}"
        assert "\n" not in row["title"] and "\n" in row["summary"]  # abstracts carry arXiv's hard wraps


# --------------------------------------------------------------------------- determinism


def test_same_arguments_give_identical_bytes_whatever_the_worker_count(small, tmp_path: Path) -> None:
    root, _, _ = small
    # Two processes (spawned pool) must give the bytes one process gave.
    make(tmp_path / "again", workers=2)
    assert digest(tmp_path / "again") == digest(root)
    make(tmp_path / "other", seed=12)
    assert digest(tmp_path / "other") != digest(root)
    assert read_topics(tmp_path / "other") != read_topics(root)


# --------------------------------------------------------------------------- realism


def test_counts_never_fall_across_a_papers_snapshots(small) -> None:
    _, _, parsed = small
    by_paper = collections.defaultdict(list)
    for row in parsed.hf_rows:
        by_paper[row["arxiv_id"]].append(row)
    grew = 0
    for rows in by_paper.values():
        rows.sort(key=lambda r: r["as_of"])
        for column in ("upvotes", "num_comments", "github_stars"):
            values = [r[column] for r in rows if r[column] is not None]
            assert values == sorted(values), (rows[0]["arxiv_id"], column, values)
        grew += rows[-1]["upvotes"] > rows[0]["upvotes"]
    # Growth is real, not a constant: most papers gain votes between first fetch and two weeks later.
    assert grew > 0.8 * len(by_paper)
    observations = collections.Counter(len({r["as_of"] for r in rows}) for rows in by_paper.values())
    assert observations[SMALL["snapshots"]] > 0.95 * len(by_paper)


def test_distributions_look_like_the_real_feed(small) -> None:
    _, _, parsed = small
    first = {}
    for row in sorted(parsed.hf_rows, key=lambda r: r["as_of"]):
        first.setdefault(row["arxiv_id"], row)
    rows = list(first.values())
    upvotes = np.array([r["upvotes"] for r in rows])
    # Real first fetches (shared data): median 6, 3.5% zeros, 99th percentile 53, max 225.
    assert 4 <= np.median(upvotes) <= 9
    assert (upvotes == 0).mean() < 0.08
    assert np.percentile(upvotes, 99) > 5 * np.median(upvotes)  # heavy tail
    authors = np.array([len(r["authors"]) for r in rows])
    assert 6 <= np.median(authors) <= 8 and authors.min() >= 1  # real median 7
    abstract = np.array([len(r["summary"]) for r in rows])
    assert 1100 <= np.median(abstract) <= 1600  # real median 1,344 characters
    comments = collections.Counter(r["num_comments"] for r in rows)
    assert comments.most_common(1)[0][0] == 1  # the bot comment, as in the real feed
    github = np.mean([r["github_repo"] is not None for r in rows])
    assert 0.35 < github < 0.55  # real: 46% since 2025-03
    keywords = [len(r["ai_keywords"]) for r in rows if r["ai_keywords"] is not None]
    assert len(keywords) > 0.95 * len(rows) and 8 <= np.median(keywords) <= 13  # real median 11
    assert 0.2 < np.mean([r["organization"] is not None for r in rows]) < 0.5
    assert all(r["submitted_by"] for r in rows)

    for r in rows:
        published = dt.datetime.fromisoformat(r["listing_published_at"].replace("Z", "+00:00"))
        listing = dt.date.fromisoformat(r["file"][:10])
        # The id's YYMM is the month of arXiv submission, a few days (at most ~a month) before the listing.
        assert r["arxiv_id"][:4] == f"{published:%y%m}"
        assert 0 <= (listing - published.date()).days <= 35
        assert r["submitted_on_daily_at"] < f"{listing + dt.timedelta(days=1)}"


def test_topic_sidecar_covers_every_paper(small) -> None:
    root, _, parsed = small
    topics = read_topics(root)
    assert len(topics) == SMALL["papers"]
    assert set(topics.values()) <= {t.slug for t in TOPICS}
    assert len(set(topics.values())) >= 25  # all topics live at this size, give or take a rare one
    assert {row["arxiv_id"] for row in parsed.hf_rows} == set(topics)


def test_vocabularies_do_not_share_phrases() -> None:
    phrases = collections.Counter(term.lower() for topic in TOPICS for term in topic.terms)
    assert [p for p, n in phrases.items() if n > 1] == []
    assert len({t.slug for t in TOPICS}) == len(TOPICS) >= 30


# NearestCentroid warns that some word is constant within a class: true of any sparse text features.
@pytest.mark.filterwarnings("ignore:self.within_class_std_dev_")
def test_topics_are_recoverable_from_titles_and_abstracts(small) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestCentroid

    root, _, parsed = small
    topics = read_topics(root)
    papers = {}
    for row in parsed.hf_rows:
        papers.setdefault(row["arxiv_id"], f"{row['title']} {row['summary']}")
    ids = sorted(papers)
    labels = [topics[i] for i in ids]
    # A plain TF-IDF nearest-centroid model fitted on half the papers labels the other half.
    features = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform([papers[i] for i in ids])
    train, test = np.arange(0, len(ids), 2), np.arange(1, len(ids), 2)
    model = NearestCentroid().fit(features[train], [labels[i] for i in train])
    accuracy = np.mean(model.predict(features[test]) == np.array([labels[i] for i in test]))
    assert accuracy > 0.9, accuracy

    # And each topic's most distinctive title words (class TF-IDF) are its own words, and differ between
    # topics (two topics may share their single top word, e.g. "video"; never their top three).
    words_by_topic = collections.defaultdict(collections.Counter)
    for i in ids:
        words_by_topic[topics[i]].update(set(re.findall(r"[a-z0-9][a-z0-9@'-]*", papers[i].split(". ")[0].lower())))
    topics_with = collections.Counter(w for counts in words_by_topic.values() for w in counts)
    vocab = {t.slug: {w for term in t.terms for w in term.lower().split()} for t in TOPICS}
    top = {}
    for slug, counts in words_by_topic.items():
        score = {w: counts[w] * np.log(1 + len(words_by_topic) / topics_with[w]) for w in counts}
        top[slug] = tuple(sorted(score, key=lambda w: (-score[w], w))[:3])
        assert top[slug][0] in vocab[slug], (slug, top[slug])
    assert len({words for words in top.values()}) == len(top)
    assert len({words[0] for words in top.values()}) >= 0.9 * len(top)


def test_title_case_keeps_acronyms_and_hyphenated_words() -> None:
    assert title_case("scaling chain-of-thought for LLMs via text-to-3D") == (
        "Scaling Chain-of-Thought for LLMs via Text-to-3D"
    )
    assert title_case("x: an evaluation of the state-of-the-art") == "X: An Evaluation of the State-of-the-Art"
    assert all(term.strip() == term for term in SHARED_TERMS)


# --------------------------------------------------------------------------- quirks


def test_every_quirk_appears_at_a_larger_size(tmp_path: Path) -> None:
    summary = make(tmp_path / "big", papers=20_000, days=20, snapshots=2, seed=5, workers=2)
    parsed = parse_feed(tmp_path / "big")
    rows = parsed.hf_rows
    # File shapes the HF parser knows: wrapper objects, all-repr files, weekend `1` and no_data.
    assert parsed.shapes["wrapper"] == summary.quirks["wrapper_file"] > 0
    assert parsed.all_repr_files == summary.quirks["repr_file"] > 0
    assert parsed.shapes["marker"] == summary.quirks["weekend_marker"] > 0
    assert parsed.shapes["no_data"] >= summary.quirks["weekend_no_data"] > 0
    # Record quirks: Python-repr items in object arrays (about 0.5%), hard-wrapped top-level titles.
    repr_rows = sum(r["record_format"] == "python_repr" for r in rows)
    assert 0.002 * len(rows) < repr_rows < 0.05 * len(rows)
    assert sum("\n" in r["title"] for r in rows) > 0
    assert sum("\n" in (r["paper_title"] or "") for r in rows) > 0.2 * len(rows)  # arXiv wraps long titles
    variants = [
        r["github_repo"]
        for r in rows
        if r["github_repo"] and not re.fullmatch(r"https://github\.com/[^/]+/[^/]+", r["github_repo"])
    ]
    assert variants and all(re.search(r"/$|/tree/main$|^https://github\.com/[^/]+$", v) for v in variants)
    reasons = collections.Counter(reason.split(" ")[0] for _, reason in parsed.quarantined)
    assert reasons["duplicate"] >= summary.quirks["duplicate_record"] > 0
    assert len(parsed.quarantined) == summary.quirks["duplicate_record"] + summary.quirks["bad_record"]
    assert summary.quirks["bad_record"] > 0
    # Late-added papers miss the first fetch: seen once out of two.
    seen = collections.Counter(r["arxiv_id"] for r in rows)
    assert 0 < summary.quirks["late_added"] <= sum(n == 1 for n in seen.values())
    # arXiv: cross-list repeats inside a file, and weekend files repeating Friday byte for byte.
    weekdays = [r for r in parsed.arxiv_rows if dt.date.fromisoformat(r["file"][:10]).weekday() < 5]
    repeats = sum(n - 1 for n in collections.Counter((r["file"], r["arxiv_id"]) for r in weekdays).values())
    assert repeats == summary.quirks["crosslist_repeat"] > 0
    arxiv = tmp_path / "big" / "arxiv-daily-listings"
    weekend = [p for p in arxiv.glob("*.jsonl") if dt.date.fromisoformat(p.stem).weekday() >= 5]
    assert len(weekend) == summary.quirks["weekend_arxiv_repeat"] > 0
    for path in weekend:
        friday = dt.date.fromisoformat(path.stem) - dt.timedelta(days=dt.date.fromisoformat(path.stem).weekday() - 4)
        assert path.read_bytes() == (arxiv / f"{friday}.jsonl").read_bytes()


def test_quirk_rate_zero_gives_a_clean_feed(tmp_path: Path) -> None:
    summary = make(tmp_path / "clean", papers=3_000, days=8, snapshots=2, quirk_rate=0)
    parsed = parse_feed(tmp_path / "clean")
    assert not parsed.quarantined
    assert set(parsed.shapes) == {"array"}
    assert {r["record_format"] for r in parsed.hf_rows} == {"object"}
    assert summary.hf_records == 3_000 * 2
    assert not any(summary.quirks.values())


# --------------------------------------------------------------------------- arguments and CLI


def test_arguments_the_pipeline_could_not_use_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="before the first daily partition"):
        make(tmp_path / "a", start=dt.date(2023, 4, 3))
    with pytest.raises(ValueError, match="after today"):
        make(tmp_path / "b", days=5_000)
    # 300k papers in one month cannot all have YYMM.NNNNN ids; nothing is written then.
    with pytest.raises(ValueError, match="99,999 a month"):
        make_plan(GenerateConfig(papers=300_000, days=5, snapshots=1, seed=1))
    with pytest.raises(ValueError, match="99,999 a month"):
        make(tmp_path / "c", papers=300_000, days=5, snapshots=1)
    assert not (tmp_path / "c").exists()


def test_a_feed_that_would_fill_the_disk_is_refused(small, tmp_path: Path, monkeypatch) -> None:
    _, summary, _ = small
    # The size estimate behind the refusal tracks what is really written.
    estimate = estimated_bytes(GenerateConfig(seed=11, **SMALL))
    assert 0.8 < summary.bytes / estimate < 1.25, (summary.bytes, estimate)
    free = type("Usage", (), {"free": estimate})()  # less than the 10% headroom asks for
    monkeypatch.setattr("pipelines.generate.shutil.disk_usage", lambda _path: free)
    with pytest.raises(ValueError, match=r"needs about 0\.\d GB"):
        make(tmp_path / "full")
    assert not (tmp_path / "full").exists()


def test_cli_generate_writes_summarises_and_refuses_to_overwrite(tmp_path: Path, monkeypatch) -> None:
    import pipelines.cli

    buffer = io.StringIO()  # the CLI's console is bound to the real stdout; read it from a buffer
    monkeypatch.setattr(pipelines.cli, "console", Console(file=buffer, width=200))
    out = tmp_path / "cli"
    args = ["generate", "--papers", "300", "--days", "3", "--snapshots-per-paper", "2", "--seed", "4"]
    args += ["--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(pipelines.cli.app, args)
    assert result.exit_code == 0, buffer.getvalue()
    text = buffer.getvalue()
    assert "papertrends generate summary" in text and "│ papers       │ 300" in text
    assert f"ingest with: papertrends run --input {out / 'hf-daily-papers'}" in text
    assert not (out / "hf-daily-papers").joinpath("2023-05-04.json").exists()  # 3 listing days only
    first = digest(out)
    again = CliRunner().invoke(pipelines.cli.app, args)
    assert again.exit_code == 2 and "pass --force" in buffer.getvalue()
    forced = CliRunner().invoke(pipelines.cli.app, [*args, "--force"])
    assert forced.exit_code == 0 and digest(out) == first


# --------------------------------------------------------------------------- end to end


def test_pipeline_ingests_a_generated_feed_and_publishes(tmp_path_factory: pytest.TempPathFactory) -> None:
    from pipelines.runner import run_pipeline

    feed = tmp_path_factory.mktemp("tiny_feed")
    summary = make(feed, papers=300, days=5, snapshots=2, seed=21)
    parsed = parse_feed(feed)
    home = fresh_home(tmp_path_factory, "generated_home")

    run = run_pipeline([feed / "hf-daily-papers", feed / "arxiv-daily-listings"], home)

    assert run.success and run.published, (run.failed_steps, [c.description for c in run.failed_checks])
    assert run.records_read == summary.hf_records + summary.arxiv_records
    assert run.records_quarantined == len(parsed.quarantined)
    # One row per paper: every generated paper that has a usable record somewhere.
    usable = {r["arxiv_id"] for r in parsed.hf_rows} | {r["arxiv_id"] for r in parsed.arxiv_rows}
    (papers,) = query(run.published, "SELECT count(*) FROM marts.dim_papers")[0]
    assert papers == len(usable) == run.papers
    assert papers >= summary.papers - len(parsed.quarantined)
    (quarantined,) = query(run.published, "SELECT count(*) FROM marts.quarantined_records")[0]
    assert quarantined == len(parsed.quarantined)
