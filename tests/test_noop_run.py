"""A run with nothing new does not start Dagster and leaves the published copy alone (issue 6).

The first run publishes; the same inputs again find every landed file and the code as the
published manifest records them, so the run returns the published run at once: no Dagster
run, not even ``import dagster``, and the published file keeps its bytes and its mtime. A new
file, a code change or ``--force`` does rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest
from conftest import RUN_LOG_MARTS, fresh_home, query

from pipelines.fingerprint import code_fingerprint, landed_inventory, published_run_if_current
from pipelines.publish import read_manifest
from pipelines.runner import run_pipeline
from pipelines.settings import REPO_ROOT, SAMPLE_DIR

SEED = SAMPLE_DIR / "seed_page"
DAY = SAMPLE_DIR / "hf-daily-papers" / "daily" / "2025-06-27.json"


def dagster_runs(home) -> list[str]:
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    with dg.DagsterInstance.get() as instance:
        return [run.run_id for run in instance.get_runs()]


@pytest.fixture(scope="module")
def published_home(tmp_path_factory):
    home = fresh_home(tmp_path_factory, "noop_home")
    first = run_pipeline([SEED], home)
    assert first.success and first.published == home.published and not first.up_to_date
    return home, first


def test_same_inputs_start_no_dagster_run_and_keep_the_published_file(published_home):
    home, first = published_home
    before_bytes, before_stat = home.published.read_bytes(), home.published.stat()
    manifest_before = home.published.with_name("manifest.json").read_bytes()
    runs_before = dagster_runs(home)

    again = run_pipeline([SEED], home)

    assert again.up_to_date and again.success
    assert again.run_id == first.run_id  # the published run, not a new one
    assert dagster_runs(home) == runs_before
    assert home.published.read_bytes() == before_bytes
    assert home.published.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert home.published.with_name("manifest.json").read_bytes() == manifest_before
    # The summary still says what is published: its checks, row counts and papers.
    assert again.table_rows == first.table_rows and again.papers == first.papers == 30
    assert {c.name for c in again.checks} == {c.name for c in first.checks} and not again.failed_checks
    assert not any(f.newly_landed for f in again.landed)


def test_the_published_manifest_records_what_makes_it_current(published_home):
    home, first = published_home
    manifest = read_manifest(home.published)
    assert manifest["run_id"] == first.run_id
    assert manifest["build"]["code_fingerprint"] == code_fingerprint()
    on_disk = {(e.landing_path, e.sha256) for e in landed_inventory(home).values()}
    assert on_disk == {(i["landing_path"], i["sha256"]) for i in manifest["inputs"]}
    assert published_run_if_current(home, code_fingerprint()) == first.run_id
    # Other code (a changed model, parser or suite): not current, whatever the inputs.
    assert published_run_if_current(home, "0" * 64) is None


def test_cli_says_nothing_new_without_loading_dagster(published_home):
    home, first = published_home
    env = dict(os.environ, PAPERTRENDS_HOME=str(home.root), COLUMNS="200")
    cli = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(SEED)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert f"nothing new: published copy is current (run {first.run_id})" in cli.stdout
    # The same call in a fresh interpreter: Dagster (seconds to import) is never loaded.
    probe = (
        "import sys; from pathlib import Path; from pipelines.runner import run_pipeline;"
        "from pipelines.settings import home;"
        f"s = run_pipeline([Path({str(SEED)!r})], home());"
        "print(json.dumps([s.up_to_date, s.run_id, 'dagster' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json;" + probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=REPO_ROOT,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, first.run_id, False]


def test_a_new_file_rebuilds_and_force_rebuilds_anyway(tmp_path_factory, published_home):
    home, first = published_home
    grown = run_pipeline([SEED, DAY], home)
    assert grown.success and not grown.up_to_date
    assert grown.run_id != first.run_id and grown.run_id in dagster_runs(home)
    assert grown.ingested_days == ["2025-06-27"]  # only the new day was ingested
    assert read_manifest(home.published)["run_id"] == grown.run_id
    assert query(home.published, "SELECT count(*) FROM marts.dim_papers")[0][0] > 30

    # Nothing new again: the new publish is the current one.
    assert run_pipeline([SEED, DAY], home).run_id == grown.run_id

    forced = run_pipeline([SEED, DAY], home, force=True)
    assert forced.success and not forced.up_to_date and forced.run_id != grown.run_id
    assert forced.ingested_days == ["2025-06-27"]  # every landed day, re-ingested
    assert read_manifest(home.published)["run_id"] == forced.run_id
    # Rebuilt from scratch over the same files: the same tables (the run log aside, it grows).
    audit = set(RUN_LOG_MARTS)
    assert {t: n for t, n in forced.table_rows.items() if t not in audit} == {
        t: n for t, n in grown.table_rows.items() if t not in audit
    }
