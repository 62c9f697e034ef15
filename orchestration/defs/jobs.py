"""The job that runs the whole pipeline: ingest → transform → quality → publish."""

import dagster as dg

PIPELINE_JOB_NAME = "crm_kpi_pipeline"
WRITER_TAG = "crm_kpi/writer"

# In-process: DuckDB allows one writer per file, so steps must not open the warehouse in parallel
# processes; DuckDB itself uses every core inside each step.
crm_kpi_pipeline = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load the export, build the marts, run every check, and publish when all pass.",
    # The run queue admits one run with this tag at a time (see orchestration/runtime/instance.py).
    tags={WRITER_TAG: "warehouse"},
)
