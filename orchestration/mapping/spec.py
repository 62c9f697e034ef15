"""Reading a mapping file into its parts, with the checks on its shape (keys, value kinds).

    version: 1
    files:                        # the export's files, by a short name
      pipeline:
        path: sales_pipeline.csv
        column_types: {close_value: decimal(18,2), close_date: date}
    objects:                      # Salesforce object -> one mapping, or a list of them
      Opportunity:
        from: pipeline            # one output row per row of this file
        where: deal_stage <> 'Test'
        lookups:                  # a column of another file, matched by key
          list_price: {from: products, match: product, value: sales_price}
        fields:    {Id: "salesforce_id('006', opportunity_id)", Amount: close_value}
        constants: {CurrencyIsoCode: USD}
        defaults:  {Amount: 0}

What the names mean (objects, fields, columns, expressions) is checked in `validate.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.mapping.errors import MappingError, Problems

_TOP_KEYS = ("version", "files", "objects")
_FILE_KEYS = ("path", "column_types")
_ENTRY_KEYS = ("from", "where", "distinct", "lookups", "fields", "constants", "defaults")
_LOOKUP_KEYS = ("from", "match", "value")

# Declared column types of a source file -> the DuckDB type the text is cast to.
_SIMPLE_TYPES = {
    "text": "VARCHAR", "varchar": "VARCHAR", "boolean": "BOOLEAN", "integer": "BIGINT",
    "bigint": "BIGINT", "double": "DOUBLE", "number": "DOUBLE", "decimal": "DECIMAL(18,2)",
    "date": "DATE", "timestamp": "TIMESTAMP", "datetime": "TIMESTAMP",
}
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$", re.IGNORECASE)
Constant = str | int | float | bool | dt.date | dt.datetime


@dataclass(frozen=True)
class FileSpec:
    name: str
    path: str  # relative to the export folder
    column_types: dict[str, str]  # column -> DuckDB type


@dataclass(frozen=True)
class LookupSpec:
    name: str  # the column it adds to the entry's expressions
    file: str
    match: tuple[tuple[str, str], ...]  # (column of the entry's file, column of the lookup file)
    value: str


@dataclass(frozen=True)
class EntrySpec:
    object: str
    label: str  # `Opportunity`, or `User[2]` when an object has several mappings
    file: str
    fields: dict[str, str]  # field -> SQL expression
    constants: dict[str, Constant]
    defaults: dict[str, Constant]
    lookups: tuple[LookupSpec, ...]
    where: str | None
    distinct: bool

    def mapped_fields(self) -> list[str]:
        return list(dict.fromkeys([*self.fields, *self.constants, *self.defaults]))


@dataclass(frozen=True)
class MappingSpec:
    path: Path
    files: dict[str, FileSpec]
    entries: tuple[EntrySpec, ...]

    def objects(self) -> list[str]:
        return list(dict.fromkeys(e.object for e in self.entries))


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for index, key in enumerate(keys):
            if isinstance(key, str) and key in keys[:index]:
                mark = node.value[index][0].start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (line {mark.line + 1})", mark)
        return super().construct_mapping(node, deep=deep)


def column_type(declared: object) -> str | None:
    """The DuckDB type of a declared column type (`date`, `decimal(18,2)`, ...), None if unknown."""
    if not isinstance(declared, str):
        return None
    text = declared.strip().lower()
    if text in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[text]
    match = _DECIMAL.match(text)
    if match and 0 < int(match[1]) <= 38 and int(match[2]) <= int(match[1]):
        return f"DECIMAL({int(match[1])},{int(match[2])})"
    return None


def _mapping(value, where: str, problems: Problems, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        problems.add(where, f"{what} must be a mapping of names to values")
        return {}
    return value


def _unknown_keys(value: dict, allowed: tuple[str, ...], where: str, problems: Problems) -> None:
    for key in value:
        if key not in allowed:
            problems.add(where, f"unknown key {key!r} (allowed: {', '.join(allowed)})")


def _file(name: str, value, problems: Problems) -> FileSpec | None:
    where = f"files.{name}"
    if isinstance(value, str):
        value = {"path": value}
    value = _mapping(value, where, problems, "a file")
    _unknown_keys(value, _FILE_KEYS, where, problems)
    path = value.get("path")
    if not isinstance(path, str) or not path.strip():
        problems.add(where, "needs a path: the file's name inside the export folder")
        return None
    types = {}
    for column, declared in _mapping(value.get("column_types"), f"{where}.column_types", problems,
                                     "column_types").items():
        types[column] = column_type(declared)
        if types[column] is None:
            # `{price: decimal(12,2)}` splits at the comma in YAML's flow style
            hint = "" if declared is not None else (
                " (in {a: b} style, quote a type with a comma: 'decimal(12,2)')")
            problems.add(f"{where}.column_types.{column}", f"unknown type {declared!r}{hint} "
                         f"(allowed: {', '.join(_SIMPLE_TYPES)}, decimal(p,s))")
    return FileSpec(name, path, types)


def _constants(value, where: str, problems: Problems) -> dict[str, Constant]:
    out = {}
    for field, constant in _mapping(value, where, problems, "constants").items():
        if constant is None or not isinstance(constant, Constant):
            problems.add(f"{where}.{field}", "a constant must be a text, number, boolean or date")
        else:
            out[field] = constant
    return out


def _lookup(name: str, value, where: str, problems: Problems) -> LookupSpec | None:
    value = _mapping(value, where, problems, "a lookup")
    _unknown_keys(value, _LOOKUP_KEYS, where, problems)
    file, match, column = value.get("from"), value.get("match"), value.get("value")
    if isinstance(match, str):  # `match: product`: the same column name in both files
        match = {match: match}
    pairs = _mapping(match, f"{where}.match", problems, "match")
    if not isinstance(file, str) or not pairs or not isinstance(column, str):
        problems.add(where, "a lookup needs from (a file), match (its key columns) and value (a column)")
        return None
    if not all(isinstance(v, str) for v in pairs.values()):
        problems.add(f"{where}.match", "maps a column of this file to a column of the lookup file")
        return None
    return LookupSpec(name, file, tuple(pairs.items()), column)


def _entry(obj: str, label: str, value, problems: Problems) -> EntrySpec | None:
    value = _mapping(value, label, problems, "an object's mapping")
    _unknown_keys(value, _ENTRY_KEYS, label, problems)
    file = value.get("from")
    if not isinstance(file, str):
        problems.add(label, "needs from: the name of one of the files")
        return None
    fields, constants = {}, {}
    for field, expression in _mapping(value.get("fields"), f"{label}.fields", problems, "fields").items():
        if isinstance(expression, str):
            fields[field] = expression
        elif isinstance(expression, bool | int | float):
            constants[field] = expression  # a YAML number or boolean is its own SQL literal
        else:
            problems.add(f"{label}.{field}",
                         "must be an SQL expression (text); constants go under constants:")
    for field, constant in _constants(value.get("constants"), f"{label}.constants", problems).items():
        if field in fields or field in constants:
            problems.add(f"{label}.{field}", "is mapped twice (in fields and in constants)")
        constants[field] = constant
    declared = _mapping(value.get("lookups"), f"{label}.lookups", problems, "lookups")
    lookups = tuple(
        lookup for name, spec in declared.items()
        if (lookup := _lookup(name, spec, f"{label}.lookups.{name}", problems)) is not None
    )
    where, distinct = value.get("where"), value.get("distinct", False)
    if where is not None and not isinstance(where, str):
        problems.add(f"{label}.where", "must be an SQL condition (text)")
        where = None
    if not isinstance(distinct, bool):
        problems.add(f"{label}.distinct", "must be true or false")
    return EntrySpec(obj, label, file, fields, constants,
                     _constants(value.get("defaults"), f"{label}.defaults", problems),
                     lookups, where, distinct is True)


def parse_mapping(path: Path, problems: Problems) -> MappingSpec:
    """The mapping in `path`, as far as its shape allows; shape problems are added to `problems`
    (so they are reported together with those found later), unreadable files raise at once."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except OSError as exc:
        raise MappingError(path, [f"cannot read the mapping file: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise MappingError(path, [f"is not valid YAML: {exc}"]) from None
    if not isinstance(document, dict):
        raise MappingError(path, ["a mapping file is a YAML mapping with the keys files and objects"])
    _unknown_keys(document, _TOP_KEYS, "mapping", problems)
    if document.get("version", 1) != 1:
        problems.add("version", f"unsupported version {document['version']!r} (this tool reads version 1)")
    files = {
        name: spec for name, value in _mapping(document.get("files"), "files", problems, "files").items()
        if (spec := _file(name, value, problems)) is not None
    }
    objects = _mapping(document.get("objects"), "objects", problems, "objects")
    if not files or not objects:
        problems.add("mapping", "needs files (the export's files) and objects (what each becomes)")
    entries = []
    for obj, value in objects.items():
        values = value if isinstance(value, list) else [value]
        for index, item in enumerate(values, start=1):
            label = f"{obj}[{index}]" if len(values) > 1 else obj
            if (entry := _entry(obj, label, item, problems)) is not None:
                entries.append(entry)
    return MappingSpec(path, files, tuple(entries))
