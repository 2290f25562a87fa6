"""The dbt project as Dagster sees it, and keeping its manifest current."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR, home
from pipelines.warehouse import transaction

# The dbt of this interpreter's environment, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime(project_dir: Path) -> float:
    watched = [project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        watched.extend((project_dir / folder).rglob("*"))
    return max(p.stat().st_mtime for p in watched if p.is_file())


def _is_current(manifest: Path, project_dir: Path) -> bool:
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir)


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Parse the project when the manifest is missing or older than any dbt file.

    Parsing costs seconds, so an unchanged project is never re-parsed. Several processes may
    load the definitions at once (test workers, `dagster dev` beside a CLI run): one parses
    under a file lock while the others wait, and the manifest appears by an atomic rename, so
    no process ever reads a half-written one (dbt writes it in place: two parses at once left
    a corrupt manifest.json that every later import failed on).
    """
    target = project_dir / "target"
    manifest = target / "manifest.json"
    if _is_current(manifest, project_dir):
        return manifest
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(manifest, project_dir):
            _parse_into(project_dir, manifest)
    return manifest


def _parse_into(project_dir: Path, manifest: Path) -> None:
    env = dict(os.environ, PAPERTRENDS_HOME=str(home().root), DBT_LOG_PATH=str(home().logs / "dbt"))
    with tempfile.TemporaryDirectory(prefix="parse-", dir=manifest.parent) as scratch:
        result = subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--target-path",
                scratch,
            ],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
        os.replace(Path(scratch) / "manifest.json", manifest)


PARSE_STATE = "partial_parse.msgpack"


def share_parse_state(target: Path) -> None:
    """Start a dbt call in ``target`` from the newest parse state of its sibling target folders.

    Each dbt step keeps its own target folder (its run_results and manifest), so in a new home,
    or after a dbt file changed, every step and the docs parsed the whole project again: about
    7 s each on a slow 2-core machine. dbt checks a saved state itself (its files, version,
    profile) and parses in full when it does not match, so a copy can cost nothing but time.
    """
    own = target / PARSE_STATE
    siblings = [path for path in target.parent.glob(f"*/{PARSE_STATE}") if path != own]
    if not siblings:
        return
    newest = max(siblings, key=lambda path: path.stat().st_mtime)
    if own.exists() and own.stat().st_mtime >= newest.stat().st_mtime:
        return
    target.mkdir(parents=True, exist_ok=True)
    scratch = target / f".{PARSE_STATE}.{os.getpid()}.tmp"
    shutil.copy2(newest, scratch)  # keeps the mtime: the copy is no newer than its source
    os.replace(scratch, own)


# --- Incremental build state -------------------------------------------------------------
#
# The incremental dbt models (materialized='incremental', strategy 'replace': see
# dbt_project/macros/incremental_replace.sql) recompute only what the days in
# build_state.changed_days touched. Which days those are is decided here, per dbt step:
# the landed files (raw.landed_files: path and sha256 per listing day) are compared with
# those the step's last successful build saw (build_state.step_files). A day whose set of
# files differs is changed. The state is committed only after the whole step succeeded, so
# a failed or partial build is simply redone (every incremental model replaces what it
# recomputes, so doing a day twice gives the same rows). A step with no state yet, a
# different model fingerprint (dbt project or learned-topic code changed) or a forced run
# builds from scratch (dbt --full-refresh).

STATE_SCHEMA = "build_state"
STATE_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.steps (step VARCHAR, model_fingerprint VARCHAR, built_at TIMESTAMP)",
    f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.step_files"
    " (step VARCHAR, source VARCHAR, landing_path VARCHAR, sha256 VARCHAR, listing_date DATE)",
    f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.changed_days (listing_date DATE)",
)


def ensure_state_tables(con) -> None:
    for statement in STATE_DDL:
        con.execute(statement)


@dataclass(frozen=True)
class StepPlan:
    step: str
    full_refresh: bool
    changed_days: list[dt.date]
    reason: str


CHANGED_DAYS_SQL = f"""
WITH now AS (SELECT source, landing_path, sha256, listing_date FROM raw.landed_files),
seen AS (SELECT source, landing_path, sha256, listing_date FROM {STATE_SCHEMA}.step_files WHERE step = ?)
SELECT DISTINCT listing_date FROM ((FROM now EXCEPT FROM seen) UNION ALL (FROM seen EXCEPT FROM now))
WHERE listing_date IS NOT NULL
ORDER BY listing_date
"""


def plan_step(con, step: str, fingerprint: str, *, force: bool = False) -> StepPlan:
    """Decide full or incremental, and write the step's changed days to build_state.changed_days."""
    ensure_state_tables(con)
    row = con.execute(f"SELECT model_fingerprint FROM {STATE_SCHEMA}.steps WHERE step = ?", [step]).fetchone()
    if force:
        full, reason = True, "forced"
    elif row is None:
        full, reason = True, "first build of this step"
    elif row[0] != fingerprint:
        # Both values in the log: a rebuild at 1M costs minutes, and one (session 14) could not be
        # explained afterwards because the stored value was already overwritten.
        full = True
        reason = (
            f"dbt project or learned-topic code changed: model fingerprint {row[0][:12]} when last built,"
            f" {fingerprint[:12]} now"
        )
    else:
        full, reason = False, "incremental"
    if full:
        days = [r[0] for r in con.execute("SELECT DISTINCT listing_date FROM raw.landed_files ORDER BY 1").fetchall()]
    else:
        days = [r[0] for r in con.execute(CHANGED_DAYS_SQL, [step]).fetchall()]
    with transaction(con):
        con.execute(f"DELETE FROM {STATE_SCHEMA}.changed_days")
        con.execute(f"INSERT INTO {STATE_SCHEMA}.changed_days SELECT unnest(?::DATE[])", [days])
    return StepPlan(step, full, days, reason)


def commit_step(con, step: str, fingerprint: str) -> None:
    """The step built every model over every landed file: remember them as seen."""
    ensure_state_tables(con)
    with transaction(con):
        con.execute(f"DELETE FROM {STATE_SCHEMA}.step_files WHERE step = ?", [step])
        con.execute(
            f"INSERT INTO {STATE_SCHEMA}.step_files"
            " SELECT ?, source, landing_path, sha256, listing_date FROM raw.landed_files",
            [step],
        )
        con.execute(f"DELETE FROM {STATE_SCHEMA}.steps WHERE step = ?", [step])
        con.execute(f"INSERT INTO {STATE_SCHEMA}.steps VALUES (?, ?, now()::TIMESTAMP)", [step, fingerprint])


def invalidate_steps(con, prefix: str) -> None:
    """Forget the state of the steps named ``prefix`` (and their subsets): they rebuild from scratch."""
    ensure_state_tables(con)
    con.execute(f"DELETE FROM {STATE_SCHEMA}.steps WHERE step = ? OR starts_with(step, ? || '@')", [prefix, prefix])
