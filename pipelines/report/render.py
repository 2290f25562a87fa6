"""HTML and Markdown from the report's data, through jinja2 templates in ``templates/``.

Both environments escape every value a template prints, so no template can forget to: the HTML
one by jinja2's autoescape, the Markdown one by a ``finalize`` hook that escapes HTML and the
Markdown characters that could start markup or break a table row. Nothing from the data is
ever marked safe.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
MISSING = "–"
# Backslash-escaped in Markdown: emphasis, code, links and images, table cells, strikethrough.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# Normalised arXiv ids (new style, old style): only these become links, so no data can
# choose a URL scheme.
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})$")
# The report runs no script and loads nothing but its own chart files.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def markdown_escape(value: object) -> str:
    """Text that renders as itself in Markdown: no HTML, no markup, one line (a table cell)."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _finalize_markdown(value: object) -> str:
    return MISSING if value is None else markdown_escape(value)


def _finalize_html(value: object) -> object:
    return MISSING if value is None else value


def number(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{float(value):,.{digits}f}"


def percent(value: object, digits: int = 1) -> str:
    return MISSING if value is None else f"{float(value) * 100:.{digits}f}%"


def signed(value: object, digits: int = 2) -> str:
    return MISSING if value is None else f"{float(value):+.{digits}f}"


def paper_url(paper_id: object) -> str | None:
    return f"https://arxiv.org/abs/{paper_id}" if isinstance(paper_id, str) and _ARXIV_ID.match(paper_id) else None


def _environment(*, markdown: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=not markdown,
        finalize=_finalize_markdown if markdown else _finalize_html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, percent=percent, signed=signed)
    env.globals.update(paper_url=paper_url)
    return env


def render_html(context: dict) -> str:
    return _environment(markdown=False).get_template("report.html.j2").render(csp=CONTENT_SECURITY_POLICY, **context)


def render_markdown(context: dict) -> str:
    text = _environment(markdown=True).get_template("digest.md.j2").render(**context)
    # Blocks that render nothing leave blank runs behind; one blank line is all Markdown needs.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
