"""Freshness, volume, schema-drift and in-export checks on every raw object, after each load.

Freshness and volume block the run: a stale or partial export gives wrong numbers. Schema drift
only warns: new columns are kept and missing optional ones load as NULL. A missing object only
warns too: many orgs do not use Task, Event, CurrencyType or ForecastingQuota.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from data_quality.as_of import as_of_cutoff
from data_quality.config import load_quality_config
from data_quality.load_audit import freshness, in_export, schema_drift, volume
from data_quality.sql import quote_ident
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.salesforce.objects import OBJECTS, SObject


def as_of_time(pipeline: PipelineConfig) -> dt.datetime:
    """The end of the as-of day, or now when that is still to come: data cannot be newer."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return min(as_of_cutoff(pipeline.as_of_date), now)


def _checks_for(obj: SObject) -> dg.AssetChecksDefinition:
    """The four checks of one raw object, evaluated in one step (a step per check would cost a
    run more in Dagster's bookkeeping than the checks themselves)."""
    key = dg.AssetKey(["raw", obj.table])
    table = f"raw.{quote_ident(obj.table)}"

    @dg.multi_asset_check(
        name=f"{obj.table}_load_checks",
        specs=[
            dg.AssetCheckSpec("freshness", asset=key, blocking=True,
                              description=f"{obj.api_name}'s newest SystemModstamp is within its maximum age."),
            dg.AssetCheckSpec("volume", asset=key, blocking=True,
                              description=f"{obj.api_name} did not lose more rows than allowed since the last good load."),
            dg.AssetCheckSpec("schema_drift", asset=key,
                              description=f"{obj.api_name}'s columns match the last good load (warns only)."),
            dg.AssetCheckSpec("in_export", asset=key,
                              description=f"The export holds a file for {obj.api_name} (warns only: not every org uses it)."),
        ],
    )
    def _load_checks(context: dg.AssetCheckExecutionContext, pipeline: PipelineConfig,
                     warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        config = load_quality_config()
        run_id = context.run.run_id
        with warehouse.get_connection() as con:
            outcomes = {
                "freshness": (freshness(con, table, obj.api_name, as_of_time(pipeline),
                                        config.max_age_for(obj.api_name)), dg.AssetCheckSeverity.ERROR),
                "volume": (volume(con, run_id, obj.api_name, config.volume_drop_threshold), dg.AssetCheckSeverity.ERROR),
                "schema_drift": (schema_drift(con, run_id, obj.api_name), dg.AssetCheckSeverity.WARN),
                "in_export": (in_export(con, run_id, obj.api_name, pipeline.run_load_mode), dg.AssetCheckSeverity.WARN),
            }
        for name, (outcome, severity) in outcomes.items():
            yield to_check_result(outcome, severity, asset_key=key, check_name=name)

    return _load_checks


load_checks = [_checks_for(obj) for obj in OBJECTS]
