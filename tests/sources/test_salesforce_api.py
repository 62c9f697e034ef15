"""The Salesforce API source against a local, faithful Salesforce endpoint (tests/support/salesforce_api_server.py).

Everything goes through the real simple-salesforce client over HTTPS on 127.0.0.1. The client always
speaks https, so the endpoint has a trustme certificate and the client trusts that CA. Username and
password login posts to https://login.salesforce.com (or test.salesforce.com): the `loopback_only`
fixture resolves those two names to the local endpoint (the certificate is issued for them, so TLS
hostname checks stay on) and refuses every other non-loopback address, so no test reaches the network.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote_plus

import duckdb
import pyarrow.parquet as pq
import pytest
import trustme
import urllib3.util.connection

from orchestration.salesforce.api import RetryPolicy, SalesforceSourceError, connect_from_env, extract_changes
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS, OPPORTUNITY
from tests.support.salesforce_api_server import FakeOrg, FakeSalesforce, Fault

T0 = dt.datetime(2025, 3, 1, 9, 0, 0)
USERNAME, PASSWORD, TOKEN = "etl@acme.example", "Pa55word!", "Tok3nXyZ123"
LOGIN_ENV = {"SALESFORCE_USERNAME": USERNAME, "SALESFORCE_PASSWORD": PASSWORD, "SALESFORCE_SECURITY_TOKEN": TOKEN}


def small_org() -> FakeOrg:
    """Three users, two accounts, four opportunities (one soft-deleted, a custom Region__c), seven tasks."""
    org = FakeOrg.from_model()
    org.users[USERNAME] = (PASSWORD, TOKEN)
    objects = org.objects  # the rest of the modelled objects are there, empty; Survey_Response__c is not
    objects["Account"].fields.append({"name": "BillingAddress", "type": "address", "custom": False})
    objects["Opportunity"].fields.append({"name": "Region__c", "type": "picklist", "custom": True})
    audit = lambda hours: {"CreatedDate": T0, "LastModifiedDate": T0 + dt.timedelta(hours=hours),  # noqa: E731
                           "SystemModstamp": T0 + dt.timedelta(hours=hours), "IsDeleted": False}
    objects["User"].records = [
        {"Id": f"005{i:012d}AAA", "Name": name, "IsActive": True, "CreatedDate": T0, "SystemModstamp": T0}
        for i, name in enumerate(["Ada Rep", "Bo Rep", "Cy Manager"], 1)]
    objects["Account"].records = [
        {"Id": f"001{i:012d}AAA", "Name": f"Acme {i}", "BillingCountry": "DE", "AnnualRevenue": 1.5e7,
         "BillingAddress": {"country": "DE", "city": "Berlin"}, **audit(i)} for i in (1, 2)]
    objects["Opportunity"].records = [
        {"Id": f"006{i:012d}AAA", "Name": f"Deal {i}", "AccountId": "001000000000001AAA",
         "OwnerId": "005000000000001AAA", "StageName": stage, "Amount": amount, "Probability": prob,
         "CloseDate": dt.date(2025, 4, i), "IsClosed": stage.startswith("Closed"), "IsWon": stage == "Closed Won",
         "Region__c": region, **audit(i)}
        for i, stage, amount, prob, region in [
            (1, "Prospecting", 12000.0, 10.0, "EMEA"), (2, "Closed Won", 5500.5, 100.0, "AMER"),
            (3, "Qualification", 800.0, 10.0, None), (4, "Closed Lost", 0.0, 0.0, "APAC")]]
    objects["Opportunity"].records[2]["IsDeleted"] = True  # soft-deleted: in the recycle bin, seen by queryAll
    objects["Opportunity"].records[3]["SystemModstamp"] += dt.timedelta(milliseconds=250)
    objects["Task"].records = [
        {"Id": f"00T{i:012d}AAA", "OwnerId": "005000000000002AAA", "WhatId": "006000000000001AAA",
         "Subject": f"Call {i}", "Status": "Completed", "IsClosed": True, "CallDurationInSeconds": 60 * i,
         "ActivityDate": dt.date(2025, 3, i), **audit(i)} for i in range(1, 8)]
    return org


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca, tmp_path_factory):  # the client trusts only this CA, through requests' `verify`
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def fake(ca):
    with FakeSalesforce(small_org(), ca, page_size=3) as server:
        yield server


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch, fake):
    """Test-only name resolution: Salesforce's login hosts are the local endpoint; nothing else leaves."""
    real = urllib3.util.connection.create_connection

    def route(address, *args, **kwargs):
        host, _ = address
        if host in ("login.salesforce.com", "test.salesforce.com"):
            return real(("127.0.0.1", fake.port), *args, **kwargs)
        if host != "127.0.0.1":
            raise OSError(f"tests stay on loopback; refused to connect to {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", route)


def no_wait(sleeps: list | None = None, attempts: int = 3, base_delay: float = 0.0) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=base_delay, sleep=(sleeps if sleeps is not None else []).append)


def connect(fake, ca_file, env=None, retry=None):
    env = env if env is not None else {"SALESFORCE_INSTANCE_URL": fake.url, "SALESFORCE_SESSION_ID": fake.new_session()}
    return connect_from_env(env, retry=retry or no_wait(), verify=ca_file)


def extract(client, out, names, watermarks=None, **options):
    return extract_changes(client, names, watermarks or {}, out, bulk_poll_seconds=0, **options)


def rows_of(result) -> list[dict]:
    return sorted(pq.read_table(result.path).to_pylist(), key=lambda r: r["Id"])


def queries(fake) -> list[str]:  # the SOQL the REST queries carried
    return [unquote_plus(p) for p in fake.paths("/queryAll")]


def test_rest_extract_follows_next_records_url_across_pages(fake, ca_file, tmp_path):
    result = extract(connect(fake, ca_file), tmp_path, ["Task"])["Task"]
    assert (result.rows, result.api, result.path.name) == (7, "rest", "Task.parquet")
    assert [r["Id"] for r in rows_of(result)] == [f"00T{i:012d}AAA" for i in range(1, 8)]
    assert len(fake.paths("/queryAll/01g")) == 2  # pages of 3, 3 and 1 records


def test_deleted_rows_arrive_with_is_deleted_true(fake, ca_file, tmp_path):
    client = connect(fake, ca_file)
    rows = rows_of(extract(client, tmp_path, ["Opportunity"])["Opportunity"])
    assert [(r["Id"][-6:], r["IsDeleted"]) for r in rows] == [
        ("001AAA", "false"), ("002AAA", "false"), ("003AAA", "true"), ("004AAA", "false")]
    # The endpoint is honest about the difference the extractor relies on: query hides deleted rows.
    assert client.query("SELECT Id FROM Opportunity")["totalSize"] == 3


def test_custom_fields_come_along_and_compound_fields_stay_out(fake, ca_file, tmp_path):
    results = extract(connect(fake, ca_file), tmp_path, ["Opportunity", "Account"])
    opportunity = pq.read_table(results["Opportunity"].path)
    assert "Region__c" in opportunity.column_names
    assert sorted(filter(None, opportunity.column("Region__c").to_pylist())) == ["AMER", "APAC", "EMEA"]
    account = pq.read_table(results["Account"].path)
    assert "BillingCountry" in account.column_names and "BillingAddress" not in account.column_names


def test_values_are_written_in_export_formats_the_loader_reads(fake, ca_file, tmp_path):
    result = extract(connect(fake, ca_file), tmp_path, ["Opportunity"])["Opportunity"]
    row = rows_of(result)[3]
    assert set(pq.read_table(result.path).schema.types) == {"string"}
    assert (row["SystemModstamp"], row["CloseDate"], row["IsWon"], row["Amount"]) == (
        "2025-03-01T13:00:00.250Z", "2025-04-04", "false", "0.0")
    con = duckdb.connect()
    loaded = load_object(con, OPPORTUNITY, result.path, dt.datetime(2025, 3, 2))
    assert loaded.rows == 4 and loaded.extra_columns == ["region_c"]
    typed = con.execute("select is_deleted, amount, system_modstamp from raw.opportunity where id like '%3AAA'").fetchone()
    assert typed == (True, 800, dt.datetime(2025, 3, 1, 12, 0))


def test_incremental_extract_after_a_watermark_returns_only_newer_rows(fake, ca_file, tmp_path):
    client = connect(fake, ca_file)
    result = extract(client, tmp_path, ["Opportunity"], {"Opportunity": T0 + dt.timedelta(hours=2)})["Opportunity"]
    assert [r["Name"] for r in rows_of(result)] == ["Deal 3", "Deal 4"]  # the deleted Deal 3 included
    assert result.next_watermark == dt.datetime(2025, 3, 1, 13, 0, 0, 250000, tzinfo=dt.timezone.utc)
    assert not result.full
    assert any("WHERE SystemModstamp > 2025-03-01T11:00:00Z ORDER BY SystemModstamp" in q for q in queries(fake))

    # SOQL literals have whole seconds and the watermark is rounded down: the record of that second
    # is read again (the merge absorbs it) rather than any record of that second being skipped.
    again = extract(client, tmp_path, ["Opportunity"], {"Opportunity": result.next_watermark})["Opportunity"]
    assert [r["Name"] for r in rows_of(again)] == ["Deal 4"]

    later = T0 + dt.timedelta(hours=5)  # naive, as the warehouse keeps it: taken as UTC
    nothing = extract(client, tmp_path, ["Opportunity"], {"Opportunity": later})["Opportunity"]
    assert nothing.rows == 0 and nothing.next_watermark == later.replace(tzinfo=dt.timezone.utc)
    assert "Region__c" in pq.read_table(nothing.path).column_names  # an empty batch keeps its columns


def test_an_object_without_system_modstamp_is_extracted_in_full(fake, ca_file, tmp_path):
    role = fake.org.objects["UserRole"]
    role.fields = [f for f in role.fields if f["name"] != "SystemModstamp"]
    role.records = [{"Id": "00E000000000001AAA", "Name": "Sales"}]
    result = extract(connect(fake, ca_file), tmp_path, ["UserRole"], {"UserRole": T0})["UserRole"]
    assert (result.rows, result.full, result.next_watermark) == (1, True, None)
    assert not any("WHERE" in q for q in queries(fake))


def test_an_object_missing_in_the_org_is_reported_missing(fake, ca_file, tmp_path):
    (tmp_path / "Survey_Response__c.parquet").write_text("stale")
    results = extract(connect(fake, ca_file), tmp_path, OBJECTS)
    assert results["Survey_Response__c"].rows == 0 and not (tmp_path / "Survey_Response__c.parquet").exists()
    assert [name for name, r in results.items() if r.missing] == ["Survey_Response__c"]
    assert results["Contact"].rows == 0 and (tmp_path / "Contact.parquet").exists()


def test_the_bulk_path_returns_the_same_rows_as_the_rest_path(fake, ca_file, tmp_path):
    client = connect(fake, ca_file)
    names = ["Opportunity", "Task", "Account"]
    rest = extract(client, tmp_path / "rest", names)
    bulk = extract(client, tmp_path / "bulk", names, bulk_objects=names, bulk_page_size=3)
    for name in names:
        assert (rest[name].api, bulk[name].api) == ("rest", "bulk")
        assert pq.read_table(bulk[name].path).column_names == pq.read_table(rest[name].path).column_names
        assert rows_of(bulk[name]) == rows_of(rest[name])
        assert bulk[name].next_watermark == rest[name].next_watermark
    assert len(fake.paths("/results")) == 2 + 3 + 1  # Sforce-Locator pages of 3 records
    assert [job["operation"] for job in fake._jobs.values()] == ["queryAll"] * 3


def test_objects_above_the_row_threshold_go_through_bulk(fake, ca_file, tmp_path):
    results = extract(connect(fake, ca_file), tmp_path, ["Task", "Opportunity"], bulk_threshold=5)
    assert (results["Task"].api, results["Task"].rows, results["Opportunity"].api) == ("bulk", 7, "rest")


def test_a_500_followed_by_success_is_retried_and_succeeds(fake, ca_file, tmp_path):
    sleeps = []
    client = connect(fake, ca_file, retry=no_wait(sleeps))
    fake.faults.append(Fault("/queryAll", 500, times=1))
    assert extract(client, tmp_path, ["Opportunity"])["Opportunity"].rows == 4
    assert sleeps == [0.0]


def test_a_persistent_500_fails_with_a_clear_error_after_bounded_backoff(fake, ca_file, tmp_path):
    sleeps = []
    client = connect(fake, ca_file, retry=no_wait(sleeps, attempts=4, base_delay=0.5))
    fake.faults.append(Fault("/queryAll", 500, times=None))
    with pytest.raises(SalesforceSourceError) as caught:
        extract(client, tmp_path, ["Opportunity"])
    assert str(caught.value) == (
        "Salesforce extract of Opportunity failed: Salesforce answered HTTP 500 to "
        "/services/data/v59.0/queryAll/ after 4 attempts (UNKNOWN_EXCEPTION: boom)")
    assert sleeps == [0.5, 1.0, 2.0]
    assert not (tmp_path / "Opportunity.parquet").exists()


def test_rate_limits_are_retried_and_retry_after_is_respected(fake, ca_file, tmp_path):
    sleeps = []
    client = connect(fake, ca_file, retry=no_wait(sleeps))
    limit = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "ConcurrentPerOrgLongTxn Limit exceeded."}]
    fake.faults += [Fault("/describe", 429, headers={"Retry-After": "7"}), Fault("/queryAll", 403, body=limit),
                    Fault("/queryAll", 503, headers={"Retry-After": "120"})]
    assert extract(client, tmp_path, ["Opportunity"])["Opportunity"].rows == 4
    assert sleeps == [7.0, 0.0, 60.0]  # Retry-After honoured, but never beyond max_delay


def test_a_refusal_that_is_not_a_rate_limit_is_not_retried(fake, ca_file, tmp_path):
    client, denied = connect(fake, ca_file), [{"errorCode": "INSUFFICIENT_ACCESS", "message": "no access"}]
    fake.faults.append(Fault("/queryAll", 403, times=None, body=denied))
    with pytest.raises(SalesforceSourceError, match="HTTP 403 .*INSUFFICIENT_ACCESS"):
        extract(client, tmp_path, ["Opportunity"])
    assert len(fake.paths("/queryAll")) == 1


def test_username_password_login_goes_to_login_salesforce_com(fake, ca_file, tmp_path):
    client = connect(fake, ca_file, env=LOGIN_ENV)
    assert extract(client, tmp_path, ["User"])["User"].rows == 3
    assert ("POST", "login.salesforce.com", "/services/Soap/u/59.0") in fake.requests
    connect(fake, ca_file, env={**LOGIN_ENV, "SALESFORCE_DOMAIN": "test", "SALESFORCE_API_VERSION": "62.0"})
    assert ("POST", "test.salesforce.com", "/services/Soap/u/62.0") in fake.requests


@pytest.mark.parametrize("env, expected", [
    ({**LOGIN_ENV, "SALESFORCE_PASSWORD": "wrong"},
     "Salesforce refused the login of etl@acme.example at login.salesforce.com (INVALID_LOGIN: Invalid "
     "username, password, security token; or user locked out.); check SALESFORCE_USERNAME, "
     "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN, and SALESFORCE_DOMAIN (test for a sandbox)"),
    ({**LOGIN_ENV, "SALESFORCE_SECURITY_TOKEN": ""}, "(LOGIN_MUST_USE_SECURITY_TOKEN: "),
    ({}, "No Salesforce credentials in the environment: set SALESFORCE_USERNAME, SALESFORCE_PASSWORD and "
         "SALESFORCE_SECURITY_TOKEN (and SALESFORCE_DOMAIN=test for a sandbox), or SALESFORCE_INSTANCE_URL "
         "and SALESFORCE_SESSION_ID"),
    ({"SALESFORCE_USERNAME": USERNAME}, "Salesforce login: SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN not set"),
    ({"SALESFORCE_SESSION_ID": "x"}, "Salesforce session login: SALESFORCE_INSTANCE_URL not set; set "),
    ({**LOGIN_ENV, "SALESFORCE_API_VERSION": "40.0"}, "API version 40.0 is not available at 127.0.0.1:"),
])
def test_bad_credentials_give_a_clear_message(fake, ca_file, env, expected):
    with pytest.raises(SalesforceSourceError) as caught:
        connect(fake, ca_file, env=env)
    assert expected in str(caught.value)
    assert len(fake.paths("/services/Soap")) <= 1  # a refused login is an answer, not retried


def test_a_stale_session_id_gives_a_clear_message(fake, ca_file):
    expected = "refused the session in SALESFORCE_SESSION_ID .* get a fresh access token into SALESFORCE_SESSION_ID"
    with pytest.raises(SalesforceSourceError, match=expected):
        connect(fake, ca_file, env={"SALESFORCE_INSTANCE_URL": fake.url, "SALESFORCE_SESSION_ID": "00Dx!stale"})


def test_no_secret_appears_in_logs_or_error_messages(fake, ca_file, tmp_path, caplog):
    caplog.set_level("DEBUG")
    client, messages = connect(fake, ca_file, env=LOGIN_ENV), []
    fake.faults.append(Fault("/queryAll", 500, times=1))
    extract(client, tmp_path, ["Opportunity", "Task"], bulk_objects=["Task"])
    fake.faults.append(Fault("/queryAll", 503, times=None))
    bad_session = {"SALESFORCE_INSTANCE_URL": fake.url, "SALESFORCE_SESSION_ID": "00Dsecret!session"}
    for attempt in (lambda: extract(client, tmp_path, ["Task"]), lambda: connect(fake, ca_file, env=bad_session),
                    lambda: connect(fake, ca_file, env={**LOGIN_ENV, "SALESFORCE_SECURITY_TOKEN": "bad-token"})):
        with pytest.raises(SalesforceSourceError) as caught:
            attempt()
        messages.append(str(caught.value))
    assert "retry 1 of 2" in caplog.text and "Opportunity: 4 rows" in caplog.text  # logs were captured
    secrets = [PASSWORD, TOKEN, "bad-token", "00Dsecret!session", *fake.sessions]
    for text in [caplog.text, *messages]:
        assert not [s for s in secrets if s in text]
