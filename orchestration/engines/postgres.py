"""PostgreSQL: connecting through the standard libpq variables, loading tables into it, and
publishing the audited marts as one schema swapped in whole.

The connection comes from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` (or `~/.pgpass`) and
`PGDATABASE`, as every Postgres tool reads them: no setting or secret of ours. Tables are loaded
with COPY, the bulk path Postgres has for it, streamed from DuckDB in CSV: DuckDB reads and types
the export files, Postgres stores them.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Sequence

import duckdb
import psycopg2

from data_quality.sql import quote_ident
from orchestration.defs.publish.swap import PUBLISH_LOG, PublishEntry

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


PUBLISHED_SCHEMA = "published"
# SQLAlchemy's URL for the same server: empty, so psycopg2 takes every part from the libpq variables
SQLALCHEMY_URL = "postgresql+psycopg2://"


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


def publish_schema(pg: psycopg2.extensions.connection, tables: Sequence[tuple[str, str]],
                   entry: PublishEntry, *, readers: Sequence[str] = (), schema: str = PUBLISHED_SCHEMA,
                   lock_timeout_seconds: float = 60) -> dict[str, int]:
    """Publish `tables` ((schema, table) pairs of this database) as the schema `schema`, with
    `_publish_log` (the previous publishes' rows plus this one's), swapped in whole in one
    transaction: a query sees the last publish or this one, never a mix, and a publish that fails
    leaves the last one as it was. The roles in `readers` (the BI tools' logins) may read it.

    A reader's open transaction holds the swap; after `lock_timeout_seconds` the publish gives up
    (raises, the last one stays) rather than make every new query wait behind it. Views someone
    built on the published tables go with them (build them on `marts`). Returns the row count of
    each table."""
    if pg.autocommit:
        raise ValueError("publish_schema needs a transaction: the connection is in autocommit mode")
    published, new = quote_ident(schema), quote_ident(f"{schema}__new")
    counts = {}
    with pg, pg.cursor() as cursor:
        cursor.execute("select set_config('lock_timeout', %s, true)", (f"{int(lock_timeout_seconds * 1000)}ms",))
        cursor.execute(f"create schema {new}")
        for source_schema, table in tables:
            cursor.execute(f"create table {new}.{quote_ident(table)} as "
                           f"select * from {quote_ident(source_schema)}.{quote_ident(table)}")
            counts[table] = cursor.rowcount
        cursor.execute(f"create table {new}.{PUBLISH_LOG} (published_at timestamp, as_of date, "
                       "run_id text, source_row_counts jsonb, check_summary jsonb)")
        cursor.execute("select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                       (schema, PUBLISH_LOG))
        if cursor.fetchone():
            cursor.execute(f"insert into {new}.{PUBLISH_LOG} select * from {published}.{PUBLISH_LOG}")
        cursor.execute(f"insert into {new}.{PUBLISH_LOG} values (%s, %s, %s, %s, %s)",
                       (entry.published_at.replace("Z", ""), entry.as_of, entry.run_id,
                        json.dumps(entry.source_row_counts, sort_keys=True),
                        json.dumps(entry.check_summary, sort_keys=True)))
        for role in readers:  # the grants go with the old schema: given again, in the same transaction
            cursor.execute(f"grant usage on schema {new} to {quote_ident(role)}")
            cursor.execute(f"grant select on all tables in schema {new} to {quote_ident(role)}")
        cursor.execute(f"drop schema if exists {published} cascade")
        cursor.execute(f"alter schema {new} rename to {published}")
    return counts
