"""Progress bars for long CLI work: live on a terminal, silent when the output is piped.

Work that runs inside a Dagster step (ingesting hundreds of day files during a
backfill) cannot hold the CLI's console, so it reports through :func:`report`:
a no-op unless a CLI command is listening with :func:`listening`. In the Dagster
UI nothing listens and the step's own logs and metadata are the record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Listener = Callable[[str, int, int], None]

_listeners: list[Listener] = []
_lock = threading.Lock()


def report(task: str, done: int, total: int) -> None:
    """Tell whoever listens that ``done`` of ``total`` units of ``task`` are finished."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(task, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


class TaskBars:
    """One rich bar per task label, created on first report, updated in place.

    ``rich`` draws nothing when the console is not a terminal, so piped output and
    logs keep only the lines the command prints itself.
    """

    def __init__(self, console: Console):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, int] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> TaskBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, task: str, done: int, total: int, *, detail: str = "") -> None:
        description = f"{task} {detail}".rstrip()
        with self._lock:
            if task not in self._tasks:
                self._tasks[task] = self.progress.add_task(description, total=total)
            self.progress.update(self._tasks[task], completed=done, total=total, description=description)

    def completed(self, task: str) -> tuple[float, float | None] | None:
        """(completed, total) of a task, for callers that summarise what the bars showed."""
        with self._lock:
            if task not in self._tasks:
                return None
            state = self.progress.tasks[self._tasks[task]]
            return state.completed, state.total
