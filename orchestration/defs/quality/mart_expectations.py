"""One blocking `expectations` check per KPI mart: its dbt-declared rules, re-checked by Great
Expectations on the finished table before it is published, with a Data Docs page per run.

All marts are checked in one step: they are built by one dbt step, and a step per mart cost a run
more in Dagster's bookkeeping than the suites themselves. They are checked where they were built:
in DuckDB (the suite compiled to SQL), on the Postgres engine's server by GE's SQL engine, or on
Spark, over the Parquet files Spark's dbt wrote, by GE's Spark engine.
"""

from collections.abc import Iterator

import dagster as dg

from data_quality.data_docs import store_result
from data_quality.load_audit import objects_not_exported
from data_quality.mart_suites import MartSuite, build_mart_suite, mart_gate, mart_models
from data_quality.validate import validate_query
from data_quality.validate_sqlalchemy import validate_on_server
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.defs.transform.dbt import dbt_project
from orchestration.defs.transform.manifest import load_manifest
from orchestration.engines import postgres, spark, spark_rules
from orchestration.kpi_catalog import load_catalog, unmeasured_kpis
from orchestration.settings import MARTS_DATABASE

_manifest = load_manifest(dbt_project.manifest_path)
MARTS: dict[dg.AssetKey, MartSuite] = {
    dg.AssetKey([MARTS_DATABASE, model]): build_mart_suite(_manifest, model) for model in mart_models(_manifest)
}


@dg.multi_asset_check(
    name="mart_expectations",
    specs=[
        dg.AssetCheckSpec(
            "expectations", asset=key, blocking=True,
            description=(f"The Great Expectations suite of `{mart.model}`, translated from its dbt tests "
                         f"({len(mart.suite.expectations)} rules): ranges, not-null, one row per grain, "
                         "no month gaps."),
        )
        for key, mart in MARTS.items()
    ],
    can_subset=True,
)
def mart_expectations(context: dg.AssetCheckExecutionContext, pipeline: PipelineConfig,
                      warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    home = pipeline.paths.home
    with warehouse.get_connection() as con:
        # a KPI the export cannot measure must be NULL throughout, not merely allowed to be
        missing = set(objects_not_exported(con))
        catalog = load_catalog() if missing else None
        for key, mart in MARTS.items():
            if dg.AssetCheckKey(key, "expectations") not in selected:
                continue
            try:
                unmeasured = unmeasured_kpis(catalog, mart.model, missing) if missing else frozenset()
                suite = build_mart_suite(_manifest, mart.model, unmeasured).suite if unmeasured else mart.suite
                if pipeline.run_engine == "postgres":  # where the marts are: GE's SQL engine on the server
                    outcome = validate_on_server(postgres.SQLALCHEMY_URL, mart.query(MARTS_DATABASE), suite)
                elif pipeline.run_engine == "spark":  # the files Spark's dbt wrote, named in the rules' session
                    spark_rules.name_files(home, MARTS_DATABASE, mart.model, spark.table_folder(home, "marts", mart.model))
                    outcome = spark_rules.validate(home, mart.query(MARTS_DATABASE), suite)
                else:
                    outcome = validate_query(con, mart.query(MARTS_DATABASE), suite, chunk_key=mart.chunk_key)
            except Exception as exc:  # noqa: BLE001 - this mart is not audited: held back, the others still checked
                yield dg.AssetCheckResult(
                    asset_key=key, check_name="expectations", passed=False,
                    description=f"{mart.model}: its suite could not be evaluated: {exc}")
                continue
            page = store_result(pipeline.paths.data_docs, pipeline.paths.gx_stores, suite, outcome.result,
                                run_name=context.run.run_id, batch=f"{MARTS_DATABASE}.{mart.model}")
            yield to_check_result(mart_gate(mart.model, outcome), asset_key=key, check_name="expectations",
                                  extra_metadata={"data_docs": dg.MetadataValue.url(page.as_uri())})
