"""The published marts: what BI tools read, written only after every blocking check passed."""

import dagster as dg

from orchestration.dbt_manifest import published_relations
from orchestration.defs.transform.dbt import dbt_project
from orchestration.publish import publish_tables
from orchestration.resources import PipelineConfig

# Every mart model and the KPI catalog, as (warehouse schema, table) pairs.
PUBLISHED = published_relations(dbt_project.manifest_path)


@dg.asset(
    key=["published", "crm_kpis"],
    group_name="publish",
    kinds={"duckdb"},
    deps=[dg.AssetKey([schema, name]) for schema, name in PUBLISHED],
    description=(
        "The audited marts (every `marts` model and the KPI catalog) in "
        "`$CRM_KPI_HOME/published/crm_kpis.duckdb` (default schema), replaced whole by an atomic "
        "rename. Runs only when every upstream blocking check and dbt test passed, so a failed "
        "audit leaves the last good file untouched."
    ),
)
def published_marts(context: dg.AssetExecutionContext, pipeline: PipelineConfig) -> dg.MaterializeResult:
    paths = pipeline.paths
    counts = publish_tables(paths.warehouse, paths.published_db, PUBLISHED, context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.published_db)),
            "as_of": dg.MetadataValue.text(pipeline.as_of_date.isoformat()),
            "tables": dg.MetadataValue.int(len(counts)),
            **{f"rows_{name}": dg.MetadataValue.int(n) for name, n in counts.items()},
        }
    )
