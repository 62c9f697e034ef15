"""When the pipeline runs without anyone starting it: every morning, and when an export is dropped.

Both pass the as-of date in the run's config, so a run re-executed later computes the same KPIs:
the schedule's is the day it was scheduled for, the sensor's the day the export was delivered.
"""

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from orchestration.defs.jobs import PIPELINE_JOB_NAME
from orchestration.drop_dir import settled_exports
from orchestration.settings import state_paths

DROP_DIR_ENV = "CRM_KPI_DROP_DIR"


def _run_config(source: Path | str, as_of: dt.date) -> dict:
    return {"resources": {"pipeline": {"config": {
        "source_dir": str(source), "home": str(state_paths().home), "as_of": as_of.isoformat()}}}}


@dg.schedule(
    name="crm_kpi_daily",
    job_name=PIPELINE_JOB_NAME,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    # Off until someone turns it on: the demo export is for a fixed date, a real one changes daily.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 06:00 UTC: the whole pipeline on CRM_KPI_SOURCE, as of that day.",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    as_of = context.scheduled_execution_time.date()
    source = os.environ.get("CRM_KPI_SOURCE", str(state_paths().demo_export))
    return dg.RunRequest(run_config=_run_config(source, as_of),
                         tags={"crm_kpi/export": source, "crm_kpi/as_of": as_of.isoformat()})


@dg.sensor(
    name="crm_kpi_export_drop",
    job_name=PIPELINE_JOB_NAME,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Starts a run for each Data Export .zip or export folder dropped into ${DROP_DIR_ENV}.",
)
def export_drop_sensor(context: dg.SensorEvaluationContext):
    drop_dir = os.environ.get(DROP_DIR_ENV)
    if not drop_dir:
        return dg.SkipReason(f"{DROP_DIR_ENV} is not set: set it to the folder exports are dropped into.")
    if not Path(drop_dir).is_dir():
        return dg.SkipReason(f"{DROP_DIR_ENV}={drop_dir} is not a folder.")
    now = dt.datetime.now(dt.timezone.utc)  # when a file settled: the clock, not a KPI input
    requests = [
        dg.RunRequest(
            run_key=export.run_key,
            run_config=_run_config(export.path, export.modified.date()),
            tags={"crm_kpi/export": export.path.name, "crm_kpi/as_of": export.modified.date().isoformat()},
        )
        for export in settled_exports(Path(drop_dir), now)
    ]
    return requests or dg.SkipReason(f"no new export in {drop_dir}")
