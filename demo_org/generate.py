"""Generating a whole demo org: the team and campaigns, then its territories, streamed to the export.

An org is split into sales territories of at most TERRITORY_SCALE each. A territory is a slice of
the reps (dealt round-robin, so each has reps of every region and tenure) with their own leads,
accounts, contacts, deals and activity; it only references org-wide records (users, campaigns).
So territories are generated one after the other, each from its own random streams and in its own
block of Id counters, and written as they are built: memory depends on the territory size, not on
the org's. An org of at most TERRITORY_SCALE is one territory, drawn from the org's own streams.

Each concern draws from its own random stream (spawned from the seed), so the output is a pure
function of (seed, scale, as_of, fmt), and changing how one object is drawn leaves the others alone.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Literal

import numpy as np

from demo_org.accounts import account_table, build_accounts, build_contacts
from demo_org.activities import build_activities
from demo_org.campaigns import Campaigns, build_campaigns, build_members
from demo_org.clock import Timeline
from demo_org.engagement import (
    build_content_distributions,
    build_email_messages,
    build_survey_responses,
)
from demo_org.history import build_history
from demo_org.leads import build_leads, lead_table
from demo_org.money import currency_types
from demo_org.pipeline import account_rollup, build_opportunities
from demo_org.quotas import build_quotas
from demo_org.sinks import OrgWriter
from demo_org.team import Team, build_team
from orchestration.salesforce.objects import OBJECTS

_STREAMS = ("team", "currency", "campaigns", "leads", "accounts", "contacts", "opportunities",
            "history", "activities", "members", "quotas", "tables",
            # Streams added later go last, so the objects above keep their data for a seed.
            "emails", "content", "surveys")

TERRITORY_SCALE = 8.0  # the largest territory: about 200 reps, 12,000 deals, 215,000 activities
# A "large org": the smallest scale with at least a million deals, two million leads and ten
# million tasks and events (1.0 M deals, 2.67 M leads, about 17.9 M activities: the proportions
# of every demo org).
LARGE_ORG_SCALE = 667.0


def territories(scale: float) -> int:
    """How many territories an org of this scale is split into."""
    return max(1, math.ceil(scale / TERRITORY_SCALE - 1e-9))


def planned_counts(scale: float) -> dict[str, int]:
    """The row counts that follow from the scale alone (the others are drawn: activities, history...).

    Exact for users, roles, campaigns, currencies and leads. Accounts, contacts and deals are at
    least this many, and exactly this many unless a territory's leads convert into more than 70% of
    its target (a fifth of leads convert, so only a handful of reps could get there).
    """
    n = territories(scale)
    per = scale / n
    n_active, n_former = max(4, round(25 * scale)), max(1, round(3 * scale))
    managers = max(1, round(n_active / 6.25))
    return {
        "User": 1 + managers + n_active + n_former,
        "UserRole": 1 + 2 * managers,
        "Campaign": max(3, round(12 * scale)),
        "CurrencyType": 4,
        "Lead": n * round(4_000 * per),
        "Account": n * round(1_500 * per),
        "Contact": n * round(3_000 * per),
        "Opportunity": n * round(1_500 * per),
    }


def generate_org(out_dir: Path, *, as_of: dt.date, seed: int = 42, scale: float = 1.0,
                 fmt: Literal["csv", "parquet"] = "csv") -> dict[str, int]:
    """Write a Salesforce org as an export folder; return row counts by object API name.

    One file per object (`Account.csv`, `OpportunityHistory.csv`, ...), holding about 24 months of
    history up to the end of the `as_of` day. The same arguments always give byte-identical files.
    Scale 1 is about 25 reps and 1,500 deals; `LARGE_ORG_SCALE` a million deals.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown export format {fmt!r}; use 'csv' or 'parquet'")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    tl = Timeline(as_of)
    n_territories = territories(scale)
    rng = _streams(np.random.default_rng(seed))
    team = build_team(rng["team"], tl, scale, n_territories)
    leaders = team.user_ids[: team.rep_user[0]]  # the VP and managers own the campaigns
    campaigns = build_campaigns(rng["campaigns"], tl, leaders, scale)

    with OrgWriter(Path(out_dir), fmt) as writer:
        writer.write("User", team.users)
        writer.write("UserRole", team.roles)
        writer.write("Campaign", campaigns.table)
        writer.write("ForecastingQuota", build_quotas(rng["quotas"], tl, team))
        writer.write("CurrencyType", currency_types(rng["currency"], tl))
        for k in range(n_territories):
            # A one-territory org draws from the org's streams, so small orgs keep their data.
            streams = rng if n_territories == 1 else _streams(
                np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(len(_STREAMS) + k,))))
            reps = np.arange(k, team.skill.size, n_territories)
            tables = build_territory(streams, tl, team.subset(reps), campaigns, scale / n_territories, k)
            for name, columns in tables.items():
                writer.write(name, columns)
    return {obj.api_name: writer.counts[obj.api_name] for obj in OBJECTS}


def _streams(parent: np.random.Generator) -> dict[str, np.random.Generator]:
    return dict(zip(_STREAMS, parent.spawn(len(_STREAMS))))


def build_territory(rng: dict[str, np.random.Generator], tl: Timeline, team: Team, campaigns: Campaigns,
                    scale: float, block: int) -> dict[str, dict]:
    """One territory's records of every object it owns, keyed by object API name."""
    leads = build_leads(rng["leads"], tl, team, campaigns, scale, block)
    accounts = build_accounts(rng["accounts"], tl, team, leads, scale, block)
    contacts = build_contacts(rng["contacts"], tl, team, leads, accounts, scale, block)
    opps = build_opportunities(rng["opportunities"], tl, team, leads, accounts, campaigns, scale, block)
    history = build_history(rng["history"], tl, team, opps, block)
    tasks, events, links = build_activities(rng["activities"], tl, team, leads, accounts, contacts, opps, block)
    members = build_members(
        rng["members"], tl, campaigns,
        leads.refs(np.arange(leads.size)), leads.created, leads.campaign, leads.deleted, leads.converted,
        contacts.refs(np.arange(contacts.size)), contacts.created, contacts.deleted, block,
    )

    final = rng["tables"]
    converted = [records.refs(np.maximum(of_lead, 0)) for records, of_lead in
                 ((accounts, accounts.of_lead), (contacts, contacts.of_lead), (opps, opps.of_lead))]
    has_won, has_deal, last_win = account_rollup(opps, accounts.size)
    return {
        "Account": account_table(final, tl, team, accounts, has_won, has_deal, last_win),
        "Contact": contacts.table,
        "Lead": lead_table(final, tl, team, leads, *converted),
        "Opportunity": opps.table,
        "OpportunityHistory": history,
        "Task": tasks,
        "Event": events,
        "CampaignMember": members,
        "EmailMessage": build_email_messages(
            rng["emails"], tl, team, tasks, links, leads, accounts, contacts, opps, block
        ),
        "ContentDistribution": build_content_distributions(rng["content"], tl, team, opps, block),
        "Survey_Response__c": build_survey_responses(rng["surveys"], tl, team, contacts, opps, block),
    }
