"""dbt as the pipeline starts it (`crm-kpi-dbt`): in the state directory, with the warehouse's
DuckDB settings, and dying with the run that started it.

A run killed outright (`kill -9`, the out-of-memory killer) cannot stop its children. Its dbt
process would run on, holding the warehouse's DuckDB lock, and the next run would fail on that lock.
On Linux, the parent-death signal ties dbt's life to its parent's; elsewhere this is plain dbt.
A step that ends before its dbt does stops it (`stop`).
Killing dbt mid-write is safe: DuckDB recovers the warehouse from its write-ahead log.

dbt works inside the state directory, where profiles.yml names the warehouse `./warehouse.duckdb`:
so the profile reads the same in every state directory, and the partial parse `make manifest`
leaves in dbt_project/target (which dagster-dbt copies into each run's target folder) holds. dbt
discards a partial parse whose profile differs, and parsing the project anew cost a run in a new
state directory (every test, every bench run) about ten seconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_ENV = "CRM_KPI_DBT_PARENT"  # the pid of the process that starts dbt, set by the dbt asset
STATE_DIR_ENV = "CRM_KPI_DBT_STATE_DIR"  # the state directory as profiles.yml names it
TARGET_ENV = "CRM_KPI_DBT_TARGET"  # the profile's target: `dev`, or `published` for MetricFlow


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent exits (best effort, Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    # The run names itself: read here, after start-up, getppid() may already be a reaper's pid.
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def stop(process: subprocess.Popen, grace_seconds: float = 10) -> None:
    """End dbt if the step that started it ends first. A step that fails while streaming dbt's
    events (a full disk refusing the step's own event records, say) would otherwise leave dbt
    running, holding the warehouse's lock, and the next run in the same process (the Dagster UI's,
    a test's) would find the warehouse held."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def work_in_state_dir() -> None:
    """Move into `$CRM_KPI_HOME` and name it `.` to the profile, with the DuckDB settings every
    warehouse connection has (orchestration/settings.py). Without `$CRM_KPI_HOME`, plain dbt."""
    home = os.environ.get("CRM_KPI_HOME")
    if not home:
        return
    from orchestration.settings import DBT_PROJECT_DIR, duckdb_settings

    settings = duckdb_settings(Path(home))
    os.environ.setdefault("CRM_KPI_DUCKDB_MEMORY_LIMIT", settings["memory_limit"])
    os.environ.setdefault("CRM_KPI_DUCKDB_THREADS", settings["threads"])
    os.environ.setdefault("DBT_PROJECT_DIR", str(DBT_PROJECT_DIR))  # found from here on by its path
    os.environ[STATE_DIR_ENV] = "."
    Path(home).mkdir(parents=True, exist_ok=True)
    os.chdir(home)


def main() -> None:
    die_with_parent()
    # the pipeline builds the working warehouse, whatever target a shell chose for MetricFlow
    os.environ[TARGET_ENV] = "dev"
    work_in_state_dir()
    from dbt.cli.main import cli

    cli()


if __name__ == "__main__":
    main()
