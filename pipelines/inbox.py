"""The file-drop inbox: files dropped into ``$PAPERTRENDS_HOME/inbox/`` are landed exactly once.

Nothing about a dropped file is trusted: names with ``..``, symlinks and
anything that resolves outside the inbox are refused. A file that cannot be
read moves to ``inbox/rejected/`` with a ``.reason.txt`` beside it; a file
whose bytes already landed is simply taken out of the inbox.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.landing import INPUT_SUFFIXES, LandedFile, land_file
from pipelines.settings import Home
from pipelines.sources import FileParseError

REJECTED = "rejected"


@dataclass
class InboxResult:
    landed: list[LandedFile] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def untrusted_reason(inbox: Path, path: Path) -> str | None:
    """Why a dropped path is refused, or None when it may be read."""
    relative = path.relative_to(inbox)
    if ".." in path.name or any(part == ".." for part in relative.parts):
        return "refused: the name contains '..'"
    if path.is_symlink():
        return "refused: symlinks are never followed"
    if not path.resolve().is_relative_to(inbox.resolve()):
        return "refused: the path resolves outside the inbox"
    if not path.is_file():
        return "refused: not a regular file"
    if path.suffix.lower() not in INPUT_SUFFIXES:
        return f"refused: unknown file type {path.suffix or '(none)'}; expected one of {sorted(INPUT_SUFFIXES)}"
    return None


def pending(home: Home) -> list[Path]:
    """Dropped files waiting in the inbox (hidden files and rejected/ aside), in a stable order."""
    inbox = home.inbox
    if not inbox.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not (Path(root) == inbox and d == REJECTED) and not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(files) if not name.startswith("."))
        # symlinked folders are listed by os.walk as dirs but never entered: refuse them as entries
        found.extend(Path(root) / d for d in dirs if (Path(root) / d).is_symlink())
    return sorted(found)


def _reject(inbox: Path, path: Path, reason: str, result: InboxResult) -> None:
    rejected = inbox / REJECTED
    rejected.mkdir(exist_ok=True)
    # Flatten the name so a crafted sub-path cannot climb out of rejected/.
    safe_name = path.relative_to(inbox).as_posix().replace("/", "__").replace("..", "_")
    target = rejected / safe_name
    os.replace(path, target)  # moves a symlink itself, never its target
    (rejected / f"{safe_name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
    result.rejected[path.relative_to(inbox).as_posix()] = reason


def process_inbox(home: Home) -> InboxResult:
    inbox = home.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    result = InboxResult()
    for path in pending(home):
        reason = untrusted_reason(inbox, path)
        if reason is None:
            try:
                landed = land_file(path, home)
            except (FileParseError, OSError) as exc:
                reason = f"unreadable: {exc}"
            else:
                if landed.newly_landed:
                    result.landed.append(landed)
                else:
                    result.duplicates.append(path.relative_to(inbox).as_posix())
                path.unlink()  # the landed copy is now the file of record
                continue
        _reject(inbox, path, reason, result)
    for folder in sorted((p for p in inbox.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
        if folder.name != REJECTED and not any(folder.iterdir()):
            folder.rmdir()
    return result


__all__ = ["InboxResult", "pending", "process_inbox"]
