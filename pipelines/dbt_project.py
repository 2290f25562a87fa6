"""The dbt project as Dagster sees it, and keeping its manifest current."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR, home

# The dbt of this interpreter's environment, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    watched = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        watched.extend((DBT_PROJECT_DIR / folder).rglob("*"))
    return max(p.stat().st_mtime for p in watched if p.is_file())


def ensure_manifest() -> Path:
    """Parse the project when the manifest is missing or older than any dbt file.

    Parsing costs seconds, so an unchanged project is never re-parsed.
    """
    manifest = DBT_PROJECT.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    env = dict(os.environ, PAPERTRENDS_HOME=str(home().root), DBT_LOG_PATH=str(home().logs / "dbt"))
    result = subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return manifest
