"""The demo Salesforce org: Ids, file format, determinism, and the realism the KPIs rely on.

Most tests read one small org (scale 0.2) back with DuckDB, typing every column by the schema in
`objects.py`, and assert on the values, not on the generator's internals.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.demo_org import generate_org
from orchestration.demo_org.ids import checksum, make_ids, to_18
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import DEFAULT_STAGES, OBJECTS, OBJECTS_BY_NAME

AS_OF = dt.date(2025, 3, 5)
CUTOFF = dt.datetime(2025, 3, 6)  # the end of the as_of day


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """A small org as CSV, and a DuckDB connection with one table per object typed by the schema."""
    out = tmp_path_factory.mktemp("org")
    counts = generate_org(out, as_of=AS_OF, seed=42, scale=0.2)
    con = duckdb.connect()
    for obj in OBJECTS:
        casts = ", ".join(f"cast(nullif(\"{f.api_name}\", '') as {f.duckdb_type}) as \"{f.api_name}\""
                          for f in obj.fields)
        csv = out / f"{obj.api_name}.csv"
        con.execute(f"create table \"{obj.api_name}\" as select {casts} "
                    f"from read_csv('{csv}', header = true, all_varchar = true)")
    yield {"dir": out, "counts": counts, "con": con}
    con.close()


def _rows(org, sql: str, *params) -> list[tuple]:
    return org["con"].execute(sql, list(params)).fetchall()


def _one(org, sql: str, *params):
    return _rows(org, sql, *params)[0][0]


def _none(org, table: str, condition: str, *params) -> None:
    """Assert that no row of `table` meets `condition`."""
    assert _one(org, f'select count(*) from "{table}" where {condition}', *params) == 0, condition


# --- Ids -------------------------------------------------------------------------------------


def test_checksum_of_a_real_salesforce_id_matches_salesforce():
    assert to_18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"


def test_checksum_sets_one_bit_per_uppercase_letter_in_each_chunk():
    assert checksum("001000000000001") == "AAA"
    assert checksum("A0000B00000000Z") == "BBQ"  # bit 0, bit 0, bit 4 (16 -> Q)
    assert checksum("AAAAAaaaaa00000") == "5AA"  # all five bits: 31 -> '5'


def test_to_18_recomputes_the_suffix_of_an_18_character_id_and_rejects_other_lengths():
    assert to_18("0015000000Gv7qJxxx") == "0015000000Gv7qJAAR"
    with pytest.raises(ValueError):
        to_18("0015000000Gv7q")


def test_generated_ids_count_in_base62_and_carry_the_scalar_checksum():
    ids = make_ids("006", 200, start=61)
    assert ids[0][:15] == "0065" + "0" * 10 + "z"  # 61 is the last base62 digit
    assert ids[1][:15] == "0065" + "0" * 9 + "10"
    assert len(set(ids)) == 200 and all(len(i) == 18 and to_18(i[:15]) == i for i in ids)


# --- Files and format ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_writes_identical_files(tmp_path, fmt):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_org(a, as_of=AS_OF, seed=7, scale=0.05, fmt=fmt)
    generate_org(b, as_of=AS_OF, seed=7, scale=0.05, fmt=fmt)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and len(names) == len(OBJECTS)
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def test_a_different_seed_writes_different_data(tmp_path):
    generate_org(tmp_path / "a", as_of=AS_OF, seed=1, scale=0.05)
    generate_org(tmp_path / "b", as_of=AS_OF, seed=2, scale=0.05)
    for name in ("Opportunity.csv", "Lead.csv", "Task.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_every_object_file_exists_with_exactly_the_schema_headers_in_order(org):
    for obj in OBJECTS:
        header = (org["dir"] / f"{obj.api_name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == [f.api_name for f in obj.fields], obj.api_name


def test_returned_counts_are_the_rows_in_each_file(org):
    assert set(org["counts"]) == {o.api_name for o in OBJECTS}
    for name, count in org["counts"].items():
        assert _one(org, f'select count(*) from "{name}"') == count > 0, name


_TEXT_FORMATS = {
    "boolean": re.compile(r"^(true|false)$"),
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "id": re.compile(r"^[0-9A-Za-z]{18}$"),
}


def test_booleans_datetimes_dates_and_ids_are_written_as_salesforce_exports_them(org):
    con = duckdb.connect()
    for obj in OBJECTS:
        path = org["dir"] / f"{obj.api_name}.csv"
        rows = con.execute(f"select * from read_csv('{path}', header = true, all_varchar = true)").fetchall()
        for i, field in enumerate(obj.fields):
            if pattern := _TEXT_FORMATS.get(field.type):
                bad = [r[i] for r in rows if r[i] is not None and not pattern.match(r[i])]
                assert not bad, f"{obj.api_name}.{field.api_name}: {bad[:3]}"
        ids = [r[0] for r in rows]
        assert len(set(ids)) == len(ids) and all(i.startswith(obj.id_prefix) and to_18(i) == i for i in ids)


def test_the_pipeline_loader_accepts_every_file(org):
    con = duckdb.connect()
    for obj in OBJECTS:
        result = load_object(con, obj, org["dir"] / f"{obj.api_name}.csv", CUTOFF)
        assert result.rows == org["counts"][obj.api_name]
        assert result.missing_optional_columns == [] and result.extra_columns == []


def test_parquet_output_round_trips_with_the_same_row_counts_and_typed_columns(tmp_path):
    counts = generate_org(tmp_path, as_of=AS_OF, seed=3, scale=0.05, fmt="parquet")
    for obj in OBJECTS:
        table = pq.read_table(tmp_path / f"{obj.api_name}.parquet")
        assert table.num_rows == counts[obj.api_name]
        assert table.column_names == [f.api_name for f in obj.fields]
    schema = pq.read_schema(tmp_path / "Opportunity.parquet")
    assert str(schema.field("CreatedDate").type).startswith("timestamp")
    assert str(schema.field("CloseDate").type) == "date32[day]"
    assert str(schema.field("IsWon").type) == "bool"
    assert str(schema.field("Amount").type) == "decimal128(18, 2)"


# --- Time ------------------------------------------------------------------------------------

# The documented exceptions: an open deal's CloseDate is its expected close, and the quotas of the
# current quarter's remaining months are set in advance.
_MAY_BE_FUTURE = {("Opportunity", "CloseDate"), ("OpportunityHistory", "CloseDate"),
                  ("ForecastingQuota", "StartDate")}


def test_nothing_is_dated_after_the_as_of_day_but_expected_closes_and_this_quarters_quotas(org):
    for obj in OBJECTS:
        for f in obj.fields:
            if f.type in ("datetime", "date") and (obj.api_name, f.api_name) not in _MAY_BE_FUTURE:
                limit = CUTOFF if f.type == "datetime" else AS_OF + dt.timedelta(days=1)
                _none(org, obj.api_name, f'"{f.api_name}" >= ?', limit)
    _none(org, "Opportunity", "IsClosed and CloseDate > ?", AS_OF)
    assert _one(org, "select max(CloseDate) from Opportunity") <= AS_OF + dt.timedelta(days=190)
    last_quota_month = dt.date(AS_OF.year, (AS_OF.month - 1) // 3 * 3 + 3, 1)
    assert _one(org, "select max(StartDate) from ForecastingQuota") == last_quota_month


def test_history_starts_about_two_years_before_as_of(org):
    two_years_before = CUTOFF - dt.timedelta(days=731)
    for obj in ("Account", "Lead", "Opportunity"):
        first = _one(org, f"select min(CreatedDate) from {obj}")
        assert dt.timedelta(0) <= first - two_years_before < dt.timedelta(days=14), obj


def test_the_newest_system_modstamp_of_every_object_is_on_the_as_of_day(org):
    for obj in OBJECTS:
        if "SystemModstamp" in {f.api_name for f in obj.fields}:
            newest = _one(org, f'select max(SystemModstamp) from "{obj.api_name}"')
            assert CUTOFF - dt.timedelta(hours=24) <= newest < CUTOFF, obj.api_name


def test_modification_stamps_never_precede_creation(org):
    for obj in OBJECTS:
        if {"CreatedDate", "LastModifiedDate"} <= {f.api_name for f in obj.fields}:
            _none(org, obj.api_name, "LastModifiedDate < CreatedDate or SystemModstamp < LastModifiedDate")
    _none(org, "OpportunityHistory", "SystemModstamp < CreatedDate")


# --- Opportunities ---------------------------------------------------------------------------

_STAGES = ", ".join(f"('{s}', {p}, '{c}', {closed}, {won})" for s, p, c, closed, won in DEFAULT_STAGES)


def test_stage_flags_follow_the_stage_and_won_implies_closed(org):
    _none(org, "Opportunity", "IsWon and not IsClosed")
    _none(org, "Opportunity", f"StageName not in (select col0 from (values {_STAGES}))")
    _none(org, "Opportunity", "Probability not between 0 and 100")
    assert _one(org, f"""
        select count(*) from Opportunity o join (values {_STAGES}) s(stage, p, category, closed, won)
          on s.stage = o.StageName
        where o.IsClosed <> s.closed or o.IsWon <> s.won or o.Probability <> s.p
           or s.category not in (o.ForecastCategory, o.ForecastCategoryName)""") == 0
    labels = _rows(org, "select distinct ForecastCategory, ForecastCategoryName from Opportunity")
    assert ("Forecast", "Commit") in labels and ("Closed", "Closed") in labels


def test_closed_deals_close_on_or_after_creation_and_open_ones_within_six_months(org):
    _none(org, "Opportunity", "IsClosed and CloseDate < CreatedDate::date")
    first, last, count = _rows(org, "select min(CloseDate), max(CloseDate), count(*) "
                                    "from Opportunity where not IsClosed")[0]
    assert count > 0 and AS_OF < first and last <= AS_OF + dt.timedelta(days=190)


def test_some_amounts_are_null_and_several_currencies_are_used(org):
    assert 0 < _one(org, "select avg((Amount is null)::int) from Opportunity") < 0.08
    assert _one(org, "select count(distinct CurrencyIsoCode) from Opportunity") >= 3
    assert _one(org, "select mode(CurrencyIsoCode) from Opportunity") == "USD"
    rates = dict(_rows(org, "select IsoCode, ConversionRate from CurrencyType"))
    assert rates == {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.25}
    assert _rows(org, "select IsoCode from CurrencyType where IsCorporate") == [("USD",)]


def test_stage_history_starts_at_creation_in_the_first_stage_and_ends_in_the_current_stage(org):
    assert _one(org, f"""
        with h as (select OpportunityId, arg_min(StageName, CreatedDate) first_stage,
                          min(CreatedDate) first_at, arg_max(StageName, CreatedDate) last_stage,
                          arg_max(Amount, CreatedDate) last_amount
                   from OpportunityHistory group by 1)
        select count(*) from Opportunity o left join h on h.OpportunityId = o.Id
        where h.first_stage is distinct from '{DEFAULT_STAGES[0][0]}' or h.first_at <> o.CreatedDate
           or h.last_stage <> o.StageName or h.last_amount is distinct from o.Amount""") == 0
    _none(org, "OpportunityHistory", "ExpectedRevenue <> round(Amount * Probability / 100, 2)")


def test_about_one_deal_in_ten_slips_back_a_stage(org):
    regressed = _one(org, """
        with h as (select OpportunityId, StageName, Probability, lag(Probability) over
                          (partition by OpportunityId order by CreatedDate) previous
                   from OpportunityHistory)
        select count(distinct OpportunityId) from h where StageName <> 'Closed Lost' and Probability < previous""")
    assert 0.04 < regressed / _one(org, "select count(*) from Opportunity") < 0.2


def test_closes_bunch_up_in_the_last_month_of_each_quarter_and_thin_out_in_summer(org):
    by_month = dict(_rows(org, "select month(CloseDate), count(*) from Opportunity where IsClosed group by 1"))
    assert sum(by_month[m] for m in (6, 9, 12)) > 1.5 * sum(by_month[m] for m in (4, 7, 10))
    assert by_month[7] + by_month[8] < by_month[10] + by_month[11]


def test_reps_differ_in_win_rate(org):
    rates = [r[0] for r in _rows(org, "select avg(IsWon::int) from Opportunity where IsClosed "
                                      "group by OwnerId having count(*) >= 10")]
    assert len(rates) >= 3 and max(rates) - min(rates) > 0.1


# --- Funnel, references, deletions -----------------------------------------------------------


def test_converted_leads_point_at_the_opportunity_created_at_conversion_by_their_owner(org):
    assert 0.15 <= _one(org, "select avg(IsConverted::int) from Lead") <= 0.25
    assert _one(org, """
        select count(*) from Lead l
        left join Opportunity o on o.Id = l.ConvertedOpportunityId
        left join Contact c on c.Id = l.ConvertedContactId
        where l.IsConverted and (l.Status <> 'Closed - Converted' or l.ConvertedDate < l.CreatedDate::date
           or o.Id is null or o.CreatedDate::date <> l.ConvertedDate or o.OwnerId <> l.OwnerId
           or o.AccountId <> l.ConvertedAccountId or c.AccountId <> l.ConvertedAccountId)""") == 0
    _none(org, "Lead", "not IsConverted and (ConvertedDate is not null or ConvertedOpportunityId is not null "
                       "or Status = 'Closed - Converted')")
    assert {r[0] for r in _rows(org, "select distinct Status from Lead")} == {
        "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}


# (child object, column, parent object) for every reference in the export but WhoId/WhatId.
_REFERENCES = [
    ("User", "UserRoleId", "UserRole"), ("User", "ManagerId", "User"), ("UserRole", "ParentRoleId", "UserRole"),
    ("Account", "OwnerId", "User"), ("Account", "ParentId", "Account"), ("Contact", "AccountId", "Account"),
    ("Contact", "OwnerId", "User"), ("Lead", "OwnerId", "User"), ("Lead", "ConvertedAccountId", "Account"),
    ("Lead", "ConvertedContactId", "Contact"), ("Lead", "ConvertedOpportunityId", "Opportunity"),
    ("Opportunity", "AccountId", "Account"), ("Opportunity", "OwnerId", "User"),
    ("Opportunity", "CampaignId", "Campaign"), ("OpportunityHistory", "OpportunityId", "Opportunity"),
    ("OpportunityHistory", "CreatedById", "User"), ("Task", "OwnerId", "User"), ("Event", "OwnerId", "User"),
    ("Campaign", "OwnerId", "User"), ("CampaignMember", "CampaignId", "Campaign"),
    ("CampaignMember", "LeadId", "Lead"), ("CampaignMember", "ContactId", "Contact"),
    ("ForecastingQuota", "QuotaOwnerId", "User"),
]


def _soft_deletes(name: str) -> bool:
    return "IsDeleted" in {f.api_name for f in OBJECTS_BY_NAME[name].fields}


def test_every_reference_resolves_and_live_rows_only_reference_live_rows(org):
    for child, column, parent in _REFERENCES:
        _none(org, child, f'"{column}" is not null and "{column}" not in (select Id from "{parent}")')
        if _soft_deletes(child) and _soft_deletes(parent):
            _none(org, child, f'not IsDeleted and "{column}" in (select Id from "{parent}" where IsDeleted)')


def test_activities_point_at_leads_contacts_deals_and_accounts_and_never_a_what_on_a_lead(org):
    parents = ("(select Id, IsDeleted from Lead union all select Id, IsDeleted from Contact "
               "union all select Id, IsDeleted from Opportunity union all select Id, IsDeleted from Account)")
    for obj in ("Task", "Event"):
        _none(org, obj, "WhoId like '00Q%' and WhatId is not null")
        _none(org, obj, "WhoId is not null and WhoId not in (select Id from Lead union all select Id from Contact)")
        _none(org, obj, "WhatId is not null and WhatId not in "
                        "(select Id from Opportunity union all select Id from Account)")
        _none(org, obj, f"not IsDeleted and (WhoId in (select Id from {parents} where IsDeleted) "
                        f"or WhatId in (select Id from {parents} where IsDeleted))")
        prefixes = {r[0] for r in _rows(org, f"select distinct left(coalesce(WhatId, WhoId), 3) from {obj}")}
        assert {"00Q", "006", "001"} <= prefixes
    _none(org, "Event", "EndDateTime <> StartDateTime + DurationInMinutes * interval 1 minute")
    _none(org, "Task", "(TaskSubtype = 'Call') <> (CallDurationInSeconds is not null)")
    assert _one(org, "select count(*) from Task where Type = 'Social' and Subject like 'LinkedIn InMail%'") > 0


def test_leads_are_mostly_touched_within_days_and_a_few_activities_predate_their_lead(org):
    first_touch_hours, untouched, backdated, lead_activities = _rows(org, """
        with a as (select WhoId, CreatedDate from Task union all select WhoId, CreatedDate from Event),
        firsts as (select l.Id, min(a.CreatedDate) filter (where a.CreatedDate >= l.CreatedDate) first_at,
                          min(l.CreatedDate) created
                   from Lead l left join a on a.WhoId = l.Id group by l.Id)
        select median(epoch(first_at - created) / 3600), avg((first_at is null)::int),
               (select count(*) from a join Lead l on l.Id = a.WhoId where a.CreatedDate < l.CreatedDate),
               (select count(*) from a where WhoId like '00Q%')
        from firsts""")[0]
    assert first_touch_hours < 48 and 0.02 < untouched < 0.3
    assert 0.003 < backdated / lead_activities < 0.03


def test_some_rows_are_soft_deleted_in_every_object_that_supports_it(org):
    for name in ("Lead", "Opportunity", "Task", "Event", "Account", "Contact"):
        assert 0 < _one(org, f"select avg(IsDeleted::int) from {name}") < 0.05, name


def test_the_team_is_a_vp_over_managers_over_reps_with_a_few_inactive_users(org):
    vps = _rows(org, "select Id, Title from User where ManagerId is null")
    assert len(vps) == 1 and vps[0][1] == "VP of Sales"
    assert _one(org, "select count(*) from User where ManagerId = ?", vps[0][0]) >= 1
    assert _one(org, "select count(*) from User where ManagerId in "
                     "(select Id from User where ManagerId = ?)", vps[0][0]) >= 4
    assert _one(org, "select count(*) from User where not IsActive") >= 1
    assert _one(org, "select count(*) from UserRole where ParentRoleId is null") == 1
    # The role hierarchy mirrors the management chain.
    assert _one(org, """select count(*) from User u join User m on m.Id = u.ManagerId
                        join UserRole r on r.Id = u.UserRoleId
                        where r.ParentRoleId is distinct from m.UserRoleId""") == 0


def test_quotas_are_monthly_usd_amounts_per_rep(org):
    _none(org, "ForecastingQuota", "QuotaAmount not between 40000 and 120000 or CurrencyIsoCode <> 'USD' "
                                   "or day(StartDate) <> 1")
    _none(org, "ForecastingQuota", "QuotaOwnerId in (select Id from User where Title <> 'Account Executive')")
    assert _one(org, "select count(*) - count(distinct (QuotaOwnerId, StartDate)) from ForecastingQuota") == 0
    assert 24 <= _one(org, "select count(distinct StartDate) from ForecastingQuota") <= 28


def test_campaign_members_have_a_response_date_exactly_when_they_responded(org):
    _none(org, "CampaignMember", "HasResponded <> (FirstRespondedDate is not null)")
    _none(org, "CampaignMember", "FirstRespondedDate < CreatedDate::date")
    _none(org, "CampaignMember", "(LeadId is null) = (ContactId is null)")
    _none(org, "Campaign", "BudgetedCost is null or ActualCost is null")


def test_scale_one_has_the_documented_size_and_takes_seconds(tmp_path):
    started = time.perf_counter()
    counts = generate_org(tmp_path, as_of=AS_OF, seed=42, scale=1.0)
    assert time.perf_counter() - started < 5
    assert counts["Opportunity"] == 1_500 and counts["Lead"] == 4_000 and counts["Account"] == 1_500
    assert 15_000 < counts["Task"] < 26_000 and 4_000 < counts["Event"] < 8_000
    assert 4_500 < counts["OpportunityHistory"] < 8_000 and counts["CurrencyType"] == 4
