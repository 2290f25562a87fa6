"""Landing: immutable, content-addressed copies under raw/<source>/dt=YYYY-MM-DD/."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat
from pathlib import Path

import pytest

from pipelines import landing
from pipelines.landing import expand_inputs, land, land_file, landed_files, landed_name, read_sidecar, resolve_as_of
from pipelines.settings import REPO_ROOT, SAMPLE_DIR, Home
from pipelines.sources import SOURCES, FileParseError

HF_SAMPLE = SAMPLE_DIR / "hf-daily-papers"
DAILY = HF_SAMPLE / "daily"
HISTORY = HF_SAMPLE / "history"
SEED_PAGE = SAMPLE_DIR / "seed_page" / "000_d08c345bab2960d3.txt"
BAD = REPO_ROOT / "tests" / "fixtures" / "bad"

# From data/sample/hf-daily-papers/manifest.csv.
SHA_0610 = "05496cbba31cf63c2d6ac4a949b85b22bc645c17e8178e48921da21aead53fd2"
SHA_0612 = "4f80cfdf8b1c2eb19db6238c8ffc22b19fc8d00c852b8d82cd489193e784d0b9"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def copy_to(src: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or src.name)
    target.write_bytes(src.read_bytes())  # plain bytes copy: the sample files are read-only
    return target


def test_land_one_file(home: Home) -> None:
    source_path = DAILY / "2024-06-10.json"
    landed = land_file(source_path, home)

    name = f"2024-06-10__2024-06-10T17-06-26Z__{SHA_0610[:12]}.json"
    assert landed.source == "hf_daily_papers"
    assert landed.path == home.root / "raw" / "hf_daily_papers" / "dt=2024-06-10" / name
    assert landed.relative_path == f"raw/hf_daily_papers/dt=2024-06-10/{name}"
    assert landed.source_file == "2024-06-10.json"
    assert landed.sha256 == SHA_0610 == hashlib.sha256(source_path.read_bytes()).hexdigest()
    assert landed.listing_date == dt.date(2024, 6, 10)
    assert landed.as_of == dt.datetime(2024, 6, 10, 17, 6, 26)  # manifest committed_utc
    assert landed.newly_landed is True

    assert landed.path.read_bytes() == source_path.read_bytes()
    assert stat.S_IMODE(landed.path.stat().st_mode) == 0o444
    sidecar = landed.path.with_name(name + ".meta.json")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o444
    assert json.loads(sidecar.read_text()) == {
        "source": "hf_daily_papers",
        "source_file": "2024-06-10.json",
        "sha256": SHA_0610,
        "as_of": "2024-06-10T17:06:26",
    }
    assert read_sidecar(landed.path)["source_file"] == "2024-06-10.json"
    # Nothing else: no temporaries, nothing outside raw/.
    assert files_under(home.root) == [
        f"raw/hf_daily_papers/dt=2024-06-10/{name}",
        f"raw/hf_daily_papers/dt=2024-06-10/{name}.meta.json",
    ]


def test_landing_twice_lands_once(home: Home) -> None:
    first = land_file(DAILY / "2024-06-10.json", home)
    second = land_file(DAILY / "2024-06-10.json", home)
    assert first.newly_landed is True
    assert second.newly_landed is False
    assert second.path == first.path
    assert second.as_of == first.as_of
    assert second.sha256 == first.sha256
    assert len(files_under(home.raw)) == 2  # one copy and its sidecar


def test_same_bytes_under_another_name_land_once(home: Home, tmp_path: Path) -> None:
    first = land_file(DAILY / "2024-06-10.json", home)
    renamed = copy_to(DAILY / "2024-06-10.json", tmp_path / "elsewhere", "2024-06-10_refetch.json")
    again = land_file(renamed, home)
    assert again.newly_landed is False
    assert again.path == first.path
    # The sidecar of the first landing stays the record: original name and as-of.
    assert again.source_file == "2024-06-10.json"
    assert again.as_of == dt.datetime(2024, 6, 10, 17, 6, 26)
    assert len(files_under(home.raw)) == 2


def test_as_of_from_name_suffix(home: Home) -> None:
    path = HISTORY / "2024-06-12__2024-06-12T17-06-41Z.json"
    landed = land_file(path, home)
    assert landed.as_of == dt.datetime(2024, 6, 12, 17, 6, 41)
    assert landed.listing_date == dt.date(2024, 6, 12)
    assert landed.path.name == "2024-06-12__2024-06-12T17-06-41Z__f14161bf85ab.json"
    assert landed.source_file == "2024-06-12__2024-06-12T17-06-41Z.json"


def test_name_suffix_wins_over_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    path = copy_to(DAILY / "2024-06-12.json", folder, "2024-06-12__2024-06-13T03-50-01Z.json")
    (folder / "manifest.csv").write_text(
        "file,committed_utc\n2024-06-12__2024-06-13T03-50-01Z.json,2030-01-01T00:00:00Z\n", encoding="utf-8"
    )
    assert resolve_as_of(path, dt.date(2024, 6, 12)) == dt.datetime(2024, 6, 13, 3, 50, 1)


def test_as_of_from_manifest_one_folder_up(home: Home) -> None:
    # daily/2024-06-12.json was re-fetched: the manifest says 2024-06-13T03:50:01Z, a day later.
    assert resolve_as_of(DAILY / "2024-06-12.json", dt.date(2024, 6, 12)) == dt.datetime(2024, 6, 13, 3, 50, 1)
    landed = land_file(DAILY / "2024-06-12.json", home)
    assert landed.as_of == dt.datetime(2024, 6, 13, 3, 50, 1)
    assert landed.path.name == f"2024-06-12__2024-06-13T03-50-01Z__{SHA_0612[:12]}.json"
    assert landed.path.parent.name == "dt=2024-06-12"


def test_as_of_from_manifest_beside_the_file_prefers_fetched_utc(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    path = copy_to(DAILY / "2024-06-10.json", folder)
    (folder / "manifest.csv").write_text(
        "file,fetched_utc,committed_utc\n"
        "other.json,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
        "2024-06-10.json,2024-06-10T19:06:26+02:00,2024-06-11T00:00:00Z\n",
        encoding="utf-8",
    )
    # The offset is converted to naive UTC.
    assert resolve_as_of(path, dt.date(2024, 6, 10)) == dt.datetime(2024, 6, 10, 17, 6, 26)


def test_as_of_falls_back_to_end_of_listing_day(home: Home, tmp_path: Path) -> None:
    path = copy_to(DAILY / "2024-06-10.json", tmp_path / "inbox" / "today")
    assert resolve_as_of(path, dt.date(2024, 6, 10)) == dt.datetime(2024, 6, 10, 23, 59, 59)
    landed = land_file(path, home)
    assert landed.as_of == dt.datetime(2024, 6, 10, 23, 59, 59)
    assert landed.path.name == f"2024-06-10__2024-06-10T23-59-59Z__{SHA_0610[:12]}.json"


def test_landed_name() -> None:
    assert (
        landed_name(dt.date(2025, 1, 8), dt.datetime(2025, 1, 9, 6, 7, 15), "a7edfaf465067da77ee935e8", ".json")
        == "2025-01-08__2025-01-09T06-07-15Z__a7edfaf46506.json"
    )


def test_seed_page_lands_by_page_date(home: Home) -> None:
    landed = land_file(SEED_PAGE, home)
    sha = hashlib.sha256(SEED_PAGE.read_bytes()).hexdigest()
    assert landed.source == "seed_page"
    assert landed.listing_date == dt.date(2026, 2, 26)
    assert landed.as_of == dt.datetime(2026, 2, 26, 23, 59, 59)  # no manifest for the seed page
    assert landed.relative_path == f"raw/seed_page/dt=2026-02-26/2026-02-26__2026-02-26T23-59-59Z__{sha[:12]}.txt"
    assert landed.path.read_bytes() == SEED_PAGE.read_bytes()


def test_bad_file_raises_and_lands_nothing(home: Home) -> None:
    path = BAD / "2024-06-10_truncated.json"
    with pytest.raises(FileParseError) as caught:
        land_file(path, home)
    assert caught.value.line == 101
    assert str(path) in str(caught.value)
    assert f"{path}:101: invalid JSON" in str(caught.value)
    assert files_under(home.root) == []


def test_unknown_format_raises_and_lands_nothing(home: Home) -> None:
    with pytest.raises(FileParseError) as caught:
        land_file(HF_SAMPLE / "manifest.csv", home)
    assert (
        str(caught.value) == f"{HF_SAMPLE / 'manifest.csv'}:1: not a known source format (known: {', '.join(SOURCES)})"
    )
    assert files_under(home.root) == []


def test_a_bad_file_lands_nothing(home: Home) -> None:
    with pytest.raises(FileParseError):
        land([DAILY / "2024-06-10.json", BAD / "2024-06-10_invalid_utf8.json", DAILY / "2024-06-11.json"], home)
    # Every file is checked before the first one lands: a bad file lands nothing.
    assert list(landed_files(home, "hf_daily_papers")) == []


def test_leftover_temporary_does_not_block_landing(home: Home) -> None:
    # An interrupted earlier run left a partial ".<name>.tmp" in the day folder.
    folder = home.landing_dir("hf_daily_papers", "2024-06-10")
    folder.mkdir(parents=True)
    name = f"2024-06-10__2024-06-10T17-06-26Z__{SHA_0610[:12]}.json"
    (folder / f".{name}.tmp").write_bytes((DAILY / "2024-06-10.json").read_bytes()[:100])
    landed = land_file(DAILY / "2024-06-10.json", home)
    assert landed.newly_landed is True
    assert landed.path == folder / name
    assert landed.path.read_bytes() == (DAILY / "2024-06-10.json").read_bytes()
    assert read_sidecar(landed.path)["sha256"] == SHA_0610


def test_missing_sidecar_is_rewritten(home: Home) -> None:
    first = land_file(DAILY / "2024-06-10.json", home)
    sidecar = first.path.with_name(first.path.name + ".meta.json")
    sidecar.unlink()  # as if the run died between the data file and its sidecar
    again = land_file(DAILY / "2024-06-10.json", home)
    assert again.newly_landed is False
    assert again.path == first.path
    assert json.loads(sidecar.read_text())["as_of"] == "2024-06-10T17:06:26"


def test_land_the_whole_sample_twice(home: Home) -> None:
    inputs = [HF_SAMPLE, SEED_PAGE.parent]
    first = land(inputs, home)
    assert len(first) == 48  # 30 daily + 17 history + 1 seed page
    assert all(f.newly_landed for f in first)
    hf = list(landed_files(home, "hf_daily_papers"))
    assert len(hf) == 47
    assert len({p.parent.name for p in hf}) == 33  # 30 weekdays + 2024-06-15, 2025-01-11, 2025-01-12
    assert [p.name for p in landed_files(home, "hf_daily_papers", ["2025-01-11"])] == [
        "2025-01-11__2025-01-11T17-07-14Z__6b86b273ff34.json",
        "2025-01-11__2025-01-12T08-46-52Z__e14bc1f22f68.json",
    ]
    # The "1" marker has the same bytes on 2024-06-15 and 2025-01-11: one copy per day, not per source.
    assert len(list(landed_files(home, "hf_daily_papers", ["2024-06-15"]))) == 1
    assert len(list(landed_files(home, "seed_page"))) == 1
    before = files_under(home.root)
    assert len(files_under(home.raw)) == 96  # every landed file has a sidecar
    assert len(before) == 97 and "state/checked_inputs.json" in before  # and the checks are remembered

    second = land(inputs, home)
    assert [f.path for f in second] == [f.path for f in first]
    assert not any(f.newly_landed for f in second)
    assert files_under(home.root) == before


def test_landed_files_skips_sidecars_and_missing_days(home: Home) -> None:
    assert list(landed_files(home, "hf_daily_papers")) == []
    land_file(DAILY / "2024-06-11.json", home)
    land_file(DAILY / "2024-06-10.json", home)
    assert [p.name for p in landed_files(home, "hf_daily_papers")] == [
        "2024-06-10__2024-06-10T17-06-26Z__05496cbba31c.json",
        "2024-06-11__2024-06-11T17-07-25Z__ed610611788e.json",
    ]
    assert [p.name for p in landed_files(home, "hf_daily_papers", ["2024-06-11", "2030-01-01"])] == [
        "2024-06-11__2024-06-11T17-07-25Z__ed610611788e.json"
    ]


def test_expand_inputs_on_the_sample() -> None:
    found = expand_inputs([HF_SAMPLE])
    assert len(found) == 47
    assert found == sorted(found)
    assert found[0] == DAILY / "2024-06-10.json"
    assert found[29] == DAILY / "2025-06-27.json"
    assert found[-1] == HISTORY / "2025-01-12__2025-01-12T08-46-52Z.json"
    assert not any(p.suffix in (".md", ".csv") for p in found)


def test_expand_inputs_filters_and_sorts(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for name in [
        "b.json", "a.json", "c.TXT", "sub/d.jsonl", "notes.md", "manifest.csv", "SOURCE.md",
        "a.json.meta.json", ".hidden.json", "e.parquet",
    ]:  # fmt: skip
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("[]")
    found = expand_inputs([folder])
    assert [p.relative_to(folder).as_posix() for p in found] == ["a.json", "b.json", "c.TXT", "sub/d.jsonl"]
    # A file named directly is taken as given, after the folder's files, in argument order.
    assert expand_inputs([folder / "notes.md", folder / "b.json"]) == [folder / "notes.md", folder / "b.json"]


def test_expand_inputs_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=f"input {missing} does not exist"):
        expand_inputs([missing])


def test_sample_files_are_untouched(home: Home) -> None:
    before = {p: p.read_bytes() for p in DAILY.glob("2024-06-1*.json")}
    land(list(before), home)
    assert {p: p.read_bytes() for p in before} == before
    assert not (DAILY / "manifest.csv").exists()


def test_a_manifest_is_read_once_and_its_first_row_with_a_time_decides(tmp_path: Path) -> None:
    from pipelines import landing

    folder = tmp_path / "feed"
    first = copy_to(DAILY / "2024-06-10.json", folder / "daily")
    second = copy_to(DAILY / "2024-06-11.json", folder / "daily")
    (folder / "manifest.csv").write_text(
        "file,fetched_utc,committed_utc\n"
        "daily/2024-06-11.json,,\n"  # no time: a later row naming the file decides
        "other.json,not a time,\n"  # another file's unreadable time is never parsed
        "2024-06-11.json,,2024-06-11T18:00:00+02:00\n"
        "daily/2024-06-10.json,2024-06-10T18:00:00Z,\n"
        "2024-06-10.json,2030-01-01T00:00:00Z,\n",
        encoding="utf-8",
    )
    landing._manifest_times.cache_clear()
    assert resolve_as_of(first, dt.date(2024, 6, 10)) == dt.datetime(2024, 6, 10, 18, 0, 0)
    assert resolve_as_of(second, dt.date(2024, 6, 11)) == dt.datetime(2024, 6, 11, 16, 0, 0)
    assert landing._manifest_times.cache_info().misses == 1  # one read for both files


def test_a_later_landing_reads_only_new_changed_or_unlanded_files(home: Home, tmp_path: Path, monkeypatch) -> None:
    """Checks are remembered by path, size and mtime: a growing input folder costs its new files."""
    feed = tmp_path / "feed"
    names = ["2024-06-10.json", "2024-06-11.json", "2024-06-12.json"]
    for name in names:
        copy_to(DAILY / name, feed)
    read: list[str] = []
    real_check = landing.check_file

    def counting_check(path: Path):
        read.append(path.name)
        return real_check(path)

    monkeypatch.setattr(landing, "check_file", counting_check)
    first = land([feed], home)
    assert read == names and len(first) == 3
    cache = json.loads(home.check_cache.read_text())
    assert cache[str((feed / names[0]).resolve())][2:] == ["hf_daily_papers", "2024-06-10", SHA_0610]

    read.clear()
    copy_to(DAILY / "2024-06-13.json", feed)
    second = land([feed], home)
    assert read == ["2024-06-13.json"]  # the three known files are not read again
    assert [f.path for f in second[:3]] == [f.path for f in first] and not any(f.newly_landed for f in second[:3])
    assert second[3].newly_landed

    read.clear()
    (feed / names[2]).write_bytes((DAILY / "2024-06-14.json").read_bytes().replace(b"2024-06-14", b"2024-06-12"))
    third = land([feed], home)
    assert read == [names[2]]  # changed in place: read, and its new bytes land
    assert third[2].newly_landed and third[2].sha256 != first[2].sha256

    read.clear()
    first[0].path.unlink()  # a landed copy removed by hand
    fourth = land([feed], home)
    assert read == [names[0]] and fourth[0].newly_landed and fourth[0].path.exists()

    read.clear()
    land([feed], home, recheck=True)  # papertrends run --force
    assert read == [*names, "2024-06-13.json"]


def test_a_corrupt_check_cache_means_every_file_is_read(home: Home, monkeypatch) -> None:
    land([DAILY / "2024-06-10.json"], home)
    home.check_cache.write_text("{not json", encoding="utf-8")
    read: list[str] = []
    real_check = landing.check_file
    monkeypatch.setattr(landing, "check_file", lambda path: read.append(path.name) or real_check(path))
    again = land([DAILY / "2024-06-10.json"], home)
    assert read == ["2024-06-10.json"] and not again[0].newly_landed
    assert json.loads(home.check_cache.read_text())  # rewritten whole
