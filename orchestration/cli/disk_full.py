"""Running out of disk space, said in one line: what could not be written, at which stage, what to free.

A full disk shows up in many forms, depending on who was writing: `OSError` with errno ENOSPC
(Python writing a file), DuckDB's "No space left on device" (the warehouse, the publish), SQLite's
"database or disk is full" or a bare "disk I/O error" (the Dagster instance's run and event
storage), or a failed step. The CLI hands every exception of a run, and the failures of a run that
finished, to `from_exception` / `from_failures`; what is a full disk comes back as a `DiskFull` to
print instead of a traceback.

A bare I/O error is only called a full disk when the filesystem is nearly full (`LOW_SPACE`): a
failing disk is not something freeing space fixes.
"""

from __future__ import annotations

import errno
import os
import shutil
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LOW_SPACE = 64 * 1024 * 1024  # free bytes under which an I/O error is taken for a full disk
_FULL = ("no space left on device", "database or disk is full", "disk quota exceeded", "[errno 28]",
         "[errno 122]", "out of disk space")
_IO_ERROR = ("disk i/o error", "could not write", "could not fsync", "could not truncate", "i/o error",
             "dbt build failed")
# The stage a run was at, from the innermost frame of these modules in the traceback.
_STAGES = (
    ("orchestration.runtime.run_lock", "taking the run lock"),
    ("orchestration.runtime.instance", "preparing the state directory"),
    ("orchestration.salesforce.export", "unpacking the export"),
    ("orchestration.salesforce.api", "extracting from Salesforce"),
    ("demo_org", "generating the demo org"),
    ("orchestration.mapping", "mapping the export"),
    ("orchestration.warehouse", "opening the warehouse"),
    ("orchestration.cli.runner", "running the pipeline"),
    ("dagster._core.storage", "recording the run in the Dagster instance"),
)


@dataclass(frozen=True)
class DiskFull:
    path: Path  # what could not be written (the state directory when not known)
    stage: str
    home: Path

    def message(self, published_unchanged: bool = True) -> str:
        mount = _mount_of(self.path)
        free = shutil.disk_usage(mount).free
        damaged = sum(_size(p) for p in self.home.glob("warehouse.damaged-*"))
        need = LOW_SPACE + _size(self.home / "warehouse.duckdb") + _size(self.home / "published" / "crm_kpis.duckdb")
        hint = f"; the moved-aside warehouse.damaged-* files in {self.home} take {_human(damaged)}" if damaged else ""
        after = ("the published files are unchanged" if published_unchanged
                 else "the marts were published before the space ran out")
        return (f"out of disk space while {self.stage}: could not write {self.path}. Free at least "
                f"{_human(need)} on {mount} ({_human(free)} free now{hint}), or point CRM_KPI_HOME at a "
                f"larger disk, then run again; {after}")


def _size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
        return path.stat().st_size
    except OSError:
        return 0


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def _mount_of(path: Path) -> Path:
    path = Path(path).resolve()
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def _low_on_space(path: Path) -> bool:
    try:
        return shutil.disk_usage(_mount_of(path)).free < LOW_SPACE
    except OSError:
        return False


def _says_full(text: str) -> bool:
    return any(marker in text.lower() for marker in _FULL)


def _says_io_error(text: str) -> bool:
    return any(marker in text.lower() for marker in _IO_ERROR)


def _quoted_path(text: str) -> Path | None:
    """The first absolute path quoted in an error message (DuckDB's and Python's quote them)."""
    for quote in ('"', "'"):
        parts = text.split(quote)
        for part in parts[1::2]:
            if part.startswith("/"):
                return Path(part)
    return None


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _stage_of(exc: BaseException) -> str:
    stage = "running the pipeline"
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals.get("__name__", "")
        for prefix, name in _STAGES:
            if module == prefix or module.startswith(prefix + "."):
                stage = name
    return stage


def from_exception(exc: BaseException, home: Path) -> DiskFull | None:
    """The full disk `exc` (raised by a run on state directory `home`) is, or None."""
    errors = list(_chain(exc))
    full = any(isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT) for e in errors)
    full = full or any(_says_full(str(e)) for e in errors)
    if not full and not (any(_says_io_error(str(e)) for e in errors) and _low_on_space(home)):
        return None
    stage = _stage_of(exc)
    path = None
    for error in errors:
        filename = getattr(error, "filename", None) if isinstance(error, OSError) else None
        path = Path(filename) if filename else _quoted_path(str(error))
        if path is not None:
            break
    if path is None and stage == "recording the run in the Dagster instance":
        path = home / "dagster"
    return DiskFull(path or home, stage, home)


def from_failures(failures: Iterable[str], home: Path) -> DiskFull | None:
    """The full disk among a finished run's step failures ("step: message"), or None."""
    failures = list(failures)
    for failure in failures:
        step, _, text = failure.partition(": ")
        if _says_full(text) or (_says_io_error(text) and _low_on_space(home)):
            return DiskFull(_quoted_path(text) or home, f"running step {step}", home)
    return None
