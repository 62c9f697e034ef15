"""Freshness, volume and schema-drift checks on every raw object, after each load.

Freshness and volume block the run: a stale or partial export gives wrong numbers. Schema drift
only warns: new columns are kept and missing optional ones load as NULL.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.config import load_quality_config
from data_quality.load_audit import freshness, schema_drift, volume
from data_quality.sql import quote_ident
from orchestration.defs.quality.results import to_check_result
from orchestration.resources import PipelineConfig
from orchestration.salesforce.objects import OBJECTS, SObject
from orchestration.settings import as_of_cutoff


def as_of_time(pipeline: PipelineConfig) -> dt.datetime:
    """The end of the as-of day, or now when that is still to come: data cannot be newer."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return min(as_of_cutoff(pipeline.as_of_date), now)


def _checks_for(obj: SObject) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(["raw", obj.table])
    table = f"raw.{quote_ident(obj.table)}"

    @dg.asset_check(asset=key, name="freshness", blocking=True,
                    description=f"{obj.api_name}'s newest SystemModstamp is within its maximum age.")
    def _freshness(pipeline: PipelineConfig, warehouse: DuckDBResource) -> dg.AssetCheckResult:
        config = load_quality_config()
        with warehouse.get_connection() as con:
            return to_check_result(
                freshness(con, table, obj.api_name, as_of_time(pipeline), config.max_age_for(obj.api_name))
            )

    @dg.asset_check(asset=key, name="volume", blocking=True,
                    description=f"{obj.api_name} did not lose more rows than allowed since the last good load.")
    def _volume(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource) -> dg.AssetCheckResult:
        config = load_quality_config()
        with warehouse.get_connection() as con:
            return to_check_result(volume(con, context.run.run_id, obj.api_name, config.volume_drop_threshold))

    @dg.asset_check(asset=key, name="schema_drift",
                    description=f"{obj.api_name}'s columns match the last good load (warns only).")
    def _schema_drift(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            return to_check_result(schema_drift(con, context.run.run_id, obj.api_name), dg.AssetCheckSeverity.WARN)

    return [_freshness, _volume, _schema_drift]


load_checks = [check for obj in OBJECTS for check in _checks_for(obj)]
