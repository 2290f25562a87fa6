"""The run plan: calendar, papers per day, topics over time, arXiv dates and ids.

Everything that couples listing days (arXiv ids are numbered per month across all days)
is drawn here, vectorised over all papers, from the run seed. The per-day workers then
only add what is local to a day (text, authors, votes) from their own seeded streams.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from pipelines.generate.vocab import TOPICS

# Hugging Face started its Daily Papers list in May 2023: the first Dagster partition.
PARTITION_START = dt.date(2023, 5, 1)
DEFAULT_START = PARTITION_START
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DAY = 86_400
HOUR = 3_600
# Days between arXiv announcement and the HF listing (measured on the shared feed:
# 62% the same day, a long tail to weeks); capped so the arXiv files can be flushed.
MAX_HF_LAG_DAYS = 30
_LAG_HEAD = [0.60, 0.13, 0.07, 0.06, 0.04, 0.03, 0.02, 0.015]
# Re-fetches spread over two weeks, denser early (upvotes move most in the first days).
REFETCH_SPAN_HOURS = 336
MAX_SNAPSHOTS = 50
MAX_ARXIV_NUMBER = 99_999  # YYMM.NNNNN


# Stream ids for numpy SeedSequence spawn keys: one independent stream per purpose and day.
STREAM_PLAN, STREAM_DAY, STREAM_ARXIV_DAY, STREAM_WEEKEND = 0, 1, 2, 3


def seed_sequence(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=key)


def rng_for(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(seed_sequence(seed, *key))


@dataclass(frozen=True)
class QuirkRates:
    """Probabilities of each real-feed quirk (record-level per record, file-level per file)."""

    repr_record: float = 0.005  # an item is a Python-repr string (2024-12 … 2025-01 feed)
    repr_file: float = 0.005  # every item of a file is a repr string (2024-12-11.json)
    wrapper_file: float = 0.005  # {"status","date","count","data"} object (2025-01-10.json)
    wrapped_top_title: float = 0.01  # top-level title keeps arXiv's hard wrap
    github_url_variant: float = 0.04  # trailing slash, /tree/main, org-only URL
    duplicate_record: float = 0.001  # the same paper twice in one file (the repeat is quarantined)
    bad_record: float = 0.0005  # an unusable record (quarantined): empty id, string upvotes, no title
    late_added: float = 0.01  # added to the day after the first fetch (absent from it)
    crosslist_repeat: float = 0.03  # arXiv: the line repeats under a second category
    weekend_marker: float = 0.2  # a weekend HF file holding only `1`
    weekend_no_data: float = 0.02  # a weekend HF {"status":"no_data"} answer
    weekend_arxiv_repeat: float = 0.25  # arXiv crawler re-writes Friday's listing on Sat/Sun

    def scaled(self, factor: float) -> QuirkRates:
        return QuirkRates(**{k: min(1.0, v * factor) for k, v in self.__dict__.items()})


@dataclass(frozen=True)
class GenerateConfig:
    papers: int
    days: int
    snapshots: int
    seed: int
    start: dt.date = DEFAULT_START
    quirk_rate: float = 1.0
    compact: bool = False  # no JSON indentation (the real feed is indented)
    workers: int = 2

    @property
    def quirks(self) -> QuirkRates:
        return QuirkRates().scaled(self.quirk_rate)

    @property
    def submitter_pool(self) -> int:
        return int(np.clip(self.papers // 40, 50, 20_000))

    @property
    def org_pool(self) -> int:
        return int(np.clip(self.papers // 300, 20, 2_000))


@dataclass
class DayPlan:
    """What one listing day's worker needs; small enough to pickle per task."""

    index: int
    listing_date: dt.date
    fetch_times: list[int]  # unix seconds of each observation: [first fetch, re-fetches…]
    ids: list[str]
    topics: np.ndarray
    submitted: np.ndarray  # arXiv v1 time, unix seconds
    announced: np.ndarray  # arXiv listing (announcement) date, ordinal
    wrapper: list[bool] = field(default_factory=list)  # per observation: file shape quirks
    all_repr: list[bool] = field(default_factory=list)


@dataclass
class Plan:
    days: list[DayPlan]
    weekend_hf: dict[dt.date, str]  # weekend day -> "marker" | "no_data"
    ids: list[str]
    topics: np.ndarray


def listing_days(start: dt.date, count: int) -> list[dt.date]:
    """``count`` weekdays from ``start`` on: HF publishes no weekend list."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# Measured on generated feeds (100k papers x 10 snapshots: 6.74 GB): bytes per HF record
# (indented like the real feed, or compact) and per arXiv listing line.
BYTES_PER_RECORD, BYTES_PER_RECORD_COMPACT, BYTES_PER_ARXIV_LINE = 6_600, 5_450, 1_700


def estimated_bytes(config: GenerateConfig) -> int:
    per_record = BYTES_PER_RECORD_COMPACT if config.compact else BYTES_PER_RECORD
    return config.papers * (config.snapshots * per_record + BYTES_PER_ARXIV_LINE)


def validate(config: GenerateConfig, today: dt.date | None = None) -> None:
    """Refuse arguments that would give invalid partitions, future days or impossible ids."""
    today = today or dt.datetime.now(dt.UTC).date()
    if config.papers < 1 or config.days < 1:
        raise ValueError("--papers and --days must be at least 1")
    if not 1 <= config.snapshots <= MAX_SNAPSHOTS:
        raise ValueError(f"--snapshots-per-paper must be between 1 and {MAX_SNAPSHOTS}")
    if config.start < PARTITION_START:
        raise ValueError(f"--start {config.start} is before the first daily partition {PARTITION_START}")
    last = listing_days(config.start, config.days)[-1]
    refetch_days = REFETCH_SPAN_HOURS // 24 + 1 if config.snapshots > 1 else 1
    if last + dt.timedelta(days=refetch_days) > today:
        raise ValueError(
            f"the last listing day would be {last} with re-fetches until {last + dt.timedelta(days=refetch_days)}, "
            f"after today ({today}): use fewer --days or an earlier --start"
        )
    if config.quirk_rate < 0:
        raise ValueError("--quirk-rate must be >= 0")


def _lag_pmf() -> np.ndarray:
    tail_mass = 1.0 - sum(_LAG_HEAD)
    tail = 0.8 ** np.arange(MAX_HF_LAG_DAYS + 1 - len(_LAG_HEAD))
    return np.concatenate([_LAG_HEAD, tail / tail.sum() * tail_mass])


def _topic_weights(rng: np.random.Generator, n_days: int) -> np.ndarray:
    """(days, topics) probabilities: base popularity, a linear trend per topic, and a few bursts."""
    n_topics = len(TOPICS)
    x = np.linspace(0.0, 1.0, n_days)[:, None]
    logits = rng.normal(0.0, 0.6, n_topics)[None, :] + rng.normal(0.0, 0.8, n_topics)[None, :] * (x - 0.5)
    for topic in rng.choice(n_topics, size=min(4, n_topics), replace=False):
        center, amplitude = rng.uniform(0.2, 0.9), rng.uniform(0.8, 1.5)
        logits[:, topic] += amplitude * np.exp(-(((x[:, 0] - center) / 0.06) ** 2))
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def _fetch_times(rng: np.random.Generator, day: dt.date, snapshots: int) -> list[int]:
    """First fetch about 07:50 UTC on the listing day (the real cron); re-fetches over two weeks."""
    midnight = (day.toordinal() - EPOCH_ORDINAL) * DAY
    first = midnight + 7 * HOUR + 45 * 60 + int(rng.integers(0, 600))
    times = [first]
    offsets = [REFETCH_SPAN_HOURS * HOUR * (k / (snapshots - 1)) ** 2 for k in range(1, snapshots)]
    previous = 0.0
    for offset in offsets:
        jitter = rng.uniform(0.0, 0.1 * (offset - previous))
        times.append(first + int(offset + jitter))
        previous = offset
    return times


def _file_quirks(rng: np.random.Generator, shape: tuple[int, int], rate: float) -> np.ndarray:
    """Per-file flags at ``rate``; at least one file carries the quirk when the rate is positive."""
    flags = rng.random(shape) < rate
    if rate > 0 and not flags.any():
        flags.flat[int(rng.integers(0, flags.size))] = True
    return flags


def _arxiv_ids(rng: np.random.Generator, submitted: np.ndarray) -> list[str]:
    """YYMM.NNNNN by month of submission, numbered in submission order with realistic gaps."""
    months = submitted.astype("datetime64[s]").astype("datetime64[M]")
    numbers = np.zeros(len(submitted), dtype=np.int64)
    unique_months, inverse = np.unique(months, return_inverse=True)
    order = np.lexsort((np.arange(len(submitted)), submitted, inverse))  # by month, then time
    bounds = np.searchsorted(inverse[order], np.arange(len(unique_months) + 1))
    for m, month in enumerate(unique_months):
        members = order[bounds[m] : bounds[m + 1]]
        if len(members) > MAX_ARXIV_NUMBER:
            raise ValueError(
                f"{len(members):,} papers submitted in {month}: YYMM.NNNNN ids allow {MAX_ARXIV_NUMBER:,} a month; "
                "use more --days or fewer --papers"
            )
        # arXiv numbered ~20k papers a month in 2023-24; HF lists a sample of them.
        space = min(MAX_ARXIV_NUMBER, max(24_000, int(len(members) * 1.3)))
        numbers[members] = np.sort(rng.choice(space, size=len(members), replace=False)) + 1
    prefixes = {m: f"{str(month)[2:4]}{str(month)[5:7]}" for m, month in enumerate(unique_months)}
    return [f"{prefixes[m]}.{n:05d}" for m, n in zip(inverse.tolist(), numbers.tolist(), strict=True)]


def make_plan(config: GenerateConfig) -> Plan:
    rng = rng_for(config.seed, STREAM_PLAN)
    days = listing_days(config.start, config.days)
    n_days = len(days)

    # Papers per day: HF volume roughly doubled over time; Mondays carry the weekend.
    trend = np.linspace(1.0, 2.0, n_days) * rng.lognormal(0.0, 0.35, n_days)
    trend *= np.array([1.3 if d.weekday() == 0 else 1.0 for d in days])
    counts = rng.multinomial(config.papers, trend / trend.sum())
    day_of_paper = np.repeat(np.arange(n_days), counts)

    weights = _topic_weights(rng, n_days)
    topics = np.concatenate(
        [rng.choice(len(TOPICS), size=int(c), p=weights[d]) for d, c in enumerate(counts)]
        or [np.zeros(0, dtype=np.int64)]
    ).astype(np.int16)

    # arXiv announcement: the listing day minus a lag, moved back off weekends, never before
    # the first partition; v1 submission the day before (Fri-Sun for a Monday announcement).
    listing_ord = np.array([d.toordinal() for d in days], dtype=np.int64)[day_of_paper]
    announced = listing_ord - rng.choice(MAX_HF_LAG_DAYS + 1, size=config.papers, p=_lag_pmf())
    weekday = (announced - 1) % 7
    announced -= np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    announced = np.maximum(announced, PARTITION_START.toordinal())
    back = np.where((announced - 1) % 7 == 0, rng.choice([3, 2, 1], size=config.papers, p=[0.6, 0.15, 0.25]), 1)
    submitted = (announced - back - EPOCH_ORDINAL) * DAY + rng.integers(0, 18 * HOUR, size=config.papers)
    ids = _arxiv_ids(rng, submitted)

    quirks = config.quirks
    wrapper = _file_quirks(rng, (n_days, config.snapshots), quirks.wrapper_file)
    all_repr = _file_quirks(rng, (n_days, config.snapshots), quirks.repr_file) & ~wrapper
    bounds = np.concatenate([[0], np.cumsum(counts)])
    plans = []
    for d, day in enumerate(days):
        lo, hi = int(bounds[d]), int(bounds[d + 1])
        plans.append(
            DayPlan(
                index=d,
                listing_date=day,
                fetch_times=_fetch_times(rng, day, config.snapshots),
                ids=ids[lo:hi],
                topics=topics[lo:hi],
                submitted=submitted[lo:hi],
                announced=announced[lo:hi],
                wrapper=wrapper[d].tolist(),
                all_repr=all_repr[d].tolist(),
            )
        )

    weekend_hf: dict[dt.date, str] = {}
    weekends = [
        d for d in (days[0] + dt.timedelta(days=k) for k in range((days[-1] - days[0]).days)) if d.weekday() >= 5
    ]
    for day in weekends:
        roll = rng_for(config.seed, STREAM_WEEKEND, day.toordinal()).random()
        if roll < quirks.weekend_no_data:
            weekend_hf[day] = "no_data"
        elif roll < quirks.weekend_no_data + quirks.weekend_marker:
            weekend_hf[day] = "marker"
    # Like the file-level quirks: a feed spanning a weekend holds each weekend answer at least once.
    if len(weekends) >= 2 and quirks.weekend_marker > 0 and "marker" not in weekend_hf.values():
        weekend_hf[weekends[0]] = "marker"
    if len(weekends) >= 2 and quirks.weekend_no_data > 0 and "no_data" not in weekend_hf.values():
        weekend_hf[weekends[1]] = "no_data"
    return Plan(days=plans, weekend_hf=weekend_hf, ids=ids, topics=topics)
