"""PostgreSQL: loading tables into the server, publishing the audited marts there as one schema
swapped in whole, and copying what was published back. Tables are loaded with COPY, the bulk path
Postgres has for it, streamed from DuckDB in CSV: DuckDB reads and types the export files,
Postgres stores them. The published tables come back the same way, for the engine-neutral DuckDB
file and Parquet copy.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence

import duckdb
import psycopg2
import psycopg2.errors

from data_quality.quarantine import validated_rows
from data_quality.sql import quote_ident, sql_string
from orchestration.defs.publish.swap import PUBLISH_LOG, PublishEntry
from orchestration.engines.postgres import connect, readers

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
COPY_LOCK_TIMEOUT_SECONDS = 60


def postgres_type(duckdb_type: str, column: str = "") -> str:
    """The Postgres column type for a DuckDB one (`DECIMAL(18,2)` -> `numeric(18, 2)`); `column`
    (schema.table.column) names where it was found when there is none."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return f"numeric({decimal[1]}, {decimal[2]})"
    if duckdb_type not in _TYPES:
        where = f" (column {column})" if column else ""
        raise ValueError(f"no Postgres type for DuckDB's {duckdb_type}{where}: the pipeline cannot copy it to the server")
    return _TYPES[duckdb_type]


def copy_tables(duck: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[str],
                pg: psycopg2.extensions.connection) -> dict[str, int]:
    """Replace each of `tables` (in schema `schema` of the DuckDB connection) by a table of the same
    name, columns and values in the same schema of Postgres, in one transaction. Returns the rows of each."""
    with pg, pg.cursor() as cursor:
        return {table: _copy_table(duck, schema, table, cursor) for table in tables}


def _copy_table(duck: duckdb.DuckDBPyConnection, schema: str, table: str, cursor) -> int:
    """`copy_tables` for one table, inside the cursor's transaction."""
    source = f"{quote_ident(schema)}.{quote_ident(table)}"
    cursor.execute(f"create schema if not exists {quote_ident(schema)}")
    columns = duck.execute(f"describe {source}").fetchall()
    definition = ", ".join(f"{quote_ident(name)} {postgres_type(kind, f'{schema}.{table}.{name}')}"
                           for name, kind, *_ in columns)
    # another session's open transaction that read the table would hold the copy forever
    cursor.execute("select set_config('lock_timeout', %s, true)", (f"{COPY_LOCK_TIMEOUT_SECONDS}s",))
    try:
        if _same_shape(cursor, source, definition):
            cursor.execute(f"truncate {source}")  # the views on it (dbt's staging views) stay
        else:
            # A new shape: the views on the old one (dbt's, rebuilt by the run) go with it
            cursor.execute(f"drop table if exists {source} cascade")
            cursor.execute(f"create table {source} ({definition})")
    except psycopg2.errors.LockNotAvailable:
        raise RuntimeError(f"{schema}.{table} on the server is held by another session's open transaction: "
                           f"the copy gave up after {COPY_LOCK_TIMEOUT_SECONDS} s (keep readers on `published`)") from None
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        # DuckDB writes NULL unquoted and an empty string quoted: COPY's CSV reads them back apart
        duck.execute(f"copy {source} to '{csv.name}' (format csv, header false)")
        with open(csv.name, "rb") as handle:  # bytes: a CRLF inside a value stays one
            cursor.copy_expert(f"copy {source} from stdin with (format csv)", handle)
    return cursor.rowcount


def _shape(cursor, relation: str) -> list[tuple]:
    cursor.execute("select attname, format_type(atttypid, atttypmod) from pg_attribute "
                   "where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped order by attnum", (relation,))
    return cursor.fetchall()


def _same_shape(cursor, table: str, definition: str) -> bool:
    """Whether `table` exists with exactly the columns `definition` declares (names, types, order),
    as the server spells them."""
    existing = _shape(cursor, table)
    if not existing:
        return False
    cursor.execute(f"create temporary table _crm_kpi_shape ({definition}) on commit drop")
    wanted = _shape(cursor, "pg_temp._crm_kpi_shape")
    cursor.execute("drop table pg_temp._crm_kpi_shape")
    return existing == wanted


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


# Postgres column types (information_schema's data_type) and the DuckDB type that holds the same
# values. An unconstrained numeric (a sum or average Postgres computed) has no DuckDB DECIMAL that
# holds every value: it comes back as DOUBLE, as DuckDB computes those columns itself.
_DUCKDB_TYPES = {
    "text": "VARCHAR", "character varying": "VARCHAR", "character": "VARCHAR",
    "boolean": "BOOLEAN", "smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT",
    "real": "FLOAT", "double precision": "DOUBLE", "date": "DATE",
    "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMPTZ",
    "time without time zone": "TIME", "interval": "INTERVAL", "json": "JSON", "jsonb": "JSON",
}


def duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """The DuckDB column type for a Postgres one (`numeric(18, 2)` -> `DECIMAL(18,2)`)."""
    if data_type == "numeric":
        return f"DECIMAL({precision},{scale})" if precision is not None and precision <= 38 else "DOUBLE"
    if data_type not in _DUCKDB_TYPES:
        raise ValueError(f"no DuckDB type for Postgres's {data_type}")
    return _DUCKDB_TYPES[data_type]


def copy_to_duckdb(pg: psycopg2.extensions.connection, tables: Mapping[str, str],
                   duck: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace each DuckDB table `target` of `tables` ({target: "schema.table" of Postgres}) by the
    Postgres table's columns and values, read in one snapshot. Returns the rows of each."""
    if pg.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        raise ValueError("copy_to_duckdb reads in a snapshot of its own: the connection is inside a transaction")
    counts = {}
    with pg, pg.cursor() as cursor:
        cursor.execute("set transaction isolation level repeatable read")
        # the text forms DuckDB's CSV reader parses: ISO dates, UTC times, shortest exact doubles
        cursor.execute("set local datestyle = 'ISO, YMD'; set local timezone = 'UTC'; "
                       "set local extra_float_digits = 1")
        for target, source in tables.items():
            schema, table = source.split(".")
            cursor.execute("select column_name, data_type, numeric_precision, numeric_scale "
                           "from information_schema.columns where table_schema = %s and table_name = %s "
                           "order by ordinal_position", (schema, table))
            columns = {name: duckdb_type(kind, precision, scale) for name, kind, precision, scale in cursor.fetchall()}
            if not columns:
                raise ValueError(f"Postgres has no table {source}")
            definition = ", ".join(f"{quote_ident(name)} {kind}" for name, kind in columns.items())
            duck.execute(f"create or replace table {target} ({definition})")
            with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
                with open(csv.name, "wb") as handle:
                    cursor.copy_expert(f"copy {quote_ident(schema)}.{quote_ident(table)} to stdout "
                                       "with (format csv)", handle)
                # Postgres writes NULL unquoted and an empty string quoted: read back apart
                types = "{" + ", ".join(f"{sql_string(name)}: {sql_string(kind)}" for name, kind in columns.items()) + "}"
                duck.execute(f"insert into {target} select * from read_csv({sql_string(csv.name)}, header = false, "
                             f"columns = {types}, quote = '\"', escape = '\"', allow_quoted_nulls = false, "
                             "auto_detect = false, new_line = '\\n', strict_mode = true)")
            counts[target] = duck.execute(f"select count(*) from {target}").fetchall()[0][0]
    return counts


def _fingerprint(con, schema: str, table: str) -> tuple:
    """What changes whenever a load or a validation rewrites the table: its columns, rows, last row
    number and last load time (and, for a quarantine, when its rows were quarantined). `con`:
    DuckDB, or a psycopg2 cursor."""
    name = f"{quote_ident(schema)}.{quote_ident(table)}"
    extra = ", max(_quarantined_at)" if schema == "quarantine" else ""
    query = f"select count(*), max(_row_number), max(_loaded_at){extra} from {name}"
    columns = f"select * from {name} limit 0"
    if isinstance(con, duckdb.DuckDBPyConnection):
        found = con.execute(query).fetchall()[0]
        return (*found, tuple(column[0] for column in con.execute(columns).description))
    con.execute(query)
    found = con.fetchone()
    con.execute(columns)
    return (*found, tuple(column[0] for column in con.description))


def ensure_tables(duck: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, str]]) -> None:
    """Make the server hold each (schema, table) of the warehouse as it is now: copied again when
    the server's differs (`_fingerprint`) or is missing. So a run that re-runs only its later
    steps never reads an older copy."""
    with contextlib.closing(connect()) as pg:
        for schema, table in tables:
            there = None
            with pg, pg.cursor() as cursor:
                cursor.execute("select to_regclass(%s) is not null", (f"{quote_ident(schema)}.{quote_ident(table)}",))
                if cursor.fetchone()[0]:
                    there = _fingerprint(cursor, schema, table)
            if there != _fingerprint(duck, schema, table):
                copy_tables(duck, schema, [table], pg)


def load_run_inputs(duck: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """Make the server hold what the run's dbt reads there, as the warehouse holds it now: each
    object's raw table, its quarantine and the `validated` view of them, and the run's context
    (`audit.dbt_run_context`: macros/run_context.sql). Also when a re-run starts after validation."""
    tables = list(tables)
    ensure_tables(duck, [("raw", table) for table in tables])
    for table in tables:
        store_quarantine(duck, table)
    with contextlib.closing(connect()) as pg:
        copy_tables(duck, "audit", ["dbt_run_context"], pg)


def store_quarantine(duck: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give the server `quarantine.<table>` as the run's validation left it, and `validated.<table>`
    (what dbt reads) as the server's raw table without those rows, in one transaction."""
    with contextlib.closing(connect()) as pg, pg, pg.cursor() as cursor:
        _copy_table(duck, "quarantine", table, cursor)
        validated = f"validated.{quote_ident(table)}"
        cursor.execute("create schema if not exists validated")
        cursor.execute("select relkind from pg_class where oid = to_regclass(%s)", (validated,))
        if (cursor.fetchone() or ("v",))[0] != "v":  # a table an earlier version copied there
            cursor.execute(f"drop table {validated} cascade")
        cursor.execute(f"create or replace view {validated} as {validated_rows(table)}")


def publish_on_server(tables: Sequence[tuple[str, str]], entry: PublishEntry) -> dict[str, int]:
    """`publish_schema` on the server the environment names, for the BI roles of `CRM_KPI_POSTGRES_READERS`."""
    with contextlib.closing(connect()) as pg:
        return publish_schema(pg, tables, entry, readers=readers())


def copy_published(duck: duckdb.DuckDBPyConnection, mirror: Mapping[tuple[str, str], str]) -> dict[str, int]:
    """Copy what the server published, each (schema, table) of `mirror` into the DuckDB table it
    names: the engine-neutral DuckDB file and Parquet copy are then made from it, as on DuckDB."""
    with contextlib.closing(connect()) as pg:
        return copy_to_duckdb(pg, {target: f"{PUBLISHED_SCHEMA}.{table}" for (_, table), target in mirror.items()}, duck)
