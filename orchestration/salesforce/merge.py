"""Writing a typed batch of records into `raw.<object>`: replaced whole, or merged by Id.

A full export (Salesforce's Data Export, a file dump) replaces the table: rows gone from the
export are gone from raw. A batch of changes (an API extract since the last watermark, a daily
delta file) is merged: each record's newest version wins by SystemModstamp, records the batch does
not mention stay as they were, and soft deletes arrive as rows with IsDeleted = true and are kept
with their flag. Merging the same batch twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from data_quality.sql import quote_ident

STAMP = "system_modstamp"


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int
    unchanged: int  # batch records not newer than the version already in raw


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, batch: str) -> None:
    """The table `schema.batch` becomes `schema.table`, renamed rather than copied (a big object's
    records are written once); the caller holds the transaction."""
    con.execute(f"drop table if exists {quote_ident(schema)}.{quote_ident(table)}")
    con.execute(f"alter table {quote_ident(schema)}.{quote_ident(batch)} rename to {quote_ident(table)}")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]


def _add_new_columns(con: duckdb.DuckDBPyConnection, target: str, batch: str) -> None:
    """Columns the batch brings that raw lacks (a new custom field) are added, NULL for old rows."""
    existing = {name for name, _ in _columns(con, target)}
    for name, type_ in _columns(con, batch):
        if name not in existing:
            con.execute(f"alter table {target} add column {quote_ident(name)} {type_}")


def merge_into(con: duckdb.DuckDBPyConnection, target: str, batch: str) -> MergeCounts:
    """Upsert `batch` into `target` by `id`; the caller holds the transaction.

    Within the batch, the newest version of each Id is taken (a late, older copy loses). A batch
    record replaces the raw one only when its SystemModstamp is newer, or when either has none.
    Records without an Id cannot be matched and are appended, so the quality gate sees them; so
    are records that could not be read whole, when raw already holds their Id.
    `_row_number` continues after the table's last, so it stays a unique key of the table.
    """
    _add_new_columns(con, target, batch)
    # What raw holds of the batch's Ids, in one pass over raw that keeps only those Ids. Every
    # question below is about them; asked of raw itself, each cost a pass over all of it (grouping
    # a 14M-row object by Id took most of a delta's load), and raw's records without an Id made
    # "is this Id in raw?" unknown rather than no, so a new record that could not be read whole
    # was dropped.
    con.execute(f"""
        create or replace temp table _in_raw as
        select id, max({STAMP}) as stamp, count({STAMP}) = count(*) as all_stamped
        from {target}
        where id in (select id from {batch} where id is not null)
        group by id
    """)
    # A version that could not be read whole (`_parse_error`) must not replace the good one raw
    # holds: it joins raw without its Id, so the gate quarantines it and the good version stays.
    con.execute(f"""
        create or replace temp table _unmergeable as
        select * replace (null::varchar as id,
                          _parse_error || ' (Id ' || id || ' not merged: the version loaded before is kept)'
                          as _parse_error)
        from {batch}
        where _parse_error is not null and id in (select id from _in_raw)
    """)
    con.execute(f"""
        create or replace temp table _newest as
        select * from {batch}
        where id is not null and not (_parse_error is not null and id in (select id from _in_raw))
        qualify row_number() over (partition by id order by {STAMP} desc nulls first, _row_number desc) = 1
    """)
    con.execute(f"""
        create or replace temp table _changed as
        select b.*, t.id is not null as _is_update
        from _newest as b
        left join _in_raw as t on t.id = b.id
        where t.id is null or b.{STAMP} is null or not t.all_stamped or b.{STAMP} > t.stamp
    """)
    inserted, updated = con.execute(
        "select count(*) filter (where not _is_update), count(*) filter (where _is_update) from _changed"
    ).fetchall()[0]
    unchanged = con.execute("select count(*) from _newest").fetchall()[0][0] - inserted - updated
    con.execute(f"delete from {target} where id in (select id from _changed where _is_update)")
    offset = f"(select coalesce(max(_row_number), 0) from {target})"
    con.execute(f"""
        insert into {target} by name
        select * exclude (_row_number, _is_update), {offset} + row_number() over (order by _row_number) as _row_number
        from (select * from _changed union all by name
              select *, false as _is_update from {batch} where id is null union all by name
              select *, false as _is_update from _unmergeable)
    """)
    nameless = con.execute(f"select count(*) from {batch} where id is null").fetchall()[0][0]
    nameless += con.execute("select count(*) from _unmergeable").fetchall()[0][0]
    for table in ("_in_raw", "_newest", "_changed", "_unmergeable"):
        con.execute(f"drop table {table}")
    return MergeCounts(inserted + nameless, updated, unchanged)
