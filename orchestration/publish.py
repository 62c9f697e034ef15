"""Publishing the audited marts as a separate DuckDB file that BI tools read.

DuckDB allows one writer or many readers per file, so BI tools never open the working warehouse.
Each publish writes a complete new file beside the old one and renames it over the old one: a
reader sees the old snapshot or the new one, never a half-written file, and a failed publish leaves
the last good file exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from orchestration.salesforce.load import quote_ident

TEMP_GLOB = ".crm_kpis.*.tmp.duckdb*"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(published_dir: Path) -> list[Path]:
    """Delete temporary files a killed publish left behind (no publish runs concurrently)."""
    stale = sorted(published_dir.glob(TEMP_GLOB))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def publish_tables(
    warehouse: Path, target: Path, tables: Sequence[tuple[str, str]], run_id: str
) -> dict[str, int]:
    """Copy `tables` ((schema, name) pairs) from `warehouse` into a new `target`, atomically.

    Returns the row count of each published table.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent)
    temp = target.parent / f".crm_kpis.{run_id}.tmp.duckdb"
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(temp)) as con:
            con.execute(f"attach {_sql_string(str(warehouse))} as warehouse (read_only)")
            for schema, name in tables:
                source = f"warehouse.{quote_ident(schema)}.{quote_ident(name)}"
                con.execute(f"create table main.{quote_ident(name)} as select * from {source}")
                counts[name] = con.execute(f"select count(*) from main.{quote_ident(name)}").fetchall()[0][0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
        _fsync_dir(target.parent)
    finally:
        for leftover in target.parent.glob(temp.name + "*"):
            leftover.unlink(missing_ok=True)
    return counts
