"""Per-object watermarks in the warehouse: the newest SystemModstamp loaded into `raw`.

An incremental source (the Salesforce API) asks only for records changed after its object's
watermark. The watermark is read back from raw after each load, so it only moves when the records
behind it are safely stored.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from data_quality.sql import quote_ident

TABLE = "audit.watermarks"


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(f"create table if not exists {TABLE} (object varchar primary key, "
                "system_modstamp timestamp, run_id varchar, recorded_at timestamp)")


def store_watermark(con: duckdb.DuckDBPyConnection, object_name: str, table: str, run_id: str,
                    recorded_at: dt.datetime) -> dt.datetime | None:
    """Record the newest SystemModstamp now in `raw.<table>` as the object's watermark."""
    _ensure(con)
    newest = con.execute(f"select max(system_modstamp) from raw.{quote_ident(table)}").fetchall()[0][0]
    con.execute(f"insert or replace into {TABLE} values ($object, $stamp, $run_id, $at)",
                {"object": object_name, "stamp": newest, "run_id": run_id, "at": recorded_at})
    return newest


def read_watermarks(con: duckdb.DuckDBPyConnection) -> dict[str, dt.datetime]:
    """The watermark of every object that has one (objects never loaded are absent: full extract)."""
    present = con.execute("select count(*) from duckdb_tables() "
                          "where schema_name = 'audit' and table_name = 'watermarks'").fetchall()[0][0]
    if not present:
        return {}
    rows = con.execute(f"select object, system_modstamp from {TABLE} where system_modstamp is not null").fetchall()
    return dict(rows)
