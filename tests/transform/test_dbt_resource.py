"""The dbt resource skips dagster-dbt's per-invocation set-up and still runs the same dbt."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.defs.resource_types import DbtResource
from orchestration.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "crm-kpi-dbt")


def test_the_dbt_version_read_from_the_package_is_the_one_the_executable_prints():
    ours = DbtResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT)
    asked = DbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT)  # runs `dbt --version`
    assert ours._cli_version == asked._cli_version
    assert ours._cli_version.major == 1  # dbt Core, not Fusion: dagster-dbt's code path for it
