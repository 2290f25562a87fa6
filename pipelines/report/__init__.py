"""The analysts' report: a static HTML page with SVG charts and a Markdown digest.

It reads the published copy only (read-only) and its manifest, never the working warehouse,
so it shows exactly what analysts can query. The same published copy gives byte-identical
files: every query has a total order, the charts are rendered from plain JSON values, and the
only time shown is the publish time recorded in the manifest.

    out_dir/index.html      the report (no script; charts as <img>)
    out_dir/digest.md       the same content as Markdown tables
    out_dir/charts/*.svg    the charts
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from pipelines.publish import file_identity, file_sha256, known_digest, manifest_path
from pipelines.report.queries import (
    CATEGORY_CHART_LIMIT,
    EMERGING_LIMIT,
    MIN_RISING_PAPERS,
    QUARANTINE_REASON_LIMIT,
    TOPIC_KINDS,
    WINDOWS,
    ReportData,
    load,
    quality,
)
from pipelines.report.render import render_html, render_markdown
from pipelines.settings import Home
from pipelines.warehouse import connect

if TYPE_CHECKING:  # altair and the chart renderer load when a report is built, not with the definitions
    from pipelines.report import charts

SECTIONS = (
    ("trending", "Trending papers"),
    ("rising", "Rising topics"),
    ("emerging", "Emerging topics"),
    ("topic-share", "Weekly topic share"),
    ("categories", "Papers per category"),
    ("quality", "Data quality"),
)
PERIOD_LABELS = {"week": "This week", "month": "This month"}
CHARTS_DIR = "charts"
# A publish between reading the manifest and the database is retried this many times.
READ_ATTEMPTS = 3


class ReportError(Exception):
    """The report cannot be built from what is published; the message says what to do."""


class NoPublishedCopy(ReportError):
    pass


@dataclass(frozen=True)
class ReportResult:
    out_dir: Path
    index_html: Path
    digest_md: Path
    charts: list[Path]
    sections: list[str]
    as_of_date: str | None
    run_id: str | None
    published_at: str | None
    top_trending: list[str]  # titles of this week's top papers, best first


def default_out_dir(home: Home) -> Path:
    return home.root / "reports" / "latest"


def _identity(*paths: Path) -> tuple:
    return tuple(file_identity(path) for path in paths)


def read_published(published_db: Path) -> tuple[dict, ReportData]:
    """The manifest and the report's data, from one and the same published copy."""
    manifest_file = manifest_path(published_db)
    if not published_db.is_file():
        raise NoPublishedCopy(f"no published copy at {published_db}: run `papertrends run` first")
    if not manifest_file.is_file():
        raise ReportError(
            f"{published_db} has no {manifest_file.name} beside it: run `papertrends run` to publish again"
        )
    for _ in range(READ_ATTEMPTS):
        # Publishing renames a new database, then a new manifest, over the old ones: reading
        # both between the two renames would mix two runs, so the hash ties them together.
        before = _identity(published_db, manifest_file)
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{manifest_file} is not JSON ({exc}): run `papertrends run` to publish again") from exc
        expected = (manifest.get("database") or {}).get("sha256")
        # Publish recorded the hash of the file it wrote; a file it did not write is hashed here.
        if expected != (known_digest(published_db) or file_sha256(published_db)):
            if _identity(published_db, manifest_file) == before:
                raise ReportError(
                    f"{manifest_file} does not describe {published_db} (sha256 differs): the copy changed after "
                    "it was published; run `papertrends run` to publish again"
                )
            continue
        try:
            with connect(published_db, read_only=True) as con:
                data = load(con)
        except duckdb.Error as exc:
            # Say, a copy published before a mart the report reads existed.
            raise ReportError(
                f"cannot read the report's tables from {published_db}: {exc}; run `papertrends run` to publish again"
            ) from exc
        if _identity(published_db, manifest_file) == before:
            return manifest, data
    raise ReportError(f"{published_db} kept changing while the report read it (publishes in progress); try again")


def _rows(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def _first(frame: pl.DataFrame, column: str) -> object:
    return frame[column][0] if frame.height else None


def _display_time(value: object) -> str | None:
    """The manifest's UTC publish time, as people read it."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return str(value)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _topic_share_summary(shares: pl.DataFrame) -> pl.DataFrame:
    """Per charted topic: papers over all weeks and the share in the first and the latest week."""
    if shares.is_empty():
        return shares
    return (
        shares.sort("topic_rank", "period_start")
        .group_by("topic_rank", "topic_id", "label", maintain_order=True)
        .agg(
            pl.col("papers").sum().alias("papers"),
            pl.col("period_start").first().alias("first_week"),
            pl.col("share_of_papers").first().alias("first_share"),
            pl.col("period_start").last().alias("latest_week"),
            pl.col("share_of_papers").last().alias("latest_share"),
        )
    )


def _context(manifest: dict, data: ReportData) -> tuple[dict, list[charts.Chart]]:
    from pipelines.report import charts

    produced: list[charts.Chart] = []

    def keep(chart: charts.Chart | None) -> charts.Chart | None:
        if chart is not None:
            produced.append(chart)
        return chart

    windows = [
        {
            "key": window,
            "label": label,
            "window_start": _first(data.trending[window], "window_start"),
            "rows": _rows(data.trending[window]),
            "chart": keep(charts.score_components(window, label, data.trending[window])),
        }
        for window, label in WINDOWS
    ]
    rising = [
        {
            "key": period,
            "label": PERIOD_LABELS[period],
            "min_papers": MIN_RISING_PAPERS[period],
            "period_start": _first(frame, "period_start"),
            "previous_period_start": _first(frame, "previous_period_start"),
            "rows": _rows(frame),
        }
        for period, frame in data.rising.items()
    ]
    topic_share = [
        {
            "kind": kind,
            "chart": keep(charts.weekly_share(kind, data.weekly_share[kind])),
            "topics": _rows(_topic_share_summary(data.weekly_share[kind])),
        }
        for kind in TOPIC_KINDS
    ]
    categorised = int(data.categories["papers"].sum()) if data.categories.height else 0
    category_rows = data.categories.with_columns(
        (pl.col("papers") / categorised if categorised else pl.lit(None, pl.Float64)).alias("share")
    )
    other_categories = category_rows.slice(CATEGORY_CHART_LIMIT)
    latest_month = _first(data.categories, "latest_month")
    quarantine = data.quarantine.head(QUARANTINE_REASON_LIMIT)
    rest = data.quarantine.slice(QUARANTINE_REASON_LIMIT)
    database = manifest.get("database") or {}
    context = {
        "meta": {
            "as_of_date": data.as_of_date,
            "published_at": _display_time(manifest.get("published_at")),
            "run_id": manifest.get("run_id"),
            "sha256": database.get("sha256"),
            "database_file": f"published/{database.get('file', 'papertrends.duckdb')}",
            "papers": data.papers,
        },
        "sections": [{"id": key, "title": title} for key, title in SECTIONS],
        "components": [
            {"column": column, "label": label, "colour": colour}
            for (column, label), colour in zip(charts.COMPONENT_LABELS.items(), charts.COMPONENT_COLOURS, strict=True)
        ],
        "windows": windows,
        "rising": rising,
        "emerging": {
            "rows": _rows(data.emerging.head(EMERGING_LIMIT)),
            "total": data.emerging.height,
            "ongoing": int(data.emerging["is_ongoing"].sum()) if data.emerging.height else 0,
        },
        "topic_share": topic_share,
        "categories": {
            "rows": _rows(category_rows.head(CATEGORY_CHART_LIMIT)),
            "other": {
                "categories": other_categories.height,
                "papers": int(other_categories["papers"].sum()) if other_categories.height else 0,
                "latest_month_papers": int(other_categories["latest_month_papers"].sum())
                if other_categories.height
                else 0,
                "share": float(other_categories["share"].sum()) if other_categories.height and categorised else None,
            },
            "chart": keep(charts.categories(data.categories)),
            "latest_month": latest_month.strftime("%Y-%m") if latest_month else None,
            "uncategorised": data.uncategorised,
        },
        "quality": quality(manifest),
        "quarantine": {
            "rows": _rows(quarantine),
            "more": rest.height,
            "more_records": int(rest["records"].sum()) if rest.height else 0,
        },
    }
    return context, produced


def _write(path: Path, text: str) -> None:
    """Whole files only: a reader (or a browser) never sees a half-written report file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def build_report(published_db: Path, out_dir: Path) -> ReportResult:
    """Write index.html, digest.md and charts/*.svg under ``out_dir`` from the published copy."""
    published_db, out_dir = Path(published_db), Path(out_dir)
    manifest, data = read_published(published_db)
    context, produced = _context(manifest, data)
    html, markdown = render_html(context), render_markdown(context)

    chart_dir = out_dir / CHARTS_DIR
    chart_dir.mkdir(parents=True, exist_ok=True)
    for chart in produced:
        _write(chart_dir / chart.file_name, chart.svg)
    # A chart the data no longer has (say, no keyword topics) must not linger from an older report.
    current = {chart.file_name for chart in produced}
    for stale in chart_dir.glob("*.svg"):
        if stale.name not in current:
            stale.unlink()
    index, digest = out_dir / "index.html", out_dir / "digest.md"
    _write(digest, markdown)
    _write(index, html)
    week = data.trending["week"]
    return ReportResult(
        out_dir=out_dir,
        index_html=index,
        digest_md=digest,
        charts=[chart_dir / chart.file_name for chart in produced],
        sections=[title for _, title in SECTIONS],
        as_of_date=data.as_of_date.isoformat() if data.as_of_date else None,
        run_id=manifest.get("run_id"),
        published_at=manifest.get("published_at"),
        top_trending=[str(t) for t in week["title"].to_list()] if week.height else [],
    )


__all__ = ["NoPublishedCopy", "ReportError", "ReportResult", "build_report", "default_out_dir", "read_published"]
