"""Which column of an export file is which field of its object: headers matched in any case, and
the fields Salesforce composes from others (a person's Name) composed when the file lacks them."""

from __future__ import annotations

import re
from pathlib import Path

from data_quality.sql import quote_ident
from orchestration.salesforce.export import ExportError
from orchestration.salesforce.objects import NAME_PARTS, SObject, snake_case


def _composed(obj: SObject, by_key) -> dict[str, str]:
    """SQL for the fields the file lacks but Salesforce composes from ones it has: a person's
    `Name` (User, Contact, Lead), which Data Export does not write. Salesforce joins FirstName,
    MiddleName, LastName and Suffix (not Salutation) with one space, skipping the empty ones (so a person
    without a first name is named by the last name alone). A file with a Name keeps its own."""
    name = snake_case("Name")
    if not obj.person_name or name in by_key or not {snake_case("FirstName"), snake_case("LastName")} & by_key.keys():
        return {}
    parts = [f"nullif(trim(cast({quote_ident(by_key[key][0])} as varchar)), '')"
             for key in map(snake_case, NAME_PARTS) if key in by_key]
    return {name: f"nullif(concat_ws(' ', {', '.join(parts)}), '')"}


def _header_keys(obj: SObject) -> dict[str, str]:
    """The object's columns (and a person's name parts) by their letters and digits alone, lower
    case: how a header written in any case (`OWNERID`, `ownerid`) finds its field."""
    names = [f.api_name for f in obj.fields] + (list(NAME_PARTS) if obj.person_name else [])
    return {re.sub(r"[^0-9a-z]", "", name.lower()): snake_case(name) for name in names}


def _header_key(name: str, keys: dict[str, str]) -> str:
    """The column a header names: its snake_case (`OwnerId`, `owner_id`), or, when that is no
    field of the object, the field whose name it is in another case (`OWNERID`, `ownerid`, `Ownerid`).
    A header that is no field either is kept under its snake_case name (e.g. a custom `__c` field)."""
    key = snake_case(name)
    if key in keys.values():
        return key
    return keys.get(re.sub(r"[^0-9a-z]", "", name.lower()), key)


def column_plan(obj: SObject, path: Path, columns: list[tuple[str, str]]):
    """Match the file's headers to the object's fields, case-insensitively (CamelCase, snake_case,
    upper- or lower-case headers); fields the file lacks but that can be composed from others are
    composed (see `_composed`)."""
    keys = _header_keys(obj)
    by_key: dict[str, tuple[str, str]] = {}
    for name, type_ in columns:
        key = _header_key(name, keys)
        if key in by_key:
            raise ExportError(
                f"{path}: columns {by_key[key][0]!r} and {name!r} both map to field {key!r}"
            )
        by_key[key] = (name, type_)
    composed = _composed(obj, by_key)
    missing = [f for f in obj.fields if f.column not in by_key and f.column not in composed]
    missing_required = [f.api_name for f in missing if f.required]
    if missing_required:
        composable = "; without a Name column, Name is composed of FirstName and LastName" if obj.person_name else ""
        raise ExportError(
            f"{path}: required column(s) {', '.join(missing_required)} missing "
            f"(rule: {obj.api_name} needs {', '.join(f.api_name for f in obj.required_fields)}{composable})"
        )
    known = {f.column for f in obj.fields}
    extras = [(key, src) for key, src in by_key.items() if key not in known and key]
    return by_key, composed, missing, extras
