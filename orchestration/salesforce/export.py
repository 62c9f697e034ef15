"""Finding the file of each Salesforce object in an export folder (or a Data Export .zip, or the
several .zip files a large org's Data Export comes as)."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
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
    entries = [p for p in into.iterdir() if not _is_clutter(p)]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into


def _is_clutter(path: Path) -> bool:
    """What archivers and file managers leave beside the data: `.DS_Store`, `__MACOSX`, …"""
    return path.name.startswith((".", "__MACOSX"))


def is_zip(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(".zip")


def _object_name(path: Path) -> str:
    name = path.name
    return next(name[: -len(suffix)] for suffix in SUFFIXES if name.lower().endswith(suffix))


def _natural(path: Path) -> list:
    """`WE_00D_2.ZIP` before `WE_00D_10.ZIP`."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def export_folder(source: Path | Sequence[Path], into: Path) -> Path:
    """The folder to load for `source`, as Salesforce's Data Export delivers it:

    - a folder of export files: the folder itself;
    - a Data Export `.zip`: unpacked into `into` (see `unpack_zip`);
    - a folder holding .zip files and no export file (a large org's Data Export, downloaded as
      `WE_<org>_1.ZIP`, `WE_<org>_2.ZIP`, … each holding some of the objects), or a list of .zip
      files: all unpacked into `into` as one export.

    `into` is emptied first whenever anything is unpacked. An object found in two of the zips (by
    its file name, matched case-insensitively as `find_object_file` does) is refused, naming both
    zips and the files, as is any other file two zips both hold: neither is guessed between.
    Anything else (a path that does not exist, another kind of file) is returned as it is, for the
    caller's own message."""
    if not isinstance(source, (str, Path)):
        sources = [Path(p) for p in source]
        if len(sources) != 1:
            if not sources or not all(is_zip(p) for p in sources):
                names = ", ".join(str(p) for p in sources) or "none"
                raise ExportError(f"several sources ({names}): only .zip files of one Data Export "
                                  "can be loaded together; give one export folder, or its .zip files")
            return _unpack_all(sources, into)
        source = sources[0]
    source = Path(source)
    if is_zip(source):
        return unpack_zip(source, into)
    if source.is_dir():
        entries = [p for p in source.iterdir() if not _is_clutter(p)]
        zips = [p for p in entries if is_zip(p)]
        if zips and not any(p.is_file() and _object_key(p) is not None for p in entries):
            return _unpack_all(zips, into)
    return source


def _unpack_all(archives: list[Path], into: Path) -> Path:
    """Unpack several zips of one Data Export into `into` (emptied first), refusing what two hold."""
    archives = sorted(archives, key=_natural)
    if len({p.resolve() for p in archives}) < len(archives):
        raise ExportError(f"{', '.join(str(p) for p in archives)}: a .zip is given twice")
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    objects: dict[str, tuple[Path, str]] = {}  # object key -> (zip, file name)
    files: dict[str, Path] = {}  # relative path (lower case) of every other file -> zip
    with tempfile.TemporaryDirectory(dir=into.parent, prefix=f".{into.name}-") as scratch:
        for index, archive in enumerate(archives):
            root = unpack_zip(archive, Path(scratch) / str(index))
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root)
                if any(_is_clutter(Path(part)) for part in relative.parts):
                    continue
                key = _object_key(path) if len(relative.parts) == 1 else None
                if key is not None and key in objects:
                    first, name = objects[key]
                    raise ExportError(
                        f"{first} and {archive} both hold the {_object_name(path)} object ({name} in {first.name}, "
                        f"{path.name} in {archive.name}): a Data Export writes each object once; "
                        "keep the .zip files of one export only"
                    )
                if (lowered := relative.as_posix().lower()) in files:
                    raise ExportError(f"{files[lowered]} and {archive} both hold {relative.as_posix()}: "
                                      "keep the .zip files of one export only")
                if key is not None:
                    objects[key] = (archive, path.name)
                files[lowered] = archive
                target = into / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
    return into
