"""The warehouse resource opens the warehouse once per run, and lets it go for whoever opens the
files next (dbt's process, the publish), as orchestration/defs/resource_types.py says."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import duckdb

from orchestration.defs.resource_types import WarehouseResource


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def _another_process_can_write(path) -> bool:
    """Whether a process of its own can open the DuckDB file at `path` for writing now."""
    opened = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
                            capture_output=True, text=True)
    return opened.returncode == 0


def _run(tmp_path, *assets) -> dg.ExecuteInProcessResult:
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"))
    return dg.materialize(list(assets), resources={"warehouse": warehouse})


def test_the_steps_of_one_run_use_one_opening_of_the_warehouse(tmp_path, monkeypatch):
    """A database-wide setting one step makes is still there in the next: the file was not
    opened again (a new opening starts from the configured 4GB)."""
    monkeypatch.delenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", raising=False)
    seen = {}

    @dg.asset
    def first(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("set global memory_limit = '123MB'")

    @dg.asset(deps=[first])
    def second(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            seen["second"] = _memory_limit(con)

    assert _run(tmp_path, first, second).success
    assert seen == {"second": "117.3 MiB"}  # 123 MB in DuckDB's binary units


def test_a_released_warehouse_is_free_for_another_process_and_opened_again_when_next_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", raising=False)
    path = tmp_path / "warehouse.duckdb"
    seen = {}

    @dg.asset
    def hands_over(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("create table raw_rows as select 1 as n")
            con.execute("set global memory_limit = '123MB'")
        seen["held"] = _another_process_can_write(path)
        warehouse.release()
        seen["released"] = _another_process_can_write(path)
        with warehouse.get_connection() as con:
            seen["reopened"] = (_memory_limit(con), con.execute("select n from raw_rows").fetchall())

    assert _run(tmp_path, hands_over).success
    assert seen == {"held": False, "released": True, "reopened": ("3.7 GiB", [(1,)])}


def test_the_warehouse_is_free_once_the_run_ends_even_when_a_step_failed(tmp_path):
    kept = []

    @dg.asset
    def fails(warehouse: WarehouseResource) -> None:
        kept.append(warehouse)  # the run's resource outlives the run: only the teardown closes its opening
        with warehouse.get_connection() as con:
            con.execute("create table kept as select 1 as n")
        raise RuntimeError("a step that fails with the warehouse open")

    result = dg.materialize([fails], resources={"warehouse": WarehouseResource(database=str(tmp_path / "w.duckdb"))},
                            raise_on_error=False)
    assert not result.success and kept
    assert _another_process_can_write(tmp_path / "w.duckdb")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert con.execute("select n from kept").fetchall() == [(1,)]


def test_each_connection_of_a_run_has_its_own_temporary_tables(tmp_path):
    """As when each step opened the file: what one step left in temp is gone in the next."""
    seen = {}

    @dg.asset
    def leaves_a_temp_table(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("create temp table scratch as select 1 as n")

    @dg.asset(deps=[leaves_a_temp_table])
    def looks_for_it(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            seen["temp tables"] = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0]

    assert _run(tmp_path, leaves_a_temp_table, looks_for_it).success
    assert seen == {"temp tables": 0}


def test_a_step_that_fails_inside_its_connection_leaves_the_next_step_a_fresh_opening(tmp_path, monkeypatch):
    """A fatal DuckDB error invalidates the opening it happened on, and a failed step may have
    changed a database-wide setting: the next step does not inherit either."""
    monkeypatch.delenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", raising=False)
    seen = {}

    @dg.asset
    def fails(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("set global memory_limit = '123MB'")
            raise RuntimeError("a step that fails with the warehouse open")

    @dg.asset
    def runs_after_it(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            seen["memory_limit"] = _memory_limit(con)

    job = dg.define_asset_job("fails_then_runs", selection=[fails, runs_after_it])
    defs = dg.Definitions(assets=[fails, runs_after_it], jobs=[job],
                          resources={"warehouse": WarehouseResource(database=str(tmp_path / "w.duckdb"))})
    result = defs.resolve_job_def("fails_then_runs").execute_in_process(raise_on_error=False)
    assert not result.success
    assert seen == {"memory_limit": "3.7 GiB"}
