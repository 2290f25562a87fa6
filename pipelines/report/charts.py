"""The report's charts: altair specs rendered to static SVG by vl-convert (offline, no JS in the page).

vl-convert bundles Vega and Vega-Lite, so rendering needs no network; its SVG escapes every text
it draws, and a page that shows it through <img> cannot run anything it might contain. Data go
in as plain JSON values (dates as ISO strings, ordinal axes) so that the SVG depends on the data
alone, not on the local time zone or a data-frame library's serialisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import polars as pl
import vl_convert

from pipelines.report.queries import CATEGORY_CHART_LIMIT, COMPONENT_COLUMNS

COMPONENT_LABELS = {
    "upvotes_component": "upvotes",
    "comments_component": "comments",
    "code_component": "code",
    "velocity_component": "velocity",
    "gravity_component": "gravity",
}
COMPONENT_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756"]
TOPIC_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"]
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


@dataclass(frozen=True)
class Chart:
    name: str  # file stem under charts/
    title: str
    alt: str  # what the chart shows, for the <img> alt text
    svg: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.svg"

    @property
    def size(self) -> tuple[int, int]:
        match = _SIZE.search(self.svg)
        return (round(float(match.group(1))), round(float(match.group(2)))) if match else (0, 0)


def _styled(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor="#333",
            titleColor="#333",
            gridColor="#e8e8e8",
            domainColor="#999",
            labelFontSize=11,
            titleFontSize=12,
        )
        .configure_legend(labelColor="#333", titleColor="#333", labelLimit=360, labelFontSize=12, titleFontSize=12)
        .configure_title(fontSize=14, anchor="start", color="#222", offset=10)
    )


def render_svg(chart: alt.Chart | alt.LayerChart) -> str:
    return vl_convert.vegalite_to_svg(_styled(chart).to_dict())


def _plain(value: object) -> object:
    """A JSON value Vega reads the same way everywhere (no time zones, no NaN)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if value != value else value
    return str(value)  # dates: ISO strings on an ordinal axis


def _values(frame: pl.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def score_components(window: str, label: str, ranking: pl.DataFrame) -> Chart | None:
    """Stacked score components per paper: why each paper ranks where it does."""
    if ranking.is_empty():
        return None
    rows = [
        {
            "paper": f"{row['rank']}. {row['title'] or row['paper_id']}",
            "rank": row["rank"],
            "component": COMPONENT_LABELS[column],
            "order": position,
            "value": _plain(row[column]) or 0.0,
        }
        for row in ranking.iter_rows(named=True)
        for position, column in enumerate(COMPONENT_COLUMNS)
    ]
    chart = (
        alt.Chart(alt.Data(values=rows), title=f"Score components, {label.lower()}")
        .mark_bar()
        .encode(
            y=alt.Y("paper:N", sort=alt.EncodingSortField(field="rank", op="min"), title=None).axis(labelLimit=340),
            x=alt.X("sum(value):Q", title="score (sum of components)"),
            color=alt.Color("component:N", title="component")
            .scale(domain=list(COMPONENT_LABELS.values()), range=COMPONENT_COLOURS)
            .legend(orient="bottom"),
            order=alt.Order("order:Q"),
        )
        .properties(width=420, height=alt.Step(20))
    )
    return Chart(
        name=f"trending-{window}",
        title=f"Score components, {label.lower()}",
        alt=f"Stacked bars of the five score components of the top {ranking.height} papers, {label.lower()}.",
        svg=render_svg(chart),
    )


def _distinct_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """Topic labels as legend entries; two topics with one label keep their ids apart."""
    topics = frame.select("topic_rank", "topic_id", "label").unique().sort("topic_rank")
    clashes = topics.group_by("label").len().filter(pl.col("len") > 1)["label"].to_list()
    names = {
        row["topic_id"]: f"{row['label']} ({row['topic_id']})" if row["label"] in clashes else row["label"]
        for row in topics.iter_rows(named=True)
    }
    return frame.with_columns(pl.col("topic_id").replace_strict(names, return_dtype=pl.Utf8).alias("topic"))


def weekly_share(kind: str, shares: pl.DataFrame) -> Chart | None:
    """Share of each week's listed papers carried by the kind's top topics."""
    if shares.is_empty():
        return None
    shares = _distinct_labels(shares)
    order = shares.sort("topic_rank")["topic"].unique(maintain_order=True).to_list()
    values = _values(shares.select("topic", "topic_rank", "period_start", "papers", "share_of_papers"))
    title = f"Weekly share of papers, top {len(order)} {kind} topics"
    chart = (
        alt.Chart(alt.Data(values=values), title=title)
        .mark_line(point=alt.OverlayMarkDef(size=36), strokeWidth=2)
        .encode(
            x=alt.X("period_start:O", title="week starting (weeks with listings)").axis(labelAngle=-35),
            y=alt.Y("share_of_papers:Q", title="share of the week's papers").axis(format=".0%"),
            color=alt.Color("topic:N", title=None)
            .scale(domain=order, range=TOPIC_COLOURS[: len(order)])
            .legend(orient="bottom", columns=2),
        )
        .properties(width=640, height=260)
    )
    return Chart(
        name=f"topic-share-{kind}",
        title=title,
        alt=f"Line chart of the weekly share of papers of the {len(order)} {kind} topics with the most papers.",
        svg=render_svg(chart),
    )


def categories(frame: pl.DataFrame) -> Chart | None:
    """Papers per arXiv primary category, the long tail folded into one bar."""
    if frame.is_empty():
        return None
    top = frame.head(CATEGORY_CHART_LIMIT).select("primary_category", "papers")
    rest = frame.slice(CATEGORY_CHART_LIMIT)
    rows = _values(top)
    if rest.height:
        rows.append({"primary_category": f"{rest.height} other categories", "papers": int(rest["papers"].sum())})
    for position, row in enumerate(rows):
        row["position"] = position
    y = alt.Y("primary_category:N", sort=alt.EncodingSortField(field="position", op="min"), title=None)
    base = alt.Chart(alt.Data(values=rows), title="Papers per arXiv primary category")
    bars = base.mark_bar(color="#4c78a8").encode(y=y, x=alt.X("papers:Q", title="papers").axis(tickCount=6))
    labels = base.mark_text(align="left", dx=3, fontSize=10, color="#333").encode(
        y=y, x="papers:Q", text=alt.Text("papers:Q")
    )
    chart = alt.layer(bars, labels).properties(width=460, height=alt.Step(18))
    return Chart(
        name="categories",
        title="Papers per arXiv primary category",
        alt="Horizontal bars: papers per arXiv primary category, largest first.",
        svg=render_svg(chart),
    )
