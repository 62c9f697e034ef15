"""The demo Salesforce org: e-mail tracking, shared sales content and customer surveys (CSAT/NPS)."""

from __future__ import annotations

import duckdb
import pytest

from demo_org import generate_org
from orchestration.salesforce.objects import OBJECTS_BY_NAME
from tests.support.demo import AS_OF
from tests.support.demo import none as _none
from tests.support.demo import one as _one
from tests.support.demo import rows as _rows

_OUTBOUND = "(select * from EmailMessage where not Incoming)"


@pytest.fixture(scope="module")
def big_org(tmp_path_factory):
    """A scale-1 org (about 25 reps), for what only shows per rep: the few objects these tests read."""
    out = tmp_path_factory.mktemp("big_org")
    generate_org(out, as_of=AS_OF, seed=42, scale=1.0)
    con = duckdb.connect()
    for name in ("Opportunity", "EmailMessage", "ContentDistribution", "Survey_Response__c"):
        casts = ", ".join(f"cast(nullif(\"{f.api_name}\", '') as {f.duckdb_type}) as \"{f.api_name}\""
                          for f in OBJECTS_BY_NAME[name].fields)
        con.execute(f"create table \"{name}\" as select {casts} "
                    f"from read_csv('{out / (name + '.csv')}', header = true, all_varchar = true)")
    yield {"dir": out, "con": con}
    con.close()


# --- EmailMessage ----------------------------------------------------------------------------


def test_every_sent_email_is_the_message_of_a_completed_email_task_and_matches_it(org):
    assert _one(org, f"""
        select count(*) from {_OUTBOUND} e left join Task t on t.Id = e.ActivityId
        where t.Id is null or t.TaskSubtype <> 'Email' or not t.IsClosed or e.MessageDate <> t.CreatedDate
           or e.CreatedById <> t.OwnerId or e.RelatedToId <> coalesce(t.WhatId, t.WhoId)
           or e.IsDeleted <> t.IsDeleted or e.Status <> '3'
           or t.Subject <> 'Email: ' || e.Subject""") == 0
    assert _one(org, "select count(*) - count(distinct ActivityId) from EmailMessage where ActivityId is not null") == 0
    # Most completed e-mail tasks have their message; a few were logged by hand.
    covered = _one(org, """select avg((Id in (select ActivityId from EmailMessage where ActivityId is not null))::int)
                           from Task where TaskSubtype = 'Email' and IsClosed""")
    assert 0.85 < covered < 0.99
    _none(org, "EmailMessage", "ActivityId in (select Id from Task where TaskSubtype <> 'Email')")
    _none(org, "EmailMessage", "ParentId is not null")  # Email-to-Case only; no cases in a sales org


def test_emails_go_from_the_rep_to_the_lead_or_contact_they_are_about(org):
    assert _one(org, f"""
        select count(*) from {_OUTBOUND} e join Task t on t.Id = e.ActivityId
        left join (select Id, Email from Lead union all select Id, Email from Contact) p on p.Id = t.WhoId
        join User u on u.Id = e.CreatedById
        where e.FromAddress <> u.Email or e.ToAddress <> coalesce(p.Email, e.ToAddress)
           or (p.Id is null and e.ToAddress not like 'info@%')""") == 0
    prefixes = dict(_rows(org, "select left(RelatedToId, 3), count(*) from EmailMessage group by 1"))
    assert set(prefixes) == {"00Q", "006", "001"}


def test_opens_only_on_tracked_delivered_emails_and_after_they_were_sent(org):
    _none(org, "EmailMessage", "IsOpened and (not IsTracked or IsBounced or Incoming)")
    _none(org, "EmailMessage", "IsOpened <> (FirstOpenedDate is not null) or IsOpened <> (LastOpenedDate is not null)")
    _none(org, "EmailMessage", "FirstOpenedDate < MessageDate or LastOpenedDate < FirstOpenedDate")
    _none(org, "EmailMessage", "Incoming and IsTracked")
    tracked, opened, bounced, reopened, median_hours = _rows(org, f"""
        select avg(IsTracked::int), avg(IsOpened::int) filter (where IsTracked), avg(IsBounced::int),
               avg((LastOpenedDate > FirstOpenedDate)::int) filter (where IsOpened),
               median(epoch(FirstOpenedDate - MessageDate) / 3600)
        from {_OUTBOUND}""")[0]
    assert 0.65 < tracked < 0.75 and 0.45 < opened < 0.62 and 0.005 < bounced < 0.05
    assert 0.2 < reopened < 0.6 and 1 < median_hours < 12
    # Cold e-mails to leads are opened less than e-mails about deals and customers.
    by_target = dict(_rows(org, f"""select RelatedToId like '00Q%', avg(IsOpened::int) from {_OUTBOUND}
                                    where IsTracked group by 1"""))
    assert by_target[True] + 0.05 < by_target[False]


def test_clicks_are_counted_on_tracked_emails_and_only_on_opened_ones(org):
    _none(org, "EmailMessage", "IsTracked <> (ClickCount is not null)")
    _none(org, "EmailMessage", "ClickCount > 0 and not IsOpened")
    _none(org, "EmailMessage", "ClickCount not between 0 and 3")
    clicked = _one(org, "select avg((ClickCount > 0)::int) from EmailMessage where IsOpened")
    assert 0.15 < clicked < 0.35


def test_replies_answer_an_opened_email_of_the_same_thread(org):
    _none(org, "EmailMessage", "Incoming and (ActivityId is not null or Status not in ('0', '1', '2') "
                               "or Subject not like 'RE: %')")
    assert {r[0] for r in _rows(org, "select distinct Status from EmailMessage where Incoming")} >= {"1", "2"}
    assert _one(org, f"""
        select count(*) from EmailMessage r where r.Incoming and not exists (
            select 1 from {_OUTBOUND} e where e.IsOpened and e.RelatedToId = r.RelatedToId
              and e.ToAddress = r.FromAddress and e.FromAddress = r.ToAddress
              and r.Subject = 'RE: ' || e.Subject and e.FirstOpenedDate <= r.MessageDate)""") == 0
    share = _one(org, "select count(*) filter (where Incoming) / count(*) filter (where IsOpened) from EmailMessage")
    assert 0.08 < share < 0.3


def test_better_reps_emails_are_opened_more(big_org):
    corr = _one(big_org, """
        with w as (select OwnerId, avg(IsWon::int) win from Opportunity where IsClosed group by 1
                   having count(*) >= 10),
             e as (select CreatedById, avg(IsOpened::int) opened from EmailMessage
                   where IsTracked and not Incoming group by 1 having count(*) >= 30)
        select corr(win, opened) from w join e on e.CreatedById = w.OwnerId""")
    assert corr > 0.3


# --- ContentDistribution ---------------------------------------------------------------------


def test_content_view_dates_are_null_exactly_when_nobody_viewed(org):
    _none(org, "ContentDistribution", "ViewCount not between 0 and 15")
    _none(org, "ContentDistribution", "(ViewCount = 0) <> (FirstViewDate is null) "
                                      "or (ViewCount = 0) <> (LastViewDate is null)")
    _none(org, "ContentDistribution", "FirstViewDate < CreatedDate or LastViewDate < FirstViewDate")
    _none(org, "ContentDistribution", "ViewCount = 1 and LastViewDate <> FirstViewDate")
    _none(org, "ContentDistribution", "SystemModstamp < LastViewDate")
    assert 0.1 < _one(org, "select avg((ViewCount = 0)::int) from ContentDistribution") < 0.4


def test_content_is_shared_from_open_deals_by_their_owner_and_won_deals_share_more(org):
    assert _one(org, """
        select count(*) from ContentDistribution c left join Opportunity o on o.Id = c.RelatedRecordId
        where c.RelatedRecordId like '006%' and (o.Id is null or o.IsDeleted or c.OwnerId <> o.OwnerId
           or c.CreatedDate < o.CreatedDate or (o.IsClosed and c.CreatedDate::date > o.CloseDate))""") == 0
    _none(org, "ContentDistribution", "RelatedRecordId like '001%' and RelatedRecordId not in "
                                      "(select Id from Account where not IsDeleted)")
    on_accounts = _one(org, "select avg((RelatedRecordId like '001%')::int) from ContentDistribution")
    assert 0.03 < on_accounts < 0.25
    _none(org, "ContentDistribution", "left(RelatedRecordId, 3) not in ('006', '001')")
    shared = dict(_rows(org, """
        select o.IsWon, avg((o.Id in (select RelatedRecordId from ContentDistribution))::int)
        from Opportunity o where not o.IsDeleted and o.IsClosed group by 1"""))
    assert shared[True] > shared[False] + 0.1
    share = _one(org, """select avg((Id in (select RelatedRecordId from ContentDistribution))::int)
                         from Opportunity where not IsDeleted""")
    assert 0.3 < share < 0.55


def test_shared_links_point_at_a_small_library_of_sales_collateral(org):
    _none(org, "ContentDistribution", "ContentVersionId not like '068%'")
    library = _rows(org, "select ContentVersionId, count(distinct Name) from ContentDistribution group by 1")
    assert 5 <= len(library) <= 12 and all(n == 1 for _, n in library)


def test_won_deals_content_is_viewed_more(big_org):
    views = dict(_rows(big_org, """
        select o.IsWon, avg(c.ViewCount) from ContentDistribution c
        join Opportunity o on o.Id = c.RelatedRecordId where o.IsClosed group by 1"""))
    assert views[True] > 1.3 * views[False]


# --- Survey_Response__c ----------------------------------------------------------------------


def test_scores_are_in_range_and_match_the_survey_type(org):
    _none(org, "Survey_Response__c", "NPS__c not between 0 and 10 or CSAT__c not between 1 and 5")
    _none(org, "Survey_Response__c", """not (
        (Survey_Type__c = 'CSAT' and CSAT__c is not null and NPS__c is null)
        or (Survey_Type__c = 'NPS' and NPS__c is not null and CSAT__c is null)
        or (Survey_Type__c = 'Both' and NPS__c is not null and CSAT__c is not null))""")
    assert {r[0] for r in _rows(org, "select distinct Survey_Type__c from Survey_Response__c")} == {
        "CSAT", "NPS", "Both"}
    _none(org, "Survey_Response__c", "Name not similar to 'SR-[0-9]{6}'")
    assert _one(org, "select count(*) - count(distinct Name) from Survey_Response__c") == 0


def test_responses_come_from_contacts_of_won_customers_weeks_after_the_close(org):
    assert _one(org, """
        select count(*) from Survey_Response__c s
        left join Opportunity o on o.Id = s.Opportunity__c
        left join Contact c on c.Id = s.Contact__c
        where o.Id is null or not o.IsWon or o.AccountId <> s.Account__c or c.AccountId <> s.Account__c
           or s.OwnerId <> o.OwnerId or s.Responded_At__c < o.CloseDate + interval 14 day
           or c.CreatedDate > s.Responded_At__c or s.CreatedDate < s.Responded_At__c""") == 0
    _none(org, "Survey_Response__c", "Account__c not in (select Id from Account where Type like 'Customer%')")


def test_nps_is_skewed_to_promoters_and_csat_to_satisfied(big_org):
    promoters, detractors, satisfied, nps_csat = _rows(big_org, """
        select avg((NPS__c >= 9)::int), avg((NPS__c <= 6)::int), avg((CSAT__c >= 4)::int),
               corr(NPS__c, CSAT__c)
        from Survey_Response__c""")[0]
    assert 0.42 < promoters < 0.6 and 0.14 < detractors < 0.28 and 0.65 < satisfied < 0.85
    assert nps_csat > 0.5  # one respondent, one sentiment
    assert _one(big_org, "select avg((Comment__c is not null)::int) from Survey_Response__c") < 0.6


def test_better_reps_customers_score_higher(big_org):
    gap = _one(big_org, """
        with w as (select OwnerId, avg(IsWon::int) win from Opportunity where IsClosed group by 1
                   having count(*) >= 10),
             r as (select s.NPS__c, w.win >= (select median(win) from w) top from Survey_Response__c s
                   join w on w.OwnerId = s.OwnerId)
        select avg(NPS__c) filter (where top) - avg(NPS__c) filter (where not top) from r""")
    assert gap > 0.5
