"""What `crm-kpi run --source` loads: the export folder (a Data Export `.zip`, or a folder of them,
unpacked into the state directory) and, with `--mapping`, another CRM's export converted. Each
says why in one line on stderr and returns None when the source cannot be loaded."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def mapped_export_for_run(args: argparse.Namespace, paths, source: Path, as_of: dt.date) -> Path | None:
    """Convert another CRM's export with a mapping file, as of the run's date (the mapping's
    `as_of_date()`); None (after saying why) when it cannot."""
    if not args.source or args.merge:
        print("crm-kpi: --mapping needs --source (a full export), not --salesforce or --merge", file=sys.stderr)
        return None
    from orchestration.mapping import MappingError, apply_mapping

    mapped = paths.home / "mapped_export"
    try:
        counts = apply_mapping(Path(args.mapping).expanduser(), source, mapped, as_of=as_of)
    except MappingError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return None
    print(f"Mapped {sum(counts.values()):,} records with {args.mapping} into {mapped}.")
    return mapped


def export_folder_for_run(args: argparse.Namespace, paths) -> Path | None:
    """The folder to load: `--source` itself, or a Data Export's `.zip` (or its several zips, given
    together or in one folder) unpacked into the state directory. None (after saying why) when it
    cannot be loaded."""
    from orchestration.salesforce.export import (
        ExportError,
        export_folder,
        require_object_files,
        unmodelled_files,
    )
    from orchestration.salesforce.objects import OBJECTS

    sources = [Path(path).expanduser().resolve() for path in args.source]
    source = sources[0]
    try:
        # a Data Export .zip, or several, or a folder of them (a large org's export comes in several)
        unpacked = export_folder(sources, paths.home / "unpacked_export")
        if unpacked not in sources:
            print(f"Unpacked {', '.join(args.source)} into {unpacked}.")
            source = unpacked
        if not source.is_dir():
            print(f"crm-kpi: {source}: no such export folder (or .zip)", file=sys.stderr)
            return None
        # A full export without User or Opportunity is refused now, not after a slow run. (A batch
        # of changes may lack any object; another CRM's files are checked by its mapping.)
        if not args.mapping and not args.merge:
            require_object_files(source, OBJECTS)
    except ExportError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return None
    ignored = [] if args.mapping else unmodelled_files(source, OBJECTS)
    if ignored:
        print(f"Ignored {len(ignored)} file(s) of objects the pipeline does not model: {', '.join(ignored)}.")
    return source
