"""A day at the top of the funnel: new leads, leads converted or disqualified, spam leads deleted.

A conversion creates an account, a contact and an opportunity (with its first stage-history row)
in one transaction at the conversion time, owned by the lead's owner, as `accounts.py` does.
"""

from __future__ import annotations

import numpy as np

from demo_org import money, names
from demo_org.accounts import ACCOUNT_TYPES, COUNTRIES, billing
from demo_org.campaigns import CAMPAIGN_TYPES
from demo_org.clock import DAY, HOUR
from demo_org.columns import Text, text
from demo_org.delta_day import Changes, Day
from demo_org.delta_io import as_table
from demo_org.delta_pipeline import new_deals
from demo_org.pipeline import OPEN_STAGES
from orchestration.salesforce.objects import OBJECTS_BY_NAME

_CAMPAIGN_SHARE = 0.4  # of new leads that respond to a running campaign
_CONVERT_SHARE = 0.2  # conversions per new lead
_DELETE_SHARE = 0.018  # spam and duplicate leads deleted, per new lead
_DISQUALIFY_P = 0.003  # daily chance an old lead still being worked is disqualified
_LIVE_UNCONVERTED = "NOT IsDeleted AND NOT IsConverted"
_ACTIVE_OWNER = "OwnerId IN (SELECT Id FROM \"User\" WHERE IsActive AND Title = 'Account Executive')"


def funnel_changes(day: Day, changes: Changes) -> dict[str, np.ndarray]:
    """Lead changes of the day; returns the new leads' first touches (for the activity step)."""
    touches = _new_leads(day, changes)
    converted = _convert(day, changes)
    since = day.date - np.timedelta64(60, "D")
    old = day.org.query(f"SELECT Id FROM Lead WHERE {_LIVE_UNCONVERTED} AND Status = 'Working - Contacted' "
                        "AND CreatedDate < ? ORDER BY Id", since)["Id"].astype(str)
    old = old[~np.isin(old, converted) & (day.rng.random(old.size) < _DISQUALIFY_P * day.pace)]
    if old.size:
        changes.update("Lead", old, _written(day, old.size, Status=np.full(old.size, "Closed - Not Converted")))
    # Spam and duplicates: leads nobody has worked yet.
    spam = day.org.query(f"SELECT Id FROM Lead WHERE {_LIVE_UNCONVERTED} AND Status = 'Open - Not Contacted' "
                         "ORDER BY Id")["Id"].astype(str)
    n = min(spam.size, day.volume("Lead", _DELETE_SHARE))
    if n:
        gone = np.sort(day.rng.choice(spam, n, replace=False))
        changes.update("Lead", gone, _written(day, n, IsDeleted=np.ones(n, bool)))
        changes.deleted_leads = gone
    return touches


def _written(day: Day, n: int, **values) -> dict:
    modified, modstamp = day.stamps(day.times(n))
    return {**values, "LastModifiedDate": modified, "SystemModstamp": modstamp}


def _new_leads(day: Day, changes: Changes) -> dict[str, np.ndarray]:
    rng, n = day.rng, day.volume("Lead")
    created = np.sort(day.times(n))
    owner = day.pick_reps(n)
    running = day.org.query(
        "SELECT Id, Type FROM Campaign WHERE NOT IsDeleted AND StartDate <= ? AND "
        "(EndDate IS NULL OR EndDate >= ?) ORDER BY StartDate DESC, Id LIMIT 1",
        day.date, day.date - np.timedelta64(30, "D"))
    from_campaign = (rng.random(n) < _CAMPAIGN_SHARE) & (running["Id"].size > 0)
    source = names.pick(rng, names.LEAD_SOURCES, n, names.LEAD_SOURCE_WEIGHTS)
    if running["Id"].size:
        campaign_source = next(t[1] for t in CAMPAIGN_TYPES if t[0] == running["Type"][0])
        source = np.where(from_campaign, names.LEAD_SOURCES.index(campaign_source), source)
    first, last = names.person_names(rng, n)
    company, base = names.companies(rng, n)
    # Good reps call a new lead within hours; the rest wait for another day.
    touch = created + rng.lognormal(np.log(3 * HOUR), 1.0, n).astype(np.int64)
    touched = (rng.random(n) < 0.7) & (touch <= day.end - 300)
    modified, modstamp = day.stamps(np.where(touched, touch, created))
    ids = day.new_ids("Lead", n)
    no, none = np.zeros(n, bool), np.ma.masked_all(n, "U18")
    changes.add("Lead", as_table(OBJECTS_BY_NAME["Lead"], {
        "Id": ids, "FirstName": text(first, names.FIRST_NAMES), "LastName": text(last, names.LAST_NAMES),
        "Name": names.full_names(first, last), "Company": Text(company, names.company_names),
        "Email": Text(names.emails(first, last, base), names.PERSON_EMAIL),
        "Status": np.where(touched, "Working - Contacted", "Open - Not Contacted"),
        "LeadSource": text(source, names.LEAD_SOURCES),
        "Industry": text(names.pick(rng, names.INDUSTRIES, n, names.INDUSTRY_WEIGHTS), names.INDUSTRIES),
        "OwnerId": owner, "IsConverted": no, "ConvertedDate": np.ma.masked_all(n, np.int64),
        "ConvertedAccountId": none, "ConvertedContactId": none, "ConvertedOpportunityId": none,
        "IsDeleted": no, "CreatedDate": created, "LastModifiedDate": modified, "SystemModstamp": modstamp,
    }))
    lead_ids = ids.strings()
    members = np.flatnonzero(from_campaign)
    if members.size:
        m = members.size
        stamp = day.stamps(created[members])
        changes.add("CampaignMember", as_table(OBJECTS_BY_NAME["CampaignMember"], {
            "Id": day.new_ids("CampaignMember", m), "CampaignId": np.full(m, running["Id"][0], dtype=object),
            "LeadId": lead_ids[members], "ContactId": np.ma.masked_all(m, "U18"), "Status": np.full(m, "Responded"),
            "HasResponded": np.ones(m, bool), "FirstRespondedDate": np.full(m, day.epoch_day),
            "IsDeleted": np.zeros(m, bool), "CreatedDate": created[members], "LastModifiedDate": stamp[0],
            "SystemModstamp": stamp[1],
        }))
    return {"who": lead_ids[touched], "owner": owner[touched], "time": touch[touched]}


def _convert(day: Day, changes: Changes) -> np.ndarray:
    """Convert recently worked leads; returns their Ids."""
    since = day.date - np.timedelta64(60, "D")
    candidates = day.org.query(f"SELECT Id FROM Lead WHERE {_LIVE_UNCONVERTED} AND Status = 'Working - Contacted' "
                               f"AND {_ACTIVE_OWNER} AND CreatedDate >= ? ORDER BY Id", since)["Id"].astype(str)
    n = min(candidates.size, day.volume("Lead", _CONVERT_SHARE))
    if not n:
        return candidates[:0]
    rng = day.rng
    ids = np.sort(rng.choice(candidates, n, replace=False))
    lead = day.org.rows("Lead", ids).to_pydict()
    owner, company = np.asarray(lead["OwnerId"]), np.asarray(lead["Company"])
    at = np.maximum(day.times(n), np.array([_epoch(c) for c in lead["CreatedDate"]]) + 60)
    at = np.minimum(at, day.end - 120)
    account, contact, opp = (day.new_ids(name, n) for name in ("Account", "Contact", "Opportunity"))
    stamps = {"IsDeleted": np.zeros(n, bool), "CreatedDate": at, "LastModifiedDate": at, "SystemModstamp": at}

    currency = money.pick_currencies(rng, n)
    country, state = billing(rng, currency)
    revenue_usd = rng.lognormal(np.log(20e6), 1.3, n)
    changes.add("Account", as_table(OBJECTS_BY_NAME["Account"], {
        "Id": account, "Name": company, "Type": np.full(n, ACCOUNT_TYPES[2]), "Industry": _nullable(lead["Industry"]),
        "BillingCountry": text(country, COUNTRIES), "BillingState": state,
        "AnnualRevenue": np.round(revenue_usd * money.CONVERSION_RATES[currency], -3),
        "NumberOfEmployees": np.maximum(1, revenue_usd / rng.uniform(150e3, 400e3, n)).astype(np.int64),
        "OwnerId": owner, "ParentId": np.ma.masked_all(n, "U18"), "CurrencyIsoCode": money.codes(currency), **stamps,
    }))
    changes.add("Contact", as_table(OBJECTS_BY_NAME["Contact"], {
        "Id": contact, "AccountId": account, "FirstName": _nullable(lead["FirstName"]),
        "LastName": _nullable(lead["LastName"]), "Name": _nullable(lead["Name"]), "Email": _nullable(lead["Email"]),
        "Title": text(names.pick(rng, names.CONTACT_TITLES, n), names.CONTACT_TITLES),
        "LeadSource": _nullable(lead["LeadSource"]), "OwnerId": owner, **stamps,
    }))
    new_deals(day, changes, opp, {"AccountId": account, "OwnerId": owner, "Company": company, "at": at,
                                  "currency": currency, "Type": np.full(n, "New Customer"),
                                  "LeadSource": _nullable(lead["LeadSource"]), "stage": OPEN_STAGES[0]})
    changes.update("Lead", ids, {
        "Status": np.full(n, "Closed - Converted"), "IsConverted": np.ones(n, bool),
        "ConvertedDate": at // DAY, "ConvertedAccountId": account, "ConvertedContactId": contact,
        "ConvertedOpportunityId": opp, "LastModifiedDate": at, "SystemModstamp": at,
    })
    return ids


def _nullable(values: list) -> np.ma.MaskedArray:
    missing = np.array([v is None for v in values], bool)
    return np.ma.array(np.array(["" if v is None else v for v in values], dtype=str), mask=missing)


def _epoch(value) -> int:
    """Epoch seconds of a naive UTC datetime."""
    return int(np.datetime64(value, "s").astype(np.int64))
