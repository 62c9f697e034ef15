"""orchestration.cli.disk_full: which errors are a full disk and what could not be written
(`from_exception`, `from_failures`), and the one line that says so (`DiskFull.message`). The
filesystem of tmp_path has plenty of space, so only what says "full" is taken for a full disk."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from orchestration.cli.disk_full import LOW_SPACE, DiskFull, from_exception, from_failures

MESSAGE = re.compile(r"^out of disk space while (?P<stage>.+?): could not write (?P<path>\S+)\. "
                     r"Free at least (?P<need>[\d,.]+ (?:bytes|KB|MB|GB)) on (?P<mount>\S+) "
                     r"\((?P<free>[\d,.]+ (?:bytes|KB|MB|GB)) free now(?P<hint>[^)]*)\), "
                     r"or point CRM_KPI_HOME at a larger disk, then run again; (?P<after>.+)$")


def _raised(exc: BaseException) -> BaseException:
    """`exc` as Python hands it over once raised: with a traceback."""
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_an_enospc_oserror_names_the_file_it_could_not_write(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    full = from_exception(_raised(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))), tmp_path)
    assert full == DiskFull(target, "running the pipeline", tmp_path)


def test_a_disk_quota_exceeded_is_a_full_disk_too(tmp_path):
    target = tmp_path / "export.csv"
    full = from_exception(_raised(OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(target))), tmp_path)
    assert full is not None and full.path == target


def test_an_enospc_that_caused_another_error_is_found_down_the_chain(tmp_path):
    target = tmp_path / "published" / "crm_kpis.duckdb"
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        except OSError as cause:
            raise RuntimeError("publishing the marts failed") from cause
    except RuntimeError as exc:
        full = from_exception(exc, tmp_path)
    assert full is not None and full.path == target


def test_a_database_or_disk_is_full_message_names_the_quoted_path(tmp_path):
    runs = tmp_path / "dagster" / "history" / "runs.db"
    full = from_exception(_raised(Exception(f'database or disk is full writing "{runs}"')), tmp_path)
    assert full is not None and full.path == runs


def test_a_full_disk_with_no_path_in_it_names_the_state_directory(tmp_path):
    full = from_exception(_raised(Exception("No space left on device")), tmp_path)
    assert full is not None and full.path == tmp_path


def test_an_unrelated_error_is_not_a_full_disk(tmp_path):
    assert from_exception(_raised(ValueError(f'bad value in "{tmp_path}/Opportunity.csv"')), tmp_path) is None
    assert from_exception(_raised(OSError(errno.EACCES, "Permission denied", str(tmp_path))), tmp_path) is None


def test_a_bare_disk_io_error_is_not_a_full_disk_when_there_is_plenty_of_space(tmp_path):
    assert from_exception(_raised(Exception("disk I/O error")), tmp_path) is None
    assert from_failures(["raw__account: disk I/O error"], tmp_path) is None


def test_a_step_that_failed_with_no_space_left_is_found_and_named_in_the_stage(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    failures = ["raw__account: Conversion Error: could not convert 'x' to INT",
                f'raw__opportunity: IO Error: Could not write file "{warehouse}": No space left on device']
    full = from_failures(failures, tmp_path)
    assert full == DiskFull(warehouse, "running step raw__opportunity", tmp_path)


def test_failures_that_do_not_say_full_are_not_a_full_disk(tmp_path):
    assert from_failures([], tmp_path) is None
    assert from_failures(["raw__account: Conversion Error: could not convert", "dbt: model failed"], tmp_path) is None


def test_the_message_names_the_path_the_stage_what_to_free_where_and_that_published_files_are_unchanged(tmp_path):
    target = tmp_path / "dagster" / "runs.db"  # not there: the mount is found from its parents
    line = DiskFull(target, "recording the run in the Dagster instance", tmp_path).message()
    parts = MESSAGE.match(line)
    assert parts, line
    assert parts["stage"] == "recording the run in the Dagster instance"
    assert parts["path"] == str(target)
    mount = Path(parts["mount"])
    assert os.path.ismount(mount) and tmp_path.resolve().is_relative_to(mount)
    assert parts["need"] == "64.0 MB"  # LOW_SPACE, with no warehouse or published file to make room for
    assert parts["hint"] == ""
    assert parts["after"] == "the published files are unchanged"
    assert line.endswith("the published files are unchanged")


def test_the_message_says_the_marts_were_published_when_they_were(tmp_path):
    line = DiskFull(tmp_path, "running step published_marts", tmp_path).message(published_unchanged=False)
    assert MESSAGE.match(line), line
    assert line.endswith("the marts were published before the space ran out")


def test_what_to_free_counts_the_warehouse_and_the_published_file_and_points_at_moved_aside_files(tmp_path):
    (tmp_path / "published").mkdir()
    (tmp_path / "warehouse.duckdb").write_bytes(b"\0" * (1 << 20))
    (tmp_path / "published" / "crm_kpis.duckdb").write_bytes(b"\0" * (1 << 20))
    (tmp_path / "warehouse.damaged-20240102T030405Z.duckdb").write_bytes(b"\0" * 2048)
    parts = MESSAGE.match(DiskFull(tmp_path / "warehouse.duckdb", "opening the warehouse", tmp_path).message())
    assert parts
    assert parts["need"] == f"{(LOW_SPACE + (2 << 20)) / (1 << 20):.1f} MB" == "66.0 MB"
    assert parts["hint"] == f"; the moved-aside warehouse.damaged-* files in {tmp_path} take 2.0 KB"


@pytest.mark.parametrize(("size", "shown"), [(0, "64.0 MB"), (3 << 30, "3.1 GB")])
def test_the_room_to_free_is_shown_in_readable_units(tmp_path, size, shown):
    if size:
        with open(tmp_path / "warehouse.duckdb", "wb") as sparse:  # sparse: takes no real space
            sparse.truncate(size)
    parts = MESSAGE.match(DiskFull(tmp_path, "running the pipeline", tmp_path).message())
    assert parts and parts["need"] == shown
