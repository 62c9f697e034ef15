"""Marketing campaigns and their members: the top of the funnel.

Leads that come from a campaign join it as responded members when they are created; other leads
and contacts are added to later campaigns (mostly as 'Sent' members who never respond).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_org.clock import DAY, HISTORY_DAYS, Timeline, audit_stamps, business_time
from demo_org.columns import Ref, ref, text
from demo_org.ids import id_start, make_ids
from demo_org.names import LEAD_SOURCES
from orchestration.salesforce.objects import CAMPAIGN, CAMPAIGN_MEMBER

# Type, the LeadSource its leads get, and the budget range in USD.
CAMPAIGN_TYPES = (
    ("Webinar", "Webinar", 3_000, 10_000),
    ("Email", "Web", 1_000, 5_000),
    ("Conference", "Trade Show", 40_000, 80_000),
    ("Trade Show", "Trade Show", 25_000, 60_000),
    ("Advertisement", "Advertisement", 10_000, 40_000),
    ("Partners", "Partner Referral", 5_000, 20_000),
)
TOPICS = ("Product Launch", "Customer Summit", "Analytics Roadshow", "Spring Promo", "Partner Days",
          "Year-End Offer")
CAMPAIGN_ID_START = 120_000
# Campaigns keep generating leads for a while after their end date.
_TAIL_DAYS = 30


@dataclass
class Campaigns:
    ids: np.ndarray
    start_day: np.ndarray  # sorted ascending
    end_day: np.ndarray  # planned end, may be after as_of
    lead_source: np.ndarray  # code into names.LEAD_SOURCES
    table: dict

    def refs(self, index: np.ndarray) -> Ref:
        return ref(CAMPAIGN.id_prefix, CAMPAIGN_ID_START, index)

    def running_at(self, times: np.ndarray) -> np.ndarray:
        """The latest campaign started by each time and still drawing responses; -1 for none."""
        idx = np.searchsorted(self.start_day * DAY, times, side="right") - 1
        ok = idx >= 0
        ok &= times < (self.end_day[np.maximum(idx, 0)] + _TAIL_DAYS) * DAY
        return np.where(ok, idx, -1)


def build_campaigns(
    rng: np.random.Generator, tl: Timeline, owner_ids: np.ndarray, scale: float
) -> Campaigns:
    """About a dozen campaigns spread over the window, run by sales leadership (`owner_ids`)."""
    n = max(3, round(12 * scale))
    kind = rng.integers(0, len(CAMPAIGN_TYPES), n)
    start_day = tl.first_day + ((np.arange(n) + rng.random(n)) / n * (HISTORY_DAYS - 7)).astype(np.int64)
    end_day = start_day + rng.integers(14, 91, n)
    completed = end_day <= tl.last_day
    budget_lo = np.array([t[2] for t in CAMPAIGN_TYPES])[kind]
    budget_hi = np.array([t[3] for t in CAMPAIGN_TYPES])[kind]
    budget = np.round((budget_lo + rng.random(n) * (budget_hi - budget_lo)) / 500) * 500
    # Running campaigns have spent in proportion to how far along they are.
    spent = np.clip((tl.last_day - start_day + 1) / (end_day - start_day + 1), 0, 1)
    actual = np.round(budget * spent * rng.uniform(0.8, 1.15, n), 2)
    created = np.maximum(business_time(rng, start_day - rng.integers(7, 30, n)), tl.start)
    # Marketing closes the books on a campaign when it ends (or updates the spend of a running one).
    wrap_up = tl.clip(np.minimum(end_day, tl.last_day) * DAY + 12 * 3_600)
    modified, modstamp = audit_stamps(rng, tl, created, floor=wrap_up, fresh_share=0.1)
    types = np.array([t[0] for t in CAMPAIGN_TYPES])[kind]
    years = start_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    names = [  # a dozen campaigns: a comprehension is clearest
        f"FY{y % 100} {t} - {TOPICS[i % len(TOPICS)]}" for i, (y, t) in enumerate(zip(years, types))
    ]
    table = {
        "Id": make_ids(CAMPAIGN.id_prefix, n, start=CAMPAIGN_ID_START),
        "Name": np.asarray(names),
        "Type": types,
        "Status": np.where(completed, "Completed", "In Progress"),
        "StartDate": start_day,
        # A running campaign's planned end lies after as_of; it is left empty until it ends.
        "EndDate": np.ma.array(end_day, mask=~completed),
        "BudgetedCost": budget,
        "ActualCost": actual,
        "ExpectedRevenue": np.round(budget * rng.uniform(4, 10, n), -3),
        "IsActive": ~completed,
        "ParentId": np.ma.array(np.full(n, ""), mask=np.ones(n, bool)),
        "OwnerId": owner_ids[rng.integers(0, owner_ids.size, n)],
        "IsDeleted": np.zeros(n, bool),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    lead_source = np.array([LEAD_SOURCES.index(t[1]) for t in CAMPAIGN_TYPES])[kind]
    return Campaigns(table["Id"], start_day, end_day, lead_source, table)


def build_members(
    rng: np.random.Generator,
    tl: Timeline,
    campaigns: Campaigns,
    lead_ids: Ref,
    lead_created: np.ndarray,
    lead_campaign: np.ndarray,
    lead_deleted: np.ndarray,
    lead_converted: np.ndarray,
    contact_ids: Ref,
    contact_created: np.ndarray,
    contact_deleted: np.ndarray,
    block: int = 0,
) -> dict:
    """CampaignMember rows for campaign-sourced leads, leads nurtured later, and contacts."""
    # 1. Leads created by a campaign response joined it, responded, on creation.
    sourced = np.flatnonzero(lead_campaign >= 0)
    # 2. Existing leads and contacts added to a campaign running at a later time; most never respond.
    def later(created: np.ndarray, share: float):
        rows = np.flatnonzero(rng.random(created.size) < share)
        when = created[rows] + (rng.random(rows.size) * (tl.latest - created[rows])).astype(np.int64)
        return rows, when, campaigns.running_at(when)

    nurtured, nurtured_at, nurtured_camp = later(lead_created, 0.25)
    # Converted leads are read-only in Salesforce, so only open leads are nurtured.
    keep = (nurtured_camp >= 0) & (nurtured_camp != lead_campaign[nurtured]) & ~lead_converted[nurtured]
    nurtured, nurtured_at, nurtured_camp = nurtured[keep], nurtured_at[keep], nurtured_camp[keep]
    contacts, contact_at, contact_camp = later(contact_created, 0.45)
    keep = contact_camp >= 0
    contacts, contact_at, contact_camp = contacts[keep], contact_at[keep], contact_camp[keep]

    n_lead = sourced.size + nurtured.size
    campaign = np.concatenate([lead_campaign[sourced], nurtured_camp, contact_camp])
    created = np.concatenate([lead_created[sourced], nurtured_at, contact_at])
    is_lead = np.arange(campaign.size) < n_lead
    lead_row = np.concatenate([sourced, nurtured, np.zeros(contacts.size, int)])
    contact_row = np.concatenate([np.zeros(n_lead, int), contacts])
    from_response = np.arange(campaign.size) < sourced.size
    delay = rng.exponential(3 * DAY, campaign.size).astype(np.int64)
    responded_at = created + np.where(from_response, 0, delay)
    # A response that would come after as_of has not come yet.
    responded = (from_response | (rng.random(campaign.size) < 0.12)) & (responded_at <= tl.latest)
    parent_deleted = np.where(is_lead, lead_deleted[lead_row], contact_deleted[contact_row])
    deleted = parent_deleted | (rng.random(campaign.size) < 0.005)
    modified, modstamp = audit_stamps(rng, tl, created, floor=np.where(responded, responded_at, created),
                                      deleted=deleted, edit_share=0.2)
    order = np.argsort(created, kind="stable")
    table = {
        "Id": ref(CAMPAIGN_MEMBER.id_prefix, id_start(9_000_000, block), np.arange(campaign.size)),
        "CampaignId": campaigns.refs(campaign),
        "LeadId": lead_ids[lead_row].with_null(~is_lead),
        "ContactId": contact_ids[contact_row].with_null(is_lead),
        "Status": text(responded.astype(np.int64), ("Sent", "Responded")),
        "HasResponded": responded,
        "FirstRespondedDate": np.ma.array(responded_at // DAY, mask=~responded),
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}
