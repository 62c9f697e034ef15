"""PostgreSQL: connecting through the standard libpq variables, and loading tables into it.

The connection comes from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` (or `~/.pgpass`) and
`PGDATABASE`, as every Postgres tool reads them: no setting or secret of ours. Tables are loaded
with COPY, the bulk path Postgres has for it, streamed from DuckDB in CSV: DuckDB reads and types
the export files, Postgres stores them.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable

import duckdb
import psycopg2

from data_quality.sql import quote_ident

# DuckDB column types and the Postgres type that holds the same values. DECIMAL keeps its
# precision and scale; a type not listed here is refused, naming it, rather than guessed.
_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIME": "time",
    "INTERVAL": "interval",
}


def connect() -> psycopg2.extensions.connection:
    """A connection to the server the libpq environment variables name."""
    return psycopg2.connect("")


def postgres_type(duckdb_type: str) -> str:
    """The Postgres column type for a DuckDB one (`DECIMAL(18,2)` -> `numeric(18, 2)`)."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return f"numeric({decimal[1]}, {decimal[2]})"
    if duckdb_type not in _TYPES:
        raise ValueError(f"no Postgres type for DuckDB's {duckdb_type}")
    return _TYPES[duckdb_type]


def copy_tables(duck: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[str],
                pg: psycopg2.extensions.connection) -> dict[str, int]:
    """Replace each of `tables` (in schema `schema` of the DuckDB connection) by a table of the same
    name, columns and values in the same schema of Postgres, in one transaction. Returns the rows of each."""
    counts = {}
    with pg, pg.cursor() as cursor:
        cursor.execute(f"create schema if not exists {quote_ident(schema)}")
        for table in tables:
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            columns = duck.execute(f"describe {source}").fetchall()
            definition = ", ".join(f"{quote_ident(name)} {postgres_type(kind)}" for name, kind, *_ in columns)
            # no cascade: a view someone built on the table stops the load, rather than vanishing
            cursor.execute(f"drop table if exists {source}")
            cursor.execute(f"create table {source} ({definition})")
            with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
                # DuckDB writes NULL unquoted and an empty string quoted: COPY's CSV reads them back apart
                duck.execute(f"copy {source} to '{csv.name}' (format csv, header false)")
                with open(csv.name, "rb") as handle:  # bytes: a CRLF inside a value stays one
                    cursor.copy_expert(f"copy {source} from stdin with (format csv)", handle)
            counts[table] = cursor.rowcount
    return counts
