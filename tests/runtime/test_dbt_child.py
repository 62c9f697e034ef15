"""dbt started by a run dies with the run, so a killed run leaves no dbt holding the warehouse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.runtime.dbt_child import PARENT_ENV, stop
from tests.support import REPO

# A parent that starts a child (which may arm die_with_parent), prints the child's pid, and waits.
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline() == "ready\\n"
print(child.pid, flush=True)
child.wait()
"""
CHILD = """
import time
{arm}
print("ready", flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _child_after_parent_killed(arm: str, seconds: float) -> int:
    """Kill the parent; return the child's pid once it is gone, or after `seconds`."""
    # Without PARENT_ENV the child checks its own parent (an earlier run in this process sets it).
    env = {name: value for name, value in os.environ.items() if name != PARENT_ENV}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD.format(arm=arm)], env=env,
                              stdout=subprocess.PIPE, text=True, cwd=REPO)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + seconds
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    return child


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_that_armed_die_with_parent_is_killed_with_its_parent():
    child = _child_after_parent_killed("from orchestration.runtime.dbt_child import die_with_parent; die_with_parent()", seconds=10)
    assert not _alive(child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_that_did_not_arm_it_outlives_its_parent():
    """The control: without the signal, the child runs on (as dbt did before)."""
    child = _child_after_parent_killed("", seconds=1)
    try:
        assert _alive(child)
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_whose_named_parent_is_already_gone_exits_instead_of_running_orphaned():
    env = {**os.environ, PARENT_ENV: "1"}  # not our parent: as if the run died before dbt armed the signal
    child = subprocess.run([sys.executable, "-c", "from orchestration.runtime.dbt_child import die_with_parent; "
                            "die_with_parent(); print('ran')"], env=env, capture_output=True, text=True,
                           cwd=REPO)
    assert (child.returncode, child.stdout) == (1, "")


def test_stop_ends_a_dbt_still_running_when_its_step_ends():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    stop(process)
    assert process.returncode == -signal.SIGTERM


def test_stop_kills_a_dbt_that_ignores_the_request_to_end():
    ignores = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"
    process = subprocess.Popen([sys.executable, "-c", ignores], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    stop(process, grace_seconds=0.5)
    assert process.returncode == -signal.SIGKILL


def test_stop_leaves_a_finished_dbt_as_it_ended():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    stop(process)
    assert process.returncode == 3
