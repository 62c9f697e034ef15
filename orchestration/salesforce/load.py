"""Loading one Salesforce object from an export file into the warehouse's `raw` schema.

DuckDB's own CSV and Parquet readers do the reading (no Python row loops). Every value is read as
text first and cast by our rules. A record that cannot be read whole (a value that does not fit its
field, a line cut short) is still loaded, with `_parse_error` naming the file, its line, the column
and the rule, so the quality gate quarantines it: never a silent NULL, never a dropped record.
Such records, and those with an empty field the KPIs need, carry `_source_location` (file and
line), so the quality gate's message can point at them. A person's Name, which Data Export does not
write, is composed from its parts as Salesforce composes it (see columns.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from data_quality.sql import quote_ident
from orchestration.salesforce.columns import column_plan
from orchestration.salesforce.encoding import utf8_readable
from orchestration.salesforce.ids import normalized_id_sql
from orchestration.salesforce.merge import MergeCounts, merge_into, replace_table
from orchestration.salesforce.objects import Field, SObject
from orchestration.salesforce.reader import FileRead, is_parquet, read_into, record_lines

RAW_SCHEMA = "raw"
LOADING_PREFIX = "_loading_"  # raw._loading_<table>: a load's typed records, until they take over
LoadMode = Literal["replace", "merge"]


@dataclass
class LoadResult:
    table: str
    rows: int
    source_file: str | None
    extra_columns: list[str] = field(default_factory=list)  # kept as text, e.g. custom __c fields
    missing_optional_columns: list[str] = field(default_factory=list)
    merged: MergeCounts | None = None  # set when the file was merged into an existing table
    unparsed_rows: int = 0  # records with a value or a shape that could not be read (see `_parse_error`)


# How a text value becomes each field type. `{v}` is the trimmed text with '' made NULL.
_PARSERS = {
    "string": "{v}",
    "boolean": (
        "case lower({v}) when 'true' then true when '1' then true "
        "when 'false' then false when '0' then false end"
    ),
    # A timestamptz cast reads `Z`, offsets and plain `YYYY-MM-DD HH:MM:SS` (taken as UTC); the
    # cast back to TIMESTAMP gives UTC wall-clock time.
    "datetime": "try_cast(try_cast({v} as timestamptz) as timestamp)",
    "date": "try_cast({v} as date)",
    "currency": "try_cast({v} as decimal(18,2))",
    # NaN and infinity are no measurement: pandas would take NaN as missing, SQL engines as a value
    "number": "case when isfinite(try_cast({v} as double)) then try_cast({v} as double) end",
    "integer": "try_cast({v} as bigint)",
}

_RULES = {
    "boolean": "must be true/false or 1/0",
    "datetime": "must be an ISO-8601 datetime",
    "date": "must be a date (YYYY-MM-DD)",
    "currency": "must be a number with at most 16 digits before the decimal point",
    "number": "must be a finite number",
    "integer": "must be a whole number",
}


def _parse_expr(f: Field, source_col: str, source_type: str) -> str:
    col = quote_ident(source_col)
    if source_type != "VARCHAR":  # typed input (Parquet): let DuckDB convert natively
        if f.type == "number":
            return _PARSERS["number"].format(v=col)
        return f"try_cast({col} as {f.duckdb_type})"
    text = f"nullif(trim({col}), '')"
    if f.type == "string":
        text = f"nullif({col}, '')"  # keep a string's own spaces
    if f.type == "id":  # 15-character Ids join their 18-character twins; the all-zero Id is empty
        return normalized_id_sql(text)
    return _PARSERS[f.type].format(v=text)


def _value_errors(obj: SObject, by_key) -> tuple[str, dict[str, str]]:
    """SQL for what is wrong with a record's values (NULL when nothing is), and its parameters.

    A value that does not fit its field's type is typed as NULL and named here, with the text it
    had and the rule it breaks, so its record goes to quarantine with a reason instead of passing
    with a NULL. Column names come from the file, so they are bound as parameters, never pasted."""
    reasons, params = [], {}
    for index, f in enumerate(obj.fields):
        if f.column not in by_key or f.type in ("id", "string"):
            continue
        source_col, source_type = by_key[f.column]
        col = quote_ident(source_col)
        given = f"nullif(trim({col}), '')" if source_type == "VARCHAR" else col
        quoted_value = f"'''' || cast({col} as varchar) || ''''"
        reasons.append(
            f"case when {given} is not null and ({_parse_expr(f, source_col, source_type)}) is null "
            f"then 'column ' || $column{index} || ': ' || {quoted_value} || ' breaks the rule ' || $rule{index} end"
        )
        params[f"column{index}"] = source_col
        params[f"rule{index}"] = f"'{f.api_name} {_RULES[f.type]}'"
    if not reasons:
        return "null::varchar", params
    return f"nullif(concat_ws('; ', {', '.join(reasons)}), '')", params


def _to_report(obj: SObject, present) -> str:
    """SQL true for the records the quality gate will have to point at: a value that could not be
    read, or an empty field the KPIs need (see `Field.must_have_value`) among the `present` ones."""
    empty = [f"{quote_ident(f.column)} is null" for f in obj.fields if f.must_have_value and f.column in present]
    return " or ".join(["_parse_error is not null", *empty])


def _drop_unfinished_loads(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what a killed run's loads left in `raw` (their `_loading_` tables): loads run one
    at a time, so none is under way now."""
    for (name,) in con.execute("select table_name from duckdb_tables() where schema_name = $schema "
                               "and starts_with(table_name, $prefix)",
                               {"schema": RAW_SCHEMA, "prefix": LOADING_PREFIX}).fetchall():
        con.execute(f"drop table {RAW_SCHEMA}.{quote_ident(name)}")


def _drop_source(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `read_into` made of the file: a view over a Parquet file, a table of a CSV's text."""
    is_view = con.execute("select count(*) from duckdb_views() where view_name = '_src' and temporary").fetchall()[0][0]
    con.execute(f"drop {'view' if is_view else 'table'} if exists _src")


def _locate(con: duckdb.DuckDBPyConnection, path: Path, file_read: FileRead, batch: str, to_report: str) -> None:
    """Set `_source_location` (the file and the line of a CSV record, or the row of a Parquet one)
    on the records `to_report` selects, and prefix their value errors with it.

    Only those records are located: finding a CSV record's line reads all the records before it,
    which a clean load need not pay for."""
    where = {"file": path.name}
    if is_parquet(path):
        con.execute(f"update {batch} set _source_location = $file || ' row ' || _row_number where {to_report}", where)
    else:
        lines = record_lines(con, "_src", file_read.rejected)
        try:
            con.execute(f"update {batch} as batch set _source_location = $file || ' line ' || lines.line "
                        f"from {lines} as lines where lines.record = batch._row_number and ({to_report})", where)
        finally:
            con.execute(f"drop table if exists {lines}")
    con.execute(f"update {batch} set _parse_error = _source_location || ': ' || _parse_error where _parse_error is not null")


def _add_rejected(con: duckdb.DuckDBPyConnection, path: Path, file_read: FileRead, batch: str,
                  loaded_at: dt.datetime) -> None:
    """Records the reader rejected join the batch as rows of NULL fields whose `_parse_error` holds
    their line, the reason and their text: the quality gate quarantines them and counts them."""
    rejected = pd.DataFrame([vars(r) for r in file_read.rejected], columns=["line", "reason", "text"])
    con.register("_rejected", rejected)
    try:
        con.execute(
            f"""insert into {batch} by name
               select $loaded_at::timestamp as _loaded_at,
                      (select count(*) from _src) + row_number() over (order by line) as _row_number,
                      $file || ' line ' || line as _source_location,
                      $file || ' line ' || line || ': ' || reason || ' (rule: a record has as many fields '
                          || 'as the header and closes every quote it opens); the record: ' || text as _parse_error
               from _rejected""",
            {"file": path.name, "loaded_at": loaded_at},
        )
    finally:
        con.unregister("_rejected")


def load_object(
    con: duckdb.DuckDBPyConnection, obj: SObject, path: Path | None, loaded_at: dt.datetime,
    mode: LoadMode = "replace",
) -> LoadResult:
    """Load `path` into `raw.<object>`, typed by the object's schema: replacing the table (a full
    export) or merging the file's records into it by Id (a batch of changes, see merge.py).

    With no file, a replace leaves the table empty with its full schema (an org that does not use
    the object) and a merge leaves it as it was. One transaction: readers never see a half load.
    """
    if mode not in ("replace", "merge"):
        raise ValueError(f"unknown load mode {mode!r}; use 'replace' or 'merge'")
    target = f"{RAW_SCHEMA}.{quote_ident(obj.table)}"
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    _drop_unfinished_loads(con)
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $schema and table_name = $table",
        {"schema": RAW_SCHEMA, "table": obj.table},
    ).fetchall()[0][0]
    if exists:  # raw tables loaded before these columns existed gain them (NULL: nothing to report)
        con.execute(f"alter table {target} add column if not exists _parse_error varchar")
        con.execute(f"alter table {target} add column if not exists _source_location varchar")
    if path is None:
        if mode == "replace" or not exists:
            cols = ", ".join(f"null::{f.duckdb_type} as {quote_ident(f.column)}" for f in obj.fields)
            con.execute(
                f"create or replace table {target} as "
                f"select {cols}, null::timestamp as _loaded_at, null::bigint as _row_number, "
                "null::varchar as _parse_error, null::varchar as _source_location limit 0"
            )
        rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
        return LoadResult(obj.table, rows, None)

    # The typed records are written once, into a table beside the target that then takes its name
    # (a full export) or is merged into it (a batch of changes): no copy of the whole object.
    batch = f"{RAW_SCHEMA}.{quote_ident(LOADING_PREFIX + obj.table)}"
    try:
        with utf8_readable(path) as source:
            file_read = read_into(con, path, source, "_src")
            by_key, composed, missing, extras = column_plan(obj, path, file_read.columns)
            selects = [
                f"{_parse_expr(f, *by_key[f.column])} as {quote_ident(f.column)}"
                if f.column in by_key
                else f"{composed[f.column]} as {quote_ident(f.column)}"
                if f.column in composed
                else f"null::{f.duckdb_type} as {quote_ident(f.column)}"
                for f in obj.fields
            ]
            selects += [f"{quote_ident(src)} as {quote_ident(key)}" for key, (src, _) in extras]
            selects.append("$loaded_at::timestamp as _loaded_at")
            # The record's position among the records read (1 = the first); rejected records follow.
            selects.append(f"{file_read.row_number} as _row_number")
            errors, params = _value_errors(obj, by_key)
            selects.append(f"{errors} as _parse_error")
            selects.append("null::varchar as _source_location")
            con.execute(f"create or replace table {batch} as select {', '.join(selects)} from _src",
                        {"loaded_at": loaded_at, **params})
        to_report = _to_report(obj, by_key.keys() | composed.keys())
        if con.execute(f"select count(*) from {batch} where {to_report}").fetchall()[0][0]:
            _locate(con, path, file_read, batch, to_report)
        if file_read.rejected:
            _add_rejected(con, path, file_read, batch, loaded_at)
        unparsed = con.execute(f"select count(*) from {batch} where _parse_error is not null").fetchall()[0][0]
        counts = None
        con.execute("begin transaction")
        try:
            if mode == "merge" and exists:
                counts = merge_into(con, target, batch)
            else:
                replace_table(con, RAW_SCHEMA, obj.table, LOADING_PREFIX + obj.table)
            rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        _drop_source(con)
        con.execute(f"drop table if exists {batch}")
    return LoadResult(
        obj.table,
        rows,
        str(path),
        extra_columns=[key for key, _ in extras],
        missing_optional_columns=[f.api_name for f in missing],
        merged=counts,
        unparsed_rows=unparsed,
    )
