"""Where the learned-topic fit spends its time: a py-spy profile of the fit on a built warehouse.

    .venv/bin/python bench/profile_learned.py HOME [--top 15] [--rate 50]

HOME is a PAPERTRENDS_HOME a run has published (bench/full_build.py leaves one per size under
bench/out/full_build/run-<N>p/home). The script reruns the step's fit path as the Dagster asset
does (tokenise dim_papers into a scratch table, fit from an empty registry; nothing is
written to HOME) under ``py-spy record`` (worker processes included), then prints the phases'
wall times and the functions with the most samples (bench/pyspy_profile.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pyspy_profile import record, report  # bench/pyspy_profile.py (bench/ is not a package)


def fit(home: Path) -> None:
    """The fit path of pipelines/defs/learned_topics.py, with phase times, writing nothing to HOME."""
    import duckdb

    from pipelines.topics.model import Previous, TopicConfig, fit_topics
    from pipelines.topics.store import fit_keywords, stage_keywords

    config = TopicConfig()
    started = time.perf_counter()
    con = duckdb.connect()  # the scratch tables in memory; the published copy read-only
    try:
        con.execute(f"ATTACH '{home / 'published' / 'papertrends.duckdb'}' AS published (READ_ONLY)")
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE VIEW marts.dim_papers AS SELECT * FROM published.marts.dim_papers")
        papers = stage_keywords(con)
        tokenised = time.perf_counter()
        sample, others = fit_keywords(con, config.fit_sample)
        result = fit_topics(sample, Previous(), config, others)
        done = time.perf_counter()
    finally:
        con.close()
    print(f"papers {papers:,}, topics {result.topics.height}, fit {result.diagnostics}")
    print(f"phase seconds: tokenise into the scratch table {tokenised - started:.1f}, fit {done - tokenised:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("home", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--rate", type=int, default=50, help="samples a second")
    parser.add_argument("--fit", action="store_true", help=argparse.SUPPRESS)  # the profiled child
    args = parser.parse_args()
    if args.fit:
        fit(args.home)
        return
    if not (args.home / "published" / "papertrends.duckdb").exists():
        sys.exit(f"{args.home}: no published warehouse (run `papertrends run` into it first)")
    with tempfile.TemporaryDirectory() as folder:
        stacks = Path(folder) / "fit.txt"
        record([sys.executable, __file__, str(args.home), "--fit"], stacks, args.rate)
        report(stacks, args.top, args.rate)


if __name__ == "__main__":
    main()
