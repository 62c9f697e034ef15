"""Tasks and events: the calls, emails, social touches and meetings reps log.

Activities come from three places: touches on leads (WhoId a lead, no WhatId, as Salesforce
requires), work on open deals (WhatId the opportunity, WhoId a contact of its account) and account
management (WhatId the account). Each becomes a task or, sometimes, a meeting (an event).
"""

from __future__ import annotations

import numpy as np

from demo_org import names
from demo_org.accounts import Accounts, Contacts
from demo_org.clock import DAY, HOUR, Timeline, audit_stamps, between, pick_rows
from demo_org.columns import Ref, either, ref, text
from demo_org.ids import id_start
from demo_org.leads import Leads
from demo_org.pipeline import Opportunities
from demo_org.team import Team
from orchestration.salesforce.objects import EVENT, TASK

LEAD, DEAL, ACCOUNT = 0, 1, 2
# WhoId is a lead or a contact, WhatId a deal or an account: kind 0 means no reference.
NO_REF, WHO_LEAD, WHO_CONTACT = 0, 1, 2
WHAT_DEAL, WHAT_ACCOUNT = 1, 2
EVENT_SHARE = np.array([0.08, 0.35, 0.3])  # by source: leads are mostly called and emailed
_NO_FLOOR = np.iinfo(np.int64).min

# Task kinds: (TaskSubtype, Type, subjects). 'Task' kinds pick Type 'Meeting' or 'Other'.
KINDS = (
    ("Call", "Call", ("Call", "Discovery call", "Follow-up call", "Left voicemail")),
    ("Email", "Email", ("Email: Introduction", "Email: Follow-up", "Email: Pricing", "Email: Recap")),
    ("Task", "Social", ("LinkedIn InMail - introduction", "LinkedIn InMail - follow-up")),
    ("Task", "Other", ("Send proposal", "Prepare demo", "Update account plan", "Send contract")),
)
KIND_WEIGHTS = {LEAD: (45, 38, 12, 5), DEAL: (38, 40, 3, 19), ACCOUNT: (38, 40, 3, 19)}
SUBTYPES = ("Call", "Email", "Task")
TASK_TYPES = ("Call", "Email", "Social", "Other", "Meeting")
SUBTYPE_OF_KIND = np.array([SUBTYPES.index(k[0]) for k in KINDS])
TYPE_OF_KIND = np.array([TASK_TYPES.index(k[1]) for k in KINDS])
# Subjects: one row of options per kind, padded with its first option; code = kind * width + option.
SUBJECT_WIDTH = max(len(k[2]) for k in KINDS)
SUBJECTS = np.array([list(k[2]) + [k[2][0]] * (SUBJECT_WIDTH - len(k[2])) for k in KINDS]).ravel()
# Salesforce's default Task statuses; only 'Completed' (code 0) is a closed status.
STATUSES = ("Completed", "Not Started", "In Progress", "Waiting on someone else", "Deferred")
_EVENT_SUBJECTS = {
    LEAD: ("Intro meeting", "Discovery meeting"),
    DEAL: ("Demo", "Discovery meeting", "Proposal review", "Negotiation call", "Onsite visit"),
    ACCOUNT: ("Quarterly business review", "Check-in meeting", "Onsite visit"),
}
EVENT_SUBJECTS = tuple(s for options in _EVENT_SUBJECTS.values() for s in options)


def build_activities(rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads,
                     accounts: Accounts, contacts: Contacts, opps: Opportunities,
                     block: int = 0) -> tuple[dict, dict, dict]:
    """The Task and Event tables, and each task's owner and who/what (kind and index), in table order."""
    src = _sources(rng, tl, team, leads, accounts, contacts, opps)
    first_lead_touch = np.zeros(src["time"].size, bool)
    lead_rows = np.flatnonzero(src["source"] == LEAD)
    first_lead_touch[lead_rows[np.unique(src["parent"][lead_rows], return_index=True)[1]]] = True

    start = -(-src["time"] // (15 * 60)) * (15 * 60)  # meetings start on a quarter hour
    as_event = (rng.random(start.size) < EVENT_SHARE[src["source"]]) & ~first_lead_touch
    as_event &= start + 90 * 60 <= tl.latest  # a meeting has to be over by as_of
    # Deleting a lead, deal or account deletes its activities; a few more are deleted on their own.
    deleted = src["parent_deleted"] | pick_rows(rng, 0.005, ~as_event) | pick_rows(rng, 0.005, as_event)
    task_src = {k: v[~as_event] for k, v in src.items()}
    event_src = {k: v[as_event] for k, v in src.items()}
    refs = (leads, contacts, opps, accounts)
    tasks, links = _tasks(rng, tl, team, task_src, deleted[~as_event], refs, block)
    events = _events(rng, tl, team, event_src, start[as_event], deleted[as_event], refs, block)
    return tasks, events, links


def _sources(rng, tl, team, leads, accounts, contacts, opps) -> dict:
    """Every activity's time, owner, who/what and parent, before it becomes a task or an event."""
    # Lead touches were scheduled with the leads; backdated ones have no creation floor.
    lead = leads.touch_lead
    lead_floor = np.where(leads.touch_time >= leads.created[lead], leads.created[lead], _NO_FLOOR)

    # Work on deals while they are open, at a pace that follows the owner's activity level.
    end = np.where(opps.table["IsClosed"], opps.last_change, tl.latest)
    weeks = (end - opps.created) / (7 * DAY)
    deal = np.repeat(np.arange(opps.size), rng.poisson(0.6 * weeks * team.activity[opps.owner]))
    deal_time = between(rng, opps.created[deal], end[deal])

    # Account management over the account's life.
    years = (tl.latest - accounts.created) / (365 * DAY)
    per_account = rng.poisson(3.0 * years * team.activity[accounts.owner])
    acct = np.repeat(np.arange(accounts.size), per_account)
    acct_time = between(rng, accounts.created[acct], np.full(acct.size, tl.latest))

    deal_contact = contacts.pick(rng, opps.account[deal], deal_time)
    acct_contact = contacts.pick(rng, acct, acct_time)
    contact = np.concatenate([deal_contact, acct_contact])  # -1: no contact
    src = {
        "source": np.repeat([LEAD, DEAL, ACCOUNT], [lead.size, deal.size, acct.size]),
        "parent": np.concatenate([lead, deal, acct]),
        "time": np.concatenate([leads.touch_time, deal_time, acct_time]),
        "owner": np.concatenate([leads.owner[lead], opps.owner[deal], accounts.owner[acct]]),
        "who_kind": np.concatenate([np.full(lead.size, WHO_LEAD), np.where(contact >= 0, WHO_CONTACT, NO_REF)]),
        "who": np.concatenate([lead, np.maximum(contact, 0)]),
        "what_kind": np.repeat([NO_REF, WHAT_DEAL, WHAT_ACCOUNT], [lead.size, deal.size, acct.size]),
        "what": np.concatenate([np.zeros(lead.size, np.int64), deal, acct]),
        "floor": np.concatenate([lead_floor, opps.created[deal], accounts.created[acct]]),
        "parent_deleted": np.concatenate(
            [leads.deleted[lead], opps.deleted[deal], accounts.deleted[acct]]
        ),
    }
    src["time"] = tl.clip(src["time"])
    # Only reps on the payroll log activities.
    working = team.is_active(tl, src["owner"], src["time"])
    return {k: v[working] for k, v in src.items()}


def _tasks(rng, tl, team, src: dict, deleted: np.ndarray, refs: tuple, block: int) -> tuple[dict, dict]:
    n = src["time"].size
    kind = np.empty(n, np.int64)
    for source, weights in KIND_WEIGHTS.items():  # three sources, not rows
        rows = src["source"] == source
        kind[rows] = rng.choice(len(KINDS), int(rows.sum()), p=np.asarray(weights) / sum(weights))
    subtype = SUBTYPE_OF_KIND[kind]
    task_type = TYPE_OF_KIND[kind]
    other = TASK_TYPES.index("Other")
    task_type = np.where((task_type == other) & (rng.random(n) < 0.3), TASK_TYPES.index("Meeting"), task_type)
    subject = kind * SUBJECT_WIDTH + (rng.random(n) * np.array([len(k[2]) for k in KINDS])[kind]).astype(np.int64)
    is_call = subtype == SUBTYPES.index("Call")

    recent = src["time"] >= tl.latest - 3 * DAY
    status = np.where(
        recent,
        names.pick(rng, STATUSES, n, (55, 20, 15, 7, 3)),
        names.pick(rng, STATUSES, n, (96, 0, 0, 2, 2)),
    )
    done = status == 0
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
        "Id": ref(TASK.id_prefix, id_start(700_000_000, block), np.arange(n)),
        "WhoId": who_ref(refs, src["who_kind"], src["who"]),
        "WhatId": what_ref(refs, src["what_kind"], src["what"]),
        "OwnerId": team.rep_ref(src["owner"]),
        "Subject": text(subject, SUBJECTS),
        "Status": text(status, STATUSES),
        "Priority": text(names.pick(rng, PRIORITIES, n, (80, 15, 5)), PRIORITIES),
        "ActivityDate": src["time"] // DAY,
        "Type": text(task_type, TASK_TYPES),
        "TaskSubtype": text(subtype, SUBTYPES),
        "CallType": text((rng.random(n) >= 0.85).astype(np.int64), ("Outbound", "Inbound"), null=~is_call),
        "CallDurationInSeconds": np.ma.array(duration, mask=~is_call),
        "IsClosed": done,
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    links = {k: src[k][order] for k in ("owner", "who_kind", "who", "what_kind", "what")}
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}, links


PRIORITIES = ("Normal", "High", "Low")


def _events(rng, tl, team, src: dict, start: np.ndarray, deleted: np.ndarray, refs: tuple, block: int) -> dict:
    n = start.size
    minutes = rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.15, 0.4, 0.1])
    subject = np.empty(n, dtype=np.int64)
    offset = 0
    for source, options in _EVENT_SUBJECTS.items():
        rows = src["source"] == source
        subject[rows] = offset + names.pick(rng, options, int(rows.sum()))
        offset += len(options)
    # Meetings are booked up to a week ahead, though never before their lead/deal/account existed.
    booked = start - rng.integers(HOUR, 7 * DAY, n)
    backdated = src["floor"] == _NO_FLOOR
    created = np.where(backdated, start, np.minimum(np.maximum(booked, src["floor"]), start))
    end = start + minutes * 60
    modified, modstamp = audit_stamps(rng, tl, created, deleted=deleted, edit_share=0.3)
    order = np.argsort(created, kind="stable")
    table = {
        "Id": ref(EVENT.id_prefix, id_start(900_000_000, block), np.arange(n)),
        "WhoId": who_ref(refs, src["who_kind"], src["who"]),
        "WhatId": what_ref(refs, src["what_kind"], src["what"]),
        "OwnerId": team.rep_ref(src["owner"]),
        "Subject": text(subject, EVENT_SUBJECTS),
        "Type": text(np.zeros(n, np.int64), ("Meeting",)),
        "EventSubtype": text(np.zeros(n, np.int64), ("Event",)),
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


def who_ref(refs: tuple, kind: np.ndarray, index: np.ndarray) -> Ref:
    """WhoId: a lead or a contact (NULL for kind NO_REF)."""
    leads, contacts = refs[0], refs[1]
    who = either(kind == WHO_LEAD, leads.refs(index), contacts.refs(index))
    return who.with_null(kind == NO_REF)


def what_ref(refs: tuple, kind: np.ndarray, index: np.ndarray) -> Ref:
    """WhatId: a deal or an account (NULL for kind NO_REF)."""
    opps, accounts = refs[2], refs[3]
    what = either(kind == WHAT_DEAL, opps.refs(index), accounts.refs(index))
    return what.with_null(kind == NO_REF)
