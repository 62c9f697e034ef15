"""The extended KPI marts against independent computations, and their own invariants."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.support.demo import PIPELINE_AS_OF
from tests.support.kpi_reference_extended import reference_company_extended

pytestmark = pytest.mark.e2e


def _query(published, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        return con.execute(sql).df()


def test_company_rows_of_kpi_sales_monthly_equal_an_independent_pandas_computation(published):
    expected = reference_company_extended(published["export"], PIPELINE_AS_OF)
    columns = [c for c in expected.columns if c != "month"]
    actual = _query(published, f"select month, {', '.join(columns)} from kpi_sales_monthly "
                               "where entity_type = 'company'")
    actual["month"] = pd.to_datetime(actual["month"]).dt.date
    merged = expected.merge(actual, on="month", how="outer", suffixes=("_expected", "_actual"))
    for column in columns:
        pd.testing.assert_series_equal(
            merged[f"{column}_actual"].fillna(0).astype(float), merged[f"{column}_expected"].fillna(0).astype(float),
            check_names=False, rtol=0, atol=1e-6, obj=column,
        )
    assert merged["emails_opened_actual"].sum() > 0 and merged["nps_actual"].notna().any()


def test_rep_and_team_rows_add_up_to_the_company_for_every_additive_kpi(published):
    additive = ["activities", "calls", "meetings", "emails_sent", "opportunities_created", "opportunities_won",
                "bookings_amount", "new_customers", "quota_amount", "open_pipeline_amount"]
    sums = _query(published, f"""
        select month, entity_type, {', '.join(f'sum({c}) as {c}' for c in additive)}
        from kpi_sales_monthly group by all""")
    company = sums[sums["entity_type"] == "company"].set_index("month")[additive]
    for grain in ("rep", "team"):
        rolled = sums[sums["entity_type"] == grain].set_index("month")[additive].reindex(company.index, fill_value=0)
        pd.testing.assert_frame_equal(rolled, company, check_dtype=False, atol=1e-6)


DAILY_AND_REFERENCE = ["calls", "meetings", "social_touches", "emails_sent", "bookings_amount"]


def test_company_rows_of_kpi_sales_daily_add_up_to_an_independent_pandas_computation_of_each_month(published):
    expected = reference_company_extended(published["export"], PIPELINE_AS_OF).set_index("month")[DAILY_AND_REFERENCE]
    actual = _query(published, f"""
        select cast(date_trunc('month', date_day) as date) as month,
            {', '.join(f'sum({c}) as {c}' for c in DAILY_AND_REFERENCE)}
        from kpi_sales_daily where entity_type = 'company' group by all""")
    actual["month"] = pd.to_datetime(actual["month"]).dt.date
    # a month only one side has counts as zero on the other, so an extra or shifted month fails
    months = expected.index.union(actual.set_index("month").index).sort_values()
    actual = actual.set_index("month").reindex(months, fill_value=0)
    pd.testing.assert_frame_equal(actual.astype(float), expected.reindex(months, fill_value=0).astype(float),
                                  rtol=0, atol=1e-6)
    assert (expected > 0).any().all()  # every KPI compared is seen in some month


def test_rep_and_team_rows_of_kpi_sales_daily_add_up_to_the_company_on_every_day(published):
    sums = _query(published, f"""
        select date_day, entity_type, {', '.join(f'sum({c}) as {c}' for c in DAILY_AND_REFERENCE)}
        from kpi_sales_daily group by all""")
    company = sums[sums["entity_type"] == "company"].set_index("date_day")[DAILY_AND_REFERENCE]
    assert len(company) > 300
    for grain in ("rep", "team"):
        rolled = sums[sums["entity_type"] == grain].set_index("date_day")[DAILY_AND_REFERENCE]
        days = company.index.union(rolled.index)  # a day only one grain has fails too
        pd.testing.assert_frame_equal(rolled.reindex(days, fill_value=0), company.reindex(days, fill_value=0),
                                      check_dtype=False, atol=1e-6)


def test_the_company_contract_mart_and_the_sales_mart_agree_on_shared_kpis(published):
    diff = _query(published, """
        select count(*) as mismatches from kpi_company_monthly as contract
        join kpi_sales_monthly as sales on sales.month = contract.month and sales.entity_type = 'company'
        where sales.leads_created <> contract.leads_created
           or sales.opportunities_won <> contract.opportunities_won
           or abs(sales.bookings_amount - contract.bookings_amount) > 1e-6
           or abs(sales.quota_amount - contract.quota_amount) > 1e-6""")
    assert diff["mismatches"][0] == 0


def test_the_scorecard_marks_bookings_against_quota_with_a_status(published):
    rows = _query(published, """
        select value, target, attainment, status from kpi_scorecard
        where kpi_name = 'bookings_amount' and grain = 'month' and entity_type = 'company' and target > 0""")
    assert len(rows) >= 12
    pd.testing.assert_series_equal(rows["attainment"], rows["value"] / rows["target"], check_names=False)
    expected_status = rows["attainment"].map(
        lambda a: "ahead" if a >= 1.05 else "on track" if a >= 0.95 else "behind")
    assert (rows["status"] == expected_status).all()


def test_lower_is_better_kpis_attain_more_when_below_target(published):
    rows = _query(published, """
        select value, target, attainment from kpi_scorecard
        where kpi_name = 'median_lead_response_hours' and value > 0 and target is not null""")
    assert len(rows) > 0
    pd.testing.assert_series_equal(rows["attainment"], rows["target"] / rows["value"], check_names=False)
