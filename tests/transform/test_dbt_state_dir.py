"""The pipeline's dbt (`crm-kpi-dbt`) works inside the state directory, so its profile reads the
same in every state directory and a run in a new one keeps the partial parse `make manifest` made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "crm-kpi-dbt")


def _dbt(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_KPI_HOME": str(home), "DBT_TARGET_PATH": str(home / "target"),
           "DBT_LOG_PATH": str(home / "logs"), **extra_env}
    for variable in ("CRM_KPI_DBT_STATE_DIR", "DBT_PROJECT_DIR", "CRM_KPI_DUCKDB_MEMORY_LIMIT", "CRM_KPI_DUCKDB_THREADS"):
        env.pop(variable, None)
    return subprocess.run([DBT, *args, "--profiles-dir", str(DBT_PROJECT_DIR), "--log-format", "json"],
                          env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True)


def _events(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_the_warehouse_and_spill_folder_dbt_opens_are_those_of_the_state_directory(tmp_path):
    home = tmp_path / "home"
    # even in a shell that chose the published target for MetricFlow: the pipeline's dbt builds dev
    shown = _dbt(home, "show", "--output", "json", "--inline",
                 "select (select path from duckdb_databases() where database_name = 'warehouse') as warehouse, "
                 "current_setting('temp_directory') as spill", CRM_KPI_DBT_TARGET="published")
    rows = next(json.loads(e["data"]["preview"]) for e in _events(shown) if e["info"]["name"] == "ShowNode")
    assert Path(rows[0]["warehouse"]).resolve() == home / "warehouse.duckdb"
    assert Path(home, rows[0]["spill"]).resolve() == home / "duckdb_tmp"
    assert not (DBT_PROJECT_DIR / "warehouse.duckdb").exists()


def test_a_new_state_directory_keeps_the_partial_parse_of_another(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _dbt(first, "parse")
    (second / "target").mkdir(parents=True)
    # what dagster-dbt does for a run: the project's partial parse copied into the run's target folder
    shutil.copy(first / "target" / "partial_parse.msgpack", second / "target" / "partial_parse.msgpack")
    names = {event["info"]["name"] for event in _events(_dbt(second, "parse"))}
    assert "UnableToPartialParse" not in names
    assert "ParsedFileLoadFailed" not in names
