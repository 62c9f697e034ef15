"""Loading one Salesforce object from an export file into the warehouse's `raw` schema.

DuckDB's own CSV and Parquet readers do the reading (no Python row loops). Every value is read as
text first and cast by our rules, so a value that does not fit its field is reported with the file,
the column and the rule instead of being silently turned into NULL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from data_quality.sql import quote_ident
from orchestration.salesforce.encoding import utf8_readable
from orchestration.salesforce.export import ExportError
from orchestration.salesforce.ids import normalized_id_sql
from orchestration.salesforce.merge import MergeCounts, merge_into, replace_table
from orchestration.salesforce.objects import Field, SObject, snake_case

RAW_SCHEMA = "raw"
LoadMode = Literal["replace", "merge"]


@dataclass
class LoadResult:
    table: str
    rows: int
    source_file: str | None
    extra_columns: list[str] = field(default_factory=list)  # kept as text, e.g. custom __c fields
    missing_optional_columns: list[str] = field(default_factory=list)
    merged: MergeCounts | None = None  # set when the file was merged into an existing table


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
    "number": "try_cast({v} as double)",
    "integer": "try_cast({v} as bigint)",
}

_RULES = {
    "boolean": "must be true/false or 1/0",
    "datetime": "must be an ISO-8601 datetime",
    "date": "must be a date (YYYY-MM-DD)",
    "currency": "must be a number with at most 16 digits before the decimal point",
    "number": "must be a number",
    "integer": "must be a whole number",
}


def _parse_expr(f: Field, source_col: str, source_type: str) -> str:
    col = quote_ident(source_col)
    if source_type != "VARCHAR":  # typed input (Parquet): let DuckDB convert natively
        return f"try_cast({col} as {f.duckdb_type})"
    text = f"nullif(trim({col}), '')"
    if f.type == "string":
        text = f"nullif({col}, '')"  # keep a string's own spaces
    if f.type == "id":  # 15-character Ids join their 18-character twins; the all-zero Id is empty
        return normalized_id_sql(text)
    return _PARSERS[f.type].format(v=text)


def _read_expr(path: Path) -> str:
    if path.name.lower().endswith(".parquet"):
        return "read_parquet($path)"
    # Everything as text: our casts decide types, not the sniffer's guess from a sample.
    return "read_csv($path, header = true, all_varchar = true)"


def _read_error(path: Path, exc: duckdb.Error) -> ExportError:
    """DuckDB's reader error as one line: what went wrong and where, without its advice and echo.

    The run summary shows the first line of a message, and DuckDB puts the reason (e.g. "This file is
    not utf-8 encoded") on the lines after "CSV Error on Line: N".
    """
    kept = []
    for line in str(exc).splitlines():
        line = line.strip()
        if not line or line.startswith(("Possible", "The search space", "file =")):
            break
        if not line.startswith("Original Line"):  # the record itself: long, and maybe not text
            kept.append(line.removeprefix("Invalid Input Error: ").rstrip("."))
    return ExportError(f"{path}: cannot be read as {path.suffix.lstrip('.')}: {'; '.join(kept)}")


def _ragged_line_error(con: duckdb.DuckDBPyConnection, path: Path, source: Path) -> ExportError:
    """Name the first record whose fields do not match the header's, found by a strict comma read.

    When records have different numbers of fields (a line cut short), DuckDB's sniffer gives up on
    the comma and reads each whole line as one column, so the columns look missing instead.
    """
    try:
        con.execute(
            "select count(*) from read_csv($path, header = true, all_varchar = true, delim = ',', "
            "quote = '\"', escape = '\"', store_rejects = true, rejects_table = '_rejects', "
            "rejects_scan = '_rejects_scan')", {"path": str(source)},
        ).fetchall()  # the rejects are written as the rows are read
        first = con.execute(
            "select line, error_message from _rejects order by line, column_idx limit 1").fetchall()
    except duckdb.Error as exc:
        return _read_error(path, exc)
    finally:
        con.execute("drop table if exists _rejects")
        con.execute("drop table if exists _rejects_scan")
    what = "its records do not match the header"
    if first:
        what = f"line {first[0][0]} does not match the header ({first[0][1]})"
    return ExportError(
        f"{path}: {what}; rule: every record has as many comma-separated fields as the header "
        "(was the file cut short?)"
    )


def _describe(con: duckdb.DuckDBPyConnection, path: Path, source: Path) -> list[tuple[str, str]]:
    """The file's columns and their types, refusing a file that is empty, unreadable or ragged.
    `source` is what is read (`path` itself, or its UTF-8 copy); messages name `path`."""
    if path.stat().st_size == 0:
        raise ExportError(f"{path}: the file is empty (0 bytes; an export file has at least its header row)")
    try:
        rows = con.execute(f"describe select * from {_read_expr(path)}", {"path": str(source)}).fetchall()
    except duckdb.Error as exc:
        raise _read_error(path, exc) from None
    if len(rows) == 1 and "," in rows[0][0] and not path.name.lower().endswith(".parquet"):
        raise _ragged_line_error(con, path, source)
    return [(r[0], r[1]) for r in rows]


def _column_plan(obj: SObject, path: Path, columns: list[tuple[str, str]]):
    """Match the file's headers to the object's fields (CamelCase or snake_case headers)."""
    by_key: dict[str, tuple[str, str]] = {}
    for name, type_ in columns:
        key = snake_case(name)
        if key in by_key:
            raise ExportError(
                f"{path}: columns {by_key[key][0]!r} and {name!r} both map to field {key!r}"
            )
        by_key[key] = (name, type_)
    missing = [f for f in obj.fields if f.column not in by_key]
    missing_required = [f.api_name for f in missing if f.required]
    if missing_required:
        raise ExportError(
            f"{path}: required column(s) {', '.join(missing_required)} missing "
            f"(rule: {obj.api_name} needs {', '.join(f.api_name for f in obj.required_fields)})"
        )
    known = {f.column for f in obj.fields}
    extras = [(key, src) for key, src in by_key.items() if key not in known and key]
    return by_key, missing, extras


def _check_casts(con, obj: SObject, path: Path, by_key) -> None:
    """Refuse values that do not fit their field, naming the file, column, rule and examples.

    One scan of the file's rows checks every typed column at once.
    """
    checked = []
    for f in obj.fields:
        if f.column not in by_key or f.type in ("id", "string") or by_key[f.column][1] != "VARCHAR":
            continue
        source_col = by_key[f.column][0]
        col = quote_ident(source_col)
        bad = f"nullif(trim({col}), '') is not null and ({_parse_expr(f, source_col, 'VARCHAR')}) is null"
        checked.append((f, source_col, f"count(*) filter (where {bad})", f"(list(distinct {col}) filter (where {bad}))[1:3]"))
    if not checked:
        return
    aggregates = ", ".join(f"{count}, {examples}" for _, _, count, examples in checked)
    results = con.execute(f"select {aggregates} from _src").fetchall()[0]
    for index, (f, source_col, _, _) in enumerate(checked):
        bad_count, examples = results[2 * index], results[2 * index + 1]
        if bad_count:
            raise ExportError(
                f"{path}: column {source_col} has {bad_count} value(s) that break the rule "
                f"'{f.api_name} {_RULES[f.type]}', e.g. {examples}"
            )


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
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $schema and table_name = $table",
        {"schema": RAW_SCHEMA, "table": obj.table},
    ).fetchall()[0][0]
    if path is None:
        if mode == "replace" or not exists:
            cols = ", ".join(f"null::{f.duckdb_type} as {quote_ident(f.column)}" for f in obj.fields)
            con.execute(
                f"create or replace table {target} as "
                f"select {cols}, null::timestamp as _loaded_at, null::bigint as _row_number limit 0"
            )
        rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
        return LoadResult(obj.table, rows, None)

    with utf8_readable(path) as source:
        by_key, missing, extras = _column_plan(obj, path, _describe(con, path, source))
        try:
            # the sniffer reads a sample: a bad line further down the file only shows up here
            con.execute(f"create or replace temp table _src as select * from {_read_expr(path)}",
                        {"path": str(source)})
        except duckdb.Error as exc:
            raise _read_error(path, exc) from None
    try:
        _check_casts(con, obj, path, by_key)
        selects = [
            f"{_parse_expr(f, *by_key[f.column])} as {quote_ident(f.column)}"
            if f.column in by_key
            else f"null::{f.duckdb_type} as {quote_ident(f.column)}"
            for f in obj.fields
        ]
        selects += [f"{quote_ident(src)} as {quote_ident(key)}" for key, (src, _) in extras]
        selects.append("$loaded_at::timestamp as _loaded_at")
        # The record's position in the file (1 = first data row), so quarantine can point at it.
        selects.append("rowid + 1 as _row_number")
        con.execute(f"create or replace temp table _batch as select {', '.join(selects)} from _src",
                    {"loaded_at": loaded_at})
        counts = None
        con.execute("begin transaction")
        try:
            if mode == "merge" and exists:
                counts = merge_into(con, target, "_batch")
            else:
                replace_table(con, target, "_batch")
            rows = con.execute(f"select count(*) from {target}").fetchall()[0][0]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        con.execute("drop table if exists _src")
        con.execute("drop table if exists _batch")
    return LoadResult(
        obj.table,
        rows,
        str(path),
        extra_columns=[key for key, _ in extras],
        missing_optional_columns=[f.api_name for f in missing],
        merged=counts,
    )
