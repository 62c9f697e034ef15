"""Publishing the audited marts for BI tools: a DuckDB file and a Parquet folder, swapped in whole.

DuckDB allows one writer or many readers per file, so BI tools never open the working warehouse.
dbt builds the marts in a database of their own (`marts.duckdb`), so the published file starts as a
copy of it. Each publish builds everything new beside the old files, then swaps it in: the DuckDB file by an
atomic rename, the Parquet folder by atomically repointing the `parquet` symlink at a new version
folder. A reader sees the old snapshot or the new one, never a half-written one, and a publish that
fails before the swap leaves the last good files exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data_quality.sql import quote_ident, sql_string
from orchestration.settings import MARTS_DATABASE, duckdb_settings
from orchestration.warehouse import marts_path, open_file

TEMP_GLOB = ".crm_kpis.*.tmp.duckdb*"
PUBLISH_LOG = "_publish_log"


@dataclass(frozen=True)
class PublishEntry:
    """One row of `_publish_log`: what was published, when, for which as-of date, from what."""

    published_at: str  # ISO-8601 UTC
    as_of: str
    run_id: str
    source_row_counts: dict[str, int]
    check_summary: dict[str, int]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(published_dir: Path) -> list[Path]:
    """Delete what a killed publish left behind (no publish runs concurrently)."""
    stale = sorted(published_dir.glob(TEMP_GLOB)) + sorted(published_dir.glob(".parquet.*.tmp"))
    for path in stale:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return stale


def _copy_publish_log(con: duckdb.DuckDBPyConnection, previous: Path, entry: PublishEntry) -> None:
    """`_publish_log` with the previous file's history plus this publish."""
    con.execute(
        f"create table {PUBLISH_LOG} (published_at timestamp, as_of date, run_id varchar, "
        "source_row_counts json, check_summary json)"
    )
    if previous.exists():
        con.execute(f"attach {sql_string(str(previous))} as previous (read_only)")
        has_log = con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = 'previous' and table_name = $name", {"name": PUBLISH_LOG}
        ).fetchall()[0][0]
        if has_log:
            con.execute(f"insert into {PUBLISH_LOG} select * from previous.main.{PUBLISH_LOG}")
        con.execute("detach previous")
    con.execute(
        f"insert into {PUBLISH_LOG} values ($published_at, $as_of, $run_id, $counts, $checks)",
        {
            "published_at": entry.published_at.replace("Z", ""),
            "as_of": entry.as_of,
            "run_id": entry.run_id,
            "counts": json.dumps(entry.source_row_counts, sort_keys=True),
            "checks": json.dumps(entry.check_summary, sort_keys=True),
        },
    )


def _copy_marts(marts: Path, copy: Path, settings: dict[str, str]) -> None:
    """Copy the marts database to `copy` (an empty database when dbt has built none), its
    write-ahead log checkpointed first so that the file alone is the whole database, and held
    open (locked) while it is copied, so no other process writes it meanwhile."""
    if not marts.exists():
        duckdb.connect(str(copy)).close()
        return
    with open_file(marts, config=settings) as con:
        con.execute("checkpoint")
        shutil.copyfile(marts, copy)


def _keep_only(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """Drop from the copy what the marts database holds beyond `tables` (what a failed dbt run
    left, say), so the published file holds the published tables and nothing else."""
    for (schema,) in con.execute("select schema_name from duckdb_schemas() where database_name = current_database() "
                                 "and not internal and schema_name <> 'main'").fetchall():
        con.execute(f"drop schema {quote_ident(schema)} cascade")
    for kind, name in con.execute("select 'table', table_name from duckdb_tables() where schema_name = 'main' "
                                  "union all select 'view', view_name from duckdb_views() "
                                  "where schema_name = 'main' and not internal").fetchall():
        if name not in tables:
            con.execute(f"drop {kind} main.{quote_ident(name)}")


def _swap_symlink(link: Path, target_name: str) -> None:
    temp_link = link.parent / f".{link.name}.{target_name}.link"
    temp_link.unlink(missing_ok=True)
    temp_link.symlink_to(target_name)
    os.replace(temp_link, link)


def publish_tables(
    warehouse: Path,
    target: Path,
    tables: Sequence[tuple[str, str]],
    run_id: str,
    entry: PublishEntry | None = None,
) -> dict[str, int]:
    """Publish `tables` ((layer, name) pairs: `marts` for a table of the marts database beside
    `warehouse`, else a schema of `warehouse`) as `target` (a DuckDB file with the tables in its
    default schema, plus `_publish_log` when `entry` is given) and as one Parquet file per table
    under `<target dir>/parquet/`. Returns the row count of each table.

    The marts database is copied whole, then what it holds beyond `tables` is dropped and the
    other tables are copied in: the marts, which are most of the rows, are not written again."""
    published_dir = target.parent
    published_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(published_dir)
    temp_db = published_dir / f".crm_kpis.{run_id}.tmp.duckdb"
    temp_parquet = published_dir / f".parquet.{run_id}.tmp"
    version = f"parquet-{run_id}"
    settings = duckdb_settings(Path(warehouse).parent)
    counts: dict[str, int] = {}
    try:
        temp_parquet.mkdir()
        _copy_marts(marts_path(warehouse), temp_db, settings)
        with duckdb.connect(str(temp_db), config=settings) as con:
            _keep_only(con, {name for layer, name in tables if layer == MARTS_DATABASE})
            con.execute(f"attach {sql_string(str(warehouse))} as warehouse (read_only)")
            for layer, name in tables:
                table = f"main.{quote_ident(name)}"
                if layer != MARTS_DATABASE:
                    con.execute(f"create table {table} as select * from warehouse.{quote_ident(layer)}.{quote_ident(name)}")
                counts[name] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
                parquet_file = sql_string(str(temp_parquet / f"{name}.parquet"))
                con.execute(f"copy {table} to {parquet_file} (format parquet)")
            con.execute("detach warehouse")
            if entry is not None:
                _copy_publish_log(con, target, entry)
            con.execute("checkpoint")
        _fsync(temp_db)
        # Swap both in back to back; everything that could fail has already happened.
        os.replace(temp_parquet, published_dir / version)
        _swap_symlink(published_dir / "parquet", version)
        os.replace(temp_db, target)
        _fsync(published_dir)
    finally:
        for leftover in published_dir.glob(temp_db.name + "*"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(temp_parquet, ignore_errors=True)
    for old in published_dir.glob("parquet-*"):
        if old.name != version:
            shutil.rmtree(old, ignore_errors=True)
    return counts
