"""The account- and campaign-grain marts (marts/customers, marts/marketing) against an independent
pandas computation straight from the export CSVs.

The reference shares no code with the dbt models: it reads Opportunity, CurrencyType, Account,
Campaign and CampaignMember itself and follows the words of the KPI catalog
(dbt_project/seeds/kpi_catalog.csv). A disagreement is a bug in one of the two. It reads the
published marts of the shared end-to-end run, as a BI tool would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.demo import PIPELINE_AS_OF as AS_OF

# The defaults of var('clv_gross_margin') and var('clv_expected_lifetime_years').
CLV_GROSS_MARGIN = 1.0
CLV_EXPECTED_LIFETIME_YEARS = 3.0
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def run(published):
    """The shared demo run (tests/conftest.py): its export and its published marts."""
    assert published["exit"] == 0, "the pipeline run failed; see the output above"
    names = ["dim_accounts", "kpi_customer_value", "kpi_customer_value_summary", "dim_campaigns",
             "fct_campaign_members", "kpi_campaign_performance", "kpi_campaign_monthly"]
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        marts = {name: con.execute(f"select * from {name}").df() for name in names}
    return {"export": published["export"], "marts": marts}


# --- the independent computation --------------------------------------------------------------

def _read(export: Path, name: str) -> pd.DataFrame:
    """An export file as text, empty cells as None, rows in the Recycle Bin dropped."""
    frame = pd.read_csv(export / f"{name}.csv", dtype=str, keep_default_na=False).replace("", None)
    if "IsDeleted" in frame.columns:
        frame = frame[~_bool(frame["IsDeleted"])]
    return frame.copy()


def _bool(series: pd.Series) -> pd.Series:
    return series.fillna("false").str.lower().isin(["true", "1"])


def _timestamp(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_localize(None)


def _opportunities(export: Path) -> pd.DataFrame:
    """Non-deleted opportunities with the corporate amount and the won-by-as-of flag."""
    rates = _read(export, "CurrencyType").set_index("IsoCode")["ConversionRate"].astype(float)
    opps = _read(export, "Opportunity")
    if rates.empty:  # a single-currency org: amounts are already corporate
        rate = pd.Series(1.0, index=opps.index)
    else:
        rate = opps["CurrencyIsoCode"].map(rates).where(opps["CurrencyIsoCode"].notna(), 1.0)
    opps["amount_corp"] = (opps["Amount"].astype(float) / rate).fillna(0.0)
    opps["close"] = pd.to_datetime(opps["CloseDate"])
    opps["won_by_as_of"] = _bool(opps["IsWon"]) & (opps["close"] <= pd.Timestamp(AS_OF))
    return opps


def reference_customer_value(export: Path) -> pd.DataFrame:
    accounts = _read(export, "Account")
    opps = _opportunities(export)
    won = opps[opps["won_by_as_of"] & opps["AccountId"].isin(accounts["Id"])]
    out = won.groupby("AccountId").agg(
        first_won_date=("close", "min"), last_won_date=("close", "max"),
        won_opportunities=("Id", "size"), lifetime_revenue=("amount_corp", "sum"),
    )
    first = out["first_won_date"]
    months = (AS_OF.year - first.dt.year) * 12 + (AS_OF.month - first.dt.month)
    out["customer_tenure_months"] = months.clip(lower=1)
    out["annual_revenue_rate"] = out["lifetime_revenue"] / (out["customer_tenure_months"].clip(lower=12) / 12)
    out["forward_clv"] = out["annual_revenue_rate"] * CLV_GROSS_MARGIN * CLV_EXPECTED_LIFETIME_YEARS
    out["first_won_date"] = out["first_won_date"].dt.date
    out["last_won_date"] = out["last_won_date"].dt.date
    return out.rename_axis("account_id").reset_index()


def reference_campaign_performance(export: Path) -> pd.DataFrame:
    cutoff = pd.Timestamp(AS_OF + dt.timedelta(days=1))
    campaigns = _read(export, "Campaign")
    campaigns = campaigns[_timestamp(campaigns["CreatedDate"]) < cutoff]
    members = _read(export, "CampaignMember")
    members = members[_timestamp(members["CreatedDate"]) < cutoff]
    first_response = pd.to_datetime(members["FirstRespondedDate"])
    responded = _bool(members["HasResponded"]) & (first_response <= pd.Timestamp(AS_OF))
    opps = _opportunities(export)
    won = opps[opps["won_by_as_of"]]

    out = pd.DataFrame({"actual_cost": campaigns.set_index("Id")["ActualCost"].astype(float)})
    out["members"] = members.groupby("CampaignId").size().reindex(out.index, fill_value=0)
    out["responses"] = members[responded].groupby("CampaignId").size().reindex(out.index, fill_value=0)
    out["response_rate"] = out["responses"] / out["members"].where(out["members"] != 0)
    out["won_revenue"] = won.groupby("CampaignId")["amount_corp"].sum().reindex(out.index, fill_value=0.0)
    cost = out["actual_cost"].where(out["actual_cost"] != 0)  # NULL or 0 cost: no ROI
    out["campaign_roi"] = (out["won_revenue"] - cost) / cost
    return out.rename_axis("campaign_id").reset_index()


# --- the comparisons --------------------------------------------------------------------------

def _compare(actual: pd.DataFrame, expected: pd.DataFrame, key: str, columns: list[str]) -> None:
    actual = actual.set_index(key).sort_index()
    expected = expected.set_index(key).sort_index()
    assert list(actual.index) == list(expected.index)
    for column in columns:
        left, right = actual[column], expected[column]
        if column.endswith("_date"):
            left = pd.to_datetime(left).dt.date
            assert list(left) == list(right), column
        else:
            np.testing.assert_allclose(
                left.astype(float), right.astype(float), rtol=0, atol=1e-6, equal_nan=True, err_msg=column
            )


def test_customer_value_equals_an_independent_pandas_computation(run):
    expected = reference_customer_value(run["export"])
    assert len(expected) > 10  # the demo org has customers
    _compare(
        run["marts"]["kpi_customer_value"], expected, "account_id",
        ["lifetime_revenue", "won_opportunities", "first_won_date", "last_won_date",
         "customer_tenure_months", "annual_revenue_rate", "forward_clv"],
    )


def test_campaign_performance_equals_an_independent_pandas_computation(run):
    expected = reference_campaign_performance(run["export"])
    assert expected["responses"].sum() > 0 and expected["won_revenue"].sum() > 0
    _compare(
        run["marts"]["kpi_campaign_performance"], expected, "campaign_id",
        ["members", "responses", "response_rate", "won_revenue", "actual_cost", "campaign_roi"],
    )


def test_dim_accounts_agrees_with_customer_value_and_zero_fills_prospects(run):
    accounts = run["marts"]["dim_accounts"].set_index("account_id")
    customers = run["marts"]["kpi_customer_value"].set_index("account_id")
    assert set(accounts.index[accounts["is_customer"]]) == set(customers.index)
    prospects = accounts[~accounts["is_customer"]]
    assert len(prospects) > 0
    assert (prospects["won_opportunities"] == 0).all() and (prospects["lifetime_revenue"] == 0).all()
    assert prospects["first_won_date"].isna().all()
    both = accounts.loc[customers.index]
    np.testing.assert_allclose(both["lifetime_revenue"], customers["lifetime_revenue"], atol=1e-6)


def test_the_summary_aggregates_customer_value(run):
    customers = run["marts"]["kpi_customer_value"]
    summary = run["marts"]["kpi_customer_value_summary"]
    assert len(summary) == 1
    row = summary.iloc[0]
    assert pd.Timestamp(row["as_of_date"]).date() == AS_OF
    assert row["customers"] == len(customers)
    first = pd.to_datetime(customers["first_won_date"])
    assert row["new_customers_last_12_months"] == (first > pd.Timestamp(2025, 11, 20)).sum()
    np.testing.assert_allclose(row["total_lifetime_revenue"], customers["lifetime_revenue"].sum(), atol=1e-6)
    np.testing.assert_allclose(row["avg_lifetime_revenue"], customers["lifetime_revenue"].mean(), atol=1e-6)
    np.testing.assert_allclose(row["avg_forward_clv"], customers["forward_clv"].mean(), atol=1e-6)


def test_the_monthly_campaign_mart_has_every_month_and_adds_up(run):
    monthly = run["marts"]["kpi_campaign_monthly"].sort_values("month")
    months = pd.to_datetime(monthly["month"]).dt.to_period("M")
    assert list(months) == list(pd.period_range(months.iloc[0], AS_OF, freq="M"))
    members = run["marts"]["fct_campaign_members"]
    added = members[pd.to_datetime(members["created_at"]) < pd.Timestamp(AS_OF + dt.timedelta(days=1))]
    assert monthly["campaign_members_added"].sum() == len(added)
    first_response = pd.to_datetime(added["first_responded_date"])
    responded = added["has_responded"] & (first_response <= pd.Timestamp(AS_OF))
    assert monthly["campaign_responses"].sum() == responded.sum()
    rate = monthly["campaign_response_rate"]
    assert rate.dropna().between(0, 1).all()
    assert rate.isna().equals(monthly["campaign_members_added"] == 0)
