"""Opportunities: where deals come from, how long they take, how they end and what they are worth.

A deal either comes from a lead conversion (created at the conversion, owned by the lead's owner)
or is opened directly on an existing account. A deal whose expected close date has passed by as_of
is closed, won at its owner's win rate; the rest are open, with a stage that reflects how far along
they are and an expected close date in the next six months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo_org import money, names
from demo_org.accounts import Accounts
from demo_org.campaigns import Campaigns
from demo_org.clock import (
    DAY,
    HOUR,
    Timeline,
    audit_stamps,
    between,
    business_time,
    in_creation_order,
    pick_rows,
    quarter_end_push,
)
from demo_org.columns import Ref, Text, ref, text
from demo_org.ids import id_start
from demo_org.leads import Leads
from demo_org.team import Team
from orchestration.salesforce.objects import DEFAULT_STAGES, OPPORTUNITY

STAGE_NAMES = np.array([s[0] for s in DEFAULT_STAGES])
STAGE_PROBABILITY = np.array([s[1] for s in DEFAULT_STAGES], dtype=float)
STAGE_IS_CLOSED = np.array([s[3] for s in DEFAULT_STAGES])
STAGE_IS_WON = np.array([s[4] for s in DEFAULT_STAGES])
# ForecastCategory holds Salesforce's API value, ForecastCategoryName its label ("Forecast" is
# labelled "Commit"). The stage table may give either; both columns are derived from it.
_CATEGORY_LABEL = {"Pipeline": "Pipeline", "BestCase": "Best Case", "MostLikely": "Most Likely",
                   "Forecast": "Commit", "Closed": "Closed", "Omitted": "Omitted"}
_CATEGORY_API = {label: api for api, label in _CATEGORY_LABEL.items()}
FORECAST_CATEGORY = np.array([_CATEGORY_API.get(s[2], s[2]) for s in DEFAULT_STAGES])
FORECAST_CATEGORY_NAME = np.array([_CATEGORY_LABEL[c] for c in FORECAST_CATEGORY])
OPEN_STAGES = np.flatnonzero(~STAGE_IS_CLOSED)
WON_STAGE = int(np.flatnonzero(STAGE_IS_CLOSED & STAGE_IS_WON)[0])
LOST_STAGE = int(np.flatnonzero(STAGE_IS_CLOSED & ~STAGE_IS_WON)[0])
MAX_FUTURE_DAYS = 183  # open deals are expected to close within about six months

OPPORTUNITY_TYPES = ("New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement",
                     "Existing Customer - Downgrade")


@dataclass
class Opportunities:
    id_start: int  # deal i's Id counter is id_start + i
    created: np.ndarray
    owner: np.ndarray  # rep index
    account: np.ndarray
    currency: np.ndarray  # index into money.CURRENCY_CODES
    amount: np.ma.MaskedArray  # in the deal's currency
    stage: np.ndarray  # index into DEFAULT_STAGES, the current stage
    reached: np.ndarray  # furthest open stage the deal got to
    close_day: np.ndarray
    last_change: np.ndarray  # the last stage change (for closed deals: the close)
    fresh_at: np.ma.MaskedArray  # an update on the as_of day (amount/close date), where there is one
    deleted: np.ndarray
    of_lead: np.ndarray  # opportunity index of each converted lead (-1 for the others)
    table: dict

    @property
    def size(self) -> int:
        return self.created.size

    @property
    def closed(self) -> np.ndarray:
        return STAGE_IS_CLOSED[self.stage]

    def refs(self, index: np.ndarray) -> Ref:
        return ref(OPPORTUNITY.id_prefix, self.id_start, index)


def build_opportunities(rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads,
                        accounts: Accounts, campaigns: Campaigns, scale: float, block: int = 0) -> Opportunities:
    origin, of_lead = _origins(rng, tl, team, leads, accounts, campaigns, scale)
    created, owner, account = origin["created"], origin["owner"], origin["account"]
    n = created.size
    skill = team.skill[owner]

    # Outcome and timing. Better reps win more and a little faster; lost deals die sooner.
    won = rng.random(n) < team.win_rate[owner]
    cycle_days = rng.lognormal(np.log(75) - 0.1 * skill, 0.6).clip(3, 365)
    cycle_days *= np.where(won, 1.0, rng.uniform(0.4, 1.0, n))
    expected_day = (created + (cycle_days * DAY).astype(np.int64)) // DAY
    closed = expected_day <= tl.last_day
    deleted = pick_rows(rng, 0.025, ~origin["from_lead"])
    if not (~closed & ~deleted).any():  # even a tiny org has a live pipeline to show
        newest = np.flatnonzero(~deleted)[-1]
        closed[newest] = False
        expected_day[newest] = max(expected_day[newest], tl.last_day + 30)
    close_day = quarter_end_push(rng, expected_day, 0.3, tl.last_day)
    close_ts = tl.clip(np.maximum(business_time(rng, close_day), created + HOUR))
    # Open deals: the expected close is in the future, bunched at quarter ends too.
    too_far = expected_day - tl.last_day > MAX_FUTURE_DAYS
    future = np.where(too_far, tl.last_day + rng.integers(1, MAX_FUTURE_DAYS + 1, n), expected_day)
    future = quarter_end_push(rng, future, 0.4, tl.last_day + MAX_FUTURE_DAYS)
    close_day = np.where(closed, close_ts // DAY, future)

    # An open deal's stage reflects how far through its cycle it is, give or take a stage.
    progress = (tl.latest - created) / np.maximum(expected_day * DAY - created, DAY)
    open_pos = np.floor(progress * OPEN_STAGES.size + rng.normal(0, 1, n)).clip(0, OPEN_STAGES.size - 1)
    stage = np.where(closed, np.where(won, WON_STAGE, LOST_STAGE), OPEN_STAGES[open_pos.astype(int)])
    # How far a deal got before it closed: won deals went (nearly) all the way, lost ones anywhere.
    won_reach = OPEN_STAGES[OPEN_STAGES.size - 1 - rng.choice(3, n, p=[0.7, 0.2, 0.1])]
    lost_reach = OPEN_STAGES[rng.choice(OPEN_STAGES.size, n, p=_lost_reach_weights())]
    reached = np.where(closed, np.where(won, won_reach, lost_reach), stage)

    moved = between(rng, created + 0.3 * (tl.latest - created), np.full(n, tl.latest))
    last_change = np.where(closed, close_ts, np.where(reached > OPEN_STAGES[0], moved, created))
    # A few open deals were updated on the as_of day, so the pipeline looks current.
    open_live = np.flatnonzero(~closed & ~deleted)
    fresh = np.zeros(n, bool)
    fresh[rng.choice(open_live, max(1, round(0.06 * open_live.size)), replace=False)] = True
    today = np.maximum(tl.last_day * DAY + rng.integers(0, DAY, n), last_change + 1)
    fresh_at = np.ma.array(tl.clip(today), mask=~fresh)

    currency = accounts.currency[account]
    usd = rng.lognormal(np.log(60_000), 0.75, n) * team.deal_size[owner]
    amount = np.ma.array(money.local_amount(usd, currency), mask=pick_rows(rng, 0.03, np.ones(n, bool)))
    last_write = np.maximum(fresh_at.filled(0), last_change)
    modified, modstamp = audit_stamps(rng, tl, created, floor=last_write, deleted=deleted, edit_share=0.4)
    product = names.pick(rng, names.DEAL_PRODUCTS, n)
    campaign = origin["campaign"]
    start = id_start(64_000_000, block)
    table = {
        "Id": ref(OPPORTUNITY.id_prefix, start, np.arange(n)),
        "Name": Text(accounts.name[account] * len(names.DEAL_PRODUCTS) + product, deal_names),
        "AccountId": accounts.refs(account),
        "OwnerId": team.rep_ref(owner),
        "StageName": text(stage, STAGE_NAMES),
        "Amount": amount,
        "Probability": STAGE_PROBABILITY[stage],
        "CloseDate": close_day,
        "Type": text(origin["type"], OPPORTUNITY_TYPES),
        "LeadSource": text(origin["source"], names.LEAD_SOURCES),
        "ForecastCategory": text(stage, FORECAST_CATEGORY),
        "ForecastCategoryName": text(stage, FORECAST_CATEGORY_NAME),
        "IsClosed": STAGE_IS_CLOSED[stage],
        "IsWon": STAGE_IS_WON[stage],
        "CampaignId": campaigns.refs(np.maximum(campaign, 0)).with_null(campaign < 0),
        "CurrencyIsoCode": money.codes(currency),
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return Opportunities(start, created, owner, account, currency, amount, stage, reached, close_day,
                         last_change, fresh_at, deleted, of_lead, table)


def _origins(rng, tl, team, leads, accounts, campaigns, scale) -> tuple[dict, np.ndarray]:
    """Where each deal comes from: who opened it, when, on which account, from which campaign.

    Returns the columns in creation order and each converted lead's deal index (-1 for others).
    """
    conv = np.flatnonzero(leads.converted)
    target = round(1_500 * scale)
    n = max(target - conv.size, round(0.3 * target))

    # Direct deals open on a live account that already existed (accounts are in creation order).
    created = tl.clip(business_time(rng, tl.sample_days(rng, n, growth=0.4)))
    live = np.flatnonzero(~accounts.deleted)
    existing = np.searchsorted(accounts.created[live], created, side="right")
    created = np.where(existing > 0, created, tl.clip(accounts.created[live[0]] + HOUR))
    account = live[(rng.random(n) * np.maximum(existing, 1)).astype(np.int64)]
    # Usually the account owner works the deal, if they are still around.
    keep_owner = (rng.random(n) < 0.8) & team.is_active(tl, accounts.owner[account], created)
    owner = np.where(keep_owner, accounts.owner[account], team.pick_reps(rng, tl, created))
    campaign = np.where(rng.random(n) < 0.1, campaigns.running_at(created), -1)
    source = np.where(campaign >= 0, campaigns.lead_source[campaign],
                      names.pick(rng, names.LEAD_SOURCES, n, names.LEAD_SOURCE_WEIGHTS))
    direct = {
        "created": created, "owner": owner, "account": account, "campaign": campaign,
        "source": source, "type": names.pick(rng, OPPORTUNITY_TYPES, n, (35, 40, 15, 10)),
        "from_lead": np.zeros(n, bool),
    }
    # A conversion creates its deal at the conversion, on the new account, for the lead's owner.
    converted = {
        "created": leads.converted_at[conv], "owner": leads.owner[conv],
        "account": accounts.of_lead[conv], "campaign": leads.campaign[conv],
        "source": leads.source[conv], "type": np.zeros(conv.size, np.int64),
        "from_lead": np.ones(conv.size, bool),
    }
    order, of_conv = in_creation_order(direct["created"], converted["created"])
    columns = {k: np.concatenate([direct[k], converted[k]])[order] for k in direct}
    of_lead = np.full(leads.size, -1)
    of_lead[conv] = of_conv
    return columns, of_lead


def deal_names(codes: np.ndarray) -> pa.Array:
    """'<account name> - <product>' for codes account name code * len(DEAL_PRODUCTS) + product."""
    products = len(names.DEAL_PRODUCTS)
    return pc.binary_join_element_wise(names.company_names(codes // products),
                                       _PRODUCTS_ARROW.take(codes % products), " - ")


_PRODUCTS_ARROW = pa.array(names.DEAL_PRODUCTS)


def _lost_reach_weights() -> np.ndarray:
    """Lost deals mostly die early in the funnel."""
    w = np.linspace(1.0, 0.25, OPEN_STAGES.size)
    return w / w.sum()


def account_rollup(opps: Opportunities, n_accounts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account: has a live won deal, has any live deal, and its latest win (which updated it)."""
    live = ~opps.deleted
    is_won = live & STAGE_IS_WON[opps.stage]
    has_won = np.bincount(opps.account[is_won], minlength=n_accounts) > 0
    has_deal = np.bincount(opps.account[live], minlength=n_accounts) > 0
    last_win = np.zeros(n_accounts, np.int64)
    np.maximum.at(last_win, opps.account[is_won], opps.last_change[is_won])
    return has_won, has_deal, last_win
