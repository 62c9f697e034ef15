"""The Data Docs pages and index of a run launched in Dagster (the UI, the schedule, the drop
sensor), rendered once when the run succeeds or fails: each validation only stores its result.
`crm-kpi run` renders them itself (orchestration/cli/runner.py)."""

from pathlib import Path

import dagster as dg

from data_quality.data_docs import build_site
from orchestration.defs.jobs import crm_kpi_pipeline
from orchestration.runtime.run_lock import RunLockedError, run_lock
from orchestration.settings import state_paths


def _rebuild(context: dg.RunStatusSensorContext) -> None:
    config = context.dagster_run.run_config.get("resources", {}).get("pipeline", {}).get("config", {})
    home = config.get("home")  # a plain path; a value from the environment ({"env": ...}) is the default's
    paths = state_paths(Path(home) if isinstance(home, str) else None)
    try:
        # The next queued run already holds the state directory: when it ends it renders every
        # page not rendered yet, this run's too, so a held lock means nothing to do here. (A
        # cancelled run has no sensor: its pages are rendered when the next run ends.)
        with run_lock(paths.home):
            build_site(paths.data_docs, paths.gx_stores)
    except RunLockedError:
        context.log.info(f"{paths.home} is held by the next run; it renders the Data Docs when it ends")


@dg.run_status_sensor(
    name="crm_kpi_data_docs_after_success", run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[crm_kpi_pipeline], default_status=dg.DefaultSensorStatus.RUNNING,
    description="Renders the Great Expectations Data Docs of a pipeline run when it succeeds.",
)
def data_docs_after_success(context: dg.RunStatusSensorContext) -> None:
    _rebuild(context)


@dg.run_failure_sensor(
    name="crm_kpi_data_docs_after_failure", monitored_jobs=[crm_kpi_pipeline],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Renders the Great Expectations Data Docs of a pipeline run when it fails or is held back.",
)
def data_docs_after_failure(context: dg.RunFailureSensorContext) -> None:
    _rebuild(context)
