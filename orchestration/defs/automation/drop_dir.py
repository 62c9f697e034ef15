"""Exports dropped into a folder: which ones are whole and ready to load.

A Data Export `.zip` or an export folder copied into the drop folder is ready once nothing in it
has changed for a while (a copy or download in progress keeps touching it). Partial downloads
(`.part`, `.crdownload`, `.tmp`) and hidden files are never taken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

SETTLE_SECONDS = 30
PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial")


@dataclass(frozen=True)
class DroppedExport:
    path: Path
    modified: dt.datetime  # UTC: the newest change to the file or to anything in the folder

    @property
    def run_key(self) -> str:
        """One run per export and version: the same name dropped again, changed, runs again."""
        return f"{self.path.name}@{self.modified.isoformat()}"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # a dangling link, or a file renamed while we look: it does not settle anything
        return 0.0


def _newest_change(path: Path) -> float:
    if path.is_file():
        return _mtime(path)
    try:
        inside = list(path.rglob("*"))
    except OSError:  # an unreadable folder inside: judge by the folder itself
        inside = []
    return max([_mtime(path)] + [_mtime(p) for p in inside])


def _candidate(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith(".") or name.endswith(PARTIAL_SUFFIXES):
        return False
    return path.is_dir() or name.endswith(".zip")


def settled_exports(drop_dir: Path, now: dt.datetime, settle_seconds: float = SETTLE_SECONDS) -> list[DroppedExport]:
    """The `.zip` files and folders in `drop_dir` unchanged for `settle_seconds`, oldest first."""
    found = []
    for path in drop_dir.iterdir():
        if not _candidate(path):
            continue
        modified = dt.datetime.fromtimestamp(_newest_change(path), dt.timezone.utc)
        if (now - modified).total_seconds() >= settle_seconds:
            found.append(DroppedExport(path, modified.replace(tzinfo=None)))
    return sorted(found, key=lambda export: (export.modified, export.path.name))
