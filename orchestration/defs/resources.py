"""Resources shared by every stage (their classes are in resource_types.py), configured from the
environment with per-run overrides."""

import sys
from pathlib import Path

import dagster as dg

from orchestration.defs.resource_types import DbtResource, PipelineConfig, WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, state_paths


@dg.definitions
def resources() -> dg.Definitions:
    paths = state_paths()
    return dg.Definitions(
        resources={
            # every field from the environment (CRM_KPI_HOME, CRM_KPI_SOURCE_KIND, ...), as the
            # fields a run's config leaves out are
            "pipeline": PipelineConfig(),
            # dagster-duckdb's resource, except that a damaged warehouse fails at once (no retries)
            "warehouse": WarehouseResource(database=str(paths.warehouse)),
            "dbt": DbtResource(
                project_dir=str(DBT_PROJECT_DIR),
                profiles_dir=str(DBT_PROJECT_DIR),
                # The dbt of this interpreter's environment, found even when it is not on PATH,
                # started so that it dies with the run (see orchestration/runtime/dbt_child.py).
                dbt_executable=str(Path(sys.executable).parent / "crm-kpi-dbt"),
            ),
        },
    )
