"""Finding the file of each Salesforce object in an export folder (or a Data Export .zip)."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from orchestration.salesforce.objects import SObject, snake_case

# Suffixes we read, longest first so `x.csv.gz` is not taken for `x.gz`.
SUFFIXES = (".csv.gz", ".csv", ".parquet")


class ExportError(Exception):
    """Input that cannot be loaded. The message names the file, the column and the rule."""


def _object_key(path: Path) -> str | None:
    name = path.name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return snake_case(name[: -len(suffix)])
    return None


def find_object_file(export_dir: Path, obj: SObject) -> Path | None:
    """The file holding `obj` in the export, matched case-insensitively by object name.

    `Opportunity.csv`, `opportunity.csv`, `OPPORTUNITY.csv.gz` and `opportunity.parquet` all match;
    two files for one object are ambiguous and refused rather than guessed between.
    """
    if not export_dir.is_dir():
        raise ExportError(f"{export_dir}: the export folder does not exist or is not a folder")
    matches = sorted(
        p for p in export_dir.iterdir() if p.is_file() and _object_key(p) == obj.table
    )
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise ExportError(
            f"{export_dir}: several files hold {obj.api_name} ({names}); keep exactly one"
        )
    return matches[0] if matches else None


def require_object_files(export_dir: Path, objects: Iterable[SObject]) -> None:
    """Refuse a folder without the files the pipeline cannot run without (User, Opportunity), e.g.
    a folder that is not an export at all, before a run starts rather than after its slow steps."""
    missing = [obj.api_name for obj in objects if obj.required and find_object_file(export_dir, obj) is None]
    if missing:
        raise ExportError(
            f"{export_dir}: not a Salesforce export: no {' and no '.join(missing)} file "
            f"(expected e.g. {missing[0]}.csv, .csv.gz or .parquet); the pipeline cannot run without it"
        )


def unmodelled_files(export_dir: Path, objects: Iterable[SObject]) -> list[str]:
    """Data files in the export of objects the pipeline does not model (Attachment, Note, …)."""
    known = {obj.table for obj in objects}
    return sorted(p.name for p in export_dir.iterdir()
                  if p.is_file() and (key := _object_key(p)) is not None and key not in known)


def unpack_zip(archive: Path, into: Path) -> Path:
    """Extract a Data Export `.zip` into `into` (emptied first); return the folder with its files.

    `ZipFile.extract` drops absolute paths and `..` parts, so nothing lands outside `into`. An
    archive whose files sit in one top folder is read from that folder."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                bundle.extract(member, into)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExportError(f"{archive}: cannot be read as a .zip archive ({exc})") from None
    entries = [p for p in into.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into
