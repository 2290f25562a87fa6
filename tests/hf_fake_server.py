"""A real HTTP server on 127.0.0.1 that plays the Hugging Face ``/api/daily_papers`` endpoint.

It serves the recorded day files of the bundled sample (``data/sample/hf-daily-papers/daily``),
paged by ``limit`` and 0-based ``p``, and follows a scripted fault plan per (date, page):
each planned action answers one request, in order; after the plan, the page is served
normally. ``fail_always`` makes a page fail on every request. Every request is recorded
(path, query, headers, time) so tests can assert paging, headers and retry counts.

    with FakeHfServer() as server:
        server.add_faults("2025-01-07", 0, Status(429, retry_after="1"), Status(500))
        client = HfApiClient(HfApiConfig(base_url=server.url, min_interval=0))
"""

from __future__ import annotations

import ast
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipelines.settings import SAMPLE_DIR

DAILY_DIR = SAMPLE_DIR / "hf-daily-papers" / "daily"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Hugging Face - 503</title></head>"
    b"<body><h1>Service temporarily unavailable</h1><p>Please retry later.</p></body></html>\n"
)


def recorded_items(day: str, data_dir: Path = DAILY_DIR) -> list[dict[str, Any]]:
    """A recorded day as the live API serves it: a list of objects.

    Wrapper files give their ``data`` list; Python-repr string items (an artefact of the
    upstream fetcher, not of the API) are read back into objects; a missing day is [].
    """
    path = data_dir / f"{day}.json"
    if not path.exists():
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict):
        document = document.get("data") or []
    if not isinstance(document, list):
        return []
    return [ast.literal_eval(item) if isinstance(item, str) else item for item in document]


# Fault actions: each answers one request.


@dataclass(frozen=True)
class Status:
    """An error status with a JSON body, and optionally Retry-After."""

    code: int
    retry_after: str | None = None
    body: bytes = b'{"error":"scripted fault"}'
    content_type: str = "application/json"


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds`` before answering normally (past the client's timeout, the client has given up)."""

    seconds: float


@dataclass(frozen=True)
class Truncated:
    """A 200 whose JSON body is cut after ``keep`` of its bytes (Content-Length matches: valid HTTP, bad JSON)."""

    keep: float = 0.5


@dataclass(frozen=True)
class Html:
    """An HTML error page, as a CDN or proxy sends it."""

    code: int = 200


@dataclass(frozen=True)
class Body:
    """Any 200 body, e.g. a JSON object where an array belongs."""

    payload: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Action = Status | Slow | Truncated | Html | Body | Drop


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived

    @property
    def date(self) -> str | None:
        return self.query.get("date")

    @property
    def page(self) -> int:
        return int(self.query.get("p", "0"))


class FakeHfServer:
    def __init__(self, data_dir: Path = DAILY_DIR) -> None:
        self.data_dir = data_dir
        self.requests: list[RecordedRequest] = []
        self._days: dict[str, list[Any]] = {}
        self._plan: dict[tuple[str, int], list[Action]] = {}
        self._always: dict[tuple[str, int], Action] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Script -------------------------------------------------------------------------------------------------

    def set_day(self, day: str, items: list[Any]) -> None:
        """Serve ``items`` for ``day`` instead of the recorded file (e.g. [] for an empty list)."""
        self._days[day] = items

    def items(self, day: str) -> list[Any]:
        return self._days[day] if day in self._days else recorded_items(day, self.data_dir)

    def add_faults(self, day: str, page: int, *actions: Action) -> None:
        """The next requests for (day, page) get these answers, in order."""
        with self._lock:
            self._plan.setdefault((day, page), []).extend(actions)

    def fail_always(self, day: str, page: int, action: Action) -> None:
        self._always[(day, page)] = action

    def requests_for(self, day: str, page: int | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.date == day and (page is None or r.page == page)]

    # Life cycle ---------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHfServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeHfServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Serving ------------------------------------------------------------------------------------------------

    def _next_action(self, day: str, page: int) -> Action | None:
        with self._lock:
            planned = self._plan.get((day, page))
            if planned:
                return planned.pop(0)
            return self._always.get((day, page))

    def _record(self, handler: BaseHTTPRequestHandler) -> RecordedRequest:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        recorded = RecordedRequest(parts.path, query, dict(handler.headers.items()), time.monotonic())
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def _page_body(self, day: str, query: dict[str, str]) -> bytes:
        items = self.items(day)
        page = int(query.get("p", "0"))
        if "limit" in query:
            limit = int(query["limit"])
            items = items[page * limit : (page + 1) * limit]
        elif page:
            items = []
        return json.dumps(items, ensure_ascii=False).encode("utf-8")


def _handler(fake: FakeHfServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeHF/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to answer

        def do_GET(self) -> None:
            recorded = fake._record(self)
            if recorded.path != "/api/daily_papers":
                self._send(404, b'{"error":"Not Found"}', "application/json")
                return
            day = recorded.date
            try:
                page = recorded.page
                int(recorded.query.get("limit", "1"))
            except ValueError:
                self._send(400, b'{"error":"bad p or limit"}', "application/json")
                return
            if not day:
                self._send(400, b'{"error":"date is required"}', "application/json")
                return
            action = fake._next_action(day, page)
            json_type = "application/json; charset=utf-8"
            match action:
                case Status(code=code, retry_after=retry_after, body=body, content_type=content_type):
                    self._send(code, body, content_type, {"Retry-After": retry_after} if retry_after else None)
                case Slow(seconds=seconds):
                    if not fake._stopping.wait(seconds):
                        self._send(200, fake._page_body(day, recorded.query), json_type)
                case Truncated(keep=keep):
                    body = fake._page_body(day, recorded.query)
                    self._send(200, body[: max(1, int(len(body) * keep))], json_type)
                case Html(code=code):
                    self._send(code, HTML_PAGE, "text/html; charset=utf-8")
                case Body(payload=payload, content_type=content_type):
                    self._send(200, payload, content_type)
                case Drop():
                    self.close_connection = True
                    self.connection.close()
                case _:
                    self._send(200, fake._page_body(day, recorded.query), json_type)

    return Handler
