"""Bring-your-own CRM: the YAML mapping, its validation, its conversion, and the pipeline on the result."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from orchestration.mapping import MappingError, apply_mapping, salesforce_id, validate_mapping
from tests.support.mapping import (
    AS_OF,
    EXAMPLE,
    EXPORT,
    INJECTION,
    SALESFORCE_ID,
    csv_rows,
    parquet_table,
    tiny_export,
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mapped") / "export"
    apply_mapping(EXAMPLE, EXPORT, out, as_of=AS_OF)
    return out


# --- the example ---------------------------------------------------------------------------------


def test_the_example_mapping_converts_the_example_export_into_one_parquet_file_per_object(tmp_path):
    counts = apply_mapping(EXAMPLE, EXPORT, tmp_path / "out", as_of=AS_OF)
    teams, deals = csv_rows("sales_teams.csv"), csv_rows("sales_pipeline.csv")
    agents = {r["sales_agent"] for r in teams}
    managers = {r["manager"] for r in teams}
    closed = [d for d in deals if d["deal_stage"] in ("Won", "Lost")]
    assert counts == {
        "UserRole": len({r["regional_office"] for r in teams}),
        "User": len(agents | managers),
        "Account": len(csv_rows("accounts.csv")),
        "Opportunity": len(deals),
        "OpportunityHistory": len(deals) + len(closed),
    }
    written = sorted(p.name for p in (tmp_path / "out").glob("*.parquet"))
    assert written == sorted(f"{name}.parquet" for name in counts)


def test_a_won_deal_is_closed_and_won_at_its_close_value(converted):
    deal = next(d for d in csv_rows("sales_pipeline.csv") if d["deal_stage"] == "Won")
    opportunities = parquet_table(converted, "Opportunity").set_index("Id")
    row = opportunities.loc[salesforce_id("006", deal["opportunity_id"])]
    assert bool(row.IsWon) and bool(row.IsClosed)
    assert row.StageName == "Closed Won"
    assert Decimal(str(row.Amount)) == Decimal(deal["close_value"])
    assert row.CloseDate == pd.Timestamp(deal["close_date"])
    assert row.CreatedDate == pd.Timestamp(deal["engage_date"])
    assert row.OwnerId == salesforce_id("005", deal["sales_agent"])
    assert row.AccountId == salesforce_id("001", deal["account"])


def test_a_lost_deal_is_closed_not_won_and_keeps_its_list_price(converted):
    deal = next(d for d in csv_rows("sales_pipeline.csv") if d["deal_stage"] == "Lost")
    price = {p["product"]: Decimal(p["sales_price"]) for p in csv_rows("products.csv")}[deal["product"]]
    row = parquet_table(converted, "Opportunity").set_index("Id").loc[salesforce_id("006", deal["opportunity_id"])]
    assert bool(row.IsClosed) and not bool(row.IsWon)
    assert (row.StageName, Decimal(str(row.Amount))) == ("Closed Lost", price)


def test_an_open_deal_is_valued_at_its_list_price_and_expected_to_close_90_days_after_engaging(converted):
    deal = next(d for d in csv_rows("sales_pipeline.csv") if d["deal_stage"] == "Engaging")
    price = {p["product"]: Decimal(p["sales_price"]) for p in csv_rows("products.csv")}[deal["product"]]
    row = parquet_table(converted, "Opportunity").set_index("Id").loc[salesforce_id("006", deal["opportunity_id"])]
    assert not bool(row.IsClosed) and not bool(row.IsWon)
    assert (row.StageName, Decimal(str(row.Amount))) == ("Needs Analysis", price)
    assert row.CloseDate == pd.Timestamp(deal["engage_date"]) + pd.Timedelta(days=90)


def test_an_undated_prospect_is_created_on_the_as_of_day_and_expected_to_close_90_days_later(converted):
    deal = next(d for d in csv_rows("sales_pipeline.csv") if d["deal_stage"] == "Prospecting")
    assert deal["engage_date"] == deal["close_date"] == ""  # as the real export leaves a prospect
    key = salesforce_id("006", deal["opportunity_id"])
    row = parquet_table(converted, "Opportunity").set_index("Id").loc[key]
    assert row.CreatedDate == pd.Timestamp(AS_OF) and row.SystemModstamp == pd.Timestamp(AS_OF)
    assert row.CloseDate == pd.Timestamp(AS_OF) + pd.Timedelta(days=90)
    history = parquet_table(converted, "OpportunityHistory").set_index("OpportunityId").loc[[key]]
    assert history[["StageName", "CreatedDate"]].values.tolist() == [["Prospecting", pd.Timestamp(AS_OF)]]


def test_a_prospect_without_an_account_has_no_account_id(converted):
    deal = next(d for d in csv_rows("sales_pipeline.csv")
                if d["deal_stage"] == "Prospecting" and not d["account"])
    row = parquet_table(converted, "Opportunity").set_index("Id").loc[salesforce_id("006", deal["opportunity_id"])]
    assert pd.isna(row.AccountId) and row.StageName == "Prospecting"


def test_agents_report_to_their_manager_who_is_a_user_too(converted):
    users = parquet_table(converted, "User").set_index("Id")
    team = csv_rows("sales_teams.csv")[0]
    agent = users.loc[salesforce_id("005", team["sales_agent"])]
    manager = users.loc[salesforce_id("005", team["manager"])]
    assert agent.ManagerId == manager.name and pd.isna(manager.ManagerId)
    assert (agent.Title, manager.Title) == ("Sales Agent", "Sales Manager")
    assert agent.UserRoleId == manager.UserRoleId == salesforce_id("00E", team["regional_office"])
    assert agent.Email == team["sales_agent"].lower().replace(" ", ".") + "@example.com"


def test_every_id_is_a_unique_18_character_salesforce_id_with_its_objects_key_prefix(converted):
    prefixes = {"User": "005", "UserRole": "00E", "Account": "001", "Opportunity": "006",
                "OpportunityHistory": "008"}
    for name, prefix in prefixes.items():
        ids = parquet_table(converted, name)["Id"]
        assert ids.str.match(SALESFORCE_ID).all() and ids.str.startswith(prefix).all(), name
        assert ids.is_unique, name


def test_every_reference_resolves_to_a_converted_record(converted):
    users = set(parquet_table(converted, "User")["Id"])
    accounts = set(parquet_table(converted, "Account")["Id"])
    opportunities = parquet_table(converted, "Opportunity")
    assert set(opportunities["OwnerId"]) <= users
    assert set(opportunities["AccountId"].dropna()) <= accounts
    assert set(parquet_table(converted, "User")["ManagerId"].dropna()) <= users
    assert set(parquet_table(converted, "OpportunityHistory")["OpportunityId"]) == set(opportunities["Id"])


def test_ids_are_the_same_on_every_run(converted, tmp_path):
    apply_mapping(EXAMPLE, EXPORT, tmp_path / "again", as_of=AS_OF)
    for name in ("User", "Account", "Opportunity", "OpportunityHistory"):
        pd.testing.assert_frame_equal(parquet_table(converted, name), parquet_table(tmp_path / "again", name))


def test_salesforce_id_is_derived_from_the_key_with_a_valid_case_safe_suffix():
    first = salesforce_id("006", "AB12CD34")
    assert first == salesforce_id("006", "AB12CD34") and first != salesforce_id("006", "AB12CD35")
    assert first.startswith("006") and SALESFORCE_ID.match(first)
    # Salesforce's suffix: a bit per upper-case letter of each 5-character chunk
    bits = [sum(1 << i for i, c in enumerate(first[k:k + 5]) if c.isupper()) for k in (0, 5, 10)]
    assert first[15:] == "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[b] for b in bits)
    assert salesforce_id("006", None) is None
    assert salesforce_id("008", "a b", "c") != salesforce_id("008", "a", "b c")


def test_the_newest_change_in_the_converted_export_is_on_the_as_of_day(converted):
    # The example is run as of its own last day, so the pipeline's freshness check holds honestly.
    newest = parquet_table(converted, "Opportunity")["SystemModstamp"].max()
    assert newest.date() == AS_OF


def test_applying_again_replaces_its_own_output_but_never_mixes_into_a_foreign_folder(converted, tmp_path):
    apply_mapping(EXAMPLE, EXPORT, converted, as_of=AS_OF)  # its own earlier output: replaced
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "Lead.csv").write_text("Id\n")
    with pytest.raises(MappingError, match="did not write"):
        apply_mapping(EXAMPLE, EXPORT, foreign, as_of=AS_OF)


# --- injection ------------------------------------------------------------------------------------


def test_sql_in_a_column_name_a_value_or_a_constant_is_carried_as_data(tmp_path):
    mapping = tiny_export(tmp_path, [["rep", INJECTION], ["Ann Lee", INJECTION], ["Bo Chan", "x"]],
                    [["deal", "rep", "amount", "day"], [INJECTION, "Ann Lee", "10", "2026-01-05"]])
    document = yaml.safe_load(mapping.read_text())
    document["objects"]["User"]["fields"]["Title"] = f'"{INJECTION}"'  # the column, quoted as SQL
    document["objects"]["Opportunity"]["constants"]["StageName"] = INJECTION
    mapping.write_text(yaml.safe_dump(document))
    out = tmp_path / "out"
    assert apply_mapping(mapping, tmp_path / "export", out) == {"User": 2, "Opportunity": 1}
    users = parquet_table(out, "User").sort_values("Name")
    assert users["Title"].tolist() == [INJECTION, "x"]
    deal = parquet_table(out, "Opportunity").iloc[0]
    assert (deal.Name, deal.StageName, deal.Id) == (INJECTION, INJECTION, salesforce_id("006", INJECTION))


def test_a_default_fills_a_field_only_where_its_expression_gives_null(tmp_path):
    mapping = tiny_export(tmp_path, [["rep"], ["Ann Lee"]],
                    [["deal", "rep", "amount", "day"], ["D1", "Ann Lee", "250", "2026-01-05"],
                     ["D2", "Ann Lee", "", "2026-01-06"]], defaults={"Amount": 0, "LeadSource": "Import"})
    apply_mapping(mapping, tmp_path / "export", tmp_path / "out")
    deals = parquet_table(tmp_path / "out", "Opportunity").set_index("Name")
    assert (float(deals.loc["D1", "Amount"]), float(deals.loc["D2", "Amount"])) == (250.0, 0.0)
    assert deals["LeadSource"].tolist() == ["Import", "Import"]


def test_mapping_problems_are_reported_before_any_data_is_read(tmp_path):
    # The data has a value that breaks its declared type, but the mapping's own problem comes first.
    mapping = tiny_export(tmp_path, [["rep"], ["Ann Lee"]],
                    [["deal", "rep", "amount", "day"], ["D1", "Ann Lee", "250", "someday"]])
    document = yaml.safe_load(mapping.read_text())
    document["objects"]["Opportunity"]["fields"]["Amount"] = "amount * rate"
    mapping.write_text(yaml.safe_dump(document))
    with pytest.raises(MappingError) as caught:
        apply_mapping(mapping, tmp_path / "export", tmp_path / "out")
    assert caught.value.problems == ["Opportunity.Amount: no column 'rate' in deals.csv; "
                                     "a text value needs quotes: 'like this'"]


def test_validation_reads_only_headers_and_returns_the_compiled_plan():
    plan = validate_mapping(EXAMPLE, EXPORT)
    assert list(plan.objects()) == ["UserRole", "User", "Account", "Opportunity", "OpportunityHistory"]
    opportunity = next(e for e in plan.entries if e.label == "Opportunity")
    assert opportunity.expressions["Id"].lower().startswith("__crm_mapping_salesforce_id(")


# --- end to end -----------------------------------------------------------------------------------


@pytest.mark.e2e
def test_the_pipeline_runs_unchanged_on_the_converted_example_and_books_exactly_the_won_deals(
        tmp_path, monkeypatch):
    """The Done-when of issue 14: the example export, with its undated prospects, publishes; won,
    lost and bookings equal the file's (computed here with pandas, not with the mapping)."""
    from orchestration.cli.main import main

    monkeypatch.delenv("CRM_KPI_QUALITY_CONFIG", raising=False)  # the default freshness limits apply
    home = tmp_path / "home"
    assert main(["run", "--source", str(EXPORT), "--mapping", str(EXAMPLE), "--home", str(home),
                 "--as-of", AS_OF.isoformat()]) == 0
    with duckdb.connect(str(home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
        monthly = con.execute(
            "select month, opportunities_won, opportunities_lost, bookings_amount, opportunities_created "
            "from kpi_company_monthly").df().set_index("month")
        by_rep = con.execute(
            "select u.user_name, sum(r.opportunities_won), sum(r.bookings_amount) from kpi_rep_monthly r "
            "join dim_users u on u.user_id = r.owner_id group by 1 having sum(r.opportunities_won) > 0"
        ).fetchall()
    deals = pd.read_csv(EXPORT / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    undated = deals.engage_date.isna() & deals.close_date.isna()
    assert (deals.deal_stage[undated] == "Prospecting").all() and undated.sum() >= 10  # as real exports have them
    won, lost = deals[deals.deal_stage == "Won"], deals[deals.deal_stage == "Lost"]
    assert (monthly.opportunities_won.sum(), monthly.opportunities_lost.sum()) == (len(won), len(lost))
    assert monthly.bookings_amount.sum() == pytest.approx(won.close_value.sum(), abs=0.005)
    # month by month, by the month each deal closed
    monthly.index = pd.to_datetime(monthly.index).to_period("M")
    for closed, column in ((won, "opportunities_won"), (lost, "opportunities_lost")):
        expected = closed.groupby(closed.close_date.dt.to_period("M")).size()
        assert monthly[column][monthly[column] > 0].to_dict() == expected.to_dict()
    expected = won.groupby(won.close_date.dt.to_period("M")).close_value.sum()
    assert monthly.bookings_amount[monthly.bookings_amount > 0].round(2).to_dict() == expected.round(2).to_dict()
    # rep by rep: each won deal is booked to its agent
    expected = won.groupby("sales_agent").close_value.agg(["size", "sum"])
    assert {name: (n, round(amount, 2)) for name, n, amount in by_rep} == {
        name: (row["size"], round(row["sum"], 2)) for name, row in expected.iterrows()}
    # every deal is published (none held back for a missing date); the undated ones in the as-of month
    created_on = deals.engage_date.fillna(pd.Timestamp(AS_OF)).dt.to_period("M")
    assert monthly.opportunities_created.sum() == len(deals)
    assert monthly.opportunities_created[pd.Period(AS_OF, "M")] == (created_on == pd.Period(AS_OF, "M")).sum()


def test_run_with_a_broken_mapping_exits_2_with_the_problem_and_runs_nothing(tmp_path, capsys):
    from orchestration.cli.main import main

    document = yaml.safe_load(EXAMPLE.read_text())
    document["objects"]["Opportunity"]["fields"]["Amount"] = "close_valu"
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False))

    code = main(["run", "--source", str(EXPORT), "--mapping", str(broken), "--home", str(tmp_path / "home")])

    err = capsys.readouterr().err
    assert code == 2
    assert str(broken) in err and "Opportunity.Amount" in err and "close_valu" in err
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()
