"""Handing memory that a step has freed back to the operating system.

A run is one Dagster process that calls dbt and the tokeniser workers as child processes, so
its peak RSS is this process plus a child's. DuckDB's buffers come from glibc malloc, which
keeps freed heap in its arenas for reuse: after ingestion or the learned step the process
held about 1.1 GB it no longer used, through every later dbt step (bench/RESULTS.md, Memory).
``malloc_trim`` returns it; Arrow's pool (mimalloc) releases its cached pages on request.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    # malloc_trim is glibc's; musl and macOS have none, and there is nothing to trim then.
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def trim_heap() -> bool:
    """``malloc_trim``: glibc's freed heap back to the OS, without a garbage collection."""
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False


def release_freed_memory(*, collect_cycles: bool = True) -> bool:
    """Return freed heap to the OS; True when glibc gave some back (False: nothing, or not glibc).

    ``collect_cycles``: first a full garbage collection, so that frames held only by reference
    cycles free their buffers. It walks every Python object: a few hundred ms in a Dagster
    process, which is why closing a connection (many a run) skips it, and the end of a step
    that built frames asks for it.
    """
    if collect_cycles:
        gc.collect()
    pa.default_memory_pool().release_unused()
    return trim_heap()


@contextmanager
def modules_frozen(preload: tuple[str, ...] = ()) -> Iterator[None]:
    """Full collections inside the block skip every object alive when it starts.

    The steps collect at their end (above), and each full collection walks every tracked
    object: with Dagster, Great Expectations and the definitions loaded that is ~0.5M objects
    and 0.2-0.4 s a time, 11 times a run (5.6 s of a one-day run, py-spy). What is alive before
    the run (modules, definitions) lives as long as the process, so ``gc.freeze`` moves it out
    of the collector's sight for the run; cyclic garbage made from it waits for the unfreeze.
    ``preload``: modules the run imports anyway (lazily, in a step), imported first to be frozen.
    """
    for module in preload:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
