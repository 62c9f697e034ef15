"""A run killed outright is marked failed by the next run, so it never holds the run queue."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg

from orchestration.defs.jobs import WRITER_TAG
from orchestration.runtime.orphan_runs import PID_TAG, fail_orphaned_runs


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run = instance.create_run_for_job(dg.GraphDefinition(name="g").to_job(name="crm_kpi_pipeline"), tags=tags)
    instance.handle_run_event(run.run_id, dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name, message="started"))
    return run.run_id


def test_a_started_run_whose_process_is_gone_is_marked_failed_and_live_or_unclaimed_runs_are_left_alone():
    with dg.instance_for_test() as instance:
        killed = _started_run(instance, {WRITER_TAG: "warehouse", PID_TAG: str(_dead_pid())})
        alive = _started_run(instance, {WRITER_TAG: "warehouse", PID_TAG: str(os.getpid())})
        waiting = _started_run(instance, {WRITER_TAG: "warehouse"})  # has not taken the lock yet: no pid

        assert fail_orphaned_runs(instance, current_run_id=alive) == [killed]

        status = {run_id: instance.get_run_by_id(run_id).status for run_id in (killed, alive, waiting)}
        assert status == {killed: dg.DagsterRunStatus.FAILURE, alive: dg.DagsterRunStatus.STARTED,
                          waiting: dg.DagsterRunStatus.STARTED}
