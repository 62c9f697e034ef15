"""Checks on each load of a raw object: is it fresh, is it whole, did its columns change?

Every load is recorded in the warehouse (`audit.load_history`); a run that publishes is recorded
as good (`audit.good_runs`). Volume and schema drift compare a load with the object's last good
load, so one bad export never becomes the baseline.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

AUDIT_SCHEMA = "audit"


@dataclass
class CheckOutcome:
    """What a check found, in words a person can act on, with the numbers behind it."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"create table if not exists {AUDIT_SCHEMA}.load_history (run_id varchar, object varchar, "
        "rows bigint, columns json, source_file varchar, loaded_at timestamp, as_of date)"
    )
    con.execute(
        f"create table if not exists {AUDIT_SCHEMA}.good_runs (run_id varchar, published_at timestamp)"
    )
    con.execute(
        f"create table if not exists {AUDIT_SCHEMA}.exported_objects (table_name varchar primary key, in_export boolean)"
    )


def record_load(
    con, run_id: str, object_name: str, rows: int, columns: list[str], source_file: str | None,
    loaded_at: dt.datetime, as_of: dt.date,
) -> None:
    ensure_audit_tables(con)
    con.execute(f"delete from {AUDIT_SCHEMA}.load_history where run_id = $run and object = $object",
                {"run": run_id, "object": object_name})
    con.execute(
        f"insert into {AUDIT_SCHEMA}.load_history values ($run, $object, $rows, $columns, $file, $at, $as_of)",
        {"run": run_id, "object": object_name, "rows": rows, "columns": json.dumps(sorted(columns)),
         "file": source_file, "at": loaded_at, "as_of": as_of},
    )


def record_good_run(con, run_id: str, published_at: dt.datetime) -> None:
    ensure_audit_tables(con)
    con.execute(f"insert into {AUDIT_SCHEMA}.good_runs values ($run, $at)", {"run": run_id, "at": published_at})


def record_export(con, table: str, has_file: bool, load_mode: str) -> None:
    """Remember whether the export holds the object, so its KPIs are "not measured" (NULL) rather
    than 0 when it does not. A full export says so by having the file; in a batch of changes no file
    only means no changes, so the object stays as measured as the last full export left it."""
    ensure_audit_tables(con)
    update = "excluded.in_export" if load_mode == "replace" else "exported_objects.in_export or excluded.in_export"
    con.execute(
        f"insert into {AUDIT_SCHEMA}.exported_objects values ($table, $has_file) "
        f"on conflict (table_name) do update set in_export = {update}",
        {"table": table, "has_file": has_file},
    )


def objects_not_exported(con) -> list[str]:
    """The raw tables of the objects the export does not hold (see `record_export`)."""
    ensure_audit_tables(con)
    return [row[0] for row in con.execute(
        f"select table_name from {AUDIT_SCHEMA}.exported_objects where not in_export order by 1").fetchall()]


def _load(con, run_id: str, object_name: str):
    """(rows, columns, source_file) of this run's load of the object."""
    rows = con.execute(
        f"select rows, columns, source_file from {AUDIT_SCHEMA}.load_history "
        "where run_id = $run and object = $object",
        {"run": run_id, "object": object_name},
    ).fetchall()
    return (rows[0][0], json.loads(rows[0][1]), rows[0][2]) if rows else None


def _last_good_load(con, run_id: str, object_name: str):
    rows = con.execute(
        f"""select history.run_id, history.rows, history.columns
            from {AUDIT_SCHEMA}.load_history as history
            join {AUDIT_SCHEMA}.good_runs as good on good.run_id = history.run_id
            where history.object = $object and history.run_id <> $run
            order by good.published_at desc limit 1""",
        {"run": run_id, "object": object_name},
    ).fetchall()
    return (rows[0][0], rows[0][1], json.loads(rows[0][2])) if rows else None


def in_export(con, run_id: str, object_name: str, load_mode: str) -> CheckOutcome:
    """Did a full export hold a file for the object? Orgs that do not use an object export none: it
    loads as an empty table, and the KPIs built only on it are not measured (NULL). Worth a
    warning, not a stop. In a batch of changes, no file only means no changes."""
    current = _load(con, run_id, object_name)
    if current is None or current[2] is not None:
        source = f" from {current[2].rsplit('/', 1)[-1]}" if current else ""
        return CheckOutcome(True, f"{object_name}: loaded{source}.")
    if load_mode == "merge":
        return CheckOutcome(True, f"{object_name}: no changes in this batch.")
    return CheckOutcome(False, (
        f"{object_name}: not in the export; loaded as an empty table, so the KPIs only it can measure are "
        "NULL (not measured). Add its file if the org uses it."), {"rows": current[0]})


def freshness(
    con, table: str, object_name: str, as_of_time: dt.datetime, max_age_hours: float | None
) -> CheckOutcome:
    """Is the object's newest change (SystemModstamp, else LastModifiedDate, else CreatedDate, else
    the load time) within `max_age_hours` of the run's as-of time?"""
    if max_age_hours is None:
        return CheckOutcome(True, f"{object_name}: no maximum age configured; freshness not checked.")
    columns = {r[0] for r in con.execute(f"describe {table}").fetchall()}
    stamps = [c for c in ("system_modstamp", "last_modified_date", "created_date") if c in columns]
    newest = con.execute(
        f"select max(coalesce({', '.join(stamps + ['_loaded_at'])})) from {table}"
    ).fetchall()[0][0]
    if newest is None:
        return CheckOutcome(True, f"{object_name}: no rows; freshness not applicable.")
    age_hours = (as_of_time - newest).total_seconds() / 3600
    metadata = {"newest_change": str(newest), "as_of_time": str(as_of_time),
                "age_hours": round(age_hours, 2), "max_age_hours": max_age_hours}
    if age_hours > max_age_hours:
        return CheckOutcome(False, (
            f"{object_name} is stale: its newest change ({newest:%Y-%m-%d %H:%M} UTC) is "
            f"{age_hours:.1f} h old at the as-of time, over the {max_age_hours:g} h allowed. "
            "Load a newer export, or raise max_age_hours for this object."), metadata)
    return CheckOutcome(True, f"{object_name}: newest change {age_hours:.1f} h old (≤ {max_age_hours:g} h).", metadata)


def volume(con, run_id: str, object_name: str, drop_threshold: float) -> CheckOutcome:
    """Did the object lose more than `drop_threshold` of its rows against its last good load?"""
    ensure_audit_tables(con)
    current = _load(con, run_id, object_name)
    previous = _last_good_load(con, run_id, object_name)
    if current is not None and current[2] is None:
        # an org that does not export this object: loaded empty, and said so by the ingest step
        return CheckOutcome(True, f"{object_name}: not in this export; loaded as an empty table.", {"rows": 0})
    if current is None or previous is None:
        return CheckOutcome(True, f"{object_name}: no previous good load to compare with.",
                            {"rows": current[0] if current else 0})
    rows, (previous_run, previous_rows, _) = current[0], previous
    drop = 0.0 if previous_rows == 0 else max(0.0, 1 - rows / previous_rows)
    metadata = {"rows": rows, "previous_good_rows": previous_rows, "previous_good_run": previous_run,
                "drop": round(drop, 4), "max_drop": drop_threshold}
    if drop > drop_threshold:
        return CheckOutcome(False, (
            f"{object_name} has {rows:,} rows, {drop:.0%} fewer than the {previous_rows:,} of the last "
            f"good load (run {previous_run}), over the {drop_threshold:.0%} allowed: the export looks "
            "partial. Re-export it, or raise volume_drop_threshold if the drop is real."), metadata)
    return CheckOutcome(True, f"{object_name}: {rows:,} rows ({drop:.0%} drop against the last good load).", metadata)


def schema_drift(con, run_id: str, object_name: str) -> CheckOutcome:
    """Which columns appeared or disappeared since the last good load (a warning, not an error:
    a missing required column already stops the load)."""
    ensure_audit_tables(con)
    current = _load(con, run_id, object_name)
    previous = _last_good_load(con, run_id, object_name)
    if current is not None and current[2] is None:
        return CheckOutcome(True, f"{object_name}: not in this export; no columns to compare.")
    if current is None or previous is None:
        return CheckOutcome(True, f"{object_name}: no previous good load to compare with.")
    new = sorted(set(current[1]) - set(previous[2]))
    gone = sorted(set(previous[2]) - set(current[1]))
    metadata = {"new_columns": new, "missing_columns": gone, "previous_good_run": previous[0]}
    if new or gone:
        return CheckOutcome(False, (
            f"{object_name}: columns changed since the last good load: new {new or 'none'}, "
            f"missing {gone or 'none'}. New columns are kept in raw; missing optional ones load as NULL."),
            metadata)
    return CheckOutcome(True, f"{object_name}: same columns as the last good load.", metadata)
