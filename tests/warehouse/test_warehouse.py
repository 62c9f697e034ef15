"""orchestration.warehouse on real DuckDB files: which errors are a lock and which a damaged file
(`classify`), waiting for a lock another process really holds and not waiting on a damaged file
(`open_warehouse`), moving a damaged file aside (`move_aside`), the check before a run's steps
(`check_at_run_start`), and what a merge says when it stops on a damaged file."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import warehouse as wh

NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
HOLDER = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
          "time.sleep(float(sys.argv[2]))")


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table opportunity as select range as id from range(1000)")
    return path


def _truncated(path: Path) -> Path:
    assert _warehouse(path).stat().st_size > 100_000
    with open(path, "r+b") as handle:  # cut short: the header is there, the blocks it names are not
        handle.truncate(100_000)
    return path


def _damaged(tmp_path: Path, kind: str) -> Path:
    if kind == "truncated":
        return _truncated(tmp_path / "warehouse.duckdb")
    if kind == "text":
        (tmp_path / "warehouse.duckdb").write_text("id,name\n1,Acme\n" * 500)
        return tmp_path / "warehouse.duckdb"
    return tmp_path  # a directory


def _connect_error(path: Path) -> duckdb.Error:
    with pytest.raises(duckdb.Error) as raised:
        duckdb.connect(str(path))
    return raised.value


@contextlib.contextmanager
def _held(path: Path, seconds: float = 30):
    """A real process that opens `path` read-write and keeps it open for `seconds`."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_truncated_warehouse_is_damaged_not_locked(tmp_path):
    error = _connect_error(_truncated(tmp_path / "warehouse.duckdb"))
    assert "could not read enough bytes" in str(error).lower()
    assert wh.classify(error) == "damaged"


@pytest.mark.parametrize("kind", ["text", "directory"])
def test_a_text_file_or_a_directory_is_damaged_not_locked(tmp_path, kind):
    assert wh.classify(_connect_error(_damaged(tmp_path, kind))) == "damaged"


def test_a_lock_held_by_another_process_is_locked(tmp_path):
    path = _warehouse(tmp_path / "warehouse.duckdb")
    with _held(path):
        assert wh.classify(_connect_error(path)) == "locked"


def test_an_error_that_is_no_fault_of_the_file_is_neither(tmp_path):
    with duckdb.connect(str(_warehouse(tmp_path / "warehouse.duckdb"))) as con:
        with pytest.raises(duckdb.Error) as raised:
            con.execute("select * from no_such_table")
    assert wh.classify(raised.value) is None
    assert wh.classify(ValueError("could not set lock on file")) is None


def test_a_lock_that_stays_held_raises_warehouse_locked_naming_the_path_and_the_holder(tmp_path):
    path = _warehouse(tmp_path / "warehouse.duckdb")
    with _held(path) as holder, pytest.raises(wh.WarehouseLocked) as raised:
        wh.open_warehouse(path, lock_retry_delays=(0.05, 0.05))
    assert str(raised.value).startswith(f"{path} is held by another process (")
    assert f"PID {holder.pid}" in str(raised.value) and "close that process" in str(raised.value)
    assert "See also" not in str(raised.value)  # one line, without DuckDB's documentation link


def test_a_lock_released_between_retries_is_waited_for_and_the_warehouse_opens(tmp_path):
    path = _warehouse(tmp_path / "warehouse.duckdb")
    with _held(path, seconds=1.5):  # long enough to be met however busy the machine
        started = time.monotonic()
        with wh.open_warehouse(path, lock_retry_delays=(0.5,) * 10) as con:
            assert con.execute("select count(*) from opportunity").fetchall() == [(1000,)]
        assert time.monotonic() - started >= 0.15  # it did meet the lock, and waited


@pytest.mark.parametrize("kind", ["truncated", "text", "directory"])
def test_a_damaged_warehouse_raises_warehouse_damaged_at_once_without_retrying(tmp_path, kind):
    path = _damaged(tmp_path, kind)
    started = time.monotonic()
    with pytest.raises(wh.WarehouseDamaged) as raised:
        wh.open_warehouse(path, lock_retry_delays=(5.0, 5.0))
    assert time.monotonic() - started < 2
    assert str(raised.value).startswith(f"{path} is damaged or not a DuckDB file (")


def test_move_aside_renames_the_file_and_its_wal_with_the_stamp_and_a_second_move_gets_a_suffix(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"first")
    path.with_name("warehouse.duckdb.wal").write_bytes(b"first wal")
    first = wh.move_aside(path, NOW)
    assert first == tmp_path / "warehouse.damaged-20240102T030405Z.duckdb" and first.read_bytes() == b"first"
    assert first.with_name(first.name + ".wal").read_bytes() == b"first wal"
    assert not path.exists() and not path.with_name("warehouse.duckdb.wal").exists()

    path.write_bytes(b"second")
    second = wh.move_aside(path, NOW)
    assert second == tmp_path / "warehouse.damaged-20240102T030405Z-2.duckdb"
    assert second.read_bytes() == b"second" and first.read_bytes() == b"first"
    assert not path.exists()


def test_no_warehouse_yet_or_a_good_one_passes_the_run_start_check_untouched(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    assert wh.check_at_run_start(path, rebuilds=False) == []
    assert list(tmp_path.iterdir()) == []  # the check creates no warehouse
    assert wh.check_at_run_start(_warehouse(path), rebuilds=True, now=NOW) == []
    assert path.exists() and list(tmp_path.glob("*.damaged-*")) == []


def test_a_merge_stops_on_a_truncated_warehouse_leaving_it_in_place_and_says_the_file_and_the_fix(tmp_path):
    path = _truncated(tmp_path / "warehouse.duckdb")
    damaged = path.read_bytes()
    with pytest.raises(wh.WarehouseDamaged) as raised:
        wh.check_at_run_start(path, rebuilds=False, now=NOW)
    assert raised.value.path == path and raised.value.reason.startswith("Could not read enough bytes")
    assert path.read_bytes() == damaged and list(tmp_path.glob("*.damaged-*")) == []
    message = wh.merge_needs_warehouse(raised.value)
    assert message.startswith(f"{path} is damaged or not a DuckDB file (Could not read enough bytes")
    assert "a merge needs the data loaded before it" in message
    assert "`crm-kpi run --source FULL_EXPORT`" in message and f"put a good copy back at {path}" in message


def test_a_full_export_moves_a_truncated_warehouse_aside(tmp_path):
    path = _truncated(tmp_path / "warehouse.duckdb")
    damaged = path.read_bytes()
    [moved] = wh.check_at_run_start(path, rebuilds=True, now=NOW)
    assert isinstance(moved, wh.MovedAside) and not path.exists()
    assert moved.moved_to == tmp_path / "warehouse.damaged-20240102T030405Z.duckdb"
    assert moved.moved_to.read_bytes() == damaged
    assert moved.message().endswith(f"moved it to {moved.moved_to}; this full export rebuilds it")


def test_every_connection_has_the_marts_beside_the_warehouse_attached_as_marts(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    with wh.open_warehouse(warehouse) as con:
        con.execute("create table marts.kpi as select 42 as n")
    assert (tmp_path / "marts.duckdb").exists()
    with wh.open_warehouse(warehouse, read_only=True) as con:
        assert con.execute("select n from marts.kpi").fetchall() == [(42,)]


def test_a_read_only_connection_before_any_marts_were_built_creates_no_marts_file(tmp_path):
    with wh.open_warehouse(_warehouse(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from opportunity").fetchall() == [(1000,)]
    assert not (tmp_path / "marts.duckdb").exists()


def test_damaged_marts_are_named_stop_a_merge_and_are_moved_aside_by_a_full_export(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    marts = _truncated(tmp_path / "marts.duckdb")
    with pytest.raises(wh.WarehouseDamaged) as raised:
        wh.open_warehouse(warehouse)
    assert raised.value.path == marts
    with pytest.raises(wh.WarehouseDamaged) as raised:
        wh.check_at_run_start(warehouse, rebuilds=False, now=NOW)
    assert raised.value.path == marts and marts.exists()
    [moved] = wh.check_at_run_start(warehouse, rebuilds=True, now=NOW)
    assert moved.path == marts and moved.moved_to == tmp_path / "marts.damaged-20240102T030405Z.duckdb"
    assert warehouse.exists() and not marts.exists()


def test_a_full_export_moves_both_files_aside_when_both_are_damaged_and_says_so_of_each(tmp_path):
    warehouse, marts = _truncated(tmp_path / "warehouse.duckdb"), _truncated(tmp_path / "marts.duckdb")
    moved = wh.check_at_run_start(warehouse, rebuilds=True, now=NOW)
    assert [aside.path for aside in moved] == [warehouse, marts]
    assert not warehouse.exists() and not marts.exists()


def test_the_run_start_drops_the_marts_an_older_layout_kept_in_the_warehouse(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.kpi as select 1 as n")
    with wh.open_warehouse(warehouse) as con:
        con.execute("create table marts.main.kpi as select 2 as n")  # the marts database's own
    with pytest.raises(duckdb.BinderException, match="Ambiguous reference"), wh.open_warehouse(warehouse) as con:
        con.execute("select n from marts.kpi").fetchall()
    assert wh.check_at_run_start(warehouse, rebuilds=True, now=NOW) == []
    with wh.open_warehouse(warehouse, read_only=True) as con:
        assert con.execute("select n from marts.kpi").fetchall() == [(2,)]
