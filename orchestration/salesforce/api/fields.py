"""What to select from an object, and how its values are written down.

The org's own describe decides the fields, so custom `__c` fields come along without configuration.
Values are written as text in the formats of a Salesforce export, which the loader casts: booleans
`true`/`false`, dates `YYYY-MM-DD`, datetimes `2025-03-05T14:22:10.000Z` (UTC), numbers as Salesforce
wrote them. The REST API writes datetimes as `...000+0000` and Bulk API 2.0 as `...000Z`; both are
brought to the `Z` form so the two paths give identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

# Compound fields (BillingAddress, a geolocation) duplicate their component fields, which are
# selected on their own, and Bulk API 2.0 refuses them. base64 fields (file bodies) cannot be
# queried in bulk and do not belong in an analytics table.
SKIPPED_TYPES = frozenset({"address", "location", "base64"})

MODSTAMP = "SystemModstamp"


@dataclass(frozen=True)
class ApiField:
    name: str  # the API name exactly as describe spells it, e.g. `Region__c`
    type: str  # the describe type: id, string, boolean, datetime, date, double, currency, ...


@dataclass(frozen=True)
class ObjectSchema:
    name: str
    fields: tuple[ApiField, ...]
    queryable: bool = True

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def has_modstamp(self) -> bool:
        return any(f.name == MODSTAMP for f in self.fields)


def schema_from_describe(describe: Mapping) -> ObjectSchema:
    """The fields worth extracting, in describe order."""
    fields = tuple(
        ApiField(f["name"], f.get("type", "string"))
        for f in describe.get("fields", [])
        # deprecatedAndHidden fields are listed but refused in a query.
        if f.get("type") not in SKIPPED_TYPES and not f.get("deprecatedAndHidden", False)
    )
    return ObjectSchema(describe.get("name", ""), fields, bool(describe.get("queryable", True)))


def api_datetime(text: str) -> str:
    """A Salesforce datetime as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC; unparseable text is kept as is,
    so the loader reports it instead of it being silently changed."""
    if len(text) == 28 and text.endswith("+0000"):  # the REST form, the common case: no parsing
        return text[:-5] + "Z"
    if len(text) == 24 and text.endswith("Z"):
        return text
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    parsed = parsed.astimezone(dt.timezone.utc)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def to_text(value: object, field_type: str) -> str | None:
    """One value as export text. Salesforce stores no empty strings, so '' (Bulk's null) is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):  # not expected for the types selected; kept, not lost
        return json.dumps(value, sort_keys=True)
    text = str(value)
    if field_type == "datetime":
        return api_datetime(text)
    return text


def soql_datetime(when: dt.datetime) -> str:
    """A SOQL datetime literal (`2025-03-05T14:22:10Z`), in UTC; a naive datetime is taken as UTC.

    SOQL's documented literal has whole seconds, so the watermark is rounded down: at worst a few
    records of that second are read again, which the merge by Id and SystemModstamp absorbs; rounding
    up could skip records.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_api_datetime(text: str) -> dt.datetime:
    """`2025-03-05T14:22:10.000Z` as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
