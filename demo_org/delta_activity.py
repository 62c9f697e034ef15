"""A day of activity: calls, e-mails and meetings logged, to-dos completed, a few records deleted.

New activities touch today's new leads, leads being worked, open deals (with a contact of the
account) and accounts, as in `activities.py`; completed e-mail tasks get their EmailMessage. Deleting
a lead deletes its activities and campaign memberships, and deleting a task its e-mail, so live
rows only ever reference live rows.
"""

from __future__ import annotations

import numpy as np

from demo_org import names
from demo_org.activities import (
    _EVENT_SUBJECTS,
    ACCOUNT,
    DEAL,
    EVENT_SHARE,
    KIND_WEIGHTS,
    KINDS,
    LEAD,
    PRIORITIES,
    SUBJECT_WIDTH,
    SUBJECTS,
    SUBTYPE_OF_KIND,
    SUBTYPES,
    TASK_TYPES,
    TYPE_OF_KIND,
)
from demo_org.delta_cleanup import complete_todos, delete_records
from demo_org.delta_day import Changes, Day
from demo_org.delta_io import as_table
from orchestration.salesforce.objects import OBJECTS_BY_NAME

_SOURCE_SHARE = {DEAL: 0.55, ACCOUNT: 0.25, LEAD: 0.2}  # of the day's activities beyond first touches
_QUARTER_HOUR = 15 * 60


def activity_changes(day: Day, changes: Changes, touches: dict, deals: dict) -> None:
    """Deletions first, so nothing completed or logged today points at a record deleted today."""
    complete_todos(day, changes, delete_records(day, changes))
    src = _sources(day, touches, deals)
    start = -(-src["time"] // _QUARTER_HOUR) * _QUARTER_HOUR
    latest_start = (day.end - 90 * 60) // _QUARTER_HOUR * _QUARTER_HOUR  # a meeting ends on the day
    as_event = (day.rng.random(start.size) < EVENT_SHARE[src["source"]]) & ~src["first"]
    _events(day, changes, {k: v[as_event] for k, v in src.items()}, np.minimum(start[as_event], latest_start))
    _tasks(day, changes, {k: v[~as_event] for k, v in src.items()})


def _sources(day: Day, touches: dict, deals: dict) -> dict[str, np.ndarray]:
    """Who does what today: (source, owner, who, what, time) per activity."""
    rng = day.rng
    total = day.volume("Task") + day.volume("Event")
    parts = [{"source": np.full(touches["who"].size, LEAD), "owner": touches["owner"], "who": touches["who"],
              "what": np.full(touches["who"].size, ""), "time": touches["time"]}]
    n = rng.poisson(total * _SOURCE_SHARE[DEAL]) if deals["what"].size else 0
    pick = rng.integers(0, max(deals["what"].size, 1), n)
    contact = _contact_of(day, deals["account"][pick])
    parts.append({"source": np.full(n, DEAL), "owner": deals["owner"][pick], "who": contact,
                  "what": deals["what"][pick], "time": day.times(n)})
    active = "OwnerId IN (SELECT Id FROM \"User\" WHERE IsActive AND Title = 'Account Executive')"
    accounts = _sample(day, f"SELECT Id, OwnerId FROM Account WHERE NOT IsDeleted AND {active}",
                       rng.poisson(total * _SOURCE_SHARE[ACCOUNT]))
    parts.append({"source": np.full(accounts["Id"].size, ACCOUNT), "owner": accounts["OwnerId"],
                  "who": _contact_of(day, accounts["Id"]), "what": accounts["Id"], "time": day.times(accounts["Id"].size)})
    since = day.date - np.timedelta64(60, "D")
    leads = _sample(day, f"SELECT Id, OwnerId FROM Lead WHERE NOT IsDeleted AND NOT IsConverted AND "
                         f"Status = 'Working - Contacted' AND {active} AND CreatedDate >= DATE '{since}'",
                    rng.poisson(total * _SOURCE_SHARE[LEAD]))
    parts.append({"source": np.full(leads["Id"].size, LEAD), "owner": leads["OwnerId"], "who": leads["Id"],
                  "what": np.full(leads["Id"].size, ""), "time": day.times(leads["Id"].size)})
    src = {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
    src["first"] = np.arange(src["time"].size) < touches["who"].size
    for k in ("owner", "who", "what"):
        src[k] = src[k].astype(str)
    return src


def _sample(day: Day, sql: str, n: int) -> dict[str, np.ndarray]:
    """n rows of a query, drawn uniformly (with replacement) by position in Id order."""
    rows = day.org.scalar(f"SELECT count(*) FROM ({sql})")
    if not rows or not n:
        return {"Id": np.array([], dtype=str), "OwnerId": np.array([], dtype=str)}
    positions = sorted({int(p) for p in day.rng.integers(1, rows + 1, n)})
    out = day.org.query(f"SELECT * FROM (SELECT *, row_number() OVER (ORDER BY Id) AS pos FROM ({sql})) "
                        "WHERE pos IN (SELECT k FROM keys) ORDER BY pos", keys=positions)
    return {k: np.asarray(v).astype(str) for k, v in out.items() if k != "pos"}


def _contact_of(day: Day, accounts: np.ndarray) -> np.ndarray:
    """A live contact of each account ('' where it has none)."""
    if not accounts.size:
        return np.array([], dtype=str)
    found = day.org.query("SELECT AccountId, list(Id ORDER BY Id) AS ids FROM Contact WHERE NOT IsDeleted "
                          "AND AccountId IN (SELECT k FROM keys) GROUP BY 1 ORDER BY 1", keys=np.unique(accounts.astype(str)))
    by_account = dict(zip(found["AccountId"].astype(str), found["ids"]))
    options = [by_account.get(a) for a in accounts.astype(str)]
    draws = day.rng.random(len(options))
    return np.array(["" if o is None else o[int(u * len(o))] for o, u in zip(options, draws)], dtype=object)


def _tasks(day: Day, changes: Changes, src: dict) -> None:
    rng, n = day.rng, src["time"].size
    kind = np.empty(n, np.int64)
    for source, weights in KIND_WEIGHTS.items():  # three sources, not rows
        rows = src["source"] == source
        kind[rows] = rng.choice(len(KINDS), int(rows.sum()), p=np.asarray(weights) / sum(weights))
    # A first touch is a call or an e-mail, in the proportions lead touches have.
    first_kind = rng.choice(2, n, p=np.asarray(KIND_WEIGHTS[LEAD][:2]) / sum(KIND_WEIGHTS[LEAD][:2]))
    kind = np.where(src["first"], first_kind, kind)
    subject = kind * SUBJECT_WIDTH + (rng.random(n) * np.array([len(k[2]) for k in KINDS])[kind]).astype(np.int64)
    task_type = np.where((TYPE_OF_KIND[kind] == TASK_TYPES.index("Other")) & (rng.random(n) < 0.3),
                         TASK_TYPES.index("Meeting"), TYPE_OF_KIND[kind])
    done = src["first"] | (rng.random(n) < 0.8)  # the rest are to-dos for later today
    is_call = SUBTYPE_OF_KIND[kind] == SUBTYPES.index("Call")
    created = np.sort(src["time"])
    order = np.argsort(src["time"], kind="stable")
    src, kind, subject, task_type, done, is_call = ({k: v[order] for k, v in src.items()}, kind[order],
                                                    subject[order], task_type[order], done[order], is_call[order])
    modified, modstamp = day.stamps(created)
    ids = day.new_ids("Task", n)
    changes.add("Task", as_table(OBJECTS_BY_NAME["Task"], {
        "Id": ids, "WhoId": _nullable(src["who"]), "WhatId": _nullable(src["what"]), "OwnerId": src["owner"],
        "Subject": SUBJECTS[subject], "Status": np.where(done, "Completed", "Not Started"),
        "Priority": np.asarray(PRIORITIES)[names.pick(rng, PRIORITIES, n, (80, 15, 5))],
        "ActivityDate": np.full(n, day.epoch_day), "Type": np.asarray(TASK_TYPES)[task_type],
        "TaskSubtype": np.asarray(SUBTYPES)[SUBTYPE_OF_KIND[kind]],
        "CallType": np.ma.array(np.where(rng.random(n) < 0.85, "Outbound", "Inbound"), mask=~is_call),
        "CallDurationInSeconds": np.ma.array(np.clip(rng.lognormal(np.log(150), 1.0, n), 5, 3_600).astype(np.int64),
                                             mask=~is_call),
        "IsClosed": done, "IsDeleted": np.zeros(n, bool), "CreatedDate": created, "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }))
    sent = np.flatnonzero(done & (SUBTYPE_OF_KIND[kind] == SUBTYPES.index("Email")) & (src["who"] != ""))
    _emails(day, changes, ids.strings()[sent], {k: v[sent] for k, v in src.items()}, subject[sent], created[sent])


def _nullable(ids: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.array(ids, mask=ids == "")


def _events(day: Day, changes: Changes, src: dict, start: np.ndarray) -> None:
    """Meetings held today, booked earlier in the day."""
    rng, n = day.rng, start.size
    minutes = rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.15, 0.4, 0.1])
    subject = np.empty(n, dtype=object)
    for source, options in _EVENT_SUBJECTS.items():  # three sources, not rows
        rows = src["source"] == source
        subject[rows] = np.asarray(options)[names.pick(rng, options, int(rows.sum()))]
    created = np.maximum(start - rng.integers(900, 6 * 3_600, n), day.start)
    order = np.argsort(created, kind="stable")
    src, start, minutes, subject, created = ({k: v[order] for k, v in src.items()}, start[order], minutes[order],
                                             subject[order], created[order])
    modified, modstamp = day.stamps(created)
    changes.add("Event", as_table(OBJECTS_BY_NAME["Event"], {
        "Id": day.new_ids("Event", n), "WhoId": _nullable(src["who"]), "WhatId": _nullable(src["what"]),
        "OwnerId": src["owner"], "Subject": subject.astype(str), "Type": np.full(n, "Meeting"),
        "EventSubtype": np.full(n, "Event"), "StartDateTime": start, "EndDateTime": start + minutes * 60,
        "DurationInMinutes": minutes, "ActivityDate": start // 86_400, "IsDeleted": np.zeros(n, bool),
        "CreatedDate": created, "LastModifiedDate": modified, "SystemModstamp": modstamp,
    }))


def _emails(day: Day, changes: Changes, task_ids, src: dict, subject: np.ndarray, sent: np.ndarray) -> None:
    """The message behind each e-mail logged today: sent, tracked or not, not opened yet."""
    n = task_ids.size
    if not n:
        return
    users = day.org.query('SELECT Id, Email FROM "User" ORDER BY Id')
    rep_email = dict(zip(users["Id"].astype(str), users["Email"].astype(str)))
    to = _addresses(day, changes, src["who"])
    tracked = day.rng.random(n) < 0.7
    modified, modstamp = day.stamps(sent)
    changes.add("EmailMessage", as_table(OBJECTS_BY_NAME["EmailMessage"], {
        "Id": day.new_ids("EmailMessage", n), "ParentId": np.ma.masked_all(n, "U18"), "ActivityId": task_ids,
        "RelatedToId": np.where(src["what"] != "", src["what"], src["who"]),
        "Subject": np.strings.replace(SUBJECTS[subject], "Email: ", "", 1),
        "FromAddress": np.array([rep_email[o] for o in src["owner"]]), "ToAddress": to,
        "Incoming": np.zeros(n, bool), "Status": np.full(n, "3"), "MessageDate": sent, "IsTracked": tracked,
        "IsOpened": np.zeros(n, bool), "FirstOpenedDate": np.ma.masked_all(n, np.int64),
        "LastOpenedDate": np.ma.masked_all(n, np.int64), "IsBounced": np.zeros(n, bool),
        "ClickCount": np.ma.array(np.zeros(n, np.int64), mask=~tracked), "CreatedById": src["owner"],
        "IsDeleted": np.zeros(n, bool), "CreatedDate": sent, "LastModifiedDate": modified, "SystemModstamp": modstamp,
    }))


def _addresses(day: Day, changes: Changes, who: np.ndarray) -> np.ndarray:
    """The e-mail address of each lead or contact: today's new leads, else the org's records."""
    known = {}
    for table in changes.tables.get("Lead", []):
        known.update(zip(table.column("Id").to_pylist(), table.column("Email").to_pylist()))
    missing = sorted(set(who) - set(known))
    if missing:
        found = day.org.query("SELECT Id, Email FROM Lead WHERE Id IN (SELECT k FROM keys) UNION ALL "
                              "SELECT Id, Email FROM Contact WHERE Id IN (SELECT k FROM keys) ORDER BY Id", keys=missing)
        known.update(zip(found["Id"].astype(str), found["Email"]))
    return np.array([known.get(w) or "" for w in who], dtype=str)
