"""Generating a whole demo org: build every object in dependency order, then write the export.

Each concern draws from its own random stream (spawned from the seed), so the output is a pure
function of (seed, scale, as_of, fmt), and changing how one object is drawn leaves the others alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np

from orchestration.demo_org.accounts import account_table, build_accounts, build_contacts
from orchestration.demo_org.activities import build_activities
from orchestration.demo_org.campaigns import build_campaigns, build_members
from orchestration.demo_org.clock import Timeline
from orchestration.demo_org.engagement import (
    build_content_distributions,
    build_email_messages,
    build_survey_responses,
)
from orchestration.demo_org.history import build_history
from orchestration.demo_org.leads import build_leads, lead_table
from orchestration.demo_org.money import currency_types
from orchestration.demo_org.pipeline import account_rollup, build_opportunities
from orchestration.demo_org.quotas import build_quotas
from orchestration.demo_org.team import build_team
from orchestration.demo_org.writer import write_object
from orchestration.salesforce.objects import OBJECTS

_STREAMS = ("team", "currency", "campaigns", "leads", "accounts", "contacts", "opportunities",
            "history", "activities", "members", "quotas", "tables",
            # Streams added later go last, so the objects above keep their data for a seed.
            "emails", "content", "surveys")


def generate_org(out_dir: Path, *, as_of: dt.date, seed: int = 42, scale: float = 1.0,
                 fmt: Literal["csv", "parquet"] = "csv") -> dict[str, int]:
    """Write a Salesforce org as an export folder; return row counts by object API name.

    One file per object (`Account.csv`, `OpportunityHistory.csv`, ...), holding about 24 months of
    history up to the end of the `as_of` day. The same arguments always give byte-identical files.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown export format {fmt!r}; use 'csv' or 'parquet'")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    tables = build_org(as_of=as_of, seed=seed, scale=scale)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")  # a library call should not draw on the terminal
        for obj in OBJECTS:
            counts[obj.api_name] = write_object(con, obj, tables[obj.api_name], out_dir, fmt)
    return counts


def build_org(*, as_of: dt.date, seed: int, scale: float) -> dict[str, dict]:
    """Every object's columns, keyed by object API name (numpy arrays, masked where NULL)."""
    rng = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS))))
    tl = Timeline(as_of)
    team = build_team(rng["team"], tl, scale)
    leaders = team.user_ids[: team.rep_user[0]]  # the VP and managers own the campaigns
    campaigns = build_campaigns(rng["campaigns"], tl, leaders, scale)
    leads = build_leads(rng["leads"], tl, team, campaigns, scale)
    accounts = build_accounts(rng["accounts"], tl, team, leads, scale)
    contacts = build_contacts(rng["contacts"], tl, team, leads, accounts, scale)
    opps = build_opportunities(rng["opportunities"], tl, team, leads, accounts, campaigns, scale)
    history = build_history(rng["history"], tl, team, opps)
    tasks, events = build_activities(rng["activities"], tl, team, leads, accounts, contacts, opps)
    members = build_members(
        rng["members"], tl, campaigns,
        leads.ids, leads.created, leads.campaign, leads.deleted, leads.converted,
        contacts.ids, contacts.created, contacts.deleted,
    )

    final = rng["tables"]
    conv = leads.converted
    converted_ids = [
        np.where(conv, ids[np.maximum(of_lead, 0)], "")
        for ids, of_lead in ((accounts.ids, accounts.of_lead), (contacts.ids, contacts.of_lead),
                             (opps.ids, opps.of_lead))
    ]
    has_won, has_deal, last_win = account_rollup(opps, accounts.ids.size)
    return {
        "User": team.users,
        "UserRole": team.roles,
        "Account": account_table(final, tl, team, accounts, has_won, has_deal, last_win),
        "Contact": contacts.table,
        "Lead": lead_table(final, tl, team, leads, *converted_ids),
        "Opportunity": opps.table,
        "OpportunityHistory": history,
        "Task": tasks,
        "Event": events,
        "Campaign": campaigns.table,
        "CampaignMember": members,
        "ForecastingQuota": build_quotas(rng["quotas"], tl, team),
        "CurrencyType": currency_types(rng["currency"], tl),
        "EmailMessage": build_email_messages(
            rng["emails"], tl, team, tasks, leads, accounts, contacts, opps
        ),
        "ContentDistribution": build_content_distributions(rng["content"], tl, team, opps),
        "Survey_Response__c": build_survey_responses(rng["surveys"], tl, team, contacts, opps),
    }
