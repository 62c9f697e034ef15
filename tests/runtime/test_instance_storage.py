"""The Dagster instance's SQLite files: committed without waiting for the disk on every event, over
connections kept open, in the files and schema Dagster's own storage reads."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.runtime.instance import get_instance
from orchestration.runtime.sqlite_commits import PooledSqliteEventLogStorage, commit_without_fsync
from orchestration.settings import state_paths

NORMAL, FULL = 1, 2  # what `pragma synchronous` returns


def _synchronous(path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        return con.exec_driver_sql("pragma synchronous").scalar()


def test_a_database_of_the_instance_commits_with_synchronous_normal(tmp_path):
    (tmp_path / "dagster" / "history").mkdir(parents=True)
    commit_without_fsync(tmp_path / "dagster")
    assert _synchronous(tmp_path / "dagster" / "history" / "runs.db") == NORMAL


def test_a_database_elsewhere_keeps_sqlites_default(tmp_path):
    commit_without_fsync(tmp_path / "dagster")
    assert _synchronous(tmp_path / "other.db") == FULL


def _materialize_runs(instance, count: int) -> list[str]:
    @dg.asset
    def one() -> int:
        return 1

    return [dg.materialize([one], instance=instance).run_id for _ in range(count)]


def _open_databases() -> list[str]:
    fds = Path("/proc/self/fd")
    return [target for fd in fds.iterdir() if (target := os.path.realpath(fd)).endswith(".db")]


def test_a_state_directorys_instance_writes_events_dagsters_own_storage_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # get_instance points it at the state directory
    instance = get_instance(state_paths(tmp_path / "home"))
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)

    (run_id,) = _materialize_runs(instance, 1)

    stock = SqliteEventLogStorage(str(tmp_path / "home" / "dagster" / "history" / "runs"))  # what the UI would use
    written = [record.event_log_entry.dagster_event_type for record in instance.get_records_for_run(run_id).records]
    assert [r.event_log_entry.dagster_event_type for r in stock.get_records_for_run(run_id).records] == written
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in written
    assert stock.get_latest_materialization_events([dg.AssetKey("one")])[dg.AssetKey("one")].run_id == run_id


def test_the_event_log_keeps_only_its_most_recently_used_databases_open(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setattr(PooledSqliteEventLogStorage, "KEEP_ENGINES", 2)
    instance = get_instance(state_paths(tmp_path / "home"))

    run_ids = _materialize_runs(instance, 5)

    runs_dir = os.path.realpath(tmp_path / "home" / "dagster" / "history" / "runs")
    held = {Path(path).stem for path in _open_databases() if path.startswith(runs_dir)}
    assert held == {"index", run_ids[-1]}  # the cross-run index and the last run: two databases


def test_the_ui_sees_a_live_runs_events_while_the_run_still_holds_its_connections(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = get_instance(state_paths(tmp_path / "home"))

    @dg.asset
    def one() -> int:
        return 1

    job = dg.Definitions(assets=[one], jobs=[dg.define_asset_job("one_job")]).resolve_job_def("one_job")
    run_id, seen = str(uuid.uuid4()), []
    instance.event_log_storage.watch(run_id, None, lambda entry, cursor: seen.append(entry))
    job.execute_in_process(instance=instance, run_id=run_id)  # its connections stay open

    written = len(instance.get_records_for_run(run_id).records)
    deadline = time.monotonic() + 20
    while len(seen) < written and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(seen) == written > 5
    assert seen[-1].dagster_event_type == dg.DagsterEventType.RUN_SUCCESS


def test_the_event_log_looks_a_table_up_once_until_a_wipe(tmp_path, monkeypatch):
    # get_instance points both variables at the state directory: restored after the test
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("CRM_KPI_HOME", str(tmp_path / "home"))
    instance = get_instance(state_paths(tmp_path / "home"))
    storage = instance.event_log_storage
    lookups = []
    stock = SqliteEventLogStorage.has_table
    monkeypatch.setattr(SqliteEventLogStorage, "has_table",
                        lambda self, name: lookups.append(name) or stock(self, name))

    assert storage.has_table("asset_check_executions") and storage.has_table("asset_check_executions")
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert lookups == ["asset_check_executions", "no_such_table", "no_such_table"]

    lookups.clear()
    storage.wipe()  # the tables are emptied and may be rebuilt: what was found is looked up again
    assert storage.has_table("asset_check_executions")
    assert "asset_check_executions" in lookups
    instance.dispose()


# What crm-kpi wrote into dagster.yaml before the event log's module moved, byte for byte.
DAGSTER_YAML_BEFORE_RUNTIME = """\
# Written by crm-kpi. Run history, event logs and compute logs stay in this folder.
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
# Dagster's SQLite event log, with its connections kept open between events
# (orchestration/sqlite_commits.py); the files and their schema are Dagster's own.
event_log_storage:
  module: orchestration.sqlite_commits
  class: PooledSqliteEventLogStorage
"""


def test_a_state_directory_written_before_the_event_log_moved_into_runtime_opens_with_it(tmp_path, monkeypatch):
    from orchestration.runtime.instance import DAGSTER_YAML, prepare_state

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # prepare_state points both at the state directory
    monkeypatch.setenv("CRM_KPI_HOME", str(tmp_path / "home"))
    paths = state_paths(tmp_path / "home")
    paths.dagster_home.mkdir(parents=True)
    config = paths.dagster_home / "dagster.yaml"
    config.write_text(DAGSTER_YAML_BEFORE_RUNTIME)
    prepare_state(paths)
    assert config.read_text() == DAGSTER_YAML
    instance = get_instance(paths)
    assert type(instance.event_log_storage).__name__ == "PooledSqliteEventLogStorage"
    instance.dispose()
