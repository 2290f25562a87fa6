"""Ingestion throughput: papertrends' parse + raw load against a bare json.loads of the same files.

Prints one table of figures measured in one run; never asserts a time. Usage:

    .venv/bin/python bench/ingest_throughput.py [FOLDER]   # default: ../shared/data/hf-daily-papers, else data/sample
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from pipelines.landing import expand_inputs, land
from pipelines.settings import REPO_ROOT, SAMPLE_DIR, Home
from pipelines.warehouse import connect, ingest


def main() -> None:
    shared = REPO_ROOT.parent / "shared" / "data" / "hf-daily-papers"
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else (shared if shared.exists() else SAMPLE_DIR / "hf-daily-papers")
    files = [p for p in expand_inputs([folder])]
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    start = time.perf_counter()
    records = 0
    for path in files:
        document = json.loads(path.read_bytes())
        items = document.get("data", []) if isinstance(document, dict) else document
        records += len(items) if isinstance(items, list) else 0
    bare = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp)).ensure()
        start = time.perf_counter()
        land([folder], home)
        landed = time.perf_counter() - start
        start = time.perf_counter()
        with connect(home.warehouse) as con:
            stats = ingest(con, home, "hf_daily_papers", None)
        loaded = time.perf_counter() - start

    print(f"input: {folder} ({len(files)} files, {size_mb:.1f} MB, {stats.records_read} records)")
    print(f"{'step':<34}{'seconds':>10}{'records/s':>12}{'× bare':>9}")
    for name, seconds in (
        ("bare json.loads", bare),
        ("land (parse + copy)", landed),
        ("ingest (parse + raw load)", loaded),
    ):
        print(f"{name:<34}{seconds:>10.3f}{stats.records_read / seconds:>12,.0f}{seconds / bare:>9.1f}")


if __name__ == "__main__":
    main()
