"""The file-drop inbox: exactly once by content, unreadable files set aside, paths never trusted."""

from __future__ import annotations

import json
import os
import shutil

import dagster as dg
import pytest

from pipelines.defs.inbox_sensor import inbox_sensor
from pipelines.defs.resources import WarehouseResource
from pipelines.inbox import pending, process_inbox
from pipelines.settings import REPO_ROOT, SAMPLE_DIR, Home

DAILY = SAMPLE_DIR / "hf-daily-papers" / "daily"
BAD = REPO_ROOT / "tests" / "fixtures" / "bad"


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home(tmp_path / "home").ensure()
    home.inbox.mkdir()
    return home


def drop(home: Home, source, name: str | None = None):
    target = home.inbox / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def test_good_file_moves_to_landing(home):
    drop(home, DAILY / "2025-06-27.json")
    result = process_inbox(home)
    assert [f.listing_date.isoformat() for f in result.landed] == ["2025-06-27"]
    landed = result.landed[0].path
    assert landed.parent == home.raw / "hf_daily_papers" / "dt=2025-06-27"
    assert landed.read_bytes() == (DAILY / "2025-06-27.json").read_bytes()
    assert pending(home) == []


def test_same_content_lands_exactly_once(home):
    drop(home, DAILY / "2025-06-27.json")
    assert len(process_inbox(home).landed) == 1
    drop(home, DAILY / "2025-06-27.json", "again/2025-06-27.json")
    second = process_inbox(home)
    assert second.landed == [] and second.duplicates == ["again/2025-06-27.json"]
    assert (
        len(
            [
                p
                for p in (home.raw / "hf_daily_papers" / "dt=2025-06-27").iterdir()
                if p.suffix == ".json" and not p.name.endswith(".meta.json")
            ]
        )
        == 1
    )
    assert not (home.inbox / "again").exists()


def test_unreadable_file_is_rejected_with_its_reason(home):
    drop(home, BAD / "2024-06-10_truncated.json")
    drop(home, DAILY / "2025-06-26.json")
    result = process_inbox(home)
    assert [f.listing_date.isoformat() for f in result.landed] == ["2025-06-26"]
    rejected = home.inbox / "rejected" / "2024-06-10_truncated.json"
    assert rejected.exists()
    reason = (home.inbox / "rejected" / "2024-06-10_truncated.json.reason.txt").read_text()
    assert "2024-06-10_truncated.json:" in reason and "invalid JSON" in reason
    assert result.rejected == {"2024-06-10_truncated.json": reason.strip()}
    # rejected/ is never read again
    assert process_inbox(home).rejected == {}


def test_symlinks_are_refused_and_never_followed(home, tmp_path):
    secret = tmp_path / "outside.json"
    shutil.copyfile(DAILY / "2025-06-27.json", secret)
    os.symlink(secret, home.inbox / "2025-06-27.json")
    os.symlink(tmp_path, home.inbox / "linked_folder")
    result = process_inbox(home)
    assert result.landed == []
    assert result.rejected == {
        "2025-06-27.json": "refused: symlinks are never followed",
        "linked_folder": "refused: symlinks are never followed",
    }
    assert (home.inbox / "rejected" / "2025-06-27.json").is_symlink()
    assert secret.exists() and not (home.raw / "hf_daily_papers").exists()


def test_names_with_dotdot_and_unknown_types_are_refused(home):
    drop(home, DAILY / "2025-06-27.json", "evil..2025-06-27.json")
    drop(home, DAILY / "2025-06-27.json", "notes.exe")
    result = process_inbox(home)
    assert result.landed == []
    assert result.rejected["evil..2025-06-27.json"] == "refused: the name contains '..'"
    assert result.rejected["notes.exe"].startswith("refused: unknown file type .exe")
    rejected_names = sorted(p.name for p in (home.inbox / "rejected").iterdir())
    assert all(".." not in name for name in rejected_names)


def test_sensor_lands_and_requests_one_run_per_content(home):
    drop(home, DAILY / "2025-06-26.json")
    drop(home, DAILY / "2025-06-27.json")
    resources = {"warehouse": WarehouseResource(home_dir=str(home.root))}
    with dg.build_sensor_context(resources=resources) as context:
        request = inbox_sensor(context)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["dagster/asset_partition_range_start"] == "2025-06-26"
    assert request.tags["dagster/asset_partition_range_end"] == "2025-06-27"
    assert dg.AssetKey(["published", "papertrends"]) in request.asset_selection
    assert len(request.run_key) == 32
    with dg.build_sensor_context(resources=resources) as context:
        skipped = inbox_sensor(context)
    assert isinstance(skipped, dg.SkipReason) and "nothing new" in skipped.skip_message


def test_run_over_the_inbox_lands_good_files_and_sets_bad_ones_aside(home):
    """`papertrends run --input $PAPERTRENDS_HOME/inbox`: the same run, with inbox semantics."""
    from conftest import query

    from pipelines.runner import run_pipeline

    drop(home, DAILY / "2025-06-27.json")
    drop(home, BAD / "2024-06-10_truncated.json")
    summary = run_pipeline([home.inbox], home)
    assert summary.success and summary.published == home.published
    assert [f.listing_date.isoformat() for f in summary.landed] == ["2025-06-27"]
    assert list(summary.inbox.rejected) == ["2024-06-10_truncated.json"]
    assert pending(home) == []
    papers = query(home.published, "SELECT count(*) FROM marts.dim_papers")[0][0]
    assert papers == len(json.loads((DAILY / "2025-06-27.json").read_text()))
