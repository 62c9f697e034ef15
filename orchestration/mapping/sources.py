"""The export's source files: finding them, reading their headers, loading them typed as declared.

DuckDB's CSV reader reads every value as text (`all_varchar`), so nothing is guessed from a sample;
columns with a declared type (`column_types`) are then cast, and a value that does not fit stops
the conversion with the file, the column and examples. Paths are passed to DuckDB as parameters,
never pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data_quality.sql import quote_ident
from orchestration.mapping import ids
from orchestration.mapping.errors import MappingError, did_you_mean
from orchestration.mapping.expressions import AS_OF_FUNCTION
from orchestration.mapping.spec import FileSpec

CSV_SUFFIXES = (".csv", ".csv.gz")
READ_CSV = "read_csv($path, header = true, all_varchar = true)"


def connect(as_of: dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for one validation or conversion, with `salesforce_id` and
    `as_of_date()` (the conversion's as-of date; a NULL date where only types are checked)."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")  # a library prints nothing on its own
    ids.register(con)
    # A date's ISO text is digits and dashes only, so it can be written into the macro's body.
    value = f"date '{as_of.isoformat()}'" if as_of is not None else "cast(null as date)"
    con.execute(f"create temp macro {AS_OF_FUNCTION}() as {value}")
    return con


@dataclass(frozen=True)
class SourceFile:
    spec: FileSpec
    path: Path
    columns: tuple[str, ...]  # the header, in file order

    @property
    def table(self) -> str:
        """The temp table holding its typed rows."""
        return quote_ident(f"_file_{self.spec.name}")

    def sql_type(self, column: str) -> str:
        return self.spec.column_types.get(column, "VARCHAR")


def locate(spec: FileSpec, source_dir: Path) -> tuple[Path | None, str | None]:
    """The file's path inside the export folder, or why it cannot be used."""
    relative = Path(spec.path)
    if relative.is_absolute() or ".." in relative.parts:
        return None, f"path {spec.path!r} must be relative to the export folder and stay inside it"
    if not spec.path.lower().endswith(CSV_SUFFIXES):
        return None, f"path {spec.path!r} is not a CSV file (.csv or .csv.gz)"
    path = source_dir / relative
    if not path.is_file():
        present = [p.name for p in source_dir.iterdir() if p.is_file()] if source_dir.is_dir() else []
        return None, (f"source file {spec.path!r} is missing from {source_dir}"
                      f"{did_you_mean(spec.path, present)}")
    return path, None


def read_header(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[tuple[str, ...] | None, str | None]:
    """The file's column names (reading only what DuckDB needs to sniff the dialect)."""
    try:
        rows = con.execute(f"describe select * from {READ_CSV}", {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        return None, f"cannot be read as CSV: {str(exc).splitlines()[0]}"
    return tuple(row[0] for row in rows), None


def cast_text(value_sql: str, sql_type: str) -> str:
    """SQL giving the `sql_type` value of a text value; '' and blanks are NULL.

    The same readings as the pipeline's loader: booleans true/false/1/0, datetimes ISO-8601 with
    `Z`, an offset or none (UTC), numbers and dates as DuckDB reads them.
    """
    text = f"nullif(trim({value_sql}), '')"
    if sql_type == "VARCHAR":
        return f"nullif({value_sql}, '')"  # keep a text's own spaces
    if sql_type == "BOOLEAN":
        return (f"case lower({text}) when 'true' then true when '1' then true "
                f"when 'false' then false when '0' then false end")
    if sql_type == "TIMESTAMP":  # reads `Z` and offsets, keeps UTC wall-clock time
        return f"try_cast(try_cast({text} as timestamptz) as timestamp)"
    return f"try_cast({text} as {sql_type})"


def _cast(column: str, source: SourceFile) -> str:
    sql_type = source.sql_type(column)
    # undeclared columns stay exactly as read: text, with empty cells NULL
    return quote_ident(column) if sql_type == "VARCHAR" else cast_text(quote_ident(column), sql_type)


def stage_empty(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    """An empty table shaped like the typed file: enough to type-check expressions on."""
    columns = ", ".join(f"cast(null as {source.sql_type(c)}) as {quote_ident(c)}" for c in source.columns)
    con.execute(f"create or replace temp table {source.table} as select {columns} limit 0")


def stage(con: duckdb.DuckDBPyConnection, source: SourceFile, mapping_path: Path) -> int:
    """Load the file into its temp table, cast as declared; returns the row count."""
    con.execute("create or replace temp table _text as select * from " + READ_CSV, {"path": str(source.path)})
    typed = [c for c in source.columns if source.sql_type(c) != "VARCHAR"]
    if typed:
        checks = ", ".join(
            f"count(*) filter (where {bad}), (list(distinct {quote_ident(c)}) filter (where {bad}))[1:3]"
            for c in typed
            for bad in [f"nullif(trim({quote_ident(c)}), '') is not null and {_cast(c, source)} is null"]
        )
        results = con.execute(f"select {checks} from _text").fetchall()[0]
        for index, column in enumerate(typed):
            count, examples = results[2 * index], results[2 * index + 1]
            if count:
                raise MappingError(mapping_path, [
                    f"files.{source.spec.name}: column {column!r} of {source.spec.path} has {count} "
                    f"value(s) that are not {source.sql_type(column).lower()} as declared in "
                    f"column_types, e.g. {examples}"
                ])
    selects = ", ".join(f"{_cast(c, source)} as {quote_ident(c)}" for c in source.columns)
    con.execute(f"create or replace temp table {source.table} as select {selects} from _text order by rowid")
    con.execute("drop table _text")
    return con.execute(f"select count(*) from {source.table}").fetchall()[0][0]
