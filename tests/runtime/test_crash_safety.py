"""A run killed with SIGKILL at any stage leaves the last good published files as they were, and
the next run succeeds with no clean-up.

Each run's CLI process is killed (as `kill -9` or the out-of-memory killer would) as soon as it
starts a step of the stage under test; the stage is read from the run's Dagster event log. Its
dbt process, if any, must die with it (orchestration/runtime/dbt_child.py): no process of the run may
outlive it, since one holding the warehouse's lock would stop the next run. The runs form a chain: the run
after a kill is the one killed at the next stage, so each proves the previous kill left nothing
in its way, and the last run must publish.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.demo import PIPELINE_AS_OF
from tests.support.published import published_files
from tests.support.run_watch import started_steps

CLI = Path(sys.executable).with_name("crm-kpi")
# (stage, the step-key prefix of its steps in the Dagster event log)
STAGES = [("ingest", "raw__"), ("dbt", "crm_kpi_dbt_models"), ("checks", "marts__"), ("publish", "published_marts")]
DBT_PROCESS = "crm-kpi-dbt build"  # killed during dbt: once dbt itself runs, so it must die too


def _processes(session: int) -> list[str]:
    """Command lines of the running processes of a session (a run started in its own session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[3]) == session:  # state, ppid, pgrp, session
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def _survivors(session: int, seconds: float = 10) -> list[str]:
    """The session's processes still running `seconds` after its leader was killed."""
    deadline = time.monotonic() + seconds
    while (alive := _processes(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _run(export: Path, home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(CLI), "run", "--source", str(export), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _kill_at(stage_prefix: str, export: Path, home: Path) -> str:
    runs_dir = home / "dagster" / "history" / "runs"
    known = set(runs_dir.glob("*.db"))
    process = _run(export, home)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended before reaching {stage_prefix}:\n{process.stdout.read()}")
        steps = started_steps(runs_dir, known)
        dbt_is_due = stage_prefix != "crm_kpi_dbt_models" or any(DBT_PROCESS in p for p in _processes(process.pid))
        if any(step.startswith(stage_prefix) for step in steps) and dbt_is_due:
            os.kill(process.pid, signal.SIGKILL)
            output = process.communicate()[0]
            assert process.returncode == -signal.SIGKILL
            assert _survivors(process.pid) == [], f"processes of the run killed at {stage_prefix} live on"
            return output
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail(f"the run did not reach {stage_prefix} in 10 minutes")


@pytest.mark.slow
def test_a_run_killed_at_any_stage_leaves_the_published_files_and_the_next_run_succeeds(published, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published["home"], home, symlinks=True)
    good = published_files({"db": home / "published" / "crm_kpis.duckdb"})

    for stage, prefix in STAGES:
        _kill_at(prefix, published["export"], home)
        now = published_files({"db": home / "published" / "crm_kpis.duckdb"})
        if stage != "publish":
            assert now == good, f"a run killed during {stage} changed the published files"
        else:  # killed during publish: before the swap nothing changed, after it the new files are whole
            with duckdb.connect(str(home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
                assert con.execute("select count(*) from kpi_company_monthly").fetchall()[0][0] > 0

    last = _run(published["export"], home)
    output = last.communicate(timeout=900)[0]
    assert last.returncode == 0, output
    assert "Traceback" not in output
    leftovers = [p.name for p in (home / "published").iterdir() if ".tmp" in p.name]
    assert leftovers == []
    with duckdb.connect(str(home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
        runs = con.execute("select count(*) from _publish_log").fetchall()[0][0]
    assert runs >= 2  # the fixture's publish and the last run's
