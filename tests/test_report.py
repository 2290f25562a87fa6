"""papertrends report: content from the published copy, charts with real marks, escaping, CLI, asset."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import query
from markupsafe import escape
from rich.console import Console
from typer.testing import CliRunner

import pipelines.cli
import pipelines.report as report_module
from pipelines.cli import app
from pipelines.definitions import defs
from pipelines.defs.publishing import PUBLISHED, published_warehouse
from pipelines.defs.reporting import REPORT, papertrends_report
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import daily_job
from pipelines.publish import manifest_path, read_manifest
from pipelines.report import ReportError, build_report, default_out_dir
from pipelines.report.render import markdown_escape
from pipelines.settings import Home

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ESCAPED_PAYLOAD = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
TOPIC_PAYLOAD = '"><svg onload=alert(3)>'
SECTIONS = {
    "trending": "Trending papers",
    "rising": "Rising topics",
    "emerging": "Emerging topics",
    "topic-share": "Weekly topic share",
    "categories": "Papers per category",
    "quality": "Data quality",
}
CHARTS = (  # in page order
    "trending-day.svg",
    "trending-week.svg",
    "trending-month.svg",
    "topic-share-taxonomy.svg",
    "topic-share-learned.svg",
    "topic-share-keyword.svg",
    "categories.svg",
)
SVG = "{http://www.w3.org/2000/svg}"


class PageScan(HTMLParser):
    """Every tag and attribute of a page, to prove what it can and cannot do."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def of(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    return parser


def data_marks(svg_path: Path) -> dict[str, int]:
    """Drawn data marks per mark type (paths and texts inside Vega's role-mark groups)."""
    counts: dict[str, int] = {}
    for group in ET.parse(svg_path).getroot().iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        if "role-mark" in classes:
            kind = classes[0].removeprefix("mark-")
            counts[kind] = counts.get(kind, 0) + sum(child.tag in (f"{SVG}path", f"{SVG}text") for child in group)
    return counts


def svg_text(svg_path: Path) -> list[str]:
    return [node.text or "" for node in ET.parse(svg_path).getroot().iter(f"{SVG}text")]


def top_titles(database: Path, window: str, n: int = 3) -> list[tuple[str, str]]:
    return query(
        database,
        "SELECT paper_id, title FROM marts.trending_papers_latest WHERE window_type = ? ORDER BY rank LIMIT ?",
        [window, n],
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_published(source: Home, target: Path) -> Path:
    """A writable copy of the published database and its manifest (the original is read-only)."""
    target.mkdir(parents=True, exist_ok=True)
    database = target / source.published.name
    shutil.copyfile(source.published, database)
    shutil.copyfile(manifest_path(source.published), manifest_path(database))
    return database


def reseal_manifest(database: Path, **changes) -> None:
    """Point the manifest at the edited database, as a publish of it would have."""
    manifest = json.loads(manifest_path(database).read_text())
    manifest["database"]["sha256"] = hashlib.sha256(database.read_bytes()).hexdigest()
    manifest.update(changes)
    manifest_path(database).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def make_xss_copy(source: Home, target: Path) -> tuple[Path, str]:
    """The published copy with script payloads in every place the report takes text from.

    The week's top paper gets PAYLOAD as its title in both marts that carry titles; the top
    taxonomy topic, a category, quarantine reasons and a manifest check carry payloads too.
    Returns the database and the paper id.
    """
    database = copy_published(source, target)
    con = duckdb.connect(str(database))
    try:
        (paper_id,) = con.execute(
            "SELECT paper_id FROM marts.trending_papers_latest WHERE window_type = 'week' AND rank = 1"
        ).fetchall()[0]
        for table in ("trending_papers_latest", "dim_papers"):
            con.execute(f"UPDATE marts.{table} SET title = ? WHERE paper_id = ?", [PAYLOAD, paper_id])
        for table in ("topic_trends", "emerging_topics"):
            con.execute(
                f"UPDATE marts.{table} SET label = ? WHERE topic_id = 'tax:natural-language-processing'",
                [TOPIC_PAYLOAD + PAYLOAD],
            )
        con.execute("UPDATE marts.category_trends SET primary_category = ? WHERE primary_category = 'cs.CL'", [PAYLOAD])
        con.execute(
            """
            INSERT INTO marts.quarantined_records
            SELECT md5(n::VARCHAR), 'hf_daily_papers', 'raw/x/' || n, 'x.json', DATE '2025-06-27', n, NULL,
                   CASE WHEN n < 3 THEN ? ELSE 'missing title' END, '{}'
            FROM range(5) AS t(n)
            """,
            [PAYLOAD],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    manifest = json.loads(manifest_path(database).read_text())
    checks = [
        *manifest["checks"],
        {"asset": "marts/dim_papers", "name": PAYLOAD, "passed": False, "severity": "WARN", "description": PAYLOAD},
    ]
    reseal_manifest(database, checks=checks, checks_summary={"total": len(checks), "failed": 1})
    return database, paper_id


@pytest.fixture(scope="module")
def published(sample_run) -> Home:
    home, _ = sample_run
    return home


@pytest.fixture(scope="module")
def report(published, tmp_path_factory):
    return build_report(published.published, tmp_path_factory.mktemp("report") / "out")


@pytest.fixture(scope="module")
def xss_report(published, tmp_path_factory):
    database, paper_id = make_xss_copy(published, tmp_path_factory.mktemp("xss_published"))
    return build_report(database, tmp_path_factory.mktemp("xss_report") / "out"), paper_id


def test_sections_exist_in_page_and_digest(report):
    html, digest = report.index_html.read_text(), report.digest_md.read_text()
    for section_id, title in SECTIONS.items():
        assert f'<section id="{section_id}">\n<h2>{title}</h2>' in html
        assert f'<a href="#{section_id}">{title}</a>' in html
        assert f"\n## {title}\n" in digest
    assert report.sections == list(SECTIONS.values())


def test_top_trending_papers_of_every_window_appear_in_rank_order(report, published):
    html, digest = report.index_html.read_text(), report.digest_md.read_text()
    for window, heading in (("day", "Today"), ("week", "This week"), ("month", "This month")):
        papers = top_titles(published.published, window)
        assert len(papers) == 3, window
        section = html.split(f'<h3 id="trending-{window}">{heading}')[1].split("<h3")[0]
        positions = [section.index(str(escape(title))) for _, title in papers]
        assert positions == sorted(positions), f"{window}: not in rank order"
        digest_section = digest.split(f"### {heading} (")[1].split("###")[0]
        for paper_id, title in papers:
            assert f"[{markdown_escape(title)}](https://arxiv.org/abs/{paper_id})" in digest_section
    assert report.top_trending[:3] == [title for _, title in top_titles(published.published, "week")]


def test_trending_rows_carry_every_score_component(report, published):
    html = report.index_html.read_text()
    (row,) = query(
        published.published,
        """SELECT title, score, upvotes_component, comments_component, code_component, velocity_component,
                  gravity_component FROM marts.trending_papers_latest WHERE window_type = 'month' AND rank = 1""",
    )
    month = html.split('<h3 id="trending-month">')[1]
    cells = month.split(str(escape(row[0])))[1].split("</tr>")[0]
    assert re.findall(r'<td class="n">(?:<b>)?(-?[\d.]+)', cells)[-6:] == [f"{v:.3f}" for v in row[1:]]
    assert abs(sum(row[2:]) - row[1]) < 1e-5  # the score is the sum of the columns shown


def test_rising_and_emerging_topics_come_from_the_topic_marts(report, published):
    html = report.index_html.read_text()
    rising = query(
        published.published,
        """SELECT label FROM marts.topic_trends WHERE period_type = 'week' AND papers >= 3 AND growth > 0
           AND period_start = (SELECT max(period_start) FROM marts.topic_trends WHERE period_type = 'week')
           ORDER BY growth DESC, share_zscore DESC NULLS LAST, topic_id LIMIT 1""",
    )[0][0]
    assert str(escape(rising)) in html.split('<section id="rising">')[1].split("</section>")[0]
    (bursts, ongoing) = query(
        published.published, "SELECT count(*), count(*) FILTER (is_ongoing) FROM marts.emerging_topics"
    )[0]
    assert bursts > 0
    assert f"{bursts} burst(s), {ongoing} ongoing" in html
    strongest = query(
        published.published, "SELECT label FROM marts.emerging_topics ORDER BY is_ongoing DESC, strength DESC LIMIT 1"
    )[0][0]
    assert str(escape(strongest)) in html.split('<section id="emerging">')[1]


def test_charts_are_files_with_data_marks(report, published):
    charts = report.out_dir / "charts"
    assert sorted(p.name for p in charts.glob("*.svg")) == sorted(CHARTS)
    assert [p.name for p in report.charts] == list(CHARTS)
    html = report.index_html.read_text()
    assert [img["src"] for img in scan(html).of("img")] == [f"charts/{name}" for name in CHARTS]

    for name in CHARTS:
        svg = (charts / name).read_text()
        assert svg.startswith("<svg") and svg.count("<path") > 0, name
        assert "<script" not in svg.lower(), name
    week = top_titles(published.published, "week", 10)
    assert data_marks(charts / "trending-week.svg") == {"rect": 5 * len(week)}  # five components per paper
    assert f"1. {week[0][1]}" in svg_text(charts / "trending-week.svg")

    top_taxonomy = query(
        published.published,
        """SELECT label FROM marts.topic_trends WHERE period_type = 'week' AND kind = 'taxonomy'
           GROUP BY topic_id, label ORDER BY sum(papers) DESC, topic_id LIMIT 1""",
    )[0][0]
    weeks = query(
        published.published, "SELECT count(DISTINCT period_start) FROM marts.topic_trends WHERE period_type = 'week'"
    )[0][0]
    taxonomy = charts / "topic-share-taxonomy.svg"
    assert top_taxonomy in svg_text(taxonomy)
    assert data_marks(taxonomy) == {"line": 8, "symbol": 8 * weeks}  # a line and a point per week per topic

    top_category = query(
        published.published,
        "SELECT primary_category FROM marts.dim_papers WHERE primary_category IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    assert top_category in svg_text(charts / "categories.svg")
    assert data_marks(charts / "categories.svg")["rect"] >= 10


def test_quality_panel_lists_every_check_of_the_manifest(report, published):
    html, digest = report.index_html.read_text(), report.digest_md.read_text()
    manifest = read_manifest(published.published)
    checks = manifest["checks"]
    assert len(checks) > 100
    panel = html.split('<section id="quality">')[1].split("</section>")[0]
    listed = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>(ERROR|WARN)</td>", panel)
    assert sorted(listed) == sorted((str(escape(c["asset"])), str(escape(c["name"])), c["severity"]) for c in checks)
    assert f"All {len(checks)} checks, by asset" in panel
    blocking = sum(c["severity"] == "ERROR" for c in checks)
    assert f"<b>{blocking}</b> blocking, 0 failed" in panel
    assert f"{len(checks)} checks: {len(checks)} passed, 0 failed; {blocking} blocking (0 failed)" in digest
    # The sample has a warning-only volume check: listed by name in both.
    warnings = [c for c in checks if c["severity"] == "WARN"]
    assert warnings
    for check in warnings:
        assert markdown_escape(check["name"]) in digest.split("### Warning-only checks")[1]
    assert "No records quarantined." in panel
    read = sum(i["records_read"] for i in manifest["inputs"])
    assert f"{len(manifest['inputs'])} input file(s): {read:,} records read" in panel


def test_page_runs_no_script_and_loads_nothing_from_elsewhere(report):
    html = report.index_html.read_text()
    page = scan(html)
    assert not page.of("script")
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    (policy,) = [m["content"] for m in page.of("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert [link["href"] for link in page.of("link")] == ["data:,"]  # an empty favicon: no request for one
    assert not page.of("iframe") and not page.of("object") and not page.of("embed")
    assert all(img["src"].startswith("charts/") for img in page.of("img"))
    assert all(a["href"].startswith(("#", "https://arxiv.org/abs/")) for a in page.of("a"))


def test_same_published_copy_gives_identical_files(report, published, tmp_path):
    again = build_report(published.published, tmp_path / "again")
    assert files_of(again.out_dir) == files_of(report.out_dir)
    # Rebuilding over an older report replaces it and drops charts it no longer has.
    stale = again.out_dir / "charts" / "old-chart.svg"
    stale.write_text("<svg/>")
    build_report(published.published, again.out_dir)
    assert files_of(again.out_dir) == files_of(report.out_dir)
    published_at = read_manifest(published.published)["published_at"]
    assert published_at[:10] in report.index_html.read_text()  # the only time shown is the publish time


def test_the_run_builds_the_report_after_publishing(report, published):
    """sample_run is a plain run_pipeline: the report asset ran in it, from the published copy."""
    latest = default_out_dir(published)
    assert latest == published.root / "reports" / "latest"
    assert files_of(latest) == files_of(report.out_dir)
    instance = dg.DagsterInstance.from_config(str(published.dagster_home))
    event = instance.get_latest_materialization_event(REPORT)
    assert event is not None
    metadata = event.asset_materialization.metadata
    assert metadata["charts"].value == len(CHARTS)
    assert metadata["sections"].value == list(SECTIONS.values())
    assert metadata["path"].value == str(latest / "index.html")
    assert metadata["published_run_id"].value == read_manifest(published.published)["run_id"]


def test_report_depends_on_publish_only_and_is_in_the_daily_job():
    graph = defs.resolve_asset_graph()
    assert graph.get(REPORT).parent_keys == {PUBLISHED}
    assert graph.get(REPORT).group_name == "reports"
    assert REPORT in daily_job.selection.resolve(graph)


def test_a_failed_publish_skips_the_report(published, tmp_path):
    """A failed check of severity ERROR stops publish; the report step never starts."""
    home = Home(tmp_path / "home").ensure()
    shutil.copyfile(published.warehouse, home.warehouse)
    upstream = dg.AssetKey(["marts", "dim_papers"])

    @dg.asset(key=upstream, check_specs=[dg.AssetCheckSpec("deliberately_failed", asset=upstream)])
    def stand_in_papers() -> dg.MaterializeResult:
        # Non-blocking, so Dagster itself lets publish start: publish must refuse on its own.
        return dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(
                    check_name="deliberately_failed", passed=False, severity=dg.AssetCheckSeverity.ERROR
                )
            ]
        )

    result = dg.materialize(
        [stand_in_papers, published_warehouse, papertrends_report],
        resources={"warehouse": WarehouseResource(home_dir=str(home.root))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == published_warehouse.op.name
    assert "not publishing: 1 check(s) failed" in failure.event_specific_data.user_failure_data.description
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert papertrends_report.op.name not in started
    assert not result.asset_materializations_for_node(papertrends_report.op.name)
    assert not home.published.exists()
    assert not default_out_dir(home).exists()


def cli_output(monkeypatch) -> io.StringIO:
    # The CLI's console is bound to the real stdout at import (see pipelines/cli.py), not CliRunner's.
    buffer = io.StringIO()
    monkeypatch.setattr(pipelines.cli, "console", Console(file=buffer, width=400))
    return buffer


def test_cli_writes_the_report(published, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_HOME", str(published.root))
    buffer = cli_output(monkeypatch)
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "cli")])
    output = buffer.getvalue()
    assert result.exit_code == 0, output
    assert (tmp_path / "cli" / "index.html").is_file() and (tmp_path / "cli" / "digest.md").is_file()
    assert len(list((tmp_path / "cli" / "charts").glob("*.svg"))) == len(CHARTS)
    assert "index.html" in output and f"{len(CHARTS)} chart(s)" in output
    help_text = CliRunner().invoke(app, ["report", "--help"]).output
    assert "$PAPERTRENDS_HOME/reports/latest" in help_text


def test_cli_without_a_published_copy_says_to_run_first(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_HOME", str(tmp_path / "empty"))
    buffer = cli_output(monkeypatch)
    result = CliRunner().invoke(app, ["report"])
    output = buffer.getvalue()
    assert result.exit_code == 1
    assert "no published copy" in output and "run `papertrends run` first" in output
    assert not (tmp_path / "empty" / "reports").exists()


def test_a_database_its_manifest_does_not_describe_is_refused(published, tmp_path):
    database = copy_published(published, tmp_path / "published")
    con = duckdb.connect(str(database))
    try:
        con.execute("DELETE FROM marts.trending_papers_latest WHERE rank > 5")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with pytest.raises(ReportError, match="sha256 differs"):
        build_report(database, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_report_trusts_the_digest_publish_recorded_and_hashes_any_other_copy(published, tmp_path, monkeypatch):
    def hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path.name} again")

    monkeypatch.setattr(report_module, "file_sha256", hashing)
    result = build_report(published.published, tmp_path / "out")
    assert result.run_id == read_manifest(published.published)["run_id"]
    assert len(result.top_trending) >= 3

    # A copy publish did not write has no digest on record: the report reads and hashes it.
    database = copy_published(published, tmp_path / "copy")
    with pytest.raises(AssertionError, match=r"hashed papertrends\.duckdb again"):
        build_report(database, tmp_path / "out-copy")


def test_a_copy_without_a_mart_the_report_reads_is_a_clear_error(published, tmp_path):
    database = copy_published(published, tmp_path / "published")
    con = duckdb.connect(str(database))
    try:
        con.execute("DROP TABLE marts.category_trends")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    reseal_manifest(database)
    with pytest.raises(ReportError, match=r"cannot read the report's tables .*category_trends"):
        build_report(database, tmp_path / "out")


def test_titles_labels_and_reasons_cannot_inject_html(xss_report):
    result, paper_id = xss_report
    html, digest = result.index_html.read_text(), result.digest_md.read_text()
    for text in (html, digest):
        assert PAYLOAD not in text
        assert "<script" not in text.lower()
        assert "<svg" not in text.lower()
        assert ESCAPED_PAYLOAD in text
    # The title, in each of the three windows' tables and the digest's, escaped and still linked.
    assert html.count(f'<a href="https://arxiv.org/abs/{paper_id}" rel="noreferrer">{ESCAPED_PAYLOAD}</a>') == 3
    assert digest.count(f"[{ESCAPED_PAYLOAD}](https://arxiv.org/abs/{paper_id})") == 3
    # Topic label with a quote: cannot close an attribute either.
    assert str(escape(TOPIC_PAYLOAD + PAYLOAD)) in html
    assert "&#34;&gt;&lt;svg onload=alert(3)&gt;" in html
    page = scan(html)
    assert not page.of("script") and not page.of("svg")
    assert [img["src"] for img in page.of("img")] == [f"charts/{name}" for name in CHARTS]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    # Quarantine reasons and a manifest check are data too.
    quality = html.split('<section id="quality">')[1]
    assert f'<td>hf_daily_papers</td><td>{ESCAPED_PAYLOAD}</td><td class="n">3</td>' in quality
    assert '<td>missing title</td><td class="n">2</td>' in quality
    assert f"| hf\\_daily\\_papers | {ESCAPED_PAYLOAD} | 3 | 3 |" in digest
    assert (
        f'<td>marts/dim_papers</td><td>{ESCAPED_PAYLOAD}</td><td><span class="badge warn">WARN</span></td><td>{ESCAPED_PAYLOAD}</td>'
        in quality
    )
    # The SVGs draw the payload as text, never as markup.
    for chart in result.charts:
        svg = chart.read_text()
        assert PAYLOAD not in svg and "<script" not in svg.lower(), chart.name
    assert f"1. {PAYLOAD}" in svg_text(result.out_dir / "charts" / "trending-week.svg")
    # Axis labels are cut to a width, so the category's label holds the payload's start.
    assert any(text.startswith(PAYLOAD[:20]) for text in svg_text(result.out_dir / "charts" / "categories.svg"))


def test_markdown_escape_neutralises_markup():
    assert markdown_escape("a | b") == "a \\| b"
    assert markdown_escape("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert markdown_escape("**bold** _it_ `code` ~~s~~") == "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~"
    assert markdown_escape("line\nbreak\r\n| x") == "line break \\| x"
    assert markdown_escape("a & <b>") == "a &amp; &lt;b&gt;"
