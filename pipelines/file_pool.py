"""Work on many files in a small pool of worker processes, results in input order, memory bounded.

Landing checks and ingestion parse files in pure Python, one CPU core each; a pool of
processes (not threads: the GIL) uses the machine. Results come back in input order, so
what lands or is inserted is the same whichever process read a file, and at most
``window`` results wait in memory whatever the number of files. Small jobs run in the
calling process: a pool costs about a CPU-second (fresh interpreters importing the
sources and the caller's ``__main__``, results pickled between processes), which two
workers win back only on more than ~100 MB of input to parse.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Two cores is the machine the benchmarks are held to; more workers than cores only adds memory.
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
# Input below which one process is faster than two plus the pool's start (ingestion; landing's
# check reads ~4x faster a MB, so it passes 4x this).
MIN_PARALLEL_BYTES = 128 * 2**20
WORKERS_ENV = "PAPERTRENDS_WORKERS"


def configured_workers() -> int:
    """Worker processes a pool may use: ``PAPERTRENDS_WORKERS``, else :data:`DEFAULT_WORKERS`."""
    return int(os.environ.get(WORKERS_ENV) or DEFAULT_WORKERS)


def pool_size(paths: Sequence[Path], workers: int | None = None, *, cost_per_byte: float = 1.0) -> int:
    """Processes worth starting for these files: 1 (in-process) when the job is small.

    ``cost_per_byte``: the work a byte takes, relative to ingestion's parse.
    """
    if workers is None:
        workers = configured_workers()
    if workers <= 1 or len(paths) < 2:
        return 1
    total = 0
    for path in paths:
        total += path.stat().st_size
        if total * cost_per_byte >= MIN_PARALLEL_BYTES:
            return min(workers, len(paths))
    return 1


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (Linux, macOS), else spawn; never plain fork.

    fork would copy the caller mid-thread (DuckDB's and Dagster's threads, their locks).
    forkserver starts one clean server process that imports the caller's ``__main__`` and
    the parsing code once, and forks every worker of the pool from it; with spawn each
    worker imports them again (measured: a CPU-second a worker).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "pipelines.raw_rows"])
    return context


def _stop_fork_server(context: multiprocessing.context.BaseContext) -> None:
    """End the fork server once a pool is done with it; the next pool starts a fresh one.

    The server keeps the parsing code it preloaded (~0.1 GB) for as long as it lives, which
    is otherwise the rest of the run: through the dbt steps that set the run's peak memory.
    A restart costs well under a second against the minutes of input a pool is started for.
    Python has no public stop (3.11-3.13); without the private one the server just lives on.
    """
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (the pid was reused)
        return False
    return True


def _exit_with_caller(caller: int) -> None:
    """Worker initializer: end this worker when the process whose files it reads is gone.

    A pool's workers otherwise outlive a killed caller (a stopped Dagster run, Ctrl-C on
    the CLI) and finish their files for nobody; the fork server, their parent, does not
    end with the caller while they hold it (measured). Either death ends the worker.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and _alive(caller):
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` processes; ``fn`` must be a module-level function.

    An exception raised by ``fn`` is raised here, at its item's turn; the items after it
    are cancelled (or their results dropped). Workers import the caller's ``__main__``
    (forkserver or spawn, see :func:`_context`): a script that calls this (through ``land``
    or ``ingest``) needs the usual ``if __name__ == "__main__":`` guard.
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    window = window or 2 * workers
    context = _context()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_exit_with_caller, initargs=(os.getpid(),)
        ) as pool:
            pending: deque[Future[R]] = deque()
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= window:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()
    finally:
        _stop_fork_server(context)


__all__ = ["DEFAULT_WORKERS", "map_ordered", "pool_size"]
