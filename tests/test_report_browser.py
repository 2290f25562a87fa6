"""The report in a real browser: charts render, nothing runs, nothing leaves the machine.

Loads the report built from a published copy whose top title (and topic labels, quarantine
reasons, a check) carry script payloads, in the system chromium driven by playwright-python
(never `playwright install`: the browser is the Debian package). Saves a screenshot to
artifacts/report-screenshot.png for a human to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import struct
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_report import CHARTS, PAYLOAD, make_xss_copy

from pipelines.report import build_report
from pipelines.settings import REPO_ROOT

SCREENSHOT = REPO_ROOT / "artifacts" / "report-screenshot.png"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium", "/usr/lib/chromium/chromium")
# Headless, no sandbox (we run as root in CI), and none of the browser's own traffic
# (component updates, sync, QUIC probes), so that every request seen is the page's.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)


def find_chromium() -> str:
    for candidate in (os.environ.get("PAPERTRENDS_CHROMIUM"), *CHROMIUM_CANDIDATES):
        found = candidate and (shutil.which(candidate) or (os.access(candidate, os.X_OK) and candidate))
        if found:
            return found
    pytest.skip(
        "SKIPPED LOUDLY: no chromium found (tried $PAPERTRENDS_CHROMIUM, " + ", ".join(CHROMIUM_CANDIDATES) + "). "
        "`make test` installs it as root with apt-get (`make browser`); or apt-get install chromium."
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.requested.append(self.path)
        super().do_GET()


@pytest.fixture(scope="module")
def xss_site(sample_run, tmp_path_factory):
    """The XSS report served from 127.0.0.1 by a plain static file server."""
    home, _ = sample_run
    database, _ = make_xss_copy(home, tmp_path_factory.mktemp("browser_published"))
    result = build_report(database, tmp_path_factory.mktemp("browser_report") / "out")
    requested: list[str] = []
    handler = type("Handler", (QuietHandler,), {"requested": requested})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=result.out_dir))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield result, f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    chromium = find_chromium()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="SKIPPED LOUDLY: playwright-python missing; `pip install -e '.[dev]'`"
    )
    with sync_api.sync_playwright() as playwright:
        # A fresh profile every time; playwright adds --headless itself from headless=True.
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium,
            headless=True,
            args=[flag for flag in CHROMIUM_FLAGS if flag != "--headless"],
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def test_report_renders_its_charts_runs_nothing_and_stays_local(xss_site, browser_context):
    _, origin, served = xss_site
    page = browser_context.new_page()
    dialogs, requests, console_errors = [], [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))

    response = page.goto(f"{origin}/index.html", wait_until="load")
    assert response is not None and response.ok
    page.wait_for_timeout(500)  # time for any onerror/onload handler to fire, were there one

    images = page.evaluate(
        "Array.from(document.images).map(i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth}))"
    )
    assert [image["src"] for image in images] == [f"charts/{name}" for name in CHARTS]
    assert all(image["complete"] and image["width"] > 100 for image in images), images

    assert dialogs == []
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
    # The payload is text on the page, shown literally in each window's table.
    titles = page.locator("#trending td.title a").all_text_contents()
    assert titles.count(PAYLOAD) == 3
    assert page.locator("#trending-week + .scroll td.title a").first.text_content() == PAYLOAD
    assert PAYLOAD in page.locator("#quality").inner_text()

    assert requests, "no request seen"
    assert {urlsplit(url).netloc for url in requests} == {urlsplit(origin).netloc}
    assert sorted(served) == sorted(["/index.html", *(f"/charts/{n}" for n in CHARTS)])
    assert console_errors == []

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    width, height = png_size(SCREENSHOT)
    assert width == 1280 and height > 3000, (width, height)
    assert SCREENSHOT.stat().st_size > 100_000
    page.close()


def test_report_opened_from_disk_shows_its_charts(xss_site, browser_context):
    """Analysts open index.html from the folder: 'self' in the CSP must cover file:// charts."""
    result, _, _ = xss_site
    page = browser_context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(result.index_html.as_uri(), wait_until="load")
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert len(widths) == len(CHARTS) and all(width > 100 for width in widths), widths
    assert dialogs == []
    page.close()
