"""One day of an org's life: how much happens, when, by whom, and the changes it collects.

Volumes follow the org itself: a day brings about as many new leads, deals and activities as an
average day of the last four weeks did (a weekend day about an eighth of that), and never fewer
than one of each, so even a tiny org shows every kind of change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo_org.clock import DAY, HOUR
from demo_org.columns import Ref
from demo_org.delta_io import OrgFiles, with_values
from orchestration.salesforce.objects import OBJECTS_BY_NAME

_WEEKEND = 0.12  # a weekend day's volume relative to a weekday's (as in clock.day_weights)
_WEEK_MEAN = (5 + 2 * _WEEKEND) / 7
_LOOKBACK_DAYS = 28


@dataclass
class Day:
    """The day being generated, its random stream, and the org it happens to."""

    date: dt.date
    rng: np.random.Generator
    org: OrgFiles
    reps: np.ndarray = field(init=False)  # active account executives' User Ids, sorted
    _next: dict[str, int] = field(default_factory=dict)  # next Id counter per object
    _recent: dict[str, int] = field(default_factory=dict)  # records created in the last four weeks

    def __post_init__(self) -> None:
        self.reps = self.org.query(
            "SELECT Id FROM \"User\" WHERE IsActive AND Title = 'Account Executive' ORDER BY Id")["Id"].astype(str)
        if not self.reps.size:
            raise ValueError(f"{self.org.dir}: the org has no active account executive to own new records")

    @property
    def epoch_day(self) -> int:
        return (self.date - dt.date(1970, 1, 1)).days

    @property
    def start(self) -> int:
        return self.epoch_day * DAY

    @property
    def end(self) -> int:
        """The last second of the day."""
        return self.start + DAY - 1

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def pace(self) -> float:
        """How busy the day is: 1 on a weekday, a fraction on a weekend."""
        return _WEEKEND if self.weekend else 1.0

    def volume(self, name: str, share: float = 1.0, minimum: int = 1) -> int:
        """How many records of the object to create today (share: of its usual daily volume)."""
        if name not in self._recent:
            since = dt.datetime.combine(self.date - dt.timedelta(days=_LOOKBACK_DAYS), dt.time())
            self._recent[name] = self.org.scalar(f'SELECT count(*) FROM "{name}" WHERE CreatedDate >= ?', since)
        rate = self._recent[name] / _LOOKBACK_DAYS / _WEEK_MEAN * self.pace * share
        return max(minimum, int(self.rng.poisson(rate)))

    def times(self, n: int) -> np.ndarray:
        """Times on the day in working hours (UTC, Europe to the Americas), with room left for a
        modstamp bump before midnight."""
        hours = np.clip(self.rng.normal(15.0, 3.0, n), 7.0, 23.0)
        return np.minimum(self.start + (hours * HOUR).astype(np.int64), self.end - 120)

    def stamps(self, written: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LastModifiedDate and SystemModstamp of rows last written at `written`: background jobs
        bump the system stamp of some by a minute or two, never past the day."""
        bump = np.where(self.rng.random(written.size) < 0.1, self.rng.integers(1, 120, written.size), 0)
        return written, np.minimum(written + bump, self.end)

    def new_ids(self, name: str, n: int) -> Ref:
        """Ids for new records of an object, after every Id the org (or this day) already gave out."""
        if name not in self._next:
            self._next[name] = self.org.next_counter(name)
        start = self._next[name]
        self._next[name] += n
        return Ref(np.arange(start, start + n, dtype=np.int64), OBJECTS_BY_NAME[name].id_prefix)

    def pick_reps(self, n: int) -> np.ndarray:
        return self.reps[self.rng.integers(0, self.reps.size, n)]

    def is_active(self, user_ids: np.ndarray) -> np.ndarray:
        return np.isin(np.asarray(user_ids, dtype=str), self.reps)


class Changes:
    """The day's rows per object: new records, and updates to existing ones.

    Updates are collected and applied at the end, so each object's file is read once for all the
    records the day changes, whatever step changed them.
    """

    def __init__(self):
        self.tables: dict[str, list[pa.Table]] = {}
        self.updates: dict[str, list[tuple[np.ndarray, dict]]] = {}
        self.deleted_leads: np.ndarray = np.array([], dtype=str)

    def add(self, name: str, table: pa.Table) -> None:
        if table.num_rows:
            self.tables.setdefault(name, []).append(table)

    def update(self, name: str, ids: np.ndarray, values: dict) -> None:
        """Existing records `ids` (distinct) get new field values (arrays aligned with `ids`)."""
        if len(ids):
            self.updates.setdefault(name, []).append((np.asarray(ids, dtype=str), values))

    def combined(self, org: OrgFiles) -> dict[str, pa.Table]:
        """One table per object; a record changed twice keeps its latest version (by SystemModstamp)."""
        for name, updates in self.updates.items():
            wanted = np.unique(np.concatenate([ids for ids, _ in updates]))
            rows = org.rows(name, wanted)  # in Id order, as np.unique sorts them
            if rows.num_rows != wanted.size:
                raise ValueError(f"{name}: {wanted.size - rows.num_rows} of the records to update do not exist")
            for ids, values in updates:
                self.add(name, with_values(rows.take(np.searchsorted(wanted, ids)), OBJECTS_BY_NAME[name], values))
        self.updates = {}
        out = {}
        for name, tables in self.tables.items():
            table = pa.concat_tables(tables)
            order = pc.sort_indices(table, [("Id", "ascending"), ("SystemModstamp", "ascending")])
            table = table.take(order)
            ids = table.column("Id").to_numpy(False).astype(str)
            out[name] = table.filter(pa.array(np.r_[ids[1:] != ids[:-1], True]))
        return out
