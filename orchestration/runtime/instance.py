"""The Dagster instance of a state directory, shared by `crm-kpi run` and `make ui`."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.defs.jobs import WRITER_TAG
from orchestration.runtime.sqlite_commits import commit_without_fsync
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
      - key: "{WRITER_TAG}"
        limit: 1
# Dagster's SQLite event log, with its connections kept open between events
# (orchestration/runtime/sqlite_commits.py); the files and their schema are Dagster's own.
event_log_storage:
  module: orchestration.runtime.sqlite_commits
  class: PooledSqliteEventLogStorage
"""

# What earlier versions wrote, byte for byte: only these are replaced by the current one.
PREVIOUS_DAGSTER_YAML = (
    f"{HEADER} Run history, event logs and compute logs stay in this folder.\ntelemetry:\n  enabled: false\n",
    DAGSTER_YAML[:DAGSTER_YAML.index("# Dagster's SQLite event log")],
    # before the event log's module moved into orchestration/runtime/ (the comment named it too)
    DAGSTER_YAML.replace("orchestration.runtime.sqlite_commits", "orchestration.sqlite_commits")
    .replace("orchestration/runtime/sqlite_commits.py", "orchestration/sqlite_commits.py"),
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


if __name__ == "__main__":  # `python -m orchestration.runtime.instance`: used by `make ui`
    from orchestration.settings import state_paths

    prepare_state(state_paths())
