"""Freed heap goes back to the OS when a step's connection closes (the run's peak RSS is this
process plus dbt's or the tokeniser workers': heap kept for reuse counts in it)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from contextlib import contextmanager

import duckdb
import psutil
import pytest

from pipelines import memory, publish, warehouse
from pipelines.memory import release_freed_memory
from pipelines.settings import MEMORY_LIMIT_VARIABLE

MB = 10**6


def test_release_returns_heap_that_glibc_kept_after_free():
    process = psutil.Process()
    before = process.memory_info().rss
    # 200,000 blocks of 4 kB come from malloc's heap (under the mmap threshold); keeping the last
    # one pins the top of the heap, so free() alone gives none of the other ~800 MB back.
    blocks = [os.urandom(1) * 4000 for _ in range(200_000)]
    last = blocks[-1]
    del blocks
    kept = process.memory_info().rss - before
    assert kept > 500 * MB

    assert release_freed_memory() is True
    assert process.memory_info().rss - before < 100 * MB
    assert len(last) == 4000


def test_closing_a_connection_trims_the_heap_without_a_full_collection(tmp_path, monkeypatch):
    """A full collection walks every object of a Dagster process (a few hundred ms); a run closes
    many connections: profiled on the sample, 12.7 s of a 100 s run went to them."""
    full_collections, trims = [], []

    def on_collection(phase, info):
        if phase == "start" and info["generation"] == 2:
            full_collections.append(info)

    monkeypatch.setattr(memory, "trim_heap", lambda: trims.append(1) or True)
    gc.disable()  # only collections asked for count
    gc.callbacks.append(on_collection)
    try:
        with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
            con.execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)")
        assert (len(full_collections), len(trims)) == (0, 1)
        assert release_freed_memory() is True  # what a step that built frames asks for at its end
        assert (len(full_collections), len(trims)) == (1, 2)
    finally:
        gc.callbacks.remove(on_collection)
        gc.enable()


def test_a_run_hides_what_was_loaded_before_it_from_the_collector_and_frees_cycles_after(monkeypatch):
    """Inside modules_frozen a full collection walks only what the run made (the steps collect
    11 times a run, each walking ~0.5M objects of loaded modules before); afterwards it all
    counts again, and garbage cycles made from frozen objects are collected."""
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)  # a module the run would import

    class Node:
        pass

    loaded = Node()
    loaded.cycle = loaded
    alive = weakref.ref(loaded)
    with memory.modules_frozen(preload=("colorsys",)):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000 and "colorsys" in sys.modules
        assert len(gc.get_objects(generation=2)) < frozen / 10
        del loaded
        gc.collect()
        assert alive() is not None  # the cycle was frozen: not even looked at
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None  # collected once the run is over


def test_connection_takes_the_run_limit_or_a_lower_one_for_streaming_work(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1536MB")
    database = tmp_path / "warehouse.duckdb"
    setting = "SELECT current_setting('memory_limit')"
    with warehouse.connect(database) as con:
        assert con.execute(setting).fetchall()[0][0] == "1.4 GiB"
    with warehouse.connect(database, limit=warehouse.STREAMING_MEMORY_LIMIT) as con:
        assert con.execute(setting).fetchall()[0][0] == "244.1 MiB"  # 256 MB


def test_publish_connections_take_the_run_limit(tmp_path, monkeypatch):
    """DuckDB's default is 80% of RAM: publishing a 1M-paper build peaked at 7.2 GB with it."""
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1GB")
    database = tmp_path / "published.duckdb"
    duckdb.connect(str(database)).close()
    seen = []
    real_connect = publish.connect

    @contextmanager
    def recording_connect(path, **kwargs):
        with real_connect(path, **kwargs) as con:
            seen.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
            yield con

    monkeypatch.setattr(publish, "connect", recording_connect)
    publish.checkpoint(database)
    assert publish.mart_row_counts(database) == {}
    assert seen == ["953.6 MiB", "953.6 MiB"]  # 1 GB, on the writing and the reading connection


FREED_FRAME = """
import os, sys
if sys.argv[1] == "default":
    os.environ["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:10000"  # jemalloc's own default
import pipelines  # noqa: F401
import numpy as np, polars as pl, psutil
process = psutil.Process()
before = process.memory_info().rss
frame = pl.DataFrame({"a": np.arange(20_000_000), "b": np.arange(20_000_000) % 1000}).sort("b")
held = process.memory_info().rss - before
del frame
print(held, process.memory_info().rss - before)
"""


@pytest.mark.parametrize("allocator", ["package", "default"])
def test_polars_hands_freed_frames_back_at_once_in_the_package(allocator):
    """Importing pipelines sets polars' jemalloc to return freed pages at once (pipelines/__init__.py)."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    result = subprocess.run(
        [sys.executable, "-c", FREED_FRAME, allocator], capture_output=True, text=True, env=env, check=True
    )
    held, after = (int(n) for n in result.stdout.split())
    assert held > 250 * MB
    if allocator == "package":
        assert after < 50 * MB
    else:  # what the run's process kept before: the frame's pages, for jemalloc's decay time
        assert after > 200 * MB
