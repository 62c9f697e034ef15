"""Reconciliation of the marts with the validated tables, on a warehouse built by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data_quality.reconcile import (
    marts_match_validated,
    one_row_per_opportunity,
    rep_mart_sums_to_company,
    rep_mart_sums_to_teams,
)

AS_OF = dt.date(2025, 3, 31)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema validated")
    con.execute("attach ':memory:' as marts")  # as the marts database is attached to the warehouse
    con.execute("""create table validated.opportunity as select * from (values
        ('006A', true, true, 920.00, 'EUR', date '2025-03-10', timestamp '2025-01-01', false),
        ('006B', true, false, 100.00, 'USD', date '2025-03-12', timestamp '2025-01-02', false),
        ('006C', true, true, 50.00, 'USD', date '2025-03-12', timestamp '2025-01-02', true))
        t(id, is_closed, is_won, amount, currency_iso_code, close_date, created_date, is_deleted)""")
    con.execute("create table validated.currency_type as select * from (values ('USD', 1.0), ('EUR', 0.92)) t(iso_code, conversion_rate)")
    con.execute("create table validated.lead as select '00QA' as id, timestamp '2025-02-01' as created_date, false as is_deleted")
    con.execute("create table marts.fct_opportunities as select * from (values ('006A'), ('006B')) t(opportunity_id)")
    columns = "month date, leads_created bigint, leads_converted bigint, leads_contacted bigint, " \
              "opportunities_created bigint, pipeline_created_amount double, opportunities_won bigint, " \
              "opportunities_lost bigint, bookings_amount double, quota_amount double"
    con.execute(f"create table marts.kpi_company_monthly ({columns})")
    con.execute(f"create table marts.kpi_rep_monthly (owner_id varchar, team_id varchar, {columns})")
    con.execute(f"create table marts.kpi_team_monthly (team_id varchar, {columns})")
    con.execute("insert into marts.kpi_company_monthly values ('2025-01-01', 0, 0, 0, 2, 1100, 0, 0, 0, 0), "
                "('2025-02-01', 1, 0, 0, 0, 0, 0, 0, 0, 0), ('2025-03-01', 0, 0, 0, 0, 0, 1, 1, 1000, 0)")
    # two reps of 005M's team share January's two deals; the rest is 005A's alone
    con.execute("insert into marts.kpi_rep_monthly select '005A', '005M', * from marts.kpi_company_monthly")
    con.execute("update marts.kpi_rep_monthly set opportunities_created = 1, pipeline_created_amount = 600 "
                "where month = '2025-01-01'")
    con.execute("insert into marts.kpi_rep_monthly (owner_id, team_id, month, leads_created, leads_converted, "
                "leads_contacted, opportunities_created, pipeline_created_amount, opportunities_won, "
                "opportunities_lost, bookings_amount, quota_amount) "
                "values ('005B', '005M', '2025-01-01', 0, 0, 0, 1, 500, 0, 0, 0, 0)")
    con.execute("insert into marts.kpi_team_monthly select '005M', * from marts.kpi_company_monthly")
    return con


def test_marts_that_match_the_validated_tables_pass(con):
    outcome = marts_match_validated(con, AS_OF)
    assert outcome.passed, outcome.description
    assert outcome.metadata["validated"]["bookings_amount"] == pytest.approx(1000.0)


def test_bookings_that_differ_by_more_than_a_cent_fail_with_both_numbers(con):
    con.execute("update marts.kpi_company_monthly set bookings_amount = 1000.02 where bookings_amount > 0")
    outcome = marts_match_validated(con, AS_OF)
    assert not outcome.passed
    assert "bookings_amount: validated 1,000.0" in outcome.description and "mart 1,000.02" in outcome.description


def test_a_rep_mart_that_does_not_sum_to_the_company_fails_naming_the_month(con):
    con.execute("update marts.kpi_rep_monthly set opportunities_won = 2 where month = '2025-03-01'")
    outcome = rep_mart_sums_to_company(con)
    assert not outcome.passed and outcome.metadata["sample"] == ["2025-03-01"]


def test_a_rep_mart_that_sums_to_each_team_passes_and_one_that_does_not_fails_naming_the_team_month(con):
    assert rep_mart_sums_to_company(con).passed
    assert rep_mart_sums_to_teams(con).passed, rep_mart_sums_to_teams(con).description
    con.execute("update marts.kpi_rep_monthly set team_id = '005X' where owner_id = '005B'")  # counted by no team
    outcome = rep_mart_sums_to_teams(con)
    assert not outcome.passed
    assert outcome.metadata["sample"] == ["2025-01-01 005M", "2025-01-01 005X"]
    assert rep_mart_sums_to_company(con).passed  # the company total is right all the same


def test_a_join_that_multiplies_opportunities_fails_with_the_duplicated_ids(con):
    assert one_row_per_opportunity(con).passed
    con.execute("insert into marts.fct_opportunities values ('006A')")
    outcome = one_row_per_opportunity(con)
    assert not outcome.passed
    assert outcome.metadata["sample"] == ["006A"] and "3 rows for 2 opportunities" in outcome.description


def test_a_lead_of_the_as_of_days_last_second_counts_and_one_of_the_next_midnight_does_not(con):
    con.execute("insert into validated.lead values ('00QB', timestamp '2025-03-31 23:59:59', false), "
                "('00QC', timestamp '2025-04-01 00:00:00', false)")
    con.execute("update marts.kpi_company_monthly set leads_created = 1 where month = '2025-03-01'")
    outcome = marts_match_validated(con, AS_OF)
    assert outcome.passed, outcome.description
    assert outcome.metadata["validated"]["leads_created"] == 2
