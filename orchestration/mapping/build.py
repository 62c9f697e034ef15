"""The SQL that turns one mapping entry's file rows into typed Salesforce records.

Three steps, each a temp table or view, so every step can be checked with a clear message:

1. `_rows_<n>`: the file's typed rows, plus one column per lookup (a left join on its key);
2. `_raw_<n>`: the entry's expressions, constants and defaults, in the types they come out in
   (constants and defaults are bound parameters, never SQL text);
3. the object's field types, as the pipeline's loader reads them (text `true`/`1`, ISO datetimes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from data_quality.sql import quote_ident
from orchestration.mapping.sources import SourceFile, cast_text
from orchestration.mapping.spec import Constant, EntrySpec, LookupSpec
from orchestration.salesforce.objects import SObject


@dataclass(frozen=True)
class CompiledEntry:
    """An entry whose names are all checked and whose expressions are vetted DuckDB SQL."""

    index: int
    spec: EntrySpec
    sobject: SObject
    source: SourceFile
    expressions: dict[str, str]  # field -> DuckDB SQL
    where: str | None
    lookups: tuple[tuple[LookupSpec, SourceFile], ...]
    as_of_places: tuple[str, ...] = ()  # `Opportunity.CreatedDate`, ...: where as_of_date() is used

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def rows(self) -> str:
        return quote_ident(f"_rows_{self.index}")

    @property
    def raw(self) -> str:
        return quote_ident(f"_raw_{self.index}")


def field_type(sobject: SObject, name: str) -> str:
    """The DuckDB type of a field; custom `__c` fields are carried as text, as the loader keeps them."""
    known = {f.api_name: f for f in sobject.fields}
    return known[name].duckdb_type if name in known else "VARCHAR"


def create_rows(con: duckdb.DuckDBPyConnection, entry: CompiledEntry) -> None:
    joins, extra = [], []
    for n, (lookup, source) in enumerate(entry.lookups):
        keys = ", ".join(f"{quote_ident(theirs)} as k{i}" for i, (_, theirs) in enumerate(lookup.match))
        on = " and ".join(f"s.{quote_ident(ours)} = l{n}.k{i}" for i, (ours, _) in enumerate(lookup.match))
        joins.append(f" left join (select {keys}, {quote_ident(lookup.value)} as v from {source.table}) "
                     f"as l{n} on {on}")
        extra.append(f", l{n}.v as {quote_ident(lookup.name)}")
    con.execute(f"create or replace temp view {entry.rows} as "
                f"select s.*{''.join(extra)} from {entry.source.table} as s{''.join(joins)}")


def lookup_duplicates(con: duckdb.DuckDBPyConnection, lookup: LookupSpec, source: SourceFile) -> list:
    """Up to 3 keys that occur more than once in the lookup file (a lookup must give one value)."""
    keys = ", ".join(quote_ident(theirs) for _, theirs in lookup.match)
    return con.execute(
        f"select {keys}, count(*) from {source.table} group by all having count(*) > 1 "
        f"order by count(*) desc limit 3"
    ).fetchall()


def _bindable(value: Constant) -> Constant:
    # DuckDB types an aware datetime as TIMESTAMPTZ; the pipeline's datetimes are naive UTC.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def create_raw(con: duckdb.DuckDBPyConnection, entry: CompiledEntry) -> None:
    """Step 2: one column `v:<field>` per mapped value and `d:<field>` per default."""
    columns, params = [], {}

    def bind(value: Constant) -> str:
        params[f"p{len(params)}"] = _bindable(value)
        return f"$p{len(params) - 1}"

    for field in entry.spec.mapped_fields():
        if field in entry.expressions:
            columns.append(f"{entry.expressions[field]} as {quote_ident('v:' + field)}")
        elif field in entry.spec.constants:
            columns.append(f"{bind(entry.spec.constants[field])} as {quote_ident('v:' + field)}")
        if field in entry.spec.defaults:
            columns.append(f"{bind(entry.spec.defaults[field])} as {quote_ident('d:' + field)}")
    distinct = "distinct " if entry.spec.distinct else ""
    where = f" where {entry.where}" if entry.where else ""
    # DISTINCT loses the file order; sorting keeps the output the same on every run.
    order = " order by all" if entry.spec.distinct else ""
    con.execute(f"create or replace temp table {entry.raw} as "
                f"select {distinct}{', '.join(columns)} from {entry.rows}{where}{order}", params)


def _typed(column: str, raw_type: str, target: str) -> str:
    """SQL for the `target`-typed value of a step-2 column of type `raw_type`."""
    col = quote_ident(column)
    if raw_type == "VARCHAR":
        return cast_text(col, target)
    if target == "VARCHAR":
        return f"cast({col} as varchar)"
    if target == "TIMESTAMP" and raw_type.startswith("TIMESTAMP WITH"):
        return f"cast({col} as timestamp)"
    return f"try_cast({col} as {target})"


def typed_select(con: duckdb.DuckDBPyConnection, entry: CompiledEntry, output: list[str]):
    """Step 3: (select of the object's `output` columns and `_row`, [(field, bad-value filter, raw column)])."""
    raw_types = dict(con.execute(f"select column_name, column_type from (describe {entry.raw})").fetchall())
    selects, checks = [], []
    for field in output:
        target = field_type(entry.sobject, field)
        parts = []
        for column in (f"v:{field}", f"d:{field}"):
            if column in raw_types:
                typed = _typed(column, raw_types[column], target)
                parts.append(typed)
                present = (f"nullif(trim({quote_ident(column)}), '') is not null"
                           if raw_types[column] == "VARCHAR" else f"{quote_ident(column)} is not null")
                checks.append((field, f"{present} and ({typed}) is null", column))
        if not parts:  # mapped by another mapping of the object only
            parts = [f"cast(null as {target})"]
        value = f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]
        selects.append(f"{value} as {quote_ident(field)}")
    # `_row`: the record's place in its file (after `distinct`), so the output keeps the file's order
    return f"select {', '.join(selects)}, rowid as _row from {entry.raw}", checks


def bad_values(con: duckdb.DuckDBPyConnection, entry: CompiledEntry, checks) -> list[tuple[str, int, list]]:
    """(field, count, examples) for each mapped value that does not fit its field's type."""
    if not checks:
        return []
    aggregates = ", ".join(
        f"count(*) filter (where {bad}), "
        f"(list(distinct cast({quote_ident(column)} as varchar)) filter (where {bad}))[1:3]"
        for _, bad, column in checks
    )
    results = con.execute(f"select {aggregates} from {entry.raw}").fetchall()[0]
    return [(field, results[2 * i], results[2 * i + 1])
            for i, (field, _, _) in enumerate(checks) if results[2 * i]]
