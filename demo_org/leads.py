"""Leads: when they arrive, who works them, when they are touched and which ones convert.

The touch schedule lives here (not with the activities) because a lead's Status and conversion
follow from it: an untouched lead is still 'Open - Not Contacted', a converted one was touched first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_org import names
from demo_org.campaigns import Campaigns
from demo_org.clock import DAY, HOUR, Timeline, audit_stamps, business_time, pick_rows
from demo_org.columns import Ref, Text, choose, ref, text
from demo_org.ids import id_start
from demo_org.team import Team
from orchestration.salesforce.objects import LEAD

LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted")


@dataclass
class Leads:
    id_start: int  # lead i's Id counter is id_start + i
    created: np.ndarray
    owner: np.ndarray  # rep index
    campaign: np.ndarray  # campaign index or -1
    source: np.ndarray  # code into names.LEAD_SOURCES
    industry: np.ndarray  # code into names.INDUSTRIES
    company: np.ndarray  # company name code (names.company_names)
    domain: np.ndarray  # company base code (names.DOMAINS)
    first: np.ndarray  # codes into names.FIRST_NAMES / LAST_NAMES
    last: np.ndarray
    email: np.ndarray  # address code (names.email_decoder)
    converted: np.ndarray
    converted_at: np.ndarray  # seconds; meaningful where converted
    deleted: np.ndarray
    status: np.ndarray  # code into LEAD_STATUSES
    last_change: np.ndarray  # latest touch, status change or conversion
    touch_lead: np.ndarray  # one entry per touch: the lead index
    touch_time: np.ndarray  # and when it happened

    @property
    def size(self) -> int:
        return self.created.size

    def refs(self, index: np.ndarray) -> Ref:
        return ref(LEAD.id_prefix, self.id_start, index)


def build_leads(
    rng: np.random.Generator, tl: Timeline, team: Team, campaigns: Campaigns, scale: float, block: int = 0
) -> Leads:
    n = round(4_000 * scale)
    created = np.sort(business_time(rng, tl.sample_days(rng, n, growth=0.5)))
    created = tl.clip(created)
    owner = team.pick_reps(rng, tl, created)
    skill = team.skill[owner]

    running = campaigns.running_at(created)
    campaign = np.where((rng.random(n) < 0.4) & (running >= 0), running, -1)
    source = np.where(
        campaign >= 0,
        campaigns.lead_source[campaign],
        names.pick(rng, names.LEAD_SOURCES, n, names.LEAD_SOURCE_WEIGHTS),
    )

    # First touch: hours for good reps, days for weaker ones; some leads are never worked.
    never = rng.random(n) < np.clip(0.10 - 0.03 * skill, 0.03, 0.2)
    first_lag = rng.lognormal(np.log(5 * HOUR) - 0.3 * skill, 1.2).clip(0.05 * HOUR, 20 * DAY)
    first_touch = created + first_lag.astype(np.int64)
    n_touch = np.where(never, 0, 1 + rng.poisson(1.8 * team.activity[owner]))

    # Conversion happens some days after the first touch; it only counts if it happened by as_of.
    wants = ~never & (rng.random(n) < np.clip(0.22 + 0.05 * skill, 0.08, 0.4))
    converted_at = first_touch + rng.lognormal(np.log(12 * DAY), 0.8, n).astype(np.int64)
    converted = wants & (converted_at <= tl.latest)
    converted &= team.is_active(tl, owner, np.minimum(converted_at, tl.latest))

    touch_lead, touch_time = _touch_schedule(
        rng, tl, created, first_touch, n_touch, converted, converted_at
    )
    # A rep who left stops working their leads (until someone else picks them up, unmodelled).
    worked = team.is_active(tl, owner[touch_lead], touch_time)
    touch_lead, touch_time = touch_lead[worked], touch_time[worked]

    touched = np.bincount(touch_lead, minlength=n) > 0
    last_touch = np.full(n, -1, np.int64)
    np.maximum.at(last_touch, touch_lead, touch_time)
    age_days = (tl.latest - created) / DAY
    # Old leads nobody converted get disqualified by their owner (or a cleanup job).
    disqualified_at = np.maximum(last_touch, created) + rng.integers(1, 30, n) * DAY
    disqualify = ~converted & (disqualified_at <= tl.latest) & (
        (touched & (age_days > 60) & (rng.random(n) < 0.75))
        | (~touched & (age_days > 30) & (rng.random(n) < 0.4))
    )
    status = choose(
        LEAD_STATUSES,
        [converted, disqualify, touched],
        ["Closed - Converted", "Closed - Not Converted", "Working - Contacted"],
        "Open - Not Contacted",
    )
    last_change = np.where(converted, converted_at, np.maximum(last_touch, created))
    last_change = np.where(disqualify, disqualified_at, last_change)
    # Converted leads are read-only, so only unconverted ones are ever deleted (duplicates, spam).
    deleted = pick_rows(rng, 0.018, ~converted)

    company, domain = names.companies(rng, n)
    first, last = names.person_names(rng, n)
    return Leads(
        id_start=id_start(31_000_000, block),
        created=created,
        owner=owner,
        campaign=campaign,
        source=source,
        industry=names.pick(rng, names.INDUSTRIES, n, names.INDUSTRY_WEIGHTS),
        company=company,
        domain=domain,
        first=first,
        last=last,
        email=names.emails(first, last, domain),
        converted=converted,
        converted_at=converted_at,
        deleted=deleted,
        status=status,
        last_change=last_change,
        touch_lead=touch_lead,
        touch_time=touch_time,
    )


def _touch_schedule(rng, tl, created, first_touch, n_touch, converted, converted_at):
    """One (lead, time) pair per touch, up to as_of; about 1% are backdated by mistake."""
    lead = np.repeat(np.arange(created.size), n_touch)
    starts = np.cumsum(n_touch) - n_touch
    rank = np.arange(lead.size) - starts[lead]
    # Follow-ups every few days after the first touch, each gap drawn independently.
    gaps = np.where(rank > 0, rng.lognormal(np.log(2.5 * DAY), 0.8, lead.size), 0).astype(np.int64)
    elapsed = np.cumsum(gaps)
    since_first = elapsed - elapsed[starts[lead]]  # (a lead without touches has no start row)
    time = first_touch[lead] + since_first
    # A converted lead's touches all fall between its first touch and its conversion.
    conv = converted[lead]
    span = converted_at[lead] - first_touch[lead]
    squeezed = first_touch[lead] + (rank / n_touch[lead] * span).astype(np.int64)
    time = np.where(conv, squeezed, time)
    keep = time <= tl.latest
    lead, time, rank = lead[keep], time[keep], rank[keep]
    # Data-entry mistakes: the activity is dated before the lead existed. KPIs must ignore them.
    backdated = (rng.random(lead.size) < 0.018) & (rank > 0)
    time = np.where(backdated, created[lead] - rng.integers(HOUR, 3 * DAY, lead.size), time)
    return lead, time


def lead_table(rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads, account_ids: Ref,
               contact_ids: Ref, opportunity_ids: Ref) -> dict:
    """The Lead table; the Converted*Id refs hold each lead's records (any value where not converted)."""
    conv = leads.converted
    modified, modstamp = audit_stamps(
        rng, tl, leads.created, floor=leads.last_change, deleted=leads.deleted
    )
    return {
        "Id": leads.refs(np.arange(leads.size)),
        "FirstName": text(leads.first, names.FIRST_NAMES),
        "LastName": text(leads.last, names.LAST_NAMES),
        "Name": names.full_names(leads.first, leads.last),
        "Company": Text(leads.company, names.company_names),
        "Email": Text(leads.email, names.PERSON_EMAIL),
        "Status": text(leads.status, LEAD_STATUSES),
        "LeadSource": text(leads.source, names.LEAD_SOURCES),
        "Industry": text(leads.industry, names.INDUSTRIES),
        "OwnerId": team.rep_ref(leads.owner),
        "IsConverted": conv,
        "ConvertedDate": np.ma.array(leads.converted_at // DAY, mask=~conv),
        "ConvertedAccountId": account_ids.with_null(~conv),
        "ConvertedContactId": contact_ids.with_null(~conv),
        "ConvertedOpportunityId": opportunity_ids.with_null(~conv),
        "IsDeleted": leads.deleted,
        "CreatedDate": leads.created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
