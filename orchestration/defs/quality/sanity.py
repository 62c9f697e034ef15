"""Sanity warnings on the validated opportunities: never blocking, shown with counts and examples
in the check summary and the UI (see data_quality/sanity.py)."""

import dagster as dg

from data_quality.sanity import history_disagrees_with_record, won_before_created
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource

_OPPORTUNITY = dg.AssetKey(["validated", "opportunity"])
_WARN = dg.AssetCheckSeverity.WARN


@dg.asset_check(asset=_OPPORTUNITY, name="won_not_closed_before_created",
                description="Won opportunities close on or after the day they were created (a warning).")
def won_not_closed_before_created(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return to_check_result(won_before_created(con), severity=_WARN)


@dg.asset_check(asset=_OPPORTUNITY, name="history_agrees_with_record",
                additional_deps=[dg.AssetKey(["validated", "opportunity_history"])],
                description="Each open opportunity's latest history row has the record's stage, amount "
                            "and probability (a warning).")
def history_agrees_with_record(pipeline: PipelineConfig, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return to_check_result(history_disagrees_with_record(con, pipeline.as_of_date), severity=_WARN)
