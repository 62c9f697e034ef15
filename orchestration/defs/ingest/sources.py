"""Where a run's export comes from, made ready in the state directory before anything is loaded.

A source is one of:
- `export`: a Salesforce Data Export, as a folder, a `.zip`, or a folder of `.zip` files (unpacked);
- `salesforce`: a live org over its API, extracted incrementally by watermark (credentials from the
  `SALESFORCE_*` environment variables only);
- `demo`: the demo org, generated for the as-of date;

and an export may be another CRM's, converted by a mapping file (docs/mapping.md). Every run
prepares its source here: `crm-kpi run` and each run Dagster launches (launchpad, schedule, sensor),
through the `pipeline` resource. What cannot be prepared raises `SourceError`, one line naming the
file and the rule.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import StatePaths

SOURCE_KINDS = ("export", "salesforce", "demo")
DEMO_SEED, DEMO_SCALE = 42, 1.0
DROP_MAPPING_ENV = "CRM_KPI_DROP_MAPPING"  # the mapping the drop-folder sensor applies, if any


def configured_source() -> dict[str, str]:
    """The source of the runs Dagster launches (the launchpad's defaults, the schedule), from the
    environment: `CRM_KPI_SOURCE_KIND`, `CRM_KPI_SOURCE` (the export) and `CRM_KPI_MAPPING`
    (another CRM's mapping file). With neither kind nor export set, the demo org, as `make run`
    loads it, so a launch from a fresh `make ui` publishes too."""
    source = os.environ.get("CRM_KPI_SOURCE", "")
    return {"source_kind": os.environ.get("CRM_KPI_SOURCE_KIND", "export" if source else "demo"),
            "source_dir": source, "mapping": os.environ.get("CRM_KPI_MAPPING", "")}


def check_request(kind: str, mapping: str, load_mode: str) -> None:
    """Refuse, before anything is touched, a source that cannot be: an unknown kind, or a mapping
    of anything but a full export."""
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown source kind {kind!r}: one of {', '.join(SOURCE_KINDS)}")
    if mapping and (kind != "export" or load_mode == "merge"):
        raise SourceError("a mapping converts a full export (--source; source kind `export`), not a live "
                          "org (--salesforce), the demo org or a batch of changes (--merge)")


class SourceError(Exception):
    """A source that cannot be loaded; the message says why in one line."""


@dataclass
class PreparedSource:
    folder: Path  # the export folder the run loads, one file per Salesforce object
    load_mode: str  # 'replace' (a full export) or 'merge' (changes)
    notes: list[str] = field(default_factory=list)  # what was done to get it, a line each


def prepare_source(
    kind: str, paths: StatePaths, as_of: dt.date, *, sources: Sequence[Path] = (), mapping: str = "",
    load_mode: str = "replace", now: dt.datetime | None = None,
) -> PreparedSource:
    """Make the run's export folder ready: unpack, extract, generate, then map. `sources` are the
    export's paths (kind `export`); `load_mode` is the configured one, which a live org's extract
    replaces by its own (a first extract is full, later ones are changes)."""
    check_request(kind, mapping, load_mode)
    if kind == "salesforce":
        prepared = _salesforce(paths, now or dt.datetime.now(dt.timezone.utc))
    elif kind == "demo":
        prepared = _demo(paths, as_of)
    else:
        prepared = _export(paths, sources, load_mode, check_objects=not mapping)
    if mapping:
        prepared = _mapped(paths, prepared, Path(mapping).expanduser(), as_of)
    return prepared


def _export(paths: StatePaths, sources: Sequence[Path], load_mode: str, *,
            check_objects: bool) -> PreparedSource:
    from orchestration.salesforce.export import (
        ExportError,
        export_folder,
        require_object_files,
        unmodelled_files,
    )
    from orchestration.salesforce.objects import OBJECTS

    if not sources:
        raise SourceError("no export given: a folder, a Data Export .zip, or several")
    sources = [Path(path).expanduser().resolve() for path in sources]
    notes = []
    try:
        # a Data Export .zip, or several, or a folder of them (a large org's export comes in several)
        folder = export_folder(sources, paths.home / "unpacked_export")
        if folder not in sources:
            notes.append(f"Unpacked {', '.join(str(path) for path in sources)} into {folder}.")
        if not folder.is_dir():
            raise SourceError(f"{folder}: no such export folder (or .zip)")
        # A full export without User or Opportunity is refused now, not after a slow run. (A batch
        # of changes may lack any object; another CRM's files are checked by its mapping.)
        if check_objects and load_mode == "replace":
            require_object_files(folder, OBJECTS)
    except ExportError as exc:
        raise SourceError(str(exc)) from None
    ignored = unmodelled_files(folder, OBJECTS) if check_objects else []
    if ignored:
        notes.append(f"Ignored {len(ignored)} file(s) of objects the pipeline does not model: "
                     f"{', '.join(ignored)}.")
    return PreparedSource(folder, load_mode, notes)


def _salesforce(paths: StatePaths, now: dt.datetime) -> PreparedSource:
    from orchestration.salesforce.api import SalesforceSourceError
    from orchestration.salesforce.api_source import extract_from_salesforce

    try:
        folder, load_mode, results = extract_from_salesforce(paths, now)
    except SalesforceSourceError as exc:
        raise SourceError(f"Salesforce: {exc}") from None
    changed = sum(result.rows for result in results.values())
    missing = sorted(name for name, result in results.items() if result.missing)
    note = (f"Extracted {changed:,} {'changed ' if load_mode == 'merge' else ''}records from Salesforce "
            f"into {folder}" + (f" (not in this org: {', '.join(missing)})" if missing else "") + ".")
    return PreparedSource(folder, load_mode, [note])


def _demo(paths: StatePaths, as_of: dt.date) -> PreparedSource:
    from demo_org import generate_org

    generate_org(paths.demo_export, as_of=as_of, seed=DEMO_SEED, scale=DEMO_SCALE)
    return PreparedSource(paths.demo_export, "replace",
                          [f"Generated the demo Salesforce org in {paths.demo_export} (as of {as_of})."])


def _mapped(paths: StatePaths, export: PreparedSource, mapping: Path, as_of: dt.date) -> PreparedSource:
    from orchestration.mapping import MappingError, apply_mapping

    mapped = paths.home / "mapped_export"
    try:
        counts = apply_mapping(mapping, export.folder, mapped, as_of=as_of)
    except MappingError as exc:
        raise SourceError(str(exc)) from None
    note = f"Mapped {sum(counts.values()):,} records with {mapping} into {mapped}."
    return PreparedSource(mapped, export.load_mode, [*export.notes, note])
