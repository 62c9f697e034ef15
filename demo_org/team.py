"""The sales team: a VP, regional managers and their reps, with roles, skill and tenure.

Skill is one number per rep that drives how they sell: their win rate, deal size, activity volume
and how fast they touch new leads, so rep-level KPIs show real spread. Reps are hired and leave on
month boundaries, and records are only ever owned by a rep employed when the record was created.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from demo_org.clock import DAY, Timeline, add_months, audit_stamps
from demo_org.columns import Ref
from demo_org.ids import make_ids
from demo_org.names import FIRST_NAMES, LAST_NAMES
from orchestration.salesforce.objects import USER, USER_ROLE

REGIONS = ("North America East", "North America West", "EMEA", "APAC")
DOMAIN = "crmkpi-demo.example.com"
USER_ID_START = 7_500_000  # user i's Id counter is USER_ID_START + i


@dataclass
class Team:
    user_ids: np.ndarray
    rep_user: np.ndarray  # index into user_ids of each rep (active and former)
    skill: np.ndarray  # per rep, standard normal
    active: np.ndarray  # (months, reps) bool: employed during that month of the window
    users: dict[str, np.ndarray]
    roles: dict[str, np.ndarray]

    def rep_ref(self, rep: np.ndarray) -> Ref:
        """The User Ids of reps (indices into this team's reps)."""
        return Ref(USER_ID_START + self.rep_user[rep], USER.id_prefix)

    def subset(self, reps: np.ndarray) -> Team:
        """The team of just these reps (a territory): rep indices then count within it."""
        return replace(self, rep_user=self.rep_user[reps], skill=self.skill[reps], active=self.active[:, reps])

    @property
    def win_rate(self) -> np.ndarray:
        return np.clip(0.30 + 0.07 * self.skill, 0.12, 0.55)

    @property
    def deal_size(self) -> np.ndarray:
        return np.exp(0.25 * self.skill)

    @property
    def activity(self) -> np.ndarray:
        return np.exp(0.3 * self.skill)

    def pick_reps(self, rng: np.random.Generator, tl: Timeline, times: np.ndarray) -> np.ndarray:
        """A rep employed at each time, busier (higher-activity) reps more often; rep indices."""
        weights = self.active * self.activity
        cdf = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
        # Offsetting each month's CDF by its month number makes one sorted array, so a single
        # searchsorted draws for all rows at once whatever month they fall in.
        n_reps = self.skill.size
        flat = (cdf + np.arange(cdf.shape[0])[:, None]).ravel()
        month = np.clip(tl.month_index(times), 0, cdf.shape[0] - 1)
        draw = np.searchsorted(flat, month + rng.random(times.size) * 0.999999, side="right")
        return np.clip(draw - month * n_reps, 0, n_reps - 1)

    def is_active(self, tl: Timeline, rep: np.ndarray, times: np.ndarray) -> np.ndarray:
        month = np.clip(tl.month_index(times), 0, self.active.shape[0] - 1)
        return self.active[month, rep]


def build_team(rng: np.random.Generator, tl: Timeline, scale: float, territories: int = 1) -> Team:
    """Users and roles: VP -> one manager per region -> reps, plus a few reps who left.

    Reps are dealt round-robin into `territories`; the first rep of each is there from the start,
    so every territory always has someone to own its records.
    """
    n_active = max(4, round(25 * scale))
    n_former = max(1, round(3 * scale))
    n_managers = max(1, round(n_active / 6.25))
    n_reps = n_active + n_former
    regions = [REGIONS[i] if i < len(REGIONS) else f"Region {i + 1}" for i in range(n_managers)]

    # Roles: VP at the top, then a manager role and a rep role per region.
    role_names = ["VP Sales"]
    role_parent = [-1]
    for i, region in enumerate(regions):
        role_names += [f"Sales Manager - {region}", f"Account Executive - {region}"]
        role_parent += [0, 1 + 2 * i]
    n_roles = len(role_names)
    role_ids = make_ids(USER_ROLE.id_prefix, n_roles, start=40_000)

    n_users = 1 + n_managers + n_reps
    region_of_rep = np.arange(n_reps) % n_managers
    title = ["VP of Sales"] + ["Regional Sales Manager"] * n_managers + ["Account Executive"] * n_reps
    role = np.concatenate([[0], 1 + 2 * np.arange(n_managers), 2 + 2 * region_of_rep])
    manager = np.concatenate([[-1], np.zeros(n_managers, int), 1 + region_of_rep])
    user_ids = make_ids(USER.id_prefix, n_users, start=USER_ID_START)

    # Tenure: most reps were there when the window opens; some are hired later, the former ones
    # left part-way through. Months are indices into the window.
    n_months = tl.n_months
    hired = np.zeros(n_reps, int)
    late = rng.random(n_reps) < 0.2
    late[:territories] = False  # someone is always there to own the first records
    hired[late] = rng.integers(2, max(3, n_months - 4), late.sum())
    left = np.full(n_reps, n_months)
    left[n_active:] = rng.integers(6, max(7, n_months - 6), n_former)
    hired[n_active:] = np.minimum(hired[n_active:], left[n_active:] - 4).clip(0)
    months = np.arange(n_months)[:, None]
    active = (months >= hired) & (months < left)

    first = np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n_users)]
    last = np.asarray(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n_users)]
    # Founding users existed before the window opens; later hires are set up the week before
    # they start, so a user always predates the records they own.
    created = tl.start - rng.integers(1 * DAY, 30 * DAY, n_users)
    first_month_day = add_months(np.array([tl.first_day]), 0)[0]
    hire_day = add_months(np.full(n_reps, first_month_day), hired)
    created[1 + n_managers :] = np.where(
        hired > 0, hire_day * DAY - rng.integers(2 * DAY, 7 * DAY, n_reps), created[1 + n_managers :]
    )
    is_active = np.ones(n_users, bool)
    is_active[1 + n_managers + n_active :] = False
    leave_at = add_months(np.full(n_reps, first_month_day), left)[n_active:] * DAY + 17 * 3_600
    floor = created.copy()
    floor[1 + n_managers + n_active :] = leave_at  # deactivation is their last change
    modified, modstamp = audit_stamps(rng, tl, created, floor=floor, fresh_share=0.03)

    usernames, emails = [], []
    for i in range(n_users):  # a few dozen users: a loop reads better than array plumbing
        local = f"{first[i]}.{last[i]}{i}".lower().replace("'", "").replace("ü", "ue")
        usernames.append(f"{local}@{DOMAIN}")
        emails.append(f"{local}@{DOMAIN}")
    users = {
        "Id": user_ids,
        "Username": np.asarray(usernames),
        "Name": np.strings.add(np.strings.add(first, " "), last),
        "FirstName": first,
        "LastName": last,
        "Email": np.asarray(emails),
        "Title": np.asarray(title),
        "Department": np.full(n_users, "Sales"),
        "UserRoleId": role_ids[role],
        "ManagerId": np.ma.array(user_ids[np.maximum(manager, 0)], mask=manager < 0),
        "IsActive": is_active,
        "UserType": np.full(n_users, "Standard"),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    role_parent = np.asarray(role_parent)
    role_created = np.full(n_roles, tl.start - 45 * DAY)
    role_modified, role_modstamp = audit_stamps(rng, tl, role_created, fresh_share=0.1)
    roles = {
        "Id": role_ids,
        "Name": np.asarray(role_names),
        "DeveloperName": np.asarray([_developer_name(r) for r in role_names]),
        "ParentRoleId": np.ma.array(role_ids[np.maximum(role_parent, 0)], mask=role_parent < 0),
        "LastModifiedDate": role_modified,
        "SystemModstamp": role_modstamp,
    }
    return Team(
        user_ids=user_ids,
        rep_user=np.arange(1 + n_managers, n_users),
        skill=rng.normal(0.0, 1.0, n_reps),
        active=active,
        users=users,
        roles=roles,
    )


def _developer_name(label: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in label).split())
