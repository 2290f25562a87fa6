"""Landing: input files become immutable copies under ``raw/<source>/dt=YYYY-MM-DD/``.

A file is checked before it lands, so a bad file fails here with its name and
line and never reaches the warehouse. Landing is idempotent by content hash:
the same bytes land once per source and day, whatever they were called.

The check is the whole-file part of parsing (``Source.check``: encoding, JSON, shape,
listing date), not the records: those are read once, at ingestion, where a bad one is
quarantined. Each file is read once to be checked and hashed; the copy is made by the
kernel. Many files are checked by a pool of processes (:mod:`pipelines.file_pool`).

A daily run is usually pointed at a folder that only grows. Re-reading every file of the
history to find the one new file would make a run's cost grow with the history (30 s for
6.7 GB), so each check is remembered (``state/checked_inputs.json``) by path, size and
mtime in nanoseconds, as make and rsync decide a file is unchanged; a remembered file whose
landed copy is still there is not read again. ``land(..., recheck=True)`` (``papertrends run
--force``) reads every file.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.file_pool import map_ordered, pool_size
from pipelines.settings import Home
from pipelines.sources import SOURCES, FileParseError, detect

INPUT_SUFFIXES = frozenset({".json", ".jsonl", ".txt"})
_AS_OF_IN_NAME = re.compile(r"__(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z")
_MANIFEST_TIME_COLUMNS = ("fetched_utc", "committed_utc")
# Concurrent fsyncs share the file system's journal commits: 8 threads land ~4x faster than one.
LANDING_THREADS = 8


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
        times = _manifest_times(manifest.resolve(), manifest.stat().st_mtime_ns)
        relative = path.resolve().relative_to(folder.resolve()).as_posix()
        # The first row (from the top) that names the file either way and has a time decides.
        found = [times[name] for name in (relative, path.name) if name in times]
        if found:
            moment = min(found)[1]
            return _utc_naive(dt.datetime.fromisoformat(moment.replace("Z", "+00:00")))
    return None


@functools.lru_cache(maxsize=16)
def _manifest_times(manifest: Path, mtime_ns: int) -> dict[str, tuple[int, str]]:
    """Per file named in a manifest, its first row with a time (row number, text).

    Read once per manifest version, not once per file (10k files, 10k rows); a time is
    parsed only when its file is landed, so a bad one in another row does not matter.
    """
    times: dict[str, tuple[int, str]] = {}
    with manifest.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            name = row.get("file")
            moment = next((row[c] for c in _MANIFEST_TIME_COLUMNS if row.get(c)), None)
            if name is not None and moment and name not in times:
                times[name] = (number, moment)
    return times


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


def _copy_immutable(source: Path, destination: Path) -> None:
    """Like :func:`_write_immutable`, but the bytes go from file to file in the kernel (sendfile)."""
    temporary = destination.with_name(f".{destination.name}.tmp")
    shutil.copyfile(source, temporary)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o444)
    os.replace(temporary, destination)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed its check: where it will land and the hash of the bytes checked.

    Size and modification time tell landing that the file is still the one checked;
    its bytes are not kept.
    """

    path: Path
    source: str
    listing_date: dt.date
    sha256: str
    size: int
    mtime_ns: int


def check_file(path: Path) -> CheckedFile:
    """Check a file can land (``Source.check``) and hash it; FileParseError names the file and the line."""
    source = detect(path)
    before = path.stat()
    data = path.read_bytes()
    listing_date = source.check(path, data)
    if listing_date > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise FileParseError(path, None, f"listing date {listing_date} is in the future")
    return CheckedFile(path, source.name, listing_date, hashlib.sha256(data).hexdigest(), len(data), before.st_mtime_ns)


def landed_copies(folder: Path, sha256: str) -> list[Path]:
    """The landed files of these bytes in a day folder (not sidecars, not temporaries)."""
    # Dot-files are temporaries left by an interrupted write, not landed files.
    return [
        p for p in folder.glob(f"*__{sha256[:12]}*") if not p.name.endswith(".meta.json") and not p.name.startswith(".")
    ]


def land_file(path: Path, home: Home, checked: CheckedFile | None = None) -> LandedFile:
    checked = checked or check_file(path)
    now = path.stat()
    if (now.st_size, now.st_mtime_ns) != (checked.size, checked.mtime_ns):
        # The hash and the check were of other bytes: landing these would break the content address.
        raise FileParseError(path, None, "the file changed after it was checked; land it again")
    source = SOURCES[checked.source]
    digest = checked.sha256
    as_of = resolve_as_of(path, checked.listing_date)
    folder = home.landing_dir(source.name, checked.listing_date.isoformat())
    folder.mkdir(parents=True, exist_ok=True)

    existing = landed_copies(folder, digest)
    destination = existing[0] if existing else folder / landed_name(checked.listing_date, as_of, digest, path.suffix)
    if not existing:
        _copy_immutable(path, destination)
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


def _read_check_cache(home: Home) -> dict[str, list]:
    try:
        return json.loads(home.check_cache.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):  # none yet, or cut short: every file is read again
        return {}


def _write_check_cache(home: Home, cache: dict[str, list]) -> None:
    home.check_cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = home.check_cache.with_name(f".{home.check_cache.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(cache, sort_keys=True), encoding="utf-8")
    os.replace(temporary, home.check_cache)


def _remembered(path: Path, cache: dict[str, list], home: Home) -> CheckedFile | None:
    """The earlier check of ``path`` if the file is unchanged (size, mtime_ns) and its copy landed."""
    entry = cache.get(str(path.resolve()))
    if entry is None:
        return None
    size, mtime_ns, source, listing_date, sha256 = entry
    stat = path.stat()
    if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
        return None
    if not landed_copies(home.landing_dir(source, listing_date), sha256):  # removed: read the file again
        return None
    return CheckedFile(path, source, dt.date.fromisoformat(listing_date), sha256, size, mtime_ns)


def land(
    paths: Iterable[Path],
    home: Home,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = None,
    recheck: bool = False,
) -> list[LandedFile]:
    """Land every input file, or none: every file is checked before the first one lands.

    ``progress(done, total)`` counts checks then copies (``total`` is twice the files).
    ``workers``: processes for the checks (default :data:`pipelines.file_pool.DEFAULT_WORKERS`,
    or ``$PAPERTRENDS_WORKERS``; small inputs are checked in this process; a script calling
    this needs the ``if __name__ == "__main__":`` guard, see :mod:`pipelines.file_pool`).
    """
    files = expand_inputs(paths)
    cache = {} if recheck else _read_check_cache(home)
    checked: list[CheckedFile | None] = [_remembered(path, cache, home) for path in files]
    unread = [index for index, check in enumerate(checked) if check is None]
    if progress and len(unread) < len(files):
        progress(len(files) - len(unread), 2 * len(files))
    # A check (read, hash, JSON) costs about a quarter of an ingestion parse a byte.
    workers = pool_size([files[i] for i in unread], workers, cost_per_byte=0.25)
    reads = map_ordered(check_file, [files[i] for i in unread], workers)
    for done, (index, check) in enumerate(zip(unread, reads, strict=True), start=len(files) - len(unread) + 1):
        checked[index] = check
        if progress:
            progress(done, 2 * len(files))
    # Copies wait on the disk (fsync), not the CPU: threads overlap them. Bytes that occur twice
    # in the input for one day land once, by their first file; the others follow once it has.
    first_of = {}
    for index, check in enumerate(checked):
        first_of.setdefault((check.source, check.listing_date, check.sha256), index)
    firsts = sorted(first_of.values())
    repeats = sorted(set(range(len(files))) - set(firsts))
    landed: dict[int, LandedFile] = {}
    with ThreadPoolExecutor(LANDING_THREADS) as pool:
        copies = pool.map(lambda index: land_file(files[index], home, checked[index]), firsts)
        for done, (index, result) in enumerate(zip(firsts, copies, strict=True), start=len(files) + 1):
            landed[index] = result
            if progress:
                progress(done, 2 * len(files))
    for done, index in enumerate(repeats, start=len(files) + len(firsts) + 1):
        landed[index] = land_file(files[index], home, checked[index])
        if progress:
            progress(done, 2 * len(files))
    if unread:
        for check in checked:
            cache[str(check.path.resolve())] = [
                check.size, check.mtime_ns, check.source, check.listing_date.isoformat(), check.sha256
            ]  # fmt: skip
        _write_check_cache(home, cache)
    return [landed[index] for index in range(len(files))]


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
