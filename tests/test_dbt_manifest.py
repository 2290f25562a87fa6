"""The dbt manifest is parsed once, even when several processes load the definitions at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from pipelines.settings import DBT_PROJECT_DIR

PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")

# Each process reports the parse it read: dbt stamps every parse with its own invocation id.
LOAD = """
import json, sys
from pathlib import Path
from pipelines.dbt_project import ensure_manifest
manifest = json.loads(ensure_manifest(Path(sys.argv[1])).read_text())
print(manifest["metadata"]["invocation_id"], len(manifest["nodes"]))
"""


def copy_project(destination):
    destination.mkdir()
    for name in PROJECT_FILES:
        source = DBT_PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy2(source, destination / name)
    return destination


def load_concurrently(project, home, processes=3):
    env = dict(os.environ, PAPERTRENDS_HOME=str(home))
    started = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD, str(project)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    return [(p.wait(), *p.communicate()) for p in started]


def test_concurrent_loads_parse_once_and_read_a_whole_manifest(tmp_path):
    project = copy_project(tmp_path / "dbt_project")
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)

    results = load_concurrently(project, home)

    assert [code for code, _, _ in results] == [0, 0, 0], [err[-2000:] for _, _, err in results]
    seen = {out.split()[0] for _, out, _ in results}
    assert len(seen) == 1, f"the project was parsed more than once: {seen}"
    nodes = int(results[0][1].split()[1])
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["invocation_id"] in seen
    assert len(manifest["nodes"]) == nodes
    assert "model.papertrends.topic_keywords" in manifest["nodes"]
    # The parse's scratch folder is gone: only the manifest and the lock stay in target/.
    assert sorted(p.name for p in (project / "target").iterdir()) == [".parse.lock", "manifest.json"]


def test_a_changed_model_is_parsed_again_and_a_current_manifest_is_not(tmp_path):
    project = copy_project(tmp_path / "dbt_project")
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    (first,) = {out.split()[0] for _, out, _ in load_concurrently(project, home, processes=1)}
    (unchanged,) = {out.split()[0] for _, out, _ in load_concurrently(project, home, processes=1)}
    assert unchanged == first

    time.sleep(0.01)
    model = next((project / "models" / "marts").rglob("*.sql"))
    model.write_text(model.read_text() + "\n")
    (changed,) = {out.split()[0] for _, out, _ in load_concurrently(project, home, processes=1)}
    assert changed != first


def test_a_broken_project_names_the_parse_error(tmp_path):
    project = copy_project(tmp_path / "dbt_project")
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    (project / "models" / "marts" / "broken.sql").write_text("select * from {{ ref('no_such_model') }}\n")
    ((code, _, err),) = load_concurrently(project, home, processes=1)
    assert code != 0
    assert "dbt parse failed" in err
    assert "no_such_model" in err
    assert not (project / "target" / "manifest.json").exists()


def test_a_target_folder_takes_the_newest_parse_state_of_its_siblings(tmp_path):
    from pipelines.dbt_project import PARSE_STATE, share_parse_state

    targets = tmp_path / "target"

    def state(name: str, content: bytes, mtime: float):
        path = targets / name / PARSE_STATE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (mtime, mtime))

    share_parse_state(targets / "docs")  # no sibling yet: nothing to start from
    assert not (targets / "docs").exists()

    state("step_one", b"older", 1_000)
    state("step_two", b"newest", 2_000)
    share_parse_state(targets / "docs")
    assert (targets / "docs" / PARSE_STATE).read_bytes() == b"newest"

    state("docs", b"own, newer still", 3_000)
    share_parse_state(targets / "docs")
    assert (targets / "docs" / PARSE_STATE).read_bytes() == b"own, newer still"
    share_parse_state(targets / "step_one")  # an older own state is replaced by the newest
    assert (targets / "step_one" / PARSE_STATE).read_bytes() == b"own, newer still"
