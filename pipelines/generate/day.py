"""One listing day: its papers' records, every HF observation file, and its arXiv lines.

Runs in a worker process. Its randomness comes only from (run seed, day index), so the
output does not depend on which process runs the day or in what order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from pipelines.generate import people, text
from pipelines.generate.plan import (
    DAY,
    EPOCH_ORDINAL,
    HOUR,
    STREAM_DAY,
    DayPlan,
    GenerateConfig,
    seed_sequence,
)
from pipelines.generate.vocab import COMMENTS, CRAWLED_CATEGORY_PREFIXES, GENERAL_CATEGORIES, TOPICS, VENUES

HF_FOLDER = "hf-daily-papers"
ARXIV_FOLDER = "arxiv-daily-listings"
NO_DATA_MESSAGE = "No papers found for this date"

# Fitted to the shared real feed (see SOURCE.md there): first-fetch upvotes have median 6,
# log-sd 1.0 and 3.5% zeros, a few hours after the list opens. Votes follow
# final * (1 - exp(-(age + head start) / growth)): a paper page collects votes before it is
# put on the list, and a 30 h growth time puts the final median near 20.
# Authors: log-mean 1.93, log-sd 0.65 (median 7), rare huge lists.
UPVOTE_LOG_MEAN, UPVOTE_LOG_SD = 3.0, 0.95
GROWTH_HOURS_LOG_MEAN, GROWTH_HOURS_LOG_SD = np.log(30.0), 0.5
HEAD_START_HOURS = 6.0
AUTHORS_LOG_MEAN, AUTHORS_LOG_SD = 1.93, 0.65
ABSTRACT_WORDS_LOG_MEAN, ABSTRACT_WORDS_LOG_SD = np.log(180.0), 0.2


@dataclass
class FileEntry:
    folder: str
    name: str
    listing_date: str
    fetched_utc: str
    bytes: int
    records: int
    sha256: str


@dataclass
class DayResult:
    index: int
    files: list[FileEntry] = field(default_factory=list)
    # (announcement date ordinal, arXiv id, JSON line, repeated as a cross-list)
    arxiv: list[tuple[int, str, bytes, bool]] = field(default_factory=list)
    records: int = 0
    quirks: dict[str, int] = field(default_factory=dict)


def iso_ms(seconds: int, millis: int = 0) -> str:
    """HF's timestamp text: ``2025-06-27T00:45:57.876Z``."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def as_of_suffix(seconds: int) -> str:
    return f"{dt.datetime.fromtimestamp(seconds, dt.UTC):%Y-%m-%dT%H-%M-%SZ}"


def iso_seconds(seconds: int) -> str:
    return f"{dt.datetime.fromtimestamp(seconds, dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def hf_file_name(listing_date: dt.date, observation: int, fetched: int) -> str:
    """The first fetch is ``YYYY-MM-DD.json`` (its time in manifest.csv); re-fetches carry their as-of."""
    if observation == 0:
        return f"{listing_date.isoformat()}.json"
    return f"{listing_date.isoformat()}__{as_of_suffix(fetched)}.json"


def write_file(out: Path, folder: str, name: str, data: bytes, listing_date: str, fetched: int, records: int):
    (out / folder / name).write_bytes(data)
    return FileEntry(
        folder, name, listing_date, iso_seconds(fetched), len(data), records, hashlib.sha256(data).hexdigest()
    )


def _github(r: random.Random, name: str, user: dict[str, Any], variant: bool) -> str:
    owner = r.choice((user["name"], name.lower().replace("+", "p"), f"{name.lower()}-team"))
    url = f"https://github.com/{owner}/{name.replace('+', 'p')}"
    if variant:  # the URL forms the real feed holds besides owner/repo
        return r.choice((url + "/", url + "/tree/main", f"https://github.com/{owner}"))
    return url


def _categories(r: random.Random, topic_categories: tuple[str, ...]) -> list[str]:
    primary = topic_categories[0] if r.random() < 0.7 else r.choice(topic_categories)
    extra = r.choices((0, 1, 2, 3), (0.5, 0.32, 0.12, 0.06))[0]
    pool = [c for c in (*topic_categories, *GENERAL_CATEGORIES) if c != primary]
    return [primary, *r.sample(pool, min(extra, len(pool)))]


def _comment(r: random.Random, slug: str, owner: str) -> str | None:
    if r.random() < 0.5:
        return None
    comment = r.choice(COMMENTS).format(
        p=r.randint(4, 40), f=r.randint(1, 20), t=r.randint(1, 12), venue=r.choice(VENUES), slug=slug, owner=owner
    )
    return text.wrap(comment, 70).replace("\n", "\n  ") if len(comment) > 70 else comment


def _dumps_str(value: str) -> str:
    return orjson.dumps(value).decode()


def arxiv_line(paper_id: str, names: list[str], title: str, categories: list[str], comment, summary: str) -> bytes:
    """One listing line in the crawler's own layout (Python json.dumps: ", " and ": ", raw UTF-8)."""
    authors = ", ".join(_dumps_str(n) for n in names)
    cats = ", ".join(_dumps_str(c) for c in categories)
    return (
        f'{{"id": "{paper_id}", "pdf": "https://arxiv.org/pdf/{paper_id}", "abs": "https://arxiv.org/abs/{paper_id}", '
        f'"authors": [{authors}], "title": {_dumps_str(title)}, "categories": [{cats}], '
        f'"comment": {"null" if comment is None else _dumps_str(comment)}, "summary": {_dumps_str(summary)}}}'
    ).encode()


def _bad_copy(record: dict[str, Any], kind: int) -> dict[str, Any]:
    """A record the parser must quarantine (an API glitch), leaving the original untouched."""
    broken = dict(record)
    paper = dict(record["paper"])
    if kind == 0:
        paper["id"] = ""
    elif kind == 1:
        paper["upvotes"] = str(paper["upvotes"])
    else:
        paper["title"] = ""
        broken["title"] = ""
    broken["paper"] = paper
    return broken


def generate_day(config: GenerateConfig, out: str, plan: DayPlan) -> DayResult:
    out_dir = Path(out)
    result = DayResult(index=plan.index)
    quirk_counts = dict.fromkeys(
        ("repr_record", "repr_file", "wrapper_file", "no_data_day", "wrapped_top_title", "github_url_variant",
         "duplicate_record", "bad_record", "late_added", "crosslist_repeat"),
        0,
    )  # fmt: skip
    result.quirks = quirk_counts
    day = plan.listing_date
    n = len(plan.ids)
    fetch = plan.fetch_times
    option = 0 if config.compact else orjson.OPT_INDENT_2

    if n == 0:  # a listing day nobody submitted to: the API's no_data answer
        body = {"status": "no_data", "date": day.isoformat(), "message": NO_DATA_MESSAGE}
        data = orjson.dumps(body, option=option)
        result.files.append(write_file(out_dir, HF_FOLDER, f"{day}.json", data, day.isoformat(), fetch[0], 0))
        quirk_counts["no_data_day"] += 1
        return result

    sequence = seed_sequence(config.seed, STREAM_DAY, plan.index)
    rng = np.random.default_rng(sequence)
    r = random.Random(int.from_bytes(sequence.generate_state(4, np.uint32).tobytes(), "little"))
    quirks = config.quirks
    snapshots = config.snapshots

    # --- numbers, vectorised over the day's papers
    midnight = (day.toordinal() - EPOCH_ORDINAL) * DAY
    late = (rng.random(n) < quirks.late_added) if snapshots > 1 else np.zeros(n, dtype=bool)
    early_start = np.maximum(plan.submitted + HOUR, midnight - 4 * HOUR)
    early_end = fetch[0] - 300
    late_end = min(fetch[1] - 60, midnight + DAY - 60) if snapshots > 1 else early_end
    start = np.where(late, fetch[0] + 60, early_start)
    end = np.where(late, late_end, early_end)
    daily_at = start + (rng.random(n) * np.maximum(end - start, 1)).astype(np.int64)
    order = np.argsort(daily_at, kind="stable")  # the list reads in order of submission to it

    upvotes_final = rng.lognormal(UPVOTE_LOG_MEAN, UPVOTE_LOG_SD, n)
    growth_hours = rng.lognormal(GROWTH_HOURS_LOG_MEAN, GROWTH_HOURS_LOG_SD, n)
    bot_comment = rng.random(n) < 0.96  # the librarian bot's comment: the mode of numComments is 1
    comments_final = rng.poisson(0.02 * upvotes_final)
    has_github = rng.random(n) < 0.45
    stars_final = rng.lognormal(np.log(60.0), 1.8, n)
    stars_start = stars_final * rng.beta(1.0, 3.0, n)
    star_hours = rng.lognormal(np.log(96.0), 0.5, n)
    n_authors = np.maximum(1, np.rint(rng.lognormal(AUTHORS_LOG_MEAN, AUTHORS_LOG_SD, n))).astype(int)
    n_authors = np.where(rng.random(n) < 0.002, rng.integers(40, 700, n), n_authors)
    n_keywords = np.clip(np.rint(rng.lognormal(np.log(10.0), 0.45, n)), 1, 33).astype(int)
    abstract_words = np.clip(rng.lognormal(ABSTRACT_WORDS_LOG_MEAN, ABSTRACT_WORDS_LOG_SD, n), 60, 320).astype(int)
    pool, pool_weights = people.submitters(config.seed, config.submitter_pool)
    submitter = rng.choice(len(pool), size=n, p=pool_weights)
    orgs, org_weights = people.organizations(config.seed, config.org_pool)
    org = np.where(rng.random(n) < 0.35, rng.choice(len(orgs), size=n, p=org_weights), -1)
    wrapped_top = rng.random(n) < quirks.wrapped_top_title
    url_variant = rng.random(n) < quirks.github_url_variant
    repr_items = rng.random((n, snapshots)) < quirks.repr_record
    duplicate_at = np.where(rng.random(n) < quirks.duplicate_record, rng.integers(0, snapshots, n), -1)
    bad_at = np.where(rng.random(n) < quirks.bad_record, rng.integers(0, snapshots, n), -1)
    bad_kind = rng.integers(0, 3, n)

    ages = np.array(fetch, dtype=np.float64)[None, :] - daily_at[:, None]  # seconds, (papers, observations)
    ages_h = np.maximum(ages, 0.0) / HOUR
    saturation = 1.0 - np.exp(-(ages_h + HEAD_START_HOURS) / growth_hours[:, None])
    # Rounding with one fixed offset per paper is unbiased and keeps every count non-decreasing.
    offset = rng.random((n, 1))
    upvotes = np.floor(upvotes_final[:, None] * saturation + offset).astype(np.int64).tolist()
    comments = bot_comment[:, None] + np.floor(comments_final[:, None] * saturation + offset)
    comments = comments.astype(np.int64).tolist()
    star_growth = 1.0 - np.exp(-ages_h / star_hours[:, None])
    stars = np.floor(stars_start[:, None] + (stars_final - stars_start)[:, None] * star_growth + offset)
    stars = stars.astype(np.int64).tolist()

    # EDT/EST labelled as UTC: paper.publishedAt is 4 h (summer) or 5 h (winter) after the top-level one.
    shift = (4 if 4 <= day.month <= 10 else 5) * HOUR

    # --- records, built once; each observation only updates the counts
    records: list[dict[str, Any]] = []
    for i in order.tolist():
        topic = TOPICS[int(plan.topics[i])]
        paper_id = plan.ids[i]
        name = text.model_name(r, topic)
        submitter_user = pool[int(submitter[i])]
        github = _github(r, name, submitter_user, bool(url_variant[i])) if has_github[i] else None
        clean_title = text.title(r, topic, name)
        abstract = text.wrap(text.abstract(r, topic, name, int(abstract_words[i]), github))
        daily_seconds = int(daily_at[i])
        first_object = (daily_seconds << 64) | r.getrandbits(40) << 24
        author_list = people.authors(
            r, int(n_authors[i]), first_object, iso_ms(daily_seconds + r.randint(600, 30 * HOUR), r.randrange(1000))
        )
        published = int(plan.submitted[i])
        paper: dict[str, Any] = {
            "id": paper_id,
            "authors": author_list,
            "publishedAt": iso_ms(published + shift),
            "submittedOnDailyAt": iso_ms(daily_seconds, r.randrange(1000)),
            "title": text.wrap_title(clean_title),
            "submittedOnDailyBy": people.daily_by(submitter_user),
            "summary": abstract,
            "upvotes": 0,
            "discussionId": f"{first_object + int(n_authors[i]):024x}",
        }
        if r.random() < 0.29:
            paper["projectPage"] = f"https://{name.lower().replace('+', 'p')}.github.io/"
        if github:
            paper["githubRepo"] = github
        if r.random() < 0.98:
            paper["ai_summary"] = text.ai_summary(r, topic, name)
            paper["ai_keywords"] = text.keywords(r, topic, name, int(n_keywords[i]))
        if github:
            paper["githubStars"] = 0
        record: dict[str, Any] = {
            "paper": paper,
            "publishedAt": iso_ms(published),
            "title": paper["title"] if wrapped_top[i] else clean_title,
            "summary": abstract,
        }
        if r.random() < 0.16:
            record["mediaUrls"] = [
                f"https://cdn-uploads.huggingface.co/production/uploads/{submitter_user['_id']}/"
                f"{people.hex_id(r)[:21]}.png"
                for _ in range(r.randint(1, 3))
            ]
        record["thumbnail"] = f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper_id}.png"
        record["numComments"] = 0
        record["submittedBy"] = submitter_user
        if org[i] >= 0:
            record["organization"] = orgs[int(org[i])]
        record["isAuthorParticipating"] = r.random() < 0.3
        records.append(record)

        quirk_counts["wrapped_top_title"] += bool(wrapped_top[i] and "\n" in paper["title"])
        quirk_counts["github_url_variant"] += bool(github and url_variant[i])
        quirk_counts["late_added"] += bool(late[i])

        # arXiv listing line: the crawler follows cs/eess/stat only, and misses a few papers.
        categories = _categories(r, topic.categories)
        if categories[0].startswith(CRAWLED_CATEGORY_PREFIXES) and r.random() < 0.95:
            names = [a["name"] for a in author_list]
            owner = submitter_user["name"]
            line = arxiv_line(paper_id, names, clean_title, categories, _comment(r, name.lower(), owner), abstract)
            crawled = sum(c.startswith(CRAWLED_CATEGORY_PREFIXES) for c in categories)
            repeat = crawled > 1 and r.random() < quirks.crosslist_repeat
            quirk_counts["crosslist_repeat"] += repeat
            result.arxiv.append((int(plan.announced[i]), paper_id, line, repeat))

    # --- one file per observation
    paper_order = order.tolist()
    for k, fetched in enumerate(fetch):
        items: list[Any] = []
        dup_items: list[Any] = []
        for record, i in zip(records, paper_order, strict=True):
            if k == 0 and late[i]:
                continue
            record["paper"]["upvotes"] = upvotes[i][k]
            record["numComments"] = comments[i][k]
            if "githubStars" in record["paper"]:
                record["paper"]["githubStars"] = stars[i][k]
            item: Any = record
            if bad_at[i] == k:
                item = _bad_copy(record, int(bad_kind[i]))
                quirk_counts["bad_record"] += 1
            if plan.all_repr[k] or repr_items[i, k]:
                item = repr(item)
                quirk_counts["repr_record"] += not plan.all_repr[k]
            items.append(item)
            if duplicate_at[i] == k:
                dup_items.append(item)  # serialised below, before the next observation changes it
                quirk_counts["duplicate_record"] += 1
        items += dup_items  # a repeat further down the same list
        quirk_counts["repr_file"] += plan.all_repr[k]
        if plan.wrapper[k]:
            body: Any = {"status": "success", "date": day.isoformat(), "count": len(items), "data": items}
            quirk_counts["wrapper_file"] += 1
        else:
            body = items
        data = orjson.dumps(body, option=option)
        name = hf_file_name(day, k, fetched)
        result.files.append(write_file(out_dir, HF_FOLDER, name, data, day.isoformat(), fetched, len(items)))
        result.records += len(items)
    return result
