"""Reading an export file into a temporary table of its values, keeping the records it cannot parse.

A CSV's dialect (delimiter, quote, escape) and header are sniffed once, then every record is read
with that dialect fixed, so one broken record cannot make DuckDB's sniffer guess another dialect
for the whole file. Records that do not fit the header (too few or too many fields, a quote never
closed) do not fail the read: DuckDB's reject store collects them, and they come back with the
line they start on, the reason and their text, so the loader can quarantine them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data_quality.sql import quote_ident, sql_string
from orchestration.salesforce.encoding import CHUNK, open_bytes
from orchestration.salesforce.export import ExportError

REJECTS, REJECTS_SCAN = "_rejects", "_rejects_scan"
PARQUET_ROW = "file_row_number"  # DuckDB's 0-based row of a Parquet file
KEPT_TEXT = 10_000  # DuckDB's reject store keeps this much of a rejected record's text
EMPTY = "(empty)"  # how sniff_csv reports a quote or escape it did not see in its sample


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str
    escape: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Rejected:
    """A record the reader could not parse."""

    line: int  # the physical line it starts on (1 = the header)
    reason: str
    text: str  # the record as written, so nothing is lost


@dataclass(frozen=True)
class FileRead:
    columns: list[tuple[str, str]]  # the file's columns and their types, in file order
    rejected: list[Rejected]
    # SQL for a record's position among the records read (1 = the first), over the read's table
    row_number: str = "rowid + 1"


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def read_error(path: Path, exc: duckdb.Error) -> ExportError:
    """DuckDB's reader error as one line: what went wrong and where, without its advice and echo."""
    kept = []
    for line in str(exc).splitlines():
        line = line.strip()
        if not line or line.startswith(("Possible", "The search space", "file =")):
            break
        if not line.startswith("Original Line"):  # the record itself: long, and maybe not text
            kept.append(line.removeprefix("Invalid Input Error: ").rstrip("."))
    return ExportError(f"{path}: cannot be read as {path.suffix.lstrip('.')}: {'; '.join(kept)}")


def _header_fields(source: Path, delimiter: str, quote: str) -> list[str]:
    """The first line of the file, split as a CSV record of the dialect."""
    with open_bytes(source) as stream:
        head = stream.read(CHUNK).decode("utf-8-sig", errors="replace")
    lines = head.splitlines()  # also old Mac files, whose lines end in a bare CR
    options = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
    try:
        return next(csv.reader(io.StringIO(lines[0] if lines else ""), delimiter=delimiter, **options), [])
    except csv.Error:
        return []


def sniff_dialect(con: duckdb.DuckDBPyConnection, path: Path, source: Path) -> Dialect:
    """The file's dialect, sniffed by DuckDB, and its header: always the first line (the sniffer
    may skip lines it finds inconsistent, and take a later record for the header).

    When records have different numbers of fields (a line cut short), the sniffer may find no
    delimiter that fits them all; the header then decides, read as plain comma-separated values
    (what every CRM's CSV export writes).

    Only the dialect is wanted, so the sniffer guesses no column types (every value is read as
    text): guessing them, dates in a dozen formats, was most of its time."""
    try:
        delimiter, quote, escape = con.execute(
            "select Delimiter, Quote, Escape from sniff_csv($path, header = true, all_varchar = true, "
            "auto_type_candidates = ['VARCHAR'])",
            {"path": str(source)},
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise read_error(path, exc) from None
    # A sample without quotes says nothing about the records after it: quote as RFC 4180 does.
    quote = '"' if quote == EMPTY else quote
    escape = quote if escape == EMPTY else escape
    header = _header_fields(source, delimiter, quote)
    if len(header) <= 1 and len(comma := _header_fields(source, ",", '"')) > 1:
        delimiter, quote, escape, header = ",", '"', '"', comma
    names = [name or f"column{index}" for index, name in enumerate(header)]
    if len(set(names)) < len(names):
        raise ExportError(f"{path}: the header names a column twice; rule: column names are unique")
    return Dialect(delimiter, quote, escape, tuple(names))


def _line_numbers(source: Path, offsets: list[int]) -> list[int]:
    """The line each byte offset of the file is on (1-based), in one streaming pass."""
    wanted = np.array(sorted(set(offsets)), dtype=np.int64)
    lines = np.zeros(len(wanted), dtype=np.int64)
    base, newlines_before = 0, 0
    with open_bytes(source) as stream:
        while (chunk := stream.read(CHUNK)) and base <= wanted[-1]:
            positions = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + base
            here = (wanted >= base) & (wanted < base + len(chunk))
            lines[here] = newlines_before + np.searchsorted(positions, wanted[here]) + 1
            newlines_before += len(positions)
            base += len(chunk)
    by_offset = dict(zip(wanted.tolist(), lines.tolist(), strict=True))
    return [by_offset[offset] for offset in offsets]


def _collect_rejects(con: duckdb.DuckDBPyConnection, path: Path, source: Path) -> list[Rejected]:
    """The records the reader rejected, with their lines. A file whose quotes do not pair up is
    refused instead: from an unclosed quote on, DuckDB cannot tell where records end, so the
    records after it would be swallowed into one reject and lost."""
    rows = con.execute(
        f"""select line_byte_position, arg_min(error_message, coalesce(column_idx, -1)), any_value(csv_line),
                   bool_or(error_type = 'UNQUOTED VALUE')
            from {REJECTS} group by line_byte_position order by line_byte_position"""
    ).fetchall()
    if not rows:
        return []
    lines = _line_numbers(source, [offset for offset, _, _, _ in rows])
    rejected = []
    for line, (_, reason, text, unquoted) in zip(lines, rows, strict=True):
        text = (text or "").strip("\r\n")
        if unquoted or "\n" in text or len(text) >= KEPT_TEXT:
            raise ExportError(
                f"{path}: line {line}: a record that does not fit the header "
                f"({(reason or 'unreadable record').rstrip('.')}) and runs over several lines, or opens a quote "
                "it never closes; rule: every quoted value is closed before the next field. From such a record "
                "on, records cannot be told apart, so the file is not loaded"
            )
        rejected.append(Rejected(line, (reason or "unreadable record").rstrip("."), text))
    return rejected


def read_into(con: duckdb.DuckDBPyConnection, path: Path, source: Path, table: str) -> FileRead:
    """Read `source` (the file at `path`, or its UTF-8 copy) as the temporary `table`: every CSV
    value as text, for our casts to type, read into a table; a Parquet file, typed, as a view over
    the file (read once, by whatever selects from it: `source` must outlive that). Messages name `path`."""
    if path.stat().st_size == 0:
        raise ExportError(f"{path}: the file is empty (0 bytes; an export file has at least its header row)")
    if is_parquet(path):
        try:
            # A view, not a copy: the loader's one pass reads the file, and its rows keep their order
            con.execute(f"create or replace temp view {table} as "
                        f"select * from read_parquet({sql_string(str(source))}, file_row_number = true)")
            columns = [column for column in _describe(con, table) if column[0] != PARQUET_ROW]
        except duckdb.Error as exc:
            raise read_error(path, exc) from None
        return FileRead(columns, [], row_number=f"{PARQUET_ROW} + 1")
    dialect = sniff_dialect(con, path, source)
    keeps_order = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    try:
        # The records in file order, so that a record's rowid is its place in the file (its line is
        # worked out from it); the warehouse's connections otherwise let DuckDB write in any order.
        # The setting is the database's, not the connection's: one step at a time uses the warehouse.
        con.execute("set preserve_insertion_order = true")
        con.execute(
            f"""create or replace temp table {table} as select * from read_csv(
                    $path, header = true, auto_detect = false, columns = $columns,
                    delim = $delimiter, quote = $quote, escape = $escape,
                    store_rejects = true, rejects_table = '{REJECTS}', rejects_scan = '{REJECTS_SCAN}')""",
            {"path": str(source), "columns": {name: "VARCHAR" for name in dialect.columns},
             "delimiter": dialect.delimiter, "quote": dialect.quote, "escape": dialect.escape},
        )
        rejected = _collect_rejects(con, path, source)
    except duckdb.Error as exc:
        raise read_error(path, exc) from None
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if keeps_order else 'false'}")
        con.execute(f"drop table if exists {REJECTS}")
        con.execute(f"drop table if exists {REJECTS_SCAN}")
    return FileRead(_describe(con, table), rejected)


def record_lines(con: duckdb.DuckDBPyConnection, table: str, rejected: list[Rejected]) -> str:
    """Create the temporary table `_record_lines(record, line)`: the line each record of `table`
    (as `read_into` read it; record 1 is the first kept) starts on. Returns its name.

    A record spans one line plus the newlines inside its quoted values, so a record's line is the
    header's, plus one per record before it, plus their inner newlines; then every rejected record
    before it adds the lines it spans. (Blank lines, which the reader skips, are not counted.)"""
    columns = [name for name, _ in _describe(con, table)]
    text = f"concat_ws('', {', '.join(quote_ident(name) for name in columns)})"
    kept = f"""select rowid + 1 as record,
                      2 + rowid + coalesce(sum(len({text}) - len(replace({text}, chr(10), '')))
                          over (order by rowid rows between unbounded preceding and 1 preceding), 0) as line
               from {table}"""
    # Where each rejected record would sit among the kept records' lines, and the lines it spans.
    positions, lines_before = [], []
    for reject in rejected:
        positions.append(reject.line - (lines_before[-1] if lines_before else 0))
        lines_before.append((lines_before[-1] if lines_before else 0) + 1 + reject.text.count("\n"))
    # Rejected records next to each other share a position: the last of them counts all their lines.
    shifts = (pd.DataFrame({"position": positions, "lines_before": lines_before}, dtype="int64")
              .groupby("position", as_index=False)["lines_before"].max())
    con.register("_reject_shifts", shifts)
    try:
        con.execute(f"""create or replace temp table _record_lines as
                        select kept.record, kept.line + coalesce(shifts.lines_before, 0) as line
                        from ({kept}) as kept
                        asof left join _reject_shifts as shifts on kept.line >= shifts.position""")
    finally:
        con.unregister("_reject_shifts")
    return "_record_lines"


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]
