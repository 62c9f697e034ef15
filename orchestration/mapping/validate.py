"""Checking a whole mapping against the object model and the export, before any row is read.

Every problem is collected and reported together, each naming the place in the mapping and the
rule: unknown objects and fields, required fields left unmapped, files and columns that do not
exist, lookups that do not resolve, and expressions that do not parse, use anything but their own
file's columns and the allowed SQL, or do not type-check. Type-checking binds the compiled SQL
against empty tables shaped like the files, so it reads headers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.mapping.build import CompiledEntry, create_rows
from orchestration.mapping.errors import Problems, did_you_mean
from orchestration.mapping.expressions import (
    ExpressionError,
    Vetted,
    salesforce_id_prefix,
    uses_as_of_date,
    vet,
)
from orchestration.mapping.sources import SourceFile, connect, locate, read_header, stage_empty
from orchestration.mapping.spec import EntrySpec, MappingSpec, parse_mapping
from orchestration.salesforce.objects import OBJECTS, OBJECTS_BY_NAME, SObject

_CUSTOM_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")


@dataclass(frozen=True)
class MappingPlan:
    """A mapping that passed every check, ready to apply to its export folder."""

    path: Path
    source_dir: Path
    sources: dict[str, SourceFile]
    entries: tuple[CompiledEntry, ...]

    def objects(self) -> dict[str, list[CompiledEntry]]:
        out: dict[str, list[CompiledEntry]] = {}
        for entry in self.entries:
            out.setdefault(entry.sobject.api_name, []).append(entry)
        return out

    def as_of_places(self) -> list[str]:
        """Where the mapping uses `as_of_date()`: converting it then needs the run's as-of date."""
        return [place for entry in self.entries for place in entry.as_of_places]

    def output_fields(self, object_name: str) -> list[str]:
        """The object's columns: its known fields in schema order, then custom `__c` fields."""
        mapped = {f for e in self.objects()[object_name] for f in e.spec.mapped_fields()}
        known = [f.api_name for f in OBJECTS_BY_NAME[object_name].fields if f.api_name in mapped]
        return known + sorted(mapped - set(known))


def _sources(spec: MappingSpec, source_dir: Path, con, problems: Problems) -> dict[str, SourceFile]:
    sources = {}
    for name, file in spec.files.items():
        path, problem = locate(file, source_dir)
        columns = None
        if path is not None:
            columns, problem = read_header(con, path)
        if problem:
            problems.add(f"files.{name}", problem)
            continue
        for column in file.column_types:
            if column not in columns:
                problems.add(f"files.{name}.column_types.{column}",
                             f"no column {column!r} in {file.path}{did_you_mean(column, columns)}")
        sources[name] = SourceFile(file, path, columns)
    return sources


def _check_fields(entry: EntrySpec, sobject: SObject, problems: Problems) -> None:
    known = [f.api_name for f in sobject.fields]
    for field in entry.mapped_fields():
        if field not in known and not _CUSTOM_FIELD.match(field):
            problems.add(f"{entry.label}.{field}", f"{sobject.api_name} has no field {field!r}"
                         f"{did_you_mean(field, known)} (custom fields end in __c)")
    for field in sobject.required_fields:
        if field.api_name not in entry.mapped_fields():
            problems.add(f"{entry.label}.{field.api_name}",
                         f"required field of {sobject.api_name} is not mapped (the pipeline needs "
                         f"{', '.join(f.api_name for f in sobject.required_fields)}; map it under "
                         "fields, constants or defaults)")


def _check_columns(vetted: Vetted, where: str, source: SourceFile, names: list[str],
                   sources: dict[str, SourceFile], problems: Problems) -> bool:
    ok = True
    for column in vetted.columns:
        if column.table:
            problems.add(where, f"refers to {column.sql()}, a column of another file: an expression may "
                         f"only use columns of its own file ({source.spec.path}); declare a lookup")
        elif column.name not in names:
            others = [s.spec.path for s in sources.values() if column.name in s.columns and s is not source]
            hint = (f"; it is a column of {others[0]}: declare a lookup to use it" if others else
                    did_you_mean(column.name, names) or "; a text value needs quotes: 'like this'")
            problems.add(where, f"no column {column.name!r} in {source.spec.path}{hint}")
        else:
            continue
        ok = False
    return ok


def _vet(text: str, where: str, source: SourceFile, names: list[str], sources, problems) -> Vetted | None:
    try:
        vetted = vet(text)
    except ExpressionError as exc:
        problems.add(where, f"expression {text.strip()!r} {exc}" if str(exc).startswith("does not")
                     else f"expression {text.strip()!r}: {exc}")
        return None
    return vetted if _check_columns(vetted, where, source, names, sources, problems) else None


def _lookups(entry: EntrySpec, source: SourceFile, sources, declared, problems: Problems):
    resolved = []
    for lookup in entry.lookups:
        where = f"{entry.label}.lookups.{lookup.name}"
        other = sources.get(lookup.file)
        if lookup.name in source.columns:
            problems.add(where, f"the name {lookup.name!r} is already a column of {source.spec.path}")
        if other is None:  # a declared file that is missing was reported under files already
            if lookup.file not in declared:
                problems.add(where, f"no file named {lookup.file!r} under files"
                             f"{did_you_mean(lookup.file, declared)}")
            continue
        for ours, theirs in lookup.match:
            if ours not in source.columns:
                problems.add(where, f"no column {ours!r} in {source.spec.path} to match on")
            if theirs not in other.columns:
                problems.add(where, f"no column {theirs!r} in {other.spec.path} to match on")
        if lookup.value not in other.columns:
            problems.add(where, f"no column {lookup.value!r} in {other.spec.path}"
                         f"{did_you_mean(lookup.value, other.columns)}")
        resolved.append((lookup, other))
    return tuple(resolved)


def _compile(
    index: int, entry: EntrySpec, sobject: SObject, sources, declared, problems: Problems
) -> CompiledEntry | None:
    source = sources.get(entry.file)
    if source is None:  # a declared file that is missing was reported under files already
        if entry.file not in declared:
            problems.add(f"{entry.label}.from",
                         f"no file named {entry.file!r} under files{did_you_mean(entry.file, declared)}")
        return None
    lookups = _lookups(entry, source, sources, declared, problems)
    names = [*source.columns, *(lookup.name for lookup in entry.lookups)]
    expressions, as_of_places = {}, []
    for field, text in entry.fields.items():
        vetted = _vet(text, f"{entry.label}.{field}", source, names, sources, problems)
        if vetted is None:
            continue
        if uses_as_of_date(vetted):
            as_of_places.append(f"{entry.label}.{field}")
        prefix = salesforce_id_prefix(vetted)
        if field == "Id" and prefix and sobject.id_prefix and prefix != sobject.id_prefix:
            problems.add(f"{entry.label}.Id", f"salesforce_id prefix {prefix!r} is not {sobject.api_name}'s "
                         f"key prefix {sobject.id_prefix!r}")
        expressions[field] = vetted.sql()
    where = None
    if entry.where is not None:
        vetted = _vet(entry.where, f"{entry.label}.where", source, names, sources, problems)
        where = vetted.sql() if vetted else None
        if vetted and uses_as_of_date(vetted):
            as_of_places.append(f"{entry.label}.where")
    return CompiledEntry(index, entry, sobject, source, expressions, where, lookups, tuple(as_of_places))


def _type_check(con, plan: MappingPlan, problems: Problems) -> None:
    """Bind each compiled expression to empty tables shaped like the files (no data is read)."""
    for source in plan.sources.values():
        stage_empty(con, source)
    for entry in plan.entries:
        try:
            create_rows(con, entry)
        except duckdb.Error as exc:
            problems.add(f"{entry.label}.lookups", f"do not type-check: {str(exc).splitlines()[0]}")
            continue
        checks = [(f"{entry.label}.{f}", sql) for f, sql in entry.expressions.items()]
        checks += [(f"{entry.label}.where", entry.where)] if entry.where else []
        for where, sql in checks:
            try:
                con.execute(f"select {sql} from {entry.rows} limit 0")
            except duckdb.Error as exc:
                problems.add(where, f"does not type-check in DuckDB: {str(exc).splitlines()[0]}")


def validate_mapping(mapping_path: Path | str, source_dir: Path | str) -> MappingPlan:
    """Check the mapping against the object model and the export folder; MappingError if it fails."""
    problems, source_dir = Problems(mapping_path), Path(source_dir)
    spec = parse_mapping(Path(mapping_path), problems)
    if not source_dir.is_dir():
        problems.add("export", f"the source folder {source_dir} does not exist")
        problems.raise_if_any()
    with connect() as con:
        sources = _sources(spec, source_dir, con, problems)
        for name in spec.objects():
            if name not in OBJECTS_BY_NAME:
                problems.add(name, f"unknown object: the pipeline models "
                             f"{', '.join(OBJECTS_BY_NAME)}{did_you_mean(name, OBJECTS_BY_NAME)}")
        for obj in OBJECTS:
            if obj.required and obj.api_name not in spec.objects():
                problems.add(obj.api_name, "the pipeline cannot run without this object: map it")
        entries = []
        for index, entry in enumerate(spec.entries):
            sobject = OBJECTS_BY_NAME.get(entry.object)
            if sobject is None:
                continue
            _check_fields(entry, sobject, problems)
            compiled = _compile(index, entry, sobject, sources, list(spec.files), problems)
            if compiled is not None:
                entries.append(compiled)
        plan = MappingPlan(spec.path, source_dir, sources, tuple(entries))
        if not problems.items:  # types are only worth checking once every name resolves
            _type_check(con, plan, problems)
    problems.raise_if_any()
    return plan
