"""The Dagster instance of a state directory, shared by `crm-kpi run` and `make ui`."""

from __future__ import annotations

import os
import sqlite3

import dagster as dg
import sqlalchemy as sa

from orchestration.settings import StatePaths

HEADER = "# Written by crm-kpi."
DAGSTER_YAML = f"""\
{HEADER} Run history, event logs and compute logs stay in this folder.
telemetry:
  enabled: false
# One run writes the warehouse at a time: runs launched from the UI, the schedule or the sensor
# queue behind each other (the pipeline job carries this tag). `crm-kpi run` does not go through
# the queue; the state directory's run lock (run.lock) keeps it and queued runs apart.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: "crm_kpi/writer"
        limit: 1
"""

# What earlier versions wrote, byte for byte: only these are replaced by the current one.
PREVIOUS_DAGSTER_YAML = (
    f"{HEADER} Run history, event logs and compute logs stay in this folder.\ntelemetry:\n  enabled: false\n",
)


def prepare_state(paths: StatePaths) -> None:
    """Create the state directory and point Dagster and dbt at it (in this process's environment)."""
    for folder in (paths.home, paths.dagster_home, paths.published_dir, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    config = paths.dagster_home / "dagster.yaml"
    # Ours is brought up to date; one a user wrote, or edited, is left alone.
    if not config.exists() or config.read_text() in PREVIOUS_DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    os.environ["CRM_KPI_HOME"] = str(paths.home)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def get_instance(paths: StatePaths) -> dg.DagsterInstance:
    prepare_state(paths)
    _write_ahead_logged(paths.dagster_home)
    return dg.DagsterInstance.get()


_TUNED_HOMES: set[str] = set()


def _write_ahead_logged(dagster_home) -> None:
    """Dagster's SQLite storage commits each event in its own transaction, and a run writes about
    1,900 events: with SQLite's defaults (a rollback journal, fsync on every commit) that is
    seconds of waiting on the disk per run. The instance's databases are switched to write-ahead
    logging with `synchronous=NORMAL`, SQLite's recommended pairing: a crash of the process loses
    nothing, a power cut at most the last events, and the database is never corrupted. WAL mode is
    kept in the file, so the UI's processes (which do not run this) write it the same way."""
    home = str(dagster_home.resolve())
    if home in _TUNED_HOMES:
        return
    if not _TUNED_HOMES:
        sa.event.listen(sa.engine.Engine, "connect", _tune_connection)
    _TUNED_HOMES.add(home)


def _tune_connection(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = dbapi_connection.execute("pragma database_list").fetchone()[2]
    if any(path.startswith(home + os.sep) for home in _TUNED_HOMES):
        dbapi_connection.execute("pragma journal_mode=wal")
        dbapi_connection.execute("pragma synchronous=normal")


if __name__ == "__main__":  # `python -m orchestration.instance`: used by `make ui`
    from orchestration.settings import state_paths

    prepare_state(state_paths())
