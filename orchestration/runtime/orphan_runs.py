"""Runs a killed process left behind as 'started' in the Dagster instance, marked failed.

A run killed outright (`kill -9`, the out-of-memory killer) cannot record its own end, so the
instance keeps it as STARTED. Its `crm_kpi/writer` tag would then hold the run queue's one slot
forever, and no scheduled or sensor run would ever start. Every run records the pid that runs it
(`crm_kpi/pid`) once it holds the state directory's run lock; the next run, holding that lock,
marks failed each started run whose process is gone.
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.defs.jobs import WRITER_TAG

PID_TAG = "crm_kpi/pid"
UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def fail_orphaned_runs(instance: dg.DagsterInstance, current_run_id: str | None = None) -> list[str]:
    """Mark failed the unfinished pipeline runs whose process is gone; return their run ids.

    Call it only while holding the run lock: then no other run can be running, and a run that
    recorded a pid has a live process only if that process is still running it."""
    orphaned = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED, tags={WRITER_TAG: "warehouse"})):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if run.run_id == current_run_id or pid is None or process_alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"The process running it (pid {pid}) was killed; "
                                                "marked failed by the next run.")
        orphaned.append(run.run_id)
    return orphaned
