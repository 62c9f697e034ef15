"""Resources shared by every stage (their classes are in resource_types.py), configured from the
environment with per-run overrides."""

import os
import sys
from pathlib import Path

import dagster as dg

from orchestration.defs.resource_types import DbtResource, PipelineConfig, WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, state_paths
from orchestration.sources import configured_source


@dg.definitions
def resources() -> dg.Definitions:
    paths = state_paths()
    return dg.Definitions(
        resources={
            "pipeline": PipelineConfig(
                **configured_source(paths),
                home=str(paths.home),
                as_of=os.environ.get("CRM_KPI_AS_OF", ""),
            ),
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
