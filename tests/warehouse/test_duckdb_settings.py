"""Every DuckDB that works on the warehouse is held to the same memory limit, threads and spill
folder, set from the environment: the Dagster steps, the publish, and dbt through its profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.defs.publish.swap import publish_tables
from orchestration.defs.resource_types import WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, duckdb_settings

DBT = str(Path(sys.executable).parent / "dbt")


def _settings(con) -> tuple[str, int, str]:
    return con.execute("select current_setting('memory_limit'), current_setting('threads'), "
                       "current_setting('temp_directory')").fetchone()


def test_the_settings_default_to_4gb_every_core_a_folder_in_the_state_directory_and_any_row_order(
        tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("CRM_KPI_DUCKDB_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert duckdb_settings(tmp_path) == {"memory_limit": "4GB", "threads": "6",
                                         "temp_directory": str(tmp_path / "duckdb_tmp"),
                                         "preserve_insertion_order": "false"}


def test_a_step_connection_has_the_limits_set_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("CRM_KPI_DUCKDB_THREADS", "1")
    with WarehouseResource(database=str(tmp_path / "warehouse.duckdb")).get_connection() as con:
        memory, threads, temp = _settings(con)
    assert (memory, int(threads), temp) == ("953.6 MiB", 1, str(tmp_path / "duckdb_tmp"))


def test_the_publish_connection_has_them_too(tmp_path, monkeypatch):
    import duckdb

    monkeypatch.setenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", "1GB")
    seen = []
    real_connect = duckdb.connect

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        seen.append(_settings(con)[0])
        return con

    warehouse = tmp_path / "warehouse.duckdb"
    real_connect(str(warehouse)).close()
    with real_connect(str(tmp_path / "marts.duckdb")) as con:
        con.execute("create table kpi_x as select 1 as n")
    duckdb_settings(tmp_path)  # checked once, before the publish's connection is watched
    monkeypatch.setattr("orchestration.defs.publish.swap.duckdb.connect", connect)
    publish_tables(warehouse, tmp_path / "published" / "crm_kpis.duckdb", [("marts", "kpi_x")], "run-1")
    assert seen == ["953.6 MiB", "953.6 MiB"]  # the marts, checkpointed, and the published copy


def test_dbt_runs_its_duckdb_with_the_settings_of_the_environment(tmp_path):
    env = {**os.environ, "CRM_KPI_HOME": str(tmp_path), "CRM_KPI_DUCKDB_MEMORY_LIMIT": "1GB",
           "CRM_KPI_DUCKDB_THREADS": "1", "DBT_LOG_PATH": str(tmp_path / "logs")}
    shown = subprocess.run(
        [DBT, "show", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"), "--output", "json",
         "--log-format", "text", "--inline", "select current_setting('memory_limit') as memory, "
         "current_setting('threads') as threads, current_setting('temp_directory') as temp"],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=True).stdout
    rows = json.loads(shown[shown.index("{"):shown.rindex("}") + 1])["show"]
    assert rows == [{"memory": "953.6 MiB", "threads": 1, "temp": f"{tmp_path}/duckdb_tmp"}]


def test_a_memory_limit_duckdb_refuses_stops_the_run_before_it_starts_naming_the_variable(tmp_path, monkeypatch,
                                                                                          capsys):
    from orchestration.cli.main import EXIT_BAD_INPUT, main

    monkeypatch.setenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", "lots")
    assert main(["run", "--home", str(tmp_path / "home")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("crm-kpi: CRM_KPI_DUCKDB_MEMORY_LIMIT='lots' is not a DuckDB memory_limit (4GB or 500MB)")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()


def test_a_step_that_needs_more_than_the_memory_limit_spills_into_the_state_directory_and_completes(
        tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_KPI_DUCKDB_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("CRM_KPI_DUCKDB_THREADS", "1")
    with WarehouseResource(database=str(tmp_path / "warehouse.duckdb")).get_connection() as con:
        # about 250 MB of rows, kept in memory by a temporary table: four times the limit
        con.execute("create temp table wide as select range as id, md5(range::varchar) || repeat('x', 100) "
                    "as text from range(2000000)")
        spilled = con.execute("select count(*) from duckdb_temporary_files()").fetchone()[0]
        found = con.execute("select count(distinct text), min(id) from wide").fetchone()
        spill_dir_existed = (tmp_path / "duckdb_tmp").is_dir()  # DuckDB removes it when it closes
    assert found == (2_000_000, 0)
    assert spilled > 0 and spill_dir_existed


def test_dbt_builds_one_model_at_a_time_on_a_large_org_and_two_on_a_small_one(monkeypatch):
    from orchestration.settings import LARGE_ORG_ROWS, dbt_threads

    monkeypatch.delenv("CRM_KPI_DBT_THREADS", raising=False)
    assert (dbt_threads(LARGE_ORG_ROWS + 1), dbt_threads(LARGE_ORG_ROWS)) == ("1", "2")
    monkeypatch.setenv("CRM_KPI_DBT_THREADS", "4")
    assert dbt_threads(LARGE_ORG_ROWS + 1) == "4"


def test_a_dbt_thread_count_that_is_no_whole_number_stops_the_run_before_it_starts(tmp_path, monkeypatch, capsys):
    from orchestration.cli.main import EXIT_BAD_INPUT, main

    monkeypatch.setenv("CRM_KPI_DBT_THREADS", "many")
    assert main(["run", "--home", str(tmp_path / "home")]) == EXIT_BAD_INPUT
    assert "CRM_KPI_DBT_THREADS='many' is not a whole number" in capsys.readouterr().err
    assert not (tmp_path / "home").exists()
