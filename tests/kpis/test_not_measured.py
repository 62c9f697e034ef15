"""An export without Task and Event files: what no exported object can measure is NULL ("not
measured"), never 0, in the marts and in the CLI's table; everything else is still measured."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from orchestration.cli.main import main
from tests.support.demo import PIPELINE_AS_OF
from tests.support.kpi_reference import reference_kpis

pytestmark = pytest.mark.e2e

LEAD_ACTIVITY_KPIS = ("leads_contacted", "rate_of_contact", "rate_of_follow_up", "median_lead_response_hours")


@pytest.fixture(scope="module")
def run_without_activities(published, tmp_path_factory):
    root = tmp_path_factory.mktemp("no_activities")
    export = root / "export"
    shutil.copytree(published["export"], export)
    (export / "Task.csv").unlink()
    (export / "Event.csv").unlink()
    code = main(["run", "--source", str(export), "--home", str(root / "home"), "--as-of", PIPELINE_AS_OF.isoformat()])
    return code, root / "home" / "published" / "crm_kpis.duckdb", published["export"]


def _mart(db, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def test_lead_activity_kpis_are_null_in_every_contract_mart_without_task_and_event(run_without_activities):
    code, db, _ = run_without_activities
    assert code == 0
    for mart in ("kpi_rep_monthly", "kpi_team_monthly", "kpi_company_monthly"):
        frame = _mart(db, f"select * from {mart}")
        assert len(frame) > 0 and frame["leads_created"].sum() > 0, mart
        assert frame[list(LEAD_ACTIVITY_KPIS)].isna().all().all(), mart


def test_what_lead_and_opportunity_measure_is_still_the_independent_computation(run_without_activities, capsys):
    _, db, full_export = run_without_activities
    _, company = reference_kpis(full_export, PIPELINE_AS_OF)  # Task and Event do not enter these KPIs
    published = _mart(db, "select * from kpi_company_monthly order by month").set_index("month")
    expected = company.set_index("month").loc[pd.to_datetime(published.index)]
    for kpi in ("leads_created", "leads_converted", "opportunities_won", "opportunities_lost"):
        assert published[kpi].tolist() == expected[kpi].tolist(), kpi
    assert published["bookings_amount"].round(2).tolist() == expected["bookings_amount"].round(2).tolist()


def test_activity_kpis_of_the_extended_marts_are_null_and_email_kpis_are_measured(run_without_activities):
    _, db, _ = run_without_activities
    frame = _mart(db, "select * from kpi_sales_monthly where entity_type = 'company'")
    assert frame[["activities", "calls", "meetings", "emails_logged", "social_touches"]].isna().all().all()
    assert frame["emails_sent"].notna().all() and frame["emails_sent"].sum() > 0  # EmailMessage was exported


def test_the_cli_table_shows_a_dash_for_contacted_in_every_month(run_without_activities, capsys):
    _, db, _ = run_without_activities
    assert main(["kpis", "--home", str(db.parents[1])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0].split()
    rows = [line.split() for line in lines[2:]]
    column = header.index("contacted")
    assert rows and all(row[column] == "—" for row in rows)
    assert all(row[header.index("leads")] != "—" for row in rows)


def test_the_dashboard_shows_rate_of_contact_as_a_dash_and_leads_created_as_a_number(run_without_activities):
    from orchestration.dashboard.data import load_dashboard
    from orchestration.dashboard.formatting import DASH, format_value

    _, db, _ = run_without_activities
    shown = {kpi.kpi_name: format_value(kpi.value, kpi.unit) for kpi in load_dashboard(db).kpis}
    assert shown["rate_of_contact"] == DASH and shown["leads_contacted"] == DASH
    assert shown["leads_created"] != DASH
