"""One blocking `expectations` check per KPI mart: its dbt-declared rules, re-checked by Great
Expectations on the finished table before it is published, with a Data Docs page per run."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.data_docs import store_result
from data_quality.load_audit import objects_not_exported
from data_quality.mart_suites import build_mart_suite, mart_gate, mart_models
from data_quality.validate import validate_query
from orchestration.dbt_manifest import load_manifest
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.transform.dbt import dbt_project
from orchestration.kpi_catalog import load_catalog, unmeasured_kpis
from orchestration.resources import PipelineConfig

SCHEMA = "marts"


def _mart_check(manifest: dict, model: str) -> dg.AssetChecksDefinition:
    mart = build_mart_suite(manifest, model)

    @dg.asset_check(
        asset=dg.AssetKey([SCHEMA, model]), name="expectations", blocking=True,
        description=(f"The Great Expectations suite of `{model}`, translated from its dbt tests "
                     f"({len(mart.suite.expectations)} rules): ranges, not-null, one row per grain, no month gaps."),
    )
    def _check(context: dg.AssetCheckExecutionContext, pipeline: PipelineConfig,
               warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            # a KPI the export cannot measure must be NULL throughout, not merely allowed to be
            missing = set(objects_not_exported(con))
            unmeasured = unmeasured_kpis(load_catalog(), model, missing) if missing else frozenset()
            suite = build_mart_suite(manifest, model, unmeasured).suite if unmeasured else mart.suite
            outcome = validate_query(con, mart.query(SCHEMA), suite, chunk_key=mart.chunk_key)
        page = store_result(pipeline.paths.data_docs, pipeline.paths.gx_stores, suite, outcome.result,
                                 run_name=context.run.run_id, batch=f"{SCHEMA}.{model}")
        return to_check_result(mart_gate(model, outcome),
                               extra_metadata={"data_docs": dg.MetadataValue.url(page.as_uri())})

    return _check


_manifest = load_manifest(dbt_project.manifest_path)
mart_expectation_checks = [_mart_check(_manifest, model) for model in mart_models(_manifest)]
