"""Synthetic feeds in the exact shape of the real ones, for scale tests and topic scoring.

``generate(config, out)`` writes, under ``out``::

    hf-daily-papers/YYYY-MM-DD.json                    first fetch of each listing day (HF api/daily_papers)
    hf-daily-papers/YYYY-MM-DD__YYYY-MM-DDTHH-MM-SSZ.json   re-fetches: same papers, grown upvotes
    hf-daily-papers/manifest.csv                       file, listing_date, fetched_utc, bytes, records, sha256
    arxiv-daily-listings/YYYY-MM-DD.jsonl              arXiv listing lines by announcement day
    arxiv-daily-listings/manifest.csv
    topics.csv                                         arxiv_id, topic: the generated truth, outside the inputs
    SOURCE.md                                          parameters and counts

Output is a pure function of the arguments: days run in any process and any order, each
seeded from (seed, day index) through numpy SeedSequence, and the main process writes the
files that span days (arXiv listings, manifests) in a fixed order.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import orjson

from pipelines.generate.day import (
    ARXIV_FOLDER,
    HF_FOLDER,
    NO_DATA_MESSAGE,
    DayResult,
    FileEntry,
    generate_day,
    iso_seconds,
)
from pipelines.generate.plan import (
    DAY,
    EPOCH_ORDINAL,
    HOUR,
    MAX_HF_LAG_DAYS,
    STREAM_ARXIV_DAY,
    STREAM_WEEKEND,
    GenerateConfig,
    Plan,
    estimated_bytes,
    make_plan,
    rng_for,
    validate,
)
from pipelines.generate.vocab import TOPICS

TOPICS_FILE = "topics.csv"
SOURCE_FILE = "SOURCE.md"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file", "listing_date", "fetched_utc", "bytes", "records", "sha256")
OUTPUTS = (HF_FOLDER, ARXIV_FOLDER, TOPICS_FILE, SOURCE_FILE)


@dataclass
class GenerateSummary:
    out: Path
    papers: int
    hf_files: int = 0
    arxiv_files: int = 0
    hf_records: int = 0
    arxiv_records: int = 0
    bytes: int = 0
    seconds: float = 0.0
    first_day: str = ""
    last_day: str = ""
    quirks: dict[str, int] = field(default_factory=dict)

    @property
    def files(self) -> int:
        return self.hf_files + self.arxiv_files


def _check_space(config: GenerateConfig, out: Path) -> None:
    """Refuse a feed that would nearly fill the disk (1M papers x 10 snapshots is about 67 GB)."""
    needed = estimated_bytes(config)
    existing = next(p for p in (out, *out.resolve().parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if needed > 0.9 * free:
        raise ValueError(
            f"this feed needs about {needed / 1e9:.1f} GB and {out} has {free / 1e9:.1f} GB free: "
            "use fewer --papers or --snapshots-per-paper (or --compact, about 17% smaller)"
        )


def _prepare(out: Path, force: bool) -> None:
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{out} already holds {', '.join(existing)}: pass --force to replace them")
    for name in existing:  # only what generate writes; anything else in the folder stays
        target = out / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for folder in (HF_FOLDER, ARXIV_FOLDER):
        (out / folder).mkdir(parents=True)


def _run_days(config: GenerateConfig, out: Path, plan: Plan) -> Iterator[DayResult]:
    work = partial(generate_day, config, str(out))
    if config.workers <= 1 or len(plan.days) == 1:
        yield from map(work, plan.days)
        return
    # spawn, not fork: the caller may be a threaded process (Dagster, pytest plugins).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=config.workers, mp_context=context) as pool:
        yield from pool.map(work, plan.days, chunksize=1)  # results in day order, whatever finishes first


class _ArxivWriter:
    """Collects listing lines by announcement day and writes a day once no later HF day can add to it."""

    def __init__(self, config: GenerateConfig, out: Path):
        self.config, self.folder = config, out / ARXIV_FOLDER
        self.pending: dict[int, list[tuple[str, bytes, bool]]] = {}
        self.files: list[FileEntry] = []
        self.lines = 0
        self.fridays_seen = 0

    def add(self, lines: list[tuple[int, str, bytes, bool]]) -> None:
        for announced, paper_id, line, repeat in lines:
            self.pending.setdefault(announced, []).append((paper_id, line, repeat))

    def flush(self, before_ordinal: int | None = None) -> None:
        for announced in sorted(self.pending):
            if before_ordinal is not None and announced >= before_ordinal:
                break
            self._write(announced, self.pending.pop(announced))

    def _write(self, announced: int, entries: list[tuple[str, bytes, bool]]) -> None:
        entries.sort(key=lambda e: e[0])
        # Cross-listed papers come again under their second category, byte-identical.
        lines = [line for _, line, _ in entries] + [line for _, line, repeat in entries if repeat]
        data = b"\n".join(lines) + b"\n"
        rng = rng_for(self.config.seed, STREAM_ARXIV_DAY, announced)
        crawl = (announced - EPOCH_ORDINAL) * DAY + 2 * HOUR + int(rng.integers(0, 1800))
        self._file(announced, data, crawl, len(lines))
        # arXiv announces nothing at weekends, but the crawler re-wrote Friday's listing;
        # the first Friday always repeats (when the quirk is on) so that every feed holds it.
        if (announced - 1) % 7 == 4:
            rate = self.config.quirks.weekend_arxiv_repeat
            for extra in (1, 2):
                first_friday = extra == 1 and not self.fridays_seen and rate > 0
                if rng.random() < rate or first_friday:
                    self._file(announced + extra, data, crawl + extra * DAY, len(lines))
            self.fridays_seen += 1

    def _file(self, ordinal: int, data: bytes, crawl: int, records: int) -> None:
        day = dt.date.fromordinal(ordinal).isoformat()
        (self.folder / f"{day}.jsonl").write_bytes(data)
        self.files.append(
            FileEntry(ARXIV_FOLDER, f"{day}.jsonl", day, iso_seconds(crawl), len(data), records, _sha(data))
        )
        self.lines += records


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _weekend_files(config: GenerateConfig, out: Path, plan: Plan) -> list[FileEntry]:
    """Weekend answers of the real feed: the bare literal ``1`` or a no_data object."""
    files = []
    option = 0 if config.compact else orjson.OPT_INDENT_2
    for day, kind in sorted(plan.weekend_hf.items()):
        if kind == "marker":
            data = b"1"
        else:
            body = {"status": "no_data", "date": day.isoformat(), "message": NO_DATA_MESSAGE}
            data = orjson.dumps(body, option=option)
        rng = rng_for(config.seed, STREAM_WEEKEND, day.toordinal(), 1)
        fetched = (day.toordinal() - EPOCH_ORDINAL) * DAY + 7 * HOUR + 45 * 60 + int(rng.integers(0, 600))
        (out / HF_FOLDER / f"{day}.json").write_bytes(data)
        files.append(
            FileEntry(HF_FOLDER, f"{day}.json", day.isoformat(), iso_seconds(fetched), len(data), 0, _sha(data))
        )
    return files


def _write_manifest(folder: Path, files: list[FileEntry]) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for f in sorted(files, key=lambda f: f.name):
        writer.writerow((f.name, f.listing_date, f.fetched_utc, f.bytes, f.records, f.sha256))
    data = buffer.getvalue().encode()
    (folder / MANIFEST).write_bytes(data)
    return len(data)


def _write_topics(out: Path, plan: Plan) -> int:
    """The sidecar: every generated paper and its topic, sorted by arXiv id."""
    slugs = np.array([t.slug for t in TOPICS], dtype=object)[plan.topics]
    order = np.argsort(np.array(plan.ids))
    lines = ["arxiv_id,topic"] + [f"{plan.ids[i]},{slugs[i]}" for i in order.tolist()]
    data = ("\n".join(lines) + "\n").encode()
    (out / TOPICS_FILE).write_bytes(data)
    return len(data)


def _source_md(config: GenerateConfig, summary: GenerateSummary) -> bytes:
    quirks = "\n".join(f"| {name} | {count:,} |" for name, count in sorted(summary.quirks.items()))
    text = f"""# Synthetic Daily Papers feed (papertrends generate)

Made by `papertrends generate --papers {config.papers} --days {config.days} --snapshots-per-paper \
{config.snapshots} --seed {config.seed} --start {config.start} --quirk-rate {config.quirk_rate}\
{" --compact" if config.compact else ""}`.
Not real data: titles, abstracts, authors and users are drawn from word lists
(`pipelines/generate/vocab.py`). The same arguments give byte-identical files.

| item | value |
| --- | --- |
| listing days | {summary.first_day} … {summary.last_day} ({config.days} weekdays) |
| papers | {summary.papers:,} (topics in `{TOPICS_FILE}`, {len(TOPICS)} topics) |
| `{HF_FOLDER}/` | {summary.hf_files:,} files, {summary.hf_records:,} records; `YYYY-MM-DD.json` is a day's first \
fetch (time in `{MANIFEST}`), `YYYY-MM-DD__<as-of>.json` its re-fetches |
| `{ARXIV_FOLDER}/` | {summary.arxiv_files:,} files, {summary.arxiv_records:,} lines, by arXiv announcement day |

Ingest with `papertrends run --input <dir>/{HF_FOLDER} --input <dir>/{ARXIV_FOLDER}`.

## Quirks of the real feed, as generated

| quirk | count |
| --- | --- |
{quirks}
"""
    return text.encode()


def generate(
    config: GenerateConfig,
    out: Path,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Write the synthetic feed under ``out``; ValueError for arguments the pipeline could not use."""
    started = time.perf_counter()
    validate(config)
    plan = make_plan(config)  # before touching the output: impossible ids raise here
    out = Path(out)
    _check_space(config, out)
    out.mkdir(parents=True, exist_ok=True)
    _prepare(out, force)
    summary = GenerateSummary(out=out, papers=config.papers)
    summary.first_day = plan.days[0].listing_date.isoformat()
    summary.last_day = plan.days[-1].listing_date.isoformat()

    hf_files: list[FileEntry] = []
    arxiv = _ArxivWriter(config, out)
    quirks: dict[str, int] = {}
    total = len(plan.days)
    if progress:
        progress(0, total)
    for done, result in enumerate(_run_days(config, out, plan), start=1):
        hf_files += result.files
        summary.hf_records += result.records
        for name, count in result.quirks.items():
            quirks[name] = quirks.get(name, 0) + count
        arxiv.add(result.arxiv)
        # Later listing days announce at most MAX_HF_LAG_DAYS (+2 weekend days) earlier.
        arxiv.flush(before_ordinal=plan.days[result.index].listing_date.toordinal() - MAX_HF_LAG_DAYS - 3)
        if progress:
            progress(done, total)
    arxiv.flush()

    weekend = _weekend_files(config, out, plan)
    quirks["weekend_marker"] = sum(kind == "marker" for kind in plan.weekend_hf.values())
    quirks["weekend_no_data"] = sum(kind == "no_data" for kind in plan.weekend_hf.values())
    quirks["weekend_arxiv_repeat"] = sum(dt.date.fromisoformat(f.listing_date).weekday() >= 5 for f in arxiv.files)
    hf_files += weekend
    summary.quirks = quirks
    summary.hf_files, summary.arxiv_files = len(hf_files), len(arxiv.files)
    summary.arxiv_records = arxiv.lines
    summary.bytes = sum(f.bytes for f in hf_files) + sum(f.bytes for f in arxiv.files)
    summary.bytes += _write_manifest(out / HF_FOLDER, hf_files) + _write_manifest(out / ARXIV_FOLDER, arxiv.files)
    summary.bytes += _write_topics(out, plan)
    source = _source_md(config, summary)
    (out / SOURCE_FILE).write_bytes(source)
    summary.bytes += len(source)
    summary.seconds = time.perf_counter() - started
    return summary


__all__ = ["GenerateConfig", "GenerateSummary", "generate"]
