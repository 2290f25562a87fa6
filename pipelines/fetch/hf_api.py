"""Live client for the Hugging Face Daily Papers API (``GET /api/daily_papers``).

One day's list is read page by page (``date``, ``limit``, 0-based ``p``) until a
page holds fewer than ``limit`` items. Every request is polite (an honest
User-Agent, a minimum interval between requests) and resilient: timeouts,
connection errors, 5xx, 429 and bodies that are not a JSON array of objects are
retried with exponential backoff and jitter; ``Retry-After`` is honoured up to a
cap. Every fault met is kept as a human-readable line.

:func:`fetch_days_to_folder` writes one file per day, all or nothing:
``YYYY-MM-DD__<fetched at, UTC>.json`` holding the day's items, which
:func:`pipelines.landing.land` reads as the listing date and as-of time.

``HF_TOKEN``, when set, is sent as ``Authorization: Bearer``; it is never logged,
never put in an exception or fault line, and never written to disk.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import importlib.metadata
import ipaddress
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://huggingface.co"
BASE_URL_ENV = "PAPERTRENDS_HF_BASE_URL"
TOKEN_ENV = "HF_TOKEN"
ENDPOINT = "/api/daily_papers"
FILE_TIME_FORMAT = "%Y-%m-%dT%H-%M-%SZ"
_RETRY_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))
_REDACTED = "<redacted>"


def default_base_url() -> str:
    """``$PAPERTRENDS_HF_BASE_URL``, else https://huggingface.co."""
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def user_agent() -> str:
    try:
        version = importlib.metadata.version("papertrends")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"papertrends/{version} (+daily-papers trend pipeline; httpx/{httpx.__version__})"


@dataclass(frozen=True)
class HfApiConfig:
    """How the client talks to the API. ``base_url=None`` means ``$PAPERTRENDS_HF_BASE_URL`` or huggingface.co."""

    base_url: str | None = None
    limit: int = 50
    timeout: float = 30.0  # seconds, per connect/read; a whole body gets 4x this
    max_attempts: int = 5
    backoff_base: float = 1.0  # first retry waits about this long, then doubles
    backoff_max: float = 30.0
    jitter: float = 1.0  # up to this many random seconds added to each backoff
    max_retry_after: float = 60.0  # a longer Retry-After is cut to this
    min_interval: float = 1.0  # polite gap between the starts of two requests
    max_pages: int = 100  # a day with more pages is an error, not an endless loop
    max_body_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        url = (self.base_url or default_base_url()).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"HF API base URL {url!r} is not an http(s) URL")
        object.__setattr__(self, "base_url", url)
        for name in ("limit", "max_attempts", "max_pages", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("timeout",):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("backoff_base", "backoff_max", "jitter", "max_retry_after", "min_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}{ENDPOINT}"


@dataclass(frozen=True)
class Fault:
    """One failed attempt. ``str(fault)`` is the line shown to operators."""

    what: str  # e.g. "HTTP 500", "429 Retry-After 1s", "timeout", "invalid JSON"
    url: str
    detail: str = ""
    attempt: int = 0  # 0: not a request attempt (e.g. a paging remark)
    max_attempts: int = 0

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        attempt = f" (attempt {self.attempt}/{self.max_attempts})" if self.attempt else ""
        return f"{self.what} on {self.url}{detail}{attempt}"


class HfApiError(RuntimeError):
    """A page could not be read: the URL and what went wrong, never the token."""

    def __init__(self, url: str, reason: str, *, attempts: int, faults: Iterable[Fault] = ()) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        self.requests = attempts  # fetch_day adds the requests of the pages before
        self.faults = list(faults)
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        super().__init__(f"GET {url} failed {tries}: {reason}")


class _Retryable(Exception):
    def __init__(self, fault_what: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(fault_what)
        self.what = fault_what
        self.detail = detail
        self.retry_after = retry_after


@dataclass
class PageResult:
    items: list[dict[str, Any]]
    url: str
    faults: list[Fault]
    attempts: int


@dataclass
class DayFetch:
    """All pages of one day."""

    day: dt.date
    items: list[dict[str, Any]]
    fetched_at: dt.datetime  # UTC, whole seconds: when the first page was asked for
    pages: int
    requests: int
    faults: list[Fault] = field(default_factory=list)


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe_json(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:6])
        return f"a JSON object (keys: {keys})" if keys else "an empty JSON object"
    return {str: "a string", bool: "a boolean", type(None): "null", list: "an array"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:g}s"


class HfApiClient:
    """Reads ``/api/daily_papers`` pages. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        config: HfApiConfig | None = None,
        *,
        token: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or HfApiConfig()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_request: float | None = None
        secret = token if token is not None else os.environ.get(TOKEN_ENV)
        self._token = secret.strip() if secret and secret.strip() else None
        parts = urlsplit(self.config.base_url)
        # A token goes over TLS, or to this machine; never in clear text across a network.
        self.sends_token = bool(self._token) and (parts.scheme == "https" or _is_loopback(parts.hostname or ""))
        if self._token and not self.sends_token:
            log.warning("%s is set but not sent: %s is plain http to another host", TOKEN_ENV, self.config.base_url)
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.config.timeout),
            headers={"User-Agent": user_agent(), "Accept": "application/json"},
            follow_redirects=True,  # httpx drops Authorization on a redirect to another origin
        )

    def __repr__(self) -> str:
        token = "set" if self._token else "none"
        return f"HfApiClient(base_url={self.config.base_url!r}, limit={self.config.limit}, token={token})"

    def __enter__(self) -> HfApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _redact(self, text: str) -> str:
        return text.replace(self._token, _REDACTED) if self._token else text

    def _throttle(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._last_request is not None and self.config.min_interval > 0:
                wait = self._last_request + self.config.min_interval - now
                if wait > 0:
                    self._sleep(wait)
            self._last_request = time.monotonic()

    # One attempt ------------------------------------------------------------------------------------------

    def _attempt(self, url: str, params: dict[str, str | int]) -> list[dict[str, Any]]:
        self._throttle()
        headers = {"Authorization": f"Bearer {self._token}"} if self.sends_token else {}
        deadline = time.monotonic() + 4 * self.config.timeout
        try:
            with self._http.stream("GET", url, params=params, headers=headers) as response:
                status = response.status_code
                if status in _RETRY_STATUSES:
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    what = f"{status} Retry-After {_fmt_seconds(retry_after)}" if status == 429 else f"HTTP {status}"
                    if status != 429 and retry_after is not None:
                        what += f" Retry-After {_fmt_seconds(retry_after)}"
                    media = response.headers.get("Content-Type", "").split(";")[0].strip()
                    detail = "HTML error page" if media == "text/html" else ""
                    raise _Retryable(what, detail, retry_after=retry_after)
                if status != 200:
                    raise HfApiError(
                        str(response.url), f"HTTP {status} {response.reason_phrase}".strip(), attempts=1
                    )  # a 4xx other than 408/425/429 will not get better by asking again
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.config.max_body_bytes:
                        raise _Retryable("oversized body", f"more than {self.config.max_body_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise _Retryable("timeout", f"body not complete after {_fmt_seconds(4 * self.config.timeout)}")
                content_type = response.headers.get("Content-Type", "")
        except httpx.TimeoutException as exc:
            raise _Retryable("timeout", type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise _Retryable("connection error", self._redact(f"{type(exc).__name__}: {exc}")) from None
        return self._validate(bytes(body), content_type)

    @staticmethod
    def _validate(body: bytes, content_type: str) -> list[dict[str, Any]]:
        media = content_type.split(";")[0].strip().lower()
        head = body.lstrip()[:15].lower()
        if media == "text/html" or head.startswith((b"<!doctype html", b"<html")):
            raise _Retryable(
                "HTML page instead of JSON", f"Content-Type {content_type or 'missing'}, {len(body)} bytes"
            )
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reason = f"{exc.msg}, char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise _Retryable("invalid JSON", f"{reason} of {len(body)} bytes") from None
        if not isinstance(document, list):
            raise _Retryable("not a JSON array", f"got {_describe_json(document)}")
        for position, item in enumerate(document):
            if not isinstance(item, dict):
                raise _Retryable("not a JSON array of objects", f"item {position} is {_describe_json(item)}")
        return document

    # Retries ----------------------------------------------------------------------------------------------

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return min(error.retry_after, self.config.max_retry_after)
        backoff = self.config.backoff_base * 2 ** (state.attempt_number - 1)
        return min(backoff, self.config.backoff_max) + random.uniform(0, self.config.jitter)

    def get_page(self, day: dt.date | str, page: int) -> PageResult:
        """One page of one day, retried; HfApiError when every attempt failed or the answer is final (4xx)."""
        day = day if isinstance(day, str) else day.isoformat()
        params: dict[str, str | int] = {"date": day, "limit": self.config.limit, "p": page}
        url = str(httpx.URL(self.config.endpoint, params=params))
        faults: list[Fault] = []
        attempts = self.config.max_attempts

        def record(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Retryable):
                fault = Fault(error.what, url, error.detail, state.attempt_number, attempts)
                if error.retry_after is not None and error.retry_after > self.config.max_retry_after:
                    fault = Fault(
                        error.what,
                        url,
                        f"capped to {_fmt_seconds(self.config.max_retry_after)}",
                        state.attempt_number,
                        attempts,
                    )
                faults.append(fault)
                log.warning("%s", fault)

        retrying = tenacity.Retrying(
            sleep=self._sleep,
            stop=tenacity.stop_after_attempt(attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            after=record,
            reraise=True,
        )
        count = 0
        try:
            for attempt in retrying:
                with attempt:
                    count = attempt.retry_state.attempt_number
                    items = self._attempt(url, params)
        except _Retryable as exc:
            detail = f" ({exc.detail})" if exc.detail else ""
            raise HfApiError(url, self._redact(f"{exc.what}{detail}"), attempts=count, faults=faults) from None
        except HfApiError as exc:
            raise HfApiError(url, self._redact(exc.reason), attempts=count, faults=faults) from None
        return PageResult(items=items, url=url, faults=faults, attempts=count)

    def fetch_day(self, day: dt.date | str) -> DayFetch:
        """Every page of one day. HfApiError (with the faults met so far) when a page fails."""
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        faults: list[Fault] = []
        requests = 0
        for page in range(self.config.max_pages):
            try:
                result = self.get_page(day, page)
            except HfApiError as exc:
                exc.faults = faults + exc.faults
                exc.requests = requests + exc.attempts
                raise
            requests += result.attempts
            faults.extend(result.faults)
            new = 0
            for item in result.items:
                paper = item.get("paper")
                key = paper.get("id") if isinstance(paper, dict) else None
                if isinstance(key, str) and key:
                    if key in seen:
                        continue  # the list moved between two pages: keep the first copy
                    seen.add(key)
                items.append(item)
                new += 1
            if len(result.items) < self.config.limit:
                return DayFetch(day, items, fetched_at, page + 1, requests, faults)
            if new == 0:
                # A full page of papers already seen: the server ignores paging. Stop rather than loop.
                fault = Fault("repeated page", result.url, "every item was on an earlier page; stopped paging")
                faults.append(fault)
                log.warning("%s", fault)
                return DayFetch(day, items, fetched_at, page + 1, requests, faults)
        raise HfApiError(
            str(httpx.URL(self.config.endpoint, params={"date": day.isoformat()})),
            f"more than {self.config.max_pages} pages of {self.config.limit}",
            attempts=requests,
            faults=faults,
        )


# Days to files ------------------------------------------------------------------------------------------------


@dataclass
class DayOutcome:
    day: dt.date
    path: Path | None  # None: the day failed and nothing was written
    papers: int
    pages: int
    requests: int
    faults: list[Fault]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class FetchReport:
    days: list[DayOutcome] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        return [d.path for d in self.days if d.path is not None]

    @property
    def failed(self) -> dict[dt.date, str]:
        return {d.day: d.error for d in self.days if d.error is not None}

    @property
    def faults(self) -> list[str]:
        return [str(f) for d in self.days for f in d.faults]

    @property
    def papers(self) -> int:
        return sum(d.papers for d in self.days if d.ok)

    def lines(self) -> list[str]:
        """The report as operator lines: one per day, fault and failure."""
        out = []
        for d in self.days:
            if d.ok:
                out.append(f"{d.day}: {d.papers} paper(s), {d.pages} page(s), {d.requests} request(s) -> {d.path}")
            else:
                out.append(f"{d.day}: FAILED, nothing written: {d.error}")
            out.extend(f"  fault: {f}" for f in d.faults)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def day_file_name(day: dt.date, fetched_at: dt.datetime) -> str:
    return f"{day.isoformat()}__{fetched_at.astimezone(dt.UTC):{FILE_TIME_FORMAT}}.json"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_day_file(folder: Path, fetch: DayFetch) -> Path:
    """The day's items as one JSON array (one item per line), written to a temp name, fsynced, renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / day_file_name(fetch.day, fetch.fetched_at)
    lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in fetch.items)
    text = f"[\n{lines}\n]\n" if fetch.items else "[]\n"
    temporary = folder / f".{destination.name}.tmp"
    try:
        with temporary.open("wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(folder)
    return destination


def days_between(since: dt.date | str, until: dt.date | str) -> list[dt.date]:
    start = since if isinstance(since, dt.date) else dt.date.fromisoformat(since)
    end = until if isinstance(until, dt.date) else dt.date.fromisoformat(until)
    if end < start:
        raise ValueError(f"until ({end}) is before since ({start})")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def fetch_dates_to_folder(
    days: Iterable[dt.date | str],
    folder: Path,
    client: HfApiClient,
    *,
    on_day: Callable[[DayOutcome], None] | None = None,
) -> FetchReport:
    """Fetch each day; write its file only when every page succeeded. A failed day does not stop the others."""
    report = FetchReport()
    for day in days:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        try:
            fetch = client.fetch_day(day)
        except HfApiError as exc:
            outcome = DayOutcome(day, None, 0, 0, exc.requests, exc.faults, error=str(exc))
            log.error("%s: nothing written: %s", day, exc)
        else:
            path = write_day_file(Path(folder), fetch)
            outcome = DayOutcome(day, path, len(fetch.items), fetch.pages, fetch.requests, fetch.faults)
            log.info("%s: %d paper(s) in %d page(s) -> %s", day, len(fetch.items), fetch.pages, path.name)
        report.days.append(outcome)
        if on_day:
            on_day(outcome)
    return report


def fetch_days_to_folder(
    since: dt.date | str,
    until: dt.date | str,
    folder: Path,
    client: HfApiClient,
    *,
    on_day: Callable[[DayOutcome], None] | None = None,
) -> FetchReport:
    """Every day in [since, until] into ``folder`` (see :func:`fetch_dates_to_folder`)."""
    return fetch_dates_to_folder(days_between(since, until), folder, client, on_day=on_day)
