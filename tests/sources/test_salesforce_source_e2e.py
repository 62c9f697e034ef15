"""`crm-kpi run --salesforce` end to end: the demo org served by the local Salesforce API endpoint.

The first run extracts everything and publishes the same marts as the run on the org's export
files; after a deal is won in the org, the next run extracts only that change, merges it, and
bookings grow by exactly its amount.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
import trustme

from orchestration.cli.main import main
from tests.support.demo import PIPELINE_AS_OF
from tests.support.salesforce_api_server import FakeOrg, FakeSalesforce

pytestmark = pytest.mark.e2e


def _bookings(db) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        return float(con.execute("select sum(bookings_amount) from kpi_company_monthly").fetchall()[0][0])


def test_a_live_org_runs_to_published_marts_and_then_loads_only_its_changes(published, tmp_path, monkeypatch):
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    home, as_of = tmp_path / "home", ["--as-of", PIPELINE_AS_OF.isoformat()]
    with FakeSalesforce(FakeOrg.from_export(published["export"]), ca) as org:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))  # trust the local endpoint's certificate
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", org.url)
        monkeypatch.setenv("SALESFORCE_SESSION_ID", org.new_session())

        assert main(["run", "--salesforce", "--home", str(home), *as_of]) == 0
        first = _bookings(home / "published" / "crm_kpis.duckdb")

        deal = next(r for r in org.org.objects["Opportunity"].records if not r["IsClosed"] and r["Amount"])
        stamp = dt.datetime.combine(PIPELINE_AS_OF, dt.time(23, 30))
        deal.update(StageName="Closed Won", IsClosed=True, IsWon=True, Probability=100.0, ForecastCategory="Closed",
                    ForecastCategoryName="Closed", CloseDate=PIPELINE_AS_OF, SystemModstamp=stamp,
                    LastModifiedDate=stamp)
        assert main(["run", "--salesforce", "--home", str(home), *as_of]) == 0

    assert first == pytest.approx(_bookings(published["db"]), abs=0.005)
    rate = 1.0  # the deal's amount in the corporate currency
    if deal.get("CurrencyIsoCode"):
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            rate = 1 / con.execute("select conversion_rate from raw.currency_type where iso_code = $c",
                                   {"c": deal["CurrencyIsoCode"]}).fetchall()[0][0]
    assert _bookings(home / "published" / "crm_kpis.duckdb") == pytest.approx(first + deal["Amount"] * float(rate),
                                                                             abs=0.01)
    extracts = sorted((home / "salesforce_extract").iterdir())
    assert len(extracts) == 2
    assert len(pd.read_parquet(extracts[1] / "Opportunity.parquet")) == 1  # only the change came over
