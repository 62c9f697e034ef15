"""The sanity warnings find what they name, with counts and examples, and nothing else."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data_quality.sanity import history_disagrees_with_record, won_before_created

AS_OF = dt.date(2025, 3, 31)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema validated")
    con.execute("""create table validated.opportunity as select * from (values
        ('006A', false, true,  true,  date '2025-01-10', timestamp '2025-01-20 09:00', 'Closed Won', 100.00, 100.0),
        ('006B', false, true,  true,  date '2025-02-01', timestamp '2025-01-05 09:00', 'Closed Won', 200.00, 100.0),
        ('006C', true,  true,  true,  date '2025-01-01', timestamp '2025-01-09 09:00', 'Closed Won', 300.00, 100.0),
        ('006D', false, false, false, date '2025-05-01', timestamp '2025-01-02 09:00', 'Negotiation/Review', 500.00, 90.0),
        ('006E', false, false, false, date '2025-05-01', timestamp '2025-01-02 09:00', 'Prospecting', 700.00, 10.0),
        ('006F', false, false, false, date '2025-05-01', timestamp '2025-01-02 09:00', 'Prospecting', null, 10.0)
    ) as t(id, is_deleted, is_won, is_closed, close_date, created_date, stage_name, amount, probability)""")
    con.execute("""create table validated.opportunity_history as select * from (values
        ('008A', '006D', false, timestamp '2025-01-02 09:00', 'Prospecting', 500.00, 10.0),
        ('008B', '006D', false, timestamp '2025-02-02 09:00', 'Proposal/Price Quote', 500.00, 75.0),
        ('008C', '006E', false, timestamp '2025-01-02 09:00', 'Prospecting', 700.00, 10.0),
        ('008D', '006E', false, timestamp '2025-04-15 09:00', 'Qualification', 700.00, 10.0),
        ('008E', '006F', false, timestamp '2025-01-02 09:00', 'Prospecting', null, 10.0),
        ('008F', '006A', false, timestamp '2025-01-20 09:00', 'Prospecting', 50.00, 10.0)
    ) as t(id, opportunity_id, is_deleted, created_date, stage_name, amount, probability)""")
    return con


def test_a_won_deal_closed_before_it_was_created_is_warned_with_its_dates(con):
    outcome = won_before_created(con)
    assert not outcome.passed
    assert outcome.metadata == {"opportunities": 1, "examples": ["006A: closed 2025-01-10, created 2025-01-20"]}
    assert "1 won opportunity closed before it was created" in outcome.description


def test_no_warning_when_every_won_deal_closed_after_it_was_created(con):
    con.execute("delete from validated.opportunity where id = '006A'")
    assert won_before_created(con).passed


def test_an_open_deal_whose_latest_history_row_disagrees_is_warned_with_the_fields_that_differ(con):
    outcome = history_disagrees_with_record(con, AS_OF)
    # 006D: its latest row is a proposal at 75 %, the record says negotiation at 90 %. 006E's row of
    # April is after the as-of day, so its March row (which agrees) counts. 006F agrees, a NULL
    # amount on both sides included; 006A is closed, so not an open deal.
    assert not outcome.passed
    assert outcome.metadata == {"opportunities": 1, "examples": [
        "006D: StageName Negotiation/Review vs Proposal/Price Quote; Probability 90.0 vs 75.0 (record vs history)"]}


def test_no_warning_when_open_deals_agree_with_their_history(con):
    con.execute("update validated.opportunity set stage_name = 'Proposal/Price Quote', probability = 75 where id = '006D'")
    assert history_disagrees_with_record(con, AS_OF).passed
