"""One asset per Salesforce object: its raw rows checked by its expectation suite, with the rows
that break a row-level rule moved aside to `quarantine.<object>`, as `validated.<object>` (the
table the dbt models read). Its blocking `expectations` check holds the run back when a rule fails
on more rows than its threshold allows.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.config import load_quality_config
from data_quality.data_docs import publish as publish_data_docs
from data_quality.quarantine import gate, quarantine_rows
from data_quality.rules import OBJECT_RULES, RuleContext, build_suite, validation_query
from data_quality.validate import validate_query
from orchestration.defs.quality.results import to_check_result
from orchestration.resources import PipelineConfig
from orchestration.salesforce.objects import OBJECTS, OBJECTS_BY_NAME, SObject


def _rule_context(con, pipeline: PipelineConfig) -> RuleContext:
    currencies = tuple(r[0] for r in con.execute(
        "select distinct iso_code from raw.currency_type where iso_code is not null order by 1").fetchall())
    return RuleContext(as_of=pipeline.as_of_date, stages=tuple(pipeline.opportunity_stages),
                       currencies=currencies, lead_statuses=tuple(load_quality_config().lead_statuses))


def _validated_asset(obj: SObject) -> dg.AssetsDefinition:
    key = dg.AssetKey(["validated", obj.table])
    parents = {fk.parent_table for fk in OBJECT_RULES[obj.api_name].foreign_keys}
    # the currency codes every suite may use come from CurrencyType
    deps = [dg.AssetKey(["raw", table]) for table in sorted({obj.table, "currency_type", *parents})]

    @dg.asset(
        key=key, deps=deps, group_name="quality", kinds={"duckdb", "great_expectations"},
        description=(f"`raw.{obj.table}` without the rows that break a row-level rule of its Great "
                     f"Expectations suite; those rows are in `quarantine.{obj.table}` with the rules they broke."),
        check_specs=[dg.AssetCheckSpec("expectations", asset=key, blocking=True,
                                       description=f"The {obj.api_name} expectation suite, within its thresholds.")],
    )
    def _validate(context: dg.AssetExecutionContext, pipeline: PipelineConfig, warehouse: DuckDBResource):
        config = load_quality_config()
        with warehouse.get_connection() as con:
            suite, rules = build_suite(obj.api_name, obj.table, _rule_context(con, pipeline))
            outcome = validate_query(con, validation_query(obj.api_name, obj.table), suite)
            quarantined = quarantine_rows(con, obj.table, outcome, rules,
                                          dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        page = publish_data_docs(pipeline.paths.data_docs, pipeline.paths.gx_stores, suite, outcome.result,
                                 run_name=context.run.run_id, batch=f"raw.{obj.table}")
        docs = {"data_docs": dg.MetadataValue.url(page.as_uri())}
        yield dg.MaterializeResult(metadata={
            "rows": dg.MetadataValue.int(outcome.rows - quarantined),
            "rows_quarantined": dg.MetadataValue.int(quarantined),
            "quarantine_table": dg.MetadataValue.text(f"quarantine.{obj.table}"),
            "validation_seconds": dg.MetadataValue.float(round(outcome.seconds, 3)),
            **docs,
        })
        yield to_check_result(gate(obj.api_name, outcome, rules, quarantined,
                                   config.quarantine_threshold, config.orphan_tolerance), extra_metadata=docs)

    return _validate


validated_assets = [_validated_asset(obj) for obj in OBJECTS]
assert set(OBJECT_RULES) == set(OBJECTS_BY_NAME), "every object needs its rules in data_quality/rules.py"
