"""The published marts: what BI tools read, written only after every blocking check passed."""

import dagster as dg

from orchestration.publish import publish_tables
from orchestration.resources import PipelineConfig

# The marts BI tools see, as (warehouse schema, table) pairs.
PUBLISHED_MARTS = (("marts", "kpi_rep_monthly"), ("marts", "kpi_company_monthly"))


@dg.asset(
    key=["published", "crm_kpis"],
    group_name="publish",
    kinds={"duckdb"},
    deps=[dg.AssetKey(list(mart)) for mart in PUBLISHED_MARTS],
    description=(
        "The audited KPI marts in `$CRM_KPI_HOME/published/crm_kpis.duckdb` (default schema), "
        "replaced whole by an atomic rename. Runs only when every upstream blocking check and dbt "
        "test passed, so a failed audit leaves the last good file untouched."
    ),
)
def published_marts(context: dg.AssetExecutionContext, pipeline: PipelineConfig) -> dg.MaterializeResult:
    paths = pipeline.paths
    counts = publish_tables(paths.warehouse, paths.published_db, PUBLISHED_MARTS, context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.published_db)),
            "as_of": dg.MetadataValue.text(pipeline.as_of_date.isoformat()),
            **{f"rows_{name}": dg.MetadataValue.int(n) for name, n in counts.items()},
        }
    )
