"""A day's deletions and completed to-dos.

A few recent tasks and meetings are deleted on their own (logged twice, logged on the wrong record);
deleting a lead deletes its activities and campaign memberships, and deleting a task its e-mail.
Deletions are rows with IsDeleted = true stamped at the deletion, as queryAll returns them.
"""

from __future__ import annotations

import numpy as np

from demo_org.delta_day import Changes, Day

_DELETE_SHARE = 0.005  # of the day's usual volume of tasks (and of meetings)
_COMPLETE_P = 0.5  # chance an open to-do due in the last week is completed today
_ACTIVE_OWNER = "OwnerId IN (SELECT Id FROM \"User\" WHERE IsActive AND Title = 'Account Executive')"


def delete_records(day: Day, changes: Changes) -> np.ndarray:
    """Delete activities (and what hangs off them); returns the Ids of the deleted tasks."""
    since = day.date - np.timedelta64(30, "D")
    deleted = {}
    for name in ("Task", "Event"):
        recent = day.org.query(f"SELECT Id FROM {name} WHERE NOT IsDeleted AND CreatedDate >= ? ORDER BY Id",
                               since)["Id"].astype(str)
        n = min(recent.size, day.volume(name, _DELETE_SHARE))
        chosen = day.rng.choice(recent, n, replace=False) if n else recent[:0]
        of_leads = _live(day, name, "WhoId", changes.deleted_leads)
        deleted[name] = np.union1d(chosen, of_leads)
    deleted["CampaignMember"] = _live(day, "CampaignMember", "LeadId", changes.deleted_leads)
    deleted["EmailMessage"] = _live(day, "EmailMessage", "ActivityId", deleted["Task"])
    for name, ids in deleted.items():
        if ids.size:
            modified, modstamp = day.stamps(day.times(ids.size))
            changes.update(name, ids, {"IsDeleted": np.ones(ids.size, bool),
                                                "LastModifiedDate": modified, "SystemModstamp": modstamp})
    return deleted["Task"]


def _live(day: Day, name: str, column: str, parents: np.ndarray) -> np.ndarray:
    """Live records of `name` whose `column` is one of `parents`."""
    if not parents.size:
        return np.array([], dtype=str)
    return day.org.query(f"SELECT Id FROM {name} WHERE NOT IsDeleted AND {column} IN (SELECT k FROM keys) "
                         "ORDER BY Id", keys=parents)["Id"].astype(str)


def complete_todos(day: Day, changes: Changes, deleted_tasks: np.ndarray) -> None:
    """Reps tick off some of the to-dos due this past week."""
    week_ago = day.date - np.timedelta64(7, "D")
    open_todos = day.org.query(
        f"SELECT Id FROM Task WHERE NOT IsDeleted AND NOT IsClosed AND Status IN ('Not Started', 'In Progress') "
        f"AND ActivityDate BETWEEN ? AND ? AND {_ACTIVE_OWNER} ORDER BY Id", week_ago, day.date)["Id"].astype(str)
    open_todos = open_todos[~np.isin(open_todos, deleted_tasks)]
    done = open_todos[day.rng.random(open_todos.size) < _COMPLETE_P * day.pace]
    if done.size:
        modified, modstamp = day.stamps(day.times(done.size))
        changes.update("Task", done, {
            "Status": np.full(done.size, "Completed"), "IsClosed": np.ones(done.size, bool),
            "LastModifiedDate": modified, "SystemModstamp": modstamp,
        })
