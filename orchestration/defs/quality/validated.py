"""One asset per Salesforce object: its raw rows checked by its expectation suite, with the rows
that break a row-level rule moved aside to `quarantine.<object>`, as `validated.<object>` (the
table the dbt models read). Its blocking `expectations` check holds the run back when a rule fails
on more rows than its threshold allows. After a merge load only the rows it changed and the rows in
quarantine are validated (see data_quality/validation_scope.py).

On the Postgres and Spark engines the suite runs on the engine, by Great Expectations' SQL or Spark
engine, on copies of the raw tables it reads, made there first (copied again whenever the
warehouse's differ); the failing rows it finds are quarantined in the local warehouse, and the
dbt step gives the engine the quarantine with the rest of what dbt reads.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import dagster as dg

from data_quality.config import load_quality_config
from data_quality.data_docs import store_result
from data_quality.outcomes import SuiteOutcome
from data_quality.raw_validation import validate_raw
from data_quality.rules import OBJECT_RULES, RuleContext
from data_quality.validate_sqlalchemy import validate_on_server
from orchestration.defs.metadata import ROW_COUNT
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.engines import postgres, postgres_tables, spark_rules
from orchestration.salesforce.objects import OBJECTS, OBJECTS_BY_NAME, SObject


def _rule_context(con, pipeline: PipelineConfig) -> RuleContext:
    currencies = tuple(r[0] for r in con.execute(
        "select distinct iso_code from raw.currency_type where iso_code is not null order by 1").fetchall())
    return RuleContext(as_of=pipeline.as_of_date, stages=tuple(pipeline.opportunity_stages),
                       currencies=currencies, lead_statuses=tuple(load_quality_config().lead_statuses))


def _where_rules_run(con, pipeline: PipelineConfig) -> Callable[[str, Any, list], SuiteOutcome] | None:
    """How this run checks a table's rules: in DuckDB (None), or on the engine, which is first
    made to hold the warehouse tables the validation query reads, as they are now."""
    home = pipeline.paths.home
    if pipeline.run_engine == "postgres":
        def on_server(query: str, suite, tables: list[tuple[str, str]]) -> SuiteOutcome:
            postgres_tables.ensure_tables(con, tables)
            return validate_on_server(postgres.SQLALCHEMY_URL, query, suite)
        return on_server
    if pipeline.run_engine == "spark":
        def on_spark(query: str, suite, tables: list[tuple[str, str]]) -> SuiteOutcome:
            spark_rules.ensure_tables(con, home, tables)
            return spark_rules.validate(home, query, suite)
        return on_spark
    return None


def _validated_asset(obj: SObject) -> dg.AssetsDefinition:
    key = dg.AssetKey(["validated", obj.table])
    parents = {fk.parent_table for fk in OBJECT_RULES[obj.api_name].foreign_keys}
    # the currency codes every suite may use come from CurrencyType
    deps = [dg.AssetKey(["raw", table]) for table in sorted({obj.table, "currency_type", *parents})]

    @dg.asset(
        key=key, deps=deps, group_name="quality", kinds={"duckdb", "great_expectations"},
        owners=["team:sales-ops-data"], tags={"layer": "validated"},
        description=(f"`raw.{obj.table}` without the rows that break a row-level rule of its Great "
                     f"Expectations suite; those rows are in `quarantine.{obj.table}` with the rules they broke."),
        check_specs=[dg.AssetCheckSpec("expectations", asset=key, blocking=True,
                                       description=f"The {obj.api_name} expectation suite, within its thresholds.")],
    )
    def _validate(context: dg.AssetExecutionContext, pipeline: PipelineConfig, warehouse: WarehouseResource):
        with warehouse.get_connection() as con:
            done = validate_raw(con, obj.api_name, obj.table, _rule_context(con, pipeline), pipeline.run_load_mode,
                                load_quality_config(), dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                                validate=_where_rules_run(con, pipeline))
        page = store_result(pipeline.paths.data_docs, pipeline.paths.gx_stores, done.suite, done.outcome.result,
                            run_name=context.run.run_id, batch=f"raw.{obj.table}")
        docs = {"data_docs": dg.MetadataValue.url(page.as_uri())}
        yield dg.MaterializeResult(metadata={
            ROW_COUNT: dg.MetadataValue.int(done.table_rows - done.quarantined),
            "rows_quarantined": dg.MetadataValue.int(done.quarantined),
            "rows_validated": dg.MetadataValue.int(done.outcome.rows),
            "validated": dg.MetadataValue.text(done.scope),
            "quarantine_table": dg.MetadataValue.text(f"quarantine.{obj.table}"),
            "validation_seconds": dg.MetadataValue.float(round(done.outcome.seconds, 3)),
            **docs,
        })
        yield to_check_result(done.verdict, extra_metadata=docs)

    return _validate


validated_assets = [_validated_asset(obj) for obj in OBJECTS]
assert set(OBJECT_RULES) == set(OBJECTS_BY_NAME), "every object needs its rules in data_quality/rules.py"
