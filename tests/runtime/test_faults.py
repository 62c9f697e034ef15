"""Faults a real machine has end in one clear line, fast: a full disk and a damaged warehouse.

The disk is really full: each state directory lives on its own small tmpfs (mounting one needs
root, which these tests run as; elsewhere they are skipped, saying so), and a filler file takes
every byte left, before the run or the moment the run starts a step of the stage under test (read
from the run's Dagster event log, as tests/runtime/test_crash_safety.py does; the publish step is too short
to catch that way, so its own call to the publish fills the disk first). The damaged warehouse is
the real file, truncated. Each run goes through `crm-kpi run` (`orchestration.cli.main`), and its
fault must end the run within a minute of happening, in one line on stderr (path, stage, fix),
with no traceback and the published files byte for byte as they were.
"""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.cli.main import EXIT_DAMAGED, EXIT_DISK_FULL, main
from orchestration.defs.publish import assets as publish_assets
from tests.support.demo import PIPELINE_AS_OF as AS_OF
from tests.support.published import published_files
from tests.support.run_watch import started_steps

pytestmark = pytest.mark.e2e

FAULT_SECONDS = 60  # a fault ends the run within this long
TMPFS_SIZE = "300m"  # the published home (about 65 MB) and room for a run


@contextlib.contextmanager
def _tmpfs(folder: Path):
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"a full disk is tested on a tmpfs, and mounting one failed: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def _fill(folder: Path) -> None:
    """Take every byte left on the filesystem of `folder`."""
    with open(folder / "filler", "ab", buffering=0) as filler:
        for block in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    filler.write(b"\0" * block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    assert shutil.disk_usage(folder).free == 0


def _copy_home(published, root: Path) -> dict:
    home = root / "home"
    shutil.copytree(published["home"], home, symlinks=True)
    return {"home": home, "db": home / "published" / "crm_kpis.duckdb"}


def _run(capfd, *args: str) -> tuple[int, str, str]:
    code = main(["run", *args, "--as-of", AS_OF.isoformat()])
    out, err = capfd.readouterr()
    return code, out, err


class _FillWhenStarted(threading.Thread):
    """Fills the disk the moment the run starts a step whose key begins with `prefix`."""

    def __init__(self, mount: Path, home: Path, prefix: str):
        super().__init__(daemon=True)
        self.mount, self.runs_dir, self.prefix = mount, home / "dagster" / "history" / "runs", prefix
        self.known = set(self.runs_dir.glob("*.db"))
        self.filled_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            if any(step.startswith(self.prefix) for step in started_steps(self.runs_dir, self.known)):
                _fill(self.mount)
                self.filled_at = time.monotonic()
                return
            time.sleep(0.05)


def _assert_one_disk_full_line(err: str, mount: Path, stage: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"crm-kpi: out of disk space while {stage}"), line
    assert f"could not write {mount}/" in line  # the path, on the full disk
    assert "Free at least " in line and f"on {mount} (0 bytes free now)" in line  # what to free, where
    assert line.endswith("the published files are unchanged")


def test_a_disk_full_before_the_run_ends_it_in_one_line_naming_the_path_the_stage_and_what_to_free(
    published, tmp_path, capfd
):
    with _tmpfs(tmp_path / "disk") as mount:
        state = _copy_home(published, mount)
        before = published_files(state)
        _fill(mount)
        started = time.monotonic()
        code, out, err = _run(capfd, "--source", str(published["export"]), "--home", str(state["home"]))
        seconds = time.monotonic() - started

        assert code == EXIT_DISK_FULL
        _assert_one_disk_full_line(err, mount, "recording the run in the Dagster instance")
        assert f"could not write {state['home'] / 'dagster'}" in err
        assert "Traceback" not in out + err
        assert seconds < FAULT_SECONDS
        assert published_files(state) == before


class _FillWhenPublishing:
    """Fills the disk as the publish step starts writing. The step takes about a second, less than
    a poll of the event log and a fill can take on a busy machine, so it is caught in the act: the
    publish asset's own call to `publish_tables` fills the disk first, then runs for real."""

    def __init__(self, monkeypatch, mount: Path):
        self.filled_at: float | None = None
        self.error: BaseException | None = None  # a failed fill, raised again by the test, not the run
        real = publish_assets.publish_tables

        def fill_then_publish(*args, **kwargs):
            try:
                _fill(mount)
            except BaseException as exc:
                self.error = exc
                raise
            self.filled_at = time.monotonic()
            return real(*args, **kwargs)

        monkeypatch.setattr(publish_assets, "publish_tables", fill_then_publish)


# (stage, the step-key prefix of its first steps: None for the publish, caught by _FillWhenPublishing)
STAGES = [
    pytest.param("ingest", "raw__", id="ingest", marks=pytest.mark.slow),
    pytest.param("dbt", "crm_kpi_dbt_models", id="dbt", marks=pytest.mark.slow),
    pytest.param("publish", None, id="publish", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("stage", "prefix"), STAGES)
def test_a_disk_that_fills_during_a_stage_ends_the_run_within_a_minute_in_one_line_and_a_run_with_space_publishes(
    published, tmp_path, capfd, monkeypatch, stage, prefix
):
    with _tmpfs(tmp_path / "disk") as mount:
        state = _copy_home(published, mount)
        before = published_files(state)
        if prefix is None:
            filler = _FillWhenPublishing(monkeypatch, mount)
        else:
            filler = _FillWhenStarted(mount, state["home"], prefix)
            filler.start()
        code, out, err = _run(capfd, "--source", str(published["export"]), "--home", str(state["home"]))
        ended = time.monotonic()
        if prefix is not None:
            filler.stop.set()
            filler.join()
        monkeypatch.undo()  # the run with space publishes for real
        if getattr(filler, "error", None) is not None:
            raise filler.error

        assert filler.filled_at is not None, f"the run ended before {stage}: {out}{err}"
        assert code == EXIT_DISK_FULL, out + err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("crm-kpi: out of disk space while "), lines[0]
        assert f"could not write {mount}/" in lines[0]
        # what the failed step wrote is gone by then (DuckDB removes a file it could not finish)
        assert re.search(rf"Free at least [\d.,]+ (KB|MB|GB|bytes) on {re.escape(str(mount))} \([\d.,]+ (KB|MB|GB|bytes) free now\)",
                         lines[0]), lines[0]
        assert lines[0].endswith("the published files are unchanged")
        assert "Traceback" not in out + err
        assert ended - filler.filled_at < FAULT_SECONDS
        assert published_files(state) == before

        (mount / "filler").unlink()  # space freed: the next run needs no clean-up
        code, out, err = _run(capfd, "--source", str(published["export"]), "--home", str(state["home"]))
        assert code == 0, out + err
        assert published_files(state) != before


def _publishes(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select count(*) from _publish_log").fetchall()[0][0]


def _truncate(warehouse: Path) -> bytes:
    with open(warehouse, "r+b") as handle:
        handle.truncate(100_000)  # a copy cut short: the header is there, the blocks it names are not
    return warehouse.read_bytes()


def test_a_merge_on_a_truncated_warehouse_stops_at_once_naming_the_file_and_the_fix(published, tmp_path, capfd):
    state = _copy_home(published, tmp_path)
    warehouse = state["home"] / "warehouse.duckdb"
    damaged = _truncate(warehouse)
    before = published_files(state)

    started = time.monotonic()
    code, out, err = _run(capfd, "--merge", "--source", str(published["export"]), "--home", str(state["home"]))
    seconds = time.monotonic() - started

    assert code == EXIT_DAMAGED
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"crm-kpi: {warehouse} is damaged or not a DuckDB file (Could not read enough bytes")
    assert "a merge needs the data loaded before it" in lines[0]
    assert "`crm-kpi run --source FULL_EXPORT` moves the damaged file aside" in lines[0]
    assert f"or put a good copy back at {warehouse}" in lines[0]
    assert "Traceback" not in out + err
    assert seconds < FAULT_SECONDS
    assert published_files(state) == before
    assert warehouse.read_bytes() == damaged  # left where it was, for the user to decide
    assert list(state["home"].glob("warehouse.damaged-*")) == []


@pytest.mark.slow  # a whole rebuild and publish: CI runs it in `make test-slow`
def test_a_full_export_moves_a_truncated_warehouse_aside_rebuilds_it_and_publishes(published, tmp_path, capfd):
    state = _copy_home(published, tmp_path)
    warehouse = state["home"] / "warehouse.duckdb"
    damaged = _truncate(warehouse)
    before = published_files(state)
    publishes_before = _publishes(state["db"])

    code, out, err = _run(capfd, "--source", str(published["export"]), "--home", str(state["home"]))

    assert code == 0, out + err
    [moved] = state["home"].glob("warehouse.damaged-*.duckdb")
    assert moved.read_bytes() == damaged
    [line] = err.strip().splitlines()
    assert line.startswith(f"crm-kpi: {warehouse} is damaged or not a DuckDB file (Could not read enough bytes")
    assert line.endswith(f": moved it to {moved}; this full export rebuilds it")
    assert "Traceback" not in out + err
    assert f"Published: {state['db']}" in out
    assert published_files(state) != before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        opportunities = con.execute("select count(*) from raw.opportunity").fetchall()[0][0]
    assert opportunities == len(pd.read_csv(published["export"] / "Opportunity.csv"))
    assert _publishes(state["db"]) == publishes_before + 1
