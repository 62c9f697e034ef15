"""Applying a validated mapping: the export's files in, a Salesforce-shaped export folder out.

The output holds one `<ApiName>.parquet` per mapped object, with Salesforce API field names as
columns and the pipeline's field types, so `crm-kpi run --source <out_dir>` loads it unchanged. The
work happens in an in-memory DuckDB; every check on the data (declared types, lookup keys, values
that do not fit their field, missing or duplicate Ids, records that several mappings give for one
Id but with different values) runs before the first file is written. An object's mappings that
agree on a record write it once (merge.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

from data_quality.sql import quote_ident
from orchestration.mapping.build import (
    CompiledEntry,
    bad_values,
    create_raw,
    create_rows,
    field_type,
    lookup_duplicates,
    typed_select,
)
from orchestration.mapping.errors import MappingError, Problems
from orchestration.mapping.merge import one_record_per_id
from orchestration.mapping.sources import connect, stage
from orchestration.mapping.validate import MappingPlan, validate_mapping

MANIFEST = "_mapping.json"  # what apply_mapping wrote; the pipeline's loader ignores it


def _previous_outputs(plan: MappingPlan, out_dir: Path) -> list[str]:
    """Files a previous apply_mapping wrote here; refuses a folder holding anything else."""
    if not out_dir.exists():
        return []
    if not out_dir.is_dir():
        raise MappingError(plan.path, [f"output: {out_dir} is not a folder"])
    written = []
    try:
        written = json.loads((out_dir / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no manifest (or not ours): every file in the folder counts as foreign
    others = sorted(p.name for p in out_dir.iterdir()
                    if p.name not in {MANIFEST, *written} and not p.name.startswith("."))
    if others:
        # Any other Account.csv here would be loaded with our files: refuse rather than mix.
        raise MappingError(plan.path, [
            f"output: {out_dir} holds files apply_mapping did not write ({', '.join(others[:5])}); "
            "choose a new or empty folder"
        ])
    return written


def _run_raw(con, entry: CompiledEntry, problems: Problems) -> bool:
    """Step 2; when DuckDB fails on the data, find which field's expression it failed on."""
    try:
        create_raw(con, entry)
        return True
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
    for field, sql in entry.expressions.items():
        try:
            con.execute(f"select {sql} from {entry.rows}").fetchall()
        except duckdb.Error as exc:
            problems.add(f"{entry.label}.{field}", f"fails on the data of {entry.source.spec.path}: "
                         f"{str(exc).splitlines()[0]}")
            return False
    problems.add(entry.label, f"fails on the data of {entry.source.spec.path}: {first}")
    return False


def _entry_select(con, entry: CompiledEntry, output: list[str], problems: Problems) -> str | None:
    """The entry's typed select, or None after recording why its data does not convert."""
    found = len(problems.items)
    for lookup, source in entry.lookups:
        duplicates = lookup_duplicates(con, lookup, source)
        if duplicates:  # a join would multiply the entry's rows
            keys = "; ".join(f"{', '.join(map(repr, row[:-1]))} ({row[-1]} rows)" for row in duplicates)
            problems.add(f"{entry.label}.lookups.{lookup.name}", f"the key is not unique in "
                         f"{source.spec.path}, so the lookup has no single value: {keys}")
    if len(problems.items) > found:
        return None
    create_rows(con, entry)
    if not _run_raw(con, entry, problems):
        return None
    select, checks = typed_select(con, entry, output)
    for field, count, examples in bad_values(con, entry, checks):
        problems.add(f"{entry.label}.{field}", f"{count} value(s) do not fit the field's type "
                     f"({field_type(entry.sobject, field).lower()}), e.g. {examples}")
    return select if len(problems.items) == found else None


def _check_as_of(plan: MappingPlan, as_of: dt.date | None) -> None:
    """A mapping that uses `as_of_date()` converts only for a given day: there is no default, since
    the clock would make two conversions of one export differ."""
    if as_of is None and (places := plan.as_of_places()):
        raise MappingError(plan.path, [
            f"{place}: uses as_of_date(), the run's as-of date, but none was given (crm-kpi run "
            "--as-of YYYY-MM-DD, or apply_mapping(..., as_of=date))" for place in places])
    if as_of is not None and (not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime)):
        raise MappingError(plan.path, [f"as-of: {as_of!r} is not a date (datetime.date)"])


def _write(con, objects: dict[str, str], out_dir: Path, previous: list[str], plan: MappingPlan,
           as_of: dt.date | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, table in objects.items():
        target = out_dir / f"{name}.parquet"
        partial = out_dir / f".{name}.parquet.partial"
        con.execute(f"copy {table} to $path (format parquet)", {"path": str(partial)})
        os.replace(partial, target)  # a reader never sees a half-written file
        files.append(target.name)
    for stale in set(previous) - set(files):
        (out_dir / stale).unlink(missing_ok=True)
    manifest = {"mapping": str(plan.path.resolve()), "source": str(plan.source_dir.resolve()),
                "as_of": as_of.isoformat() if as_of else None, "files": files}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def apply_mapping(mapping_path: Path | str, source_dir: Path | str, out_dir: Path | str,
                  as_of: dt.date | None = None) -> dict[str, int]:
    """Convert the export in `source_dir` with the mapping into a Salesforce-shaped folder.

    `as_of` is the run's as-of date, the value of `as_of_date()` in the mapping's expressions; a
    mapping that uses it needs it.

    Returns the rows written per object (`{"Opportunity": 412, ...}`). Raises MappingError, with
    every problem found, when the mapping is invalid or the data does not convert; then nothing is
    written.
    """
    plan = validate_mapping(mapping_path, source_dir)
    _check_as_of(plan, as_of)
    out_dir = Path(out_dir)
    previous = _previous_outputs(plan, out_dir)
    problems = Problems(plan.path)
    with connect(as_of) as con:
        used = {e.source.spec.name for e in plan.entries}
        used |= {source.spec.name for e in plan.entries for _, source in e.lookups}
        for name in sorted(used):
            stage(con, plan.sources[name], plan.path)
        tables = {}
        for name, entries in plan.objects().items():
            output = plan.output_fields(name)
            selects = [select for entry in entries if (select := _entry_select(con, entry, output, problems))]
            if len(selects) < len(entries):
                continue
            tables[name] = quote_ident(f"_object_{name}")
            one_record_per_id(con, name, list(zip(entries, selects, strict=True)), output, tables[name], problems)
        problems.raise_if_any()
        _write(con, tables, out_dir, previous, plan, as_of)
        return {name: con.execute(f"select count(*) from {table}").fetchall()[0][0]
                for name, table in tables.items()}
