"""The Data Docs index of a run launched in Dagster (the UI, the schedule, the drop sensor),
rebuilt once when the run ends, whatever its outcome. Each validation renders only its own pages;
`crm-kpi run` rebuilds the index itself (orchestration/runner.py)."""

from pathlib import Path

import dagster as dg

from data_quality.data_docs import build_index
from orchestration.defs.jobs import crm_kpi_pipeline
from orchestration.settings import state_paths


def _rebuild(context: dg.RunStatusSensorContext) -> None:
    config = context.dagster_run.run_config.get("resources", {}).get("pipeline", {}).get("config", {})
    paths = state_paths(Path(config["home"]) if config.get("home") else None)
    build_index(paths.data_docs, paths.gx_stores)


@dg.run_status_sensor(
    name="crm_kpi_data_docs_after_success", run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[crm_kpi_pipeline], default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the Great Expectations Data Docs index when a pipeline run succeeds.",
)
def data_docs_after_success(context: dg.RunStatusSensorContext) -> None:
    _rebuild(context)


@dg.run_failure_sensor(
    name="crm_kpi_data_docs_after_failure", monitored_jobs=[crm_kpi_pipeline],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the Great Expectations Data Docs index when a pipeline run fails or is held back.",
)
def data_docs_after_failure(context: dg.RunFailureSensorContext) -> None:
    _rebuild(context)
