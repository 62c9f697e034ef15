"""Tasks and events: the calls, emails, social touches and meetings reps log.

Activities come from three places: touches on leads (WhoId a lead, no WhatId, as Salesforce
requires), work on open deals (WhatId the opportunity, WhoId a contact of its account) and account
management (WhatId the account). Each becomes a task or, sometimes, a meeting (an event).
"""

from __future__ import annotations

import numpy as np

from orchestration.demo_org import names
from orchestration.demo_org.accounts import Accounts, Contacts
from orchestration.demo_org.clock import DAY, HOUR, Timeline, audit_stamps, between, pick_rows
from orchestration.demo_org.ids import make_ids
from orchestration.demo_org.leads import Leads
from orchestration.demo_org.pipeline import Opportunities
from orchestration.demo_org.team import Team
from orchestration.salesforce.objects import EVENT, TASK

LEAD, DEAL, ACCOUNT = 0, 1, 2
_EVENT_SHARE = np.array([0.08, 0.35, 0.3])  # by source: leads are mostly called and emailed
_NO_FLOOR = np.iinfo(np.int64).min

# Task kinds: (TaskSubtype, Type, subjects). 'Task' kinds pick Type 'Meeting' or 'Other'.
_KINDS = (
    ("Call", "Call", ("Call", "Discovery call", "Follow-up call", "Left voicemail")),
    ("Email", "Email", ("Email: Introduction", "Email: Follow-up", "Email: Pricing", "Email: Recap")),
    ("Task", "Social", ("LinkedIn InMail - introduction", "LinkedIn InMail - follow-up")),
    ("Task", "Other", ("Send proposal", "Prepare demo", "Update account plan", "Send contract")),
)
_KIND_WEIGHTS = {LEAD: (45, 38, 12, 5), DEAL: (38, 40, 3, 19), ACCOUNT: (38, 40, 3, 19)}
# Salesforce's default Task statuses; only 'Completed' is a closed status.
_STATUSES = ("Completed", "Not Started", "In Progress", "Waiting on someone else", "Deferred")
_EVENT_SUBJECTS = {
    LEAD: ("Intro meeting", "Discovery meeting"),
    DEAL: ("Demo", "Discovery meeting", "Proposal review", "Negotiation call", "Onsite visit"),
    ACCOUNT: ("Quarterly business review", "Check-in meeting", "Onsite visit"),
}


def build_activities(rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads,
                     accounts: Accounts, contacts: Contacts, opps: Opportunities) -> tuple[dict, dict]:
    """The Task and Event tables."""
    src = _sources(rng, tl, team, leads, accounts, contacts, opps)
    first_lead_touch = np.zeros(src["time"].size, bool)
    lead_rows = np.flatnonzero(src["source"] == LEAD)
    first_lead_touch[lead_rows[np.unique(src["parent"][lead_rows], return_index=True)[1]]] = True

    start = -(-src["time"] // (15 * 60)) * (15 * 60)  # meetings start on a quarter hour
    as_event = (rng.random(start.size) < _EVENT_SHARE[src["source"]]) & ~first_lead_touch
    as_event &= start + 90 * 60 <= tl.latest  # a meeting has to be over by as_of
    # Deleting a lead, deal or account deletes its activities; a few more are deleted on their own.
    deleted = src["parent_deleted"] | pick_rows(rng, 0.005, ~as_event) | pick_rows(rng, 0.005, as_event)
    task_src = {k: v[~as_event] for k, v in src.items()}
    event_src = {k: v[as_event] for k, v in src.items()}
    tasks = _tasks(rng, tl, team, task_src, deleted[~as_event])
    events = _events(rng, tl, team, event_src, start[as_event], deleted[as_event])
    return tasks, events


def _sources(rng, tl, team, leads, accounts, contacts, opps) -> dict:
    """Every activity's time, owner, who/what and parent, before it becomes a task or an event."""
    # Lead touches were scheduled with the leads; backdated ones have no creation floor.
    lead = leads.touch_lead
    lead_floor = np.where(leads.touch_time >= leads.created[lead], leads.created[lead], _NO_FLOOR)

    # Work on deals while they are open, at a pace that follows the owner's activity level.
    end = np.where(opps.table["IsClosed"], opps.last_change, tl.latest)
    weeks = (end - opps.created) / (7 * DAY)
    deal = np.repeat(np.arange(opps.ids.size), rng.poisson(0.6 * weeks * team.activity[opps.owner]))
    deal_time = between(rng, opps.created[deal], end[deal])

    # Account management over the account's life.
    years = (tl.latest - accounts.created) / (365 * DAY)
    per_account = rng.poisson(3.0 * years * team.activity[accounts.owner])
    acct = np.repeat(np.arange(accounts.ids.size), per_account)
    acct_time = between(rng, accounts.created[acct], np.full(acct.size, tl.latest))

    deal_contact = contacts.pick(rng, opps.account[deal], deal_time)
    acct_contact = contacts.pick(rng, acct, acct_time)
    contact_id = np.append(contacts.ids, "")  # index -1 reads as no contact
    src = {
        "source": np.repeat([LEAD, DEAL, ACCOUNT], [lead.size, deal.size, acct.size]),
        "parent": np.concatenate([lead, deal, acct]),
        "time": np.concatenate([leads.touch_time, deal_time, acct_time]),
        "owner": np.concatenate([leads.owner[lead], opps.owner[deal], accounts.owner[acct]]),
        "who": np.concatenate([leads.ids[lead], contact_id[deal_contact], contact_id[acct_contact]]),
        "what": np.concatenate([np.full(lead.size, ""), opps.ids[deal], accounts.ids[acct]]),
        "floor": np.concatenate([lead_floor, opps.created[deal], accounts.created[acct]]),
        "parent_deleted": np.concatenate(
            [leads.deleted[lead], opps.deleted[deal], accounts.deleted[acct]]
        ),
    }
    src["time"] = tl.clip(src["time"])
    # Only reps on the payroll log activities.
    working = team.is_active(tl, src["owner"], src["time"])
    return {k: v[working] for k, v in src.items()}


def _tasks(rng, tl, team, src: dict, deleted: np.ndarray) -> dict:
    n = src["time"].size
    kind = np.empty(n, np.int64)
    for source, weights in _KIND_WEIGHTS.items():  # three sources, not rows
        rows = src["source"] == source
        kind[rows] = rng.choice(len(_KINDS), int(rows.sum()), p=np.asarray(weights) / sum(weights))
    subtype = np.array([k[0] for k in _KINDS])[kind]
    task_type = np.array([k[1] for k in _KINDS])[kind]
    task_type = np.where((task_type == "Other") & (rng.random(n) < 0.3), "Meeting", task_type)
    subject = _subjects(rng, kind, [k[2] for k in _KINDS])
    is_call = subtype == "Call"

    recent = src["time"] >= tl.latest - 3 * DAY
    status = np.where(
        recent,
        names.pick(rng, _STATUSES, n, (55, 20, 15, 7, 3)),
        names.pick(rng, _STATUSES, n, (96, 0, 0, 2, 2)),
    )
    done = status == "Completed"
    # Logged work is created when it happens; open to-dos were scheduled a little ahead.
    ahead = np.where(done, 0, rng.integers(0, 3 * DAY, n))
    backdated = src["floor"] == _NO_FLOOR
    created = np.where(backdated, src["time"], np.maximum(src["time"] - ahead, src["floor"]))
    # Completing a to-do is an edit; logged calls and emails are created complete.
    completed_at = np.where(done, src["time"], created)
    modified, modstamp = audit_stamps(
        rng, tl, created, floor=completed_at, deleted=deleted, edit_share=0.15
    )
    duration = np.clip(rng.lognormal(np.log(150), 1.0, n), 5, 3_600).astype(np.int64)
    order = np.argsort(created, kind="stable")
    table = {
        "Id": make_ids(TASK.id_prefix, n, start=700_000_000),
        "WhoId": _nullable(src["who"]),
        "WhatId": _nullable(src["what"]),
        "OwnerId": team.rep_ids[src["owner"]],
        "Subject": subject,
        "Status": status,
        "Priority": names.pick(rng, ("Normal", "High", "Low"), n, (80, 15, 5)),
        "ActivityDate": src["time"] // DAY,
        "Type": task_type,
        "TaskSubtype": subtype,
        "CallType": np.ma.array(np.where(rng.random(n) < 0.85, "Outbound", "Inbound"), mask=~is_call),
        "CallDurationInSeconds": np.ma.array(duration, mask=~is_call),
        "IsClosed": done,
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}


def _events(rng, tl, team, src: dict, start: np.ndarray, deleted: np.ndarray) -> dict:
    n = start.size
    minutes = rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.15, 0.4, 0.1])
    subject = np.empty(n, dtype=object)
    for source, options in _EVENT_SUBJECTS.items():
        rows = src["source"] == source
        subject[rows] = names.pick(rng, options, int(rows.sum()))
    # Meetings are booked up to a week ahead, though never before their lead/deal/account existed.
    booked = start - rng.integers(HOUR, 7 * DAY, n)
    backdated = src["floor"] == _NO_FLOOR
    created = np.where(backdated, start, np.minimum(np.maximum(booked, src["floor"]), start))
    end = start + minutes * 60
    modified, modstamp = audit_stamps(rng, tl, created, deleted=deleted, edit_share=0.3)
    order = np.argsort(created, kind="stable")
    table = {
        "Id": make_ids(EVENT.id_prefix, n, start=900_000_000),
        "WhoId": _nullable(src["who"]),
        "WhatId": _nullable(src["what"]),
        "OwnerId": team.rep_ids[src["owner"]],
        "Subject": subject.astype(str),
        "Type": np.full(n, "Meeting"),
        "EventSubtype": np.full(n, "Event"),
        "StartDateTime": start,
        "EndDateTime": end,
        "DurationInMinutes": minutes,
        "ActivityDate": start // DAY,
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}


def _subjects(rng, kind: np.ndarray, options: list[tuple[str, ...]]) -> np.ndarray:
    width = max(len(o) for o in options)
    grid = np.array([list(o) + [o[0]] * (width - len(o)) for o in options])
    counts = np.array([len(o) for o in options])
    return grid[kind, (rng.random(kind.size) * counts[kind]).astype(np.int64)]


def _nullable(ids: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.array(ids, mask=ids == "")
