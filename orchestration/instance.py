"""The Dagster instance of a state directory, shared by `crm-kpi run` and `make ui`."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

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
    commit_without_fsync(paths.dagster_home)
    return dg.DagsterInstance.get()


_TUNED_HOMES: set[str] = set()


def commit_without_fsync(dagster_home: Path) -> None:
    """Dagster's SQLite storage (already in write-ahead-log mode) commits each event in its own
    transaction, and a run writes about 1,900 events; with SQLite's default `synchronous=FULL`
    each commit waits for the disk. This process's connections to the instance's databases use
    `synchronous=NORMAL`, SQLite's recommended setting in WAL mode: a crash of the process loses
    nothing, a power cut at most the last events, and the database is never corrupted. The setting
    is per connection: `crm-kpi run` sets it here, and runs launched in Dagster when their code
    location loads (orchestration/definitions.py)."""
    home = str(Path(dagster_home).resolve())
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
        dbapi_connection.execute("pragma synchronous=normal")


if __name__ == "__main__":  # `python -m orchestration.instance`: used by `make ui`
    from orchestration.settings import state_paths

    prepare_state(state_paths())
