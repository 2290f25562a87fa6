"""A dbt invocation whose event stream fails must not hang the run waiting for dbt."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from pipelines.defs.dbt_models import stream_to_exit


class _FailingInvocation:
    """A dbt stand-in that keeps writing to stdout after its event stream has raised."""

    def __init__(self) -> None:
        # 10 MB is far more than a pipe buffer: unread, the writer blocks until killed.
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdout.write('x' * 10_000_000)"], stdout=subprocess.PIPE
        )

    def stream(self):
        yield "first event"
        raise KeyError("model.papertrends.new_model")


class _CleanInvocation:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", "print('done')"], stdout=subprocess.PIPE)

    def stream(self):
        yield from (line.decode().strip() for line in self.process.stdout)


def test_failed_stream_kills_dbt_instead_of_waiting_forever():
    invocation = _FailingInvocation()
    started = time.monotonic()
    with pytest.raises(KeyError, match="new_model"):
        stream_to_exit(invocation)
    # Without the kill, wait() blocks on the full pipe for as long as the test runs.
    assert time.monotonic() - started < 30
    assert invocation.process.returncode is not None and invocation.process.returncode != 0


def test_clean_stream_returns_every_event_after_exit():
    invocation = _CleanInvocation()
    assert stream_to_exit(invocation) == ["done"]
    assert invocation.process.returncode == 0
