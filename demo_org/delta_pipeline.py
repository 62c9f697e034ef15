"""A day in the pipeline: deals advance a stage, close won or lost, slip, and new deals open.

Every change to a deal's stage or close date is also a new OpportunityHistory row, carrying the
deal's amount, probability and close date at that moment, as Salesforce records them. A deal due by
the day either closes or has its close date moved out, so an open deal never has a past close date.
"""

from __future__ import annotations

import numpy as np

from demo_org import money, names
from demo_org.delta_day import Changes, Day
from demo_org.delta_io import as_table
from demo_org.pipeline import (
    FORECAST_CATEGORY,
    FORECAST_CATEGORY_NAME,
    LOST_STAGE,
    OPEN_STAGES,
    OPPORTUNITY_TYPES,
    STAGE_IS_CLOSED,
    STAGE_IS_WON,
    STAGE_NAMES,
    STAGE_PROBABILITY,
    WON_STAGE,
)
from orchestration.salesforce.objects import OBJECTS_BY_NAME

_ADVANCE_P = 0.02  # daily chance an open deal moves to its next stage
_CLOSE_DUE_P = 0.5  # chance a deal due by the day closes (otherwise its close date slips)
_WIN_P = 0.35
_DIRECT_SHARE = 0.47  # of the day's new deals, those opened directly on an existing account


def pipeline_changes(day: Day, changes: Changes) -> dict[str, np.ndarray]:
    """Deal changes of the day; returns the open deals reps work on (for the activity step)."""
    rng, org = day.rng, day.org
    deals = org.query("SELECT Id, StageName, CloseDate - DATE '1970-01-01' AS close_day, OwnerId, AccountId, "
                      "Amount FROM Opportunity WHERE NOT IsDeleted AND NOT IsClosed ORDER BY Id")
    ids = deals["Id"].astype(str)
    by_name = np.argsort(STAGE_NAMES)
    stage = by_name[np.searchsorted(STAGE_NAMES, deals["StageName"].astype(str), sorter=by_name)]
    close_day = np.asarray(deals["close_day"], np.int64)
    active = day.is_active(deals["OwnerId"])
    due = close_day <= day.epoch_day
    closes = due & (rng.random(ids.size) < _CLOSE_DUE_P)
    advances = ~due & active & (rng.random(ids.size) < _ADVANCE_P * day.pace)
    won = rng.random(ids.size) < _WIN_P
    # Even a tiny org closes and advances a deal each day: the one due soonest, and a random one.
    working = np.flatnonzero(~due & active)
    if working.size and not closes.any():
        closes[working[np.argmin(close_day[working])]] = True
    if working.size > 1 and not advances.any():
        advances[rng.choice(working[~closes[working]])] = True
    position = np.searchsorted(OPEN_STAGES, stage)
    last_open = position + 1 >= OPEN_STAGES.size
    new_stage = np.where(closes, np.where(won, WON_STAGE, LOST_STAGE),
                         np.where(advances & last_open, WON_STAGE,
                                  np.where(advances, OPEN_STAGES[np.minimum(position + 1, OPEN_STAGES.size - 1)], stage)))
    is_closed = STAGE_IS_CLOSED[new_stage]
    slip = day.epoch_day + rng.integers(7, 46, ids.size)
    new_close = np.where(is_closed, day.epoch_day, np.where(due, slip, close_day))
    changed = np.flatnonzero(due | closes | advances)
    if changed.size:
        at = day.times(changed.size)
        _record(day, changes, ids[changed], new_stage[changed], new_close[changed], at,
                np.ma.masked_invalid(np.ma.filled(deals["Amount"], np.nan).astype(float))[changed],
                deals["OwnerId"].astype(str)[changed])
        won_now = changed[STAGE_IS_WON[new_stage[changed]]]
        _customers(day, changes, deals["AccountId"].astype(str)[won_now], at[STAGE_IS_WON[new_stage[changed]]])
    _direct_deals(day, changes)
    worked = ~is_closed & active
    return {"what": ids[worked], "account": deals["AccountId"].astype(str)[worked],
            "owner": deals["OwnerId"].astype(str)[worked]}


def _record(day: Day, changes: Changes, ids, stage, close, at, amount: np.ma.MaskedArray, owner) -> None:
    """Update the deals and add their stage-history rows."""
    modified, modstamp = day.stamps(at)
    changes.update("Opportunity", ids, {
        "StageName": STAGE_NAMES[stage], "Probability": STAGE_PROBABILITY[stage],
        "ForecastCategory": FORECAST_CATEGORY[stage], "ForecastCategoryName": FORECAST_CATEGORY_NAME[stage],
        "IsClosed": STAGE_IS_CLOSED[stage], "IsWon": STAGE_IS_WON[stage], "CloseDate": close,
        "LastModifiedDate": modified, "SystemModstamp": modstamp,
    })
    _history(day, changes, ids, stage, close, at, amount, owner)


def _history(day: Day, changes: Changes, ids, stage, close, at, amount: np.ma.MaskedArray, owner) -> None:
    n = len(ids)
    probability = STAGE_PROBABILITY[stage]
    changes.add("OpportunityHistory", as_table(OBJECTS_BY_NAME["OpportunityHistory"], {
        "Id": day.new_ids("OpportunityHistory", n), "OpportunityId": np.asarray(ids, dtype=str),
        "StageName": STAGE_NAMES[stage], "Amount": amount, "Probability": probability, "CloseDate": close,
        "ExpectedRevenue": np.ma.round(amount * probability / 100, 2), "ForecastCategory": FORECAST_CATEGORY[stage],
        "CreatedById": np.asarray(owner, dtype=str), "IsDeleted": np.zeros(n, bool), "CreatedDate": at,
        "SystemModstamp": at,
    }))


def _customers(day: Day, changes: Changes, account_ids: np.ndarray, won_at: np.ndarray) -> None:
    """A win makes a prospect account a customer (an edit to the account)."""
    accounts, first = np.unique(account_ids, return_index=True)
    found = day.org.query("SELECT Id FROM Account WHERE NOT IsDeleted AND Type NOT LIKE 'Customer%' "
                          "AND Id IN (SELECT k FROM keys) ORDER BY Id", keys=accounts)["Id"].astype(str)
    if not found.size:
        return
    at = won_at[first][np.searchsorted(accounts, found)]
    modified, modstamp = day.stamps(np.minimum(at + 60, day.end - 120))
    channel = day.rng.random(found.size) < 0.2
    changes.update("Account", found, {
        "Type": np.where(channel, "Customer - Channel", "Customer - Direct"),
        "LastModifiedDate": modified, "SystemModstamp": modstamp,
    })


def _direct_deals(day: Day, changes: Changes) -> None:
    """Deals opened on existing live accounts, usually by the account's owner."""
    rng = day.rng
    live = day.org.scalar("SELECT count(*) FROM Account WHERE NOT IsDeleted")
    n = min(live, day.volume("Opportunity", _DIRECT_SHARE))
    if not n:
        return
    positions = np.sort(rng.choice(live, n, replace=False)) + 1
    acct = day.org.query("SELECT Id, OwnerId, CurrencyIsoCode, Name FROM (SELECT *, row_number() OVER (ORDER BY Id) "
                         "AS pos FROM Account WHERE NOT IsDeleted) WHERE pos IN (SELECT k FROM keys) ORDER BY pos",
                         keys=positions)
    owner = acct["OwnerId"].astype(str)
    owner = np.where((rng.random(n) < 0.8) & day.is_active(owner), owner, day.pick_reps(n))
    currency = np.array([money.CURRENCY_CODES.index(c) for c in acct["CurrencyIsoCode"].astype(str)])
    source = names.pick(rng, names.LEAD_SOURCES, n, names.LEAD_SOURCE_WEIGHTS)
    new_deals(day, changes, day.new_ids("Opportunity", n), {
        "AccountId": acct["Id"].astype(str), "OwnerId": owner, "Company": acct["Name"].astype(str),
        "at": np.sort(day.times(n)), "currency": currency,
        "Type": np.asarray(OPPORTUNITY_TYPES)[names.pick(rng, OPPORTUNITY_TYPES, n, (35, 40, 15, 10))],
        "LeadSource": np.asarray(names.LEAD_SOURCES)[source], "stage": OPEN_STAGES[0],
    })


def new_deals(day: Day, changes: Changes, ids, spec: dict) -> None:
    """New deals in their first stage (and their first history row): `spec` gives AccountId,
    OwnerId, Company (the account name), at (creation times), currency (codes), Type, LeadSource."""
    rng, n = day.rng, len(ids)
    product = names.pick(rng, names.DEAL_PRODUCTS, n)
    amount = money.local_amount(rng.lognormal(np.log(60_000), 0.75, n), spec["currency"])
    close = day.epoch_day + np.clip(rng.lognormal(np.log(75), 0.6, n), 14, 183).astype(np.int64)
    stage = np.full(n, spec["stage"])
    at = spec["at"]
    changes.add("Opportunity", as_table(OBJECTS_BY_NAME["Opportunity"], {
        "Id": ids, "Name": np.strings.add(np.asarray(spec["Company"], dtype=str),
                                          np.strings.add(" - ", np.asarray(names.DEAL_PRODUCTS)[product])),
        "AccountId": spec["AccountId"], "OwnerId": spec["OwnerId"], "StageName": STAGE_NAMES[stage], "Amount": amount,
        "Probability": STAGE_PROBABILITY[stage], "CloseDate": close, "Type": spec["Type"],
        "LeadSource": spec["LeadSource"], "ForecastCategory": FORECAST_CATEGORY[stage],
        "ForecastCategoryName": FORECAST_CATEGORY_NAME[stage], "IsClosed": np.zeros(n, bool),
        "IsWon": np.zeros(n, bool), "CampaignId": np.ma.masked_all(n, "U18"),
        "CurrencyIsoCode": money.codes(spec["currency"]), "IsDeleted": np.zeros(n, bool),
        "CreatedDate": at, "LastModifiedDate": at, "SystemModstamp": at,
    }))
    _history(day, changes, ids.strings(), stage, close, at, np.ma.array(amount), spec["OwnerId"])
