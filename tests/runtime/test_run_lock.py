"""Two runs on one state directory: the second waits for the first, or refuses clearly."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from orchestration.runtime.run_lock import RunLockedError, run_lock


def _hold(home, ready, seconds: float) -> None:
    with run_lock(home):
        ready.set()
        time.sleep(seconds)


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of `tmp_path` for a few seconds."""
    ready = multiprocessing.Event()
    process = multiprocessing.get_context("fork").Process(target=_hold, args=(tmp_path, ready, 3.0))
    process.start()
    assert ready.wait(10)
    yield process
    process.kill()
    process.join()


def test_a_second_run_refuses_with_a_message_naming_the_state_directory_and_the_holder(tmp_path, holder):
    with pytest.raises(RunLockedError) as error:
        with run_lock(tmp_path):
            pass
    assert str(tmp_path) in str(error.value)
    assert f"run by process {holder.pid}" in str(error.value)
    assert "--wait" in str(error.value)


def test_a_second_run_with_a_wait_starts_when_the_first_ends(tmp_path, holder):
    started = time.monotonic()
    with run_lock(tmp_path, wait_seconds=30, poll_seconds=0.1):
        waited = time.monotonic() - started
    assert 2.0 < waited < 30  # the holder kept the lock for 3 s after we started waiting


def test_a_killed_run_leaves_no_lock_behind(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    with run_lock(tmp_path):  # no clean-up needed
        assert (tmp_path / "run.lock").exists()


def test_the_cli_refuses_a_second_run_on_a_busy_state_directory_with_exit_3(tmp_path, capsys):
    from orchestration.cli.main import EXIT_BUSY, main

    export, home = tmp_path / "export", tmp_path / "home"
    export.mkdir()
    for name in ("User", "Opportunity"):
        (export / f"{name}.csv").write_text("Id\n")
    with run_lock(home):  # a run in progress
        assert main(["run", "--source", str(export), "--home", str(home)]) == EXIT_BUSY == 3
    assert f"another run is using {home}" in capsys.readouterr().err
