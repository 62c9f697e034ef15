"""The demo Salesforce org: the realism the KPIs rely on (funnel, stages, references, team)."""

from __future__ import annotations

import datetime as dt
import time

from demo_org import generate_org
from orchestration.salesforce.objects import DEFAULT_STAGES, OBJECTS_BY_NAME
from tests.support.demo import AS_OF
from tests.support.demo import none as _none
from tests.support.demo import one as _one
from tests.support.demo import rows as _rows

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


# (child object, column, parent object) for every reference in the export but the polymorphic ones
# (WhoId/WhatId, EmailMessage.RelatedToId, ContentDistribution.RelatedRecordId).
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
    ("ForecastingQuota", "QuotaOwnerId", "User"), ("EmailMessage", "ActivityId", "Task"),
    ("EmailMessage", "CreatedById", "User"), ("ContentDistribution", "OwnerId", "User"),
    ("Survey_Response__c", "Account__c", "Account"), ("Survey_Response__c", "Opportunity__c", "Opportunity"),
    ("Survey_Response__c", "Contact__c", "Contact"), ("Survey_Response__c", "OwnerId", "User"),
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
    assert 6_000 < counts["EmailMessage"] < 9_500 and 800 < counts["ContentDistribution"] < 1_300
    assert 200 < counts["Survey_Response__c"] < 500
