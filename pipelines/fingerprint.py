"""Is the published copy current? Fingerprints of the inputs and of the code, without Dagster.

A run with nothing to do should cost about as much as starting Python: ``import dagster``
alone takes seconds, and a Dagster run of the whole graph about a minute. So before any of
that, :func:`published_run_if_current` compares what the published copy was built from with
what there is now:

- inputs: every landed file (``raw/<source>/dt=…/``, its sha256 from the sidecar) against
  ``inputs`` in ``published/manifest.json`` (``raw.landed_files`` of the published bytes);
- code: :func:`code_fingerprint` (the dbt project, the GX suites, the pipeline's Python and
  the package version) against ``build.code_fingerprint`` in the manifest, which the publish
  asset records from the run tag :data:`CODE_TAG` that the runner sets.

Equal on both counts: the published copy is exactly what a new run would publish, and the
run returns at once. :func:`model_fingerprint` is narrower (what the incremental tables are
computed by: the dbt project and the learned-topic code); when it changes, the runner
rebuilds them from scratch instead of incrementally (see :mod:`pipelines.runner`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT, Home

PACKAGE = "papertrends"
# Run tags set by the runner, read by the assets (publish, dbt, learned topics).
CODE_TAG = "papertrends/code_fingerprint"
MODEL_TAG = "papertrends/model_fingerprint"
FULL_REFRESH_TAG = "papertrends/full_refresh"
# Everything dbt reads (target/, logs/ and dbt_packages/ are its output, not its input).
DBT_INPUTS = ("dbt_project.yml", "profiles.yml", "packages.yml", "models", "macros", "seeds", "tests", "snapshots")
PIPELINES_DIR = REPO_ROOT / "pipelines"
# The Python that computes incremental state: a change here means those tables are stale.
MODEL_PYTHON = (PIPELINES_DIR / "topics", PIPELINES_DIR / "defs" / "learned_topics.py")


def _files(roots: Iterable[Path], suffixes: tuple[str, ...] | None = None) -> list[Path]:
    found = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(
                p
                for p in root.rglob("*")
                if p.is_file()
                and "__pycache__" not in p.parts
                and not p.name.startswith(".")
                and (suffixes is None or p.suffix in suffixes)
            )
    return sorted(set(found))


def _digest(files: Iterable[Path], *extra: str) -> str:
    """sha256 over (path relative to the repository, content) of every file, in path order."""
    digest = hashlib.sha256()
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in files:
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _dbt_files() -> list[Path]:
    return _files(DBT_PROJECT_DIR / name for name in DBT_INPUTS)


def model_fingerprint() -> str:
    """What the dbt models and the learned-topic step compute their tables with."""
    return _digest([*_dbt_files(), *_files(MODEL_PYTHON, (".py",))])


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def code_fingerprint() -> str:
    """Everything that shapes the published copy: dbt, GX suites, the pipeline's Python, the version."""
    files = [*_dbt_files(), *_files([EXPECTATIONS_DIR]), *_files([PIPELINES_DIR], (".py",))]
    return _digest(files, package_version())


@dataclass(frozen=True)
class LandedEntry:
    landing_path: str  # relative to the home, as raw.landed_files stores it
    source: str
    listing_date: dt.date
    sha256: str


def landed_inventory(home: Home) -> dict[str, LandedEntry]:
    """Every landed file under ``raw/``, from the folders and the sidecars alone (no parsing)."""
    inventory: dict[str, LandedEntry] = {}
    if not home.raw.is_dir():
        return inventory
    for folder in sorted(home.raw.glob("*/dt=*")):
        if not folder.is_dir():
            continue
        listing_date = dt.date.fromisoformat(folder.name.removeprefix("dt="))
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.name.endswith(".meta.json") or not path.is_file():
                continue
            sidecar = path.with_name(path.name + ".meta.json")
            if not sidecar.exists():  # landing writes the sidecar last: this one is not landed yet
                continue
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            relative = path.relative_to(home.root).as_posix()
            inventory[relative] = LandedEntry(relative, folder.parent.name, listing_date, meta["sha256"])
    return inventory


def read_published_manifest(home: Home) -> dict | None:
    path = home.published.with_name("manifest.json")
    if not path.exists() or not home.published.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def published_run_if_current(home: Home, code: str, inventory: dict[str, LandedEntry] | None = None) -> str | None:
    """The run id of the published copy if it is what a run would publish now, else None."""
    manifest = read_published_manifest(home)
    if manifest is None or manifest.get("build", {}).get("code_fingerprint") != code:
        return None
    # The manifest is written from the published bytes; a file of another size is not them.
    if home.published.stat().st_size != manifest.get("database", {}).get("bytes"):
        return None
    inventory = landed_inventory(home) if inventory is None else inventory
    published = {(i["landing_path"], i["sha256"]) for i in manifest.get("inputs", [])}
    on_disk = {(e.landing_path, e.sha256) for e in inventory.values()}
    return manifest.get("run_id") if published == on_disk else None
