"""Reconciliation checks on the marts: blocking, since a mismatch means wrong numbers. They run
where the run's marts are (its engine), in SQL both engines run."""

import dagster as dg

from data_quality.reconcile import (
    marts_match_validated,
    one_row_per_opportunity,
    rep_mart_sums_to_company,
    rep_mart_sums_to_teams,
)
from orchestration.defs.quality.results import to_check_result
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource, marts_connection


@dg.asset_check(asset=dg.AssetKey(["marts", "kpi_company_monthly"]), name="reconciles_with_validated",
                blocking=True, description=("Total bookings, opportunity and lead counts equal the "
                                             "validated tables (raw without its quarantined rows)."))
def reconciles_with_validated(pipeline: PipelineConfig, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with marts_connection(pipeline, warehouse) as con:
        return to_check_result(marts_match_validated(con, pipeline.as_of_date))


@dg.asset_check(asset=dg.AssetKey(["marts", "kpi_rep_monthly"]), name="sums_to_company", blocking=True,
                description="Every additive KPI summed over reps equals the company mart.")
def sums_to_company(pipeline: PipelineConfig, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with marts_connection(pipeline, warehouse) as con:
        return to_check_result(rep_mart_sums_to_company(con))


@dg.asset_check(asset=dg.AssetKey(["marts", "kpi_rep_monthly"]), name="sums_to_teams", blocking=True,
                description="Every additive KPI summed over each team's reps (team_id) equals the team mart.")
def sums_to_teams(pipeline: PipelineConfig, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with marts_connection(pipeline, warehouse) as con:
        return to_check_result(rep_mart_sums_to_teams(con))


@dg.asset_check(asset=dg.AssetKey(["marts", "fct_opportunities"]), name="one_row_per_opportunity",
                blocking=True, description="One row per live validated opportunity: no join multiplies rows.")
def one_row_per_opportunity_check(pipeline: PipelineConfig, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with marts_connection(pipeline, warehouse) as con:
        return to_check_result(one_row_per_opportunity(con))
