"""Follow a Dagster run from outside it: how many planned assets and checks are done.

``papertrends run`` materialises in-process through ``dg.materialize``, which
returns only at the end. A watcher thread reads the run's events from the
instance's own storage (its own connection, so it never touches the run's), which
is also how the Dagster UI follows a run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

PLANNED = {dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED}
FINISHED = {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION}
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
}


@dataclass
class RunProgress:
    """What a run has planned and finished so far; fed events in order."""

    planned: int = 0
    finished: int = 0
    running: list[str] = field(default_factory=list)
    _cursor: str | None = None

    def poll(self, instance: dg.DagsterInstance, run_id: str) -> RunProgress:
        connection = instance.get_records_for_run(run_id, cursor=self._cursor, of_type=PLANNED | FINISHED | STEP_EVENTS)
        for record in connection.records:
            event = record.event_log_entry.dagster_event
            if event is None:
                continue
            if event.event_type in PLANNED:
                self.planned += 1
            elif event.event_type in FINISHED:
                self.finished += 1
            elif event.event_type == dg.DagsterEventType.STEP_START:
                self.running.append(event.step_key or "")
            elif event.step_key in self.running:
                self.running.remove(event.step_key)
        self._cursor = connection.cursor
        return self


class RunWatcher(threading.Thread):
    """Reports ``(finished, planned, running step)`` of the first run that starts after it does."""

    def __init__(
        self, dagster_home: Path, on_progress: Callable[[int, int, str], None], *, interval: float = 0.5
    ) -> None:
        super().__init__(name="papertrends-run-watch", daemon=True)
        self._home = dagster_home
        self._on_progress = on_progress
        self._interval = interval
        self._halt = threading.Event()
        self.progress = RunProgress()
        # Runs created before this moment belong to someone else (one second of clock slack).
        self._created_at = time.time() - 1.0

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def run(self) -> None:
        # Progress is best effort: a watcher that cannot read the storage yet (a fresh home,
        # whose tables the run itself is creating) waits and tries again, and never fails the run.
        instance = None
        run_id = None
        try:
            while not self._halt.wait(self._interval):
                try:
                    if instance is None:
                        if not (self._home / "history" / "runs.db").exists():
                            continue
                        instance = dg.DagsterInstance.from_config(str(self._home))
                    if run_id is None:
                        newest = instance.get_run_records(limit=1)
                        if not newest or newest[0].create_timestamp.timestamp() < self._created_at:
                            continue
                        run_id = newest[0].dagster_run.run_id
                    self.progress.poll(instance, run_id)
                except Exception:
                    continue
                step = self.progress.running[-1] if self.progress.running else ""
                self._on_progress(self.progress.finished, self.progress.planned, step)
        finally:
            if instance is not None:
                instance.dispose()
