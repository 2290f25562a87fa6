"""Landing: input files become immutable copies under ``raw/<source>/dt=YYYY-MM-DD/``.

A file is parsed before it lands, so a bad file fails here with its name and
line and never reaches the warehouse. Landing is idempotent by content hash:
the same bytes land once per source and day, whatever they were called.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import Home
from pipelines.sources import SOURCES, FileParseError, detect

INPUT_SUFFIXES = frozenset({".json", ".jsonl", ".txt"})
_AS_OF_IN_NAME = re.compile(r"__(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z")
_MANIFEST_TIME_COLUMNS = ("fetched_utc", "committed_utc")


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path
    relative_path: str
    source_file: str
    sha256: str
    listing_date: dt.date
    as_of: dt.datetime
    newly_landed: bool


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the data files found under folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"input {path} does not exist")
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in INPUT_SUFFIXES
                and not p.name.startswith(".")
                and not p.name.endswith(".meta.json")
            )
        else:
            found.append(path)
    return found


def _manifest_as_of(path: Path) -> dt.datetime | None:
    """Fetch time from a manifest.csv beside the file or one folder up (the shared-data layout)."""
    for folder in (path.parent, path.parent.parent):
        manifest = folder / "manifest.csv"
        if not manifest.is_file():
            continue
        relative = path.resolve().relative_to(folder.resolve()).as_posix()
        with manifest.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("file") in (relative, path.name):
                    for column in _MANIFEST_TIME_COLUMNS:
                        if row.get(column):
                            return _utc_naive(dt.datetime.fromisoformat(row[column].replace("Z", "+00:00")))
    return None


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def resolve_as_of(path: Path, listing_date: dt.date) -> dt.datetime:
    """When the file's content was observed.

    In order: a ``__YYYY-MM-DDTHH-MM-SSZ`` suffix in the name (what papertrends
    writes for live fetches), a manifest.csv entry, else the end of the listing
    day, which keeps reruns deterministic where nothing better is known.
    """
    match = _AS_OF_IN_NAME.search(path.name)
    if match:
        day, hh, mm, ss = match.groups()
        return dt.datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}")
    return _manifest_as_of(path) or dt.datetime.combine(listing_date, dt.time(23, 59, 59))


def landed_name(listing_date: dt.date, as_of: dt.datetime, sha256: str, suffix: str) -> str:
    return f"{listing_date.isoformat()}__{as_of:%Y-%m-%dT%H-%M-%SZ}__{sha256[:12]}{suffix}"


def _write_immutable(destination: Path, data: bytes) -> None:
    temporary = destination.with_name(f".{destination.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o444)
    os.replace(temporary, destination)


@dataclass(frozen=True)
class CheckedFile:
    """A file that parsed: where it will land. Its bytes are re-read on landing, not kept."""

    path: Path
    source: str
    listing_date: dt.date


def check_file(path: Path) -> CheckedFile:
    """Parse a file to prove it can land; FileParseError names the file and the line."""
    source = detect(path)
    parsed = source.parse(path, path.read_bytes(), None)
    if parsed.listing_date > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise FileParseError(path, None, f"listing date {parsed.listing_date} is in the future")
    return CheckedFile(path, source.name, parsed.listing_date)


def land_file(path: Path, home: Home, checked: CheckedFile | None = None) -> LandedFile:
    checked = checked or check_file(path)
    source = SOURCES[checked.source]
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    as_of = resolve_as_of(path, checked.listing_date)
    folder = home.landing_dir(source.name, checked.listing_date.isoformat())
    folder.mkdir(parents=True, exist_ok=True)

    # Dot-files are temporaries left by an interrupted write, not landed files.
    existing = [
        p for p in folder.glob(f"*__{digest[:12]}*") if not p.name.endswith(".meta.json") and not p.name.startswith(".")
    ]
    destination = existing[0] if existing else folder / landed_name(checked.listing_date, as_of, digest, path.suffix)
    if not existing:
        _write_immutable(destination, data)
    if not destination.with_name(destination.name + ".meta.json").exists():  # also repairs a missing sidecar
        sidecar = {"source": source.name, "source_file": path.name, "sha256": digest, "as_of": as_of.isoformat()}
        _write_immutable(destination.with_name(destination.name + ".meta.json"), json.dumps(sidecar).encode())
    meta = read_sidecar(destination)
    return LandedFile(
        source=source.name,
        path=destination,
        relative_path=destination.relative_to(home.root).as_posix(),
        source_file=meta["source_file"],
        sha256=digest,
        listing_date=checked.listing_date,
        as_of=dt.datetime.fromisoformat(meta["as_of"]),
        newly_landed=not existing,
    )


def read_sidecar(landed: Path) -> dict[str, str]:
    return json.loads(landed.with_name(landed.name + ".meta.json").read_text(encoding="utf-8"))


def land(paths: Iterable[Path], home: Home, progress: Callable[[int, int], None] | None = None) -> list[LandedFile]:
    """Land every input file, or none: every file is checked before the first one lands."""
    files = expand_inputs(paths)
    checked = []
    for done, path in enumerate(files, start=1):
        checked.append(check_file(path))
        if progress:
            progress(done, 2 * len(files))
    landed = []
    for done, (path, check) in enumerate(zip(files, checked, strict=True), start=len(files) + 1):
        landed.append(land_file(path, home, check))
        if progress:
            progress(done, 2 * len(files))
    return landed


def landed_files(home: Home, source: str, dates: Iterable[str] | None = None) -> Iterator[Path]:
    """Landed files of one source, for the given days or all days, in a stable order."""
    root = home.raw / source
    if not root.is_dir():
        return
    folders = sorted(root.glob("dt=*")) if dates is None else [root / f"dt={d}" for d in sorted(dates)]
    for folder in folders:
        if folder.is_dir():
            yield from sorted(
                p
                for p in folder.iterdir()
                if p.is_file() and not p.name.endswith(".meta.json") and not p.name.startswith(".")
            )


__all__ = ["SOURCES", "FileParseError", "LandedFile", "expand_inputs", "land", "landed_files", "resolve_as_of"]
