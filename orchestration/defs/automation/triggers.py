"""When the pipeline runs without anyone starting it: every morning, and when an export is dropped.

Both pass the as-of date in the run's config, so a run re-executed later computes the same KPIs:
the schedule's is the day it was scheduled for, the sensor's the day the export was delivered.
"""

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from orchestration.defs.automation.drop_dir import settled_exports
from orchestration.defs.ingest.sources import DROP_MAPPING_ENV, configured_source
from orchestration.defs.jobs import PIPELINE_JOB_NAME
from orchestration.settings import state_paths

DROP_DIR_ENV = "CRM_KPI_DROP_DIR"


def _run_config(source: dict[str, str], as_of: dt.date) -> dict:
    return {"resources": {"pipeline": {"config": {
        **source, "home": str(state_paths().home), "as_of": as_of.isoformat()}}}}


@dg.schedule(
    name="crm_kpi_daily",
    job_name=PIPELINE_JOB_NAME,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    # Off until someone turns it on: the demo export is for a fixed date, a real one changes daily.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 06:00 UTC: the whole pipeline on the configured source (CRM_KPI_SOURCE_KIND: "
    "an export at CRM_KPI_SOURCE, a live Salesforce org, or the demo org), as of that day.",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    as_of = context.scheduled_execution_time.date()
    source = configured_source()
    label = source["source_dir"] if source["source_kind"] == "export" else source["source_kind"]
    return dg.RunRequest(run_config=_run_config(source, as_of),
                         tags={"crm_kpi/export": label, "crm_kpi/as_of": as_of.isoformat()})


@dg.sensor(
    name="crm_kpi_export_drop",
    job_name=PIPELINE_JOB_NAME,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Starts a run for each Data Export .zip or export folder dropped into ${DROP_DIR_ENV} "
    f"(another CRM's export, converted by the mapping file ${DROP_MAPPING_ENV}, when it is set).",
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
            run_config=_run_config({"source_kind": "export", "source_dir": str(export.path),
                                    "mapping": os.environ.get(DROP_MAPPING_ENV, "")}, export.modified.date()),
            tags={"crm_kpi/export": export.path.name, "crm_kpi/as_of": export.modified.date().isoformat()},
        )
        for export in settled_exports(Path(drop_dir), now)
    ]
    return requests or dg.SkipReason(f"no new export in {drop_dir}")
