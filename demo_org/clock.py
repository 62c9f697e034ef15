"""Time in the demo org: the history window, seasonal dates, business hours and audit stamps.

Times are int64 seconds since the Unix epoch (UTC) and dates int64 days since the epoch, so every
computation stays a numpy array operation. Nothing here reads the clock: all time hangs off `as_of`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAY = 86_400
HOUR = 3_600
HISTORY_DAYS = 730  # about 24 months of history before as_of

# Relative deal/lead volume by calendar month: a summer lull and a quiet December.
MONTH_FACTOR = np.array([0.95, 1.0, 1.05, 1.0, 1.0, 0.95, 0.75, 0.65, 1.0, 1.05, 1.0, 0.8])


@dataclass(frozen=True)
class Timeline:
    """The window the org's history spans: HISTORY_DAYS days up to the end of the as_of day."""

    as_of: dt.date

    @property
    def last_day(self) -> int:
        return (self.as_of - dt.date(1970, 1, 1)).days

    @property
    def first_day(self) -> int:
        return self.last_day - HISTORY_DAYS

    @property
    def start(self) -> int:
        return self.first_day * DAY

    @property
    def cutoff(self) -> int:
        """The end of the as_of day, exclusive: every timestamp is strictly before it."""
        return (self.last_day + 1) * DAY

    @property
    def latest(self) -> int:
        return self.cutoff - 1

    @property
    def first_month(self) -> np.datetime64:
        return np.datetime64(self.first_day, "D").astype("datetime64[M]")

    @property
    def n_months(self) -> int:
        return int(self.month_index(np.array([self.latest]))[0]) + 1

    def month_index(self, seconds: np.ndarray) -> np.ndarray:
        """Months since the first month of the window (0-based) for each timestamp."""
        months = seconds.astype("datetime64[s]").astype("datetime64[M]")
        return (months - self.first_month).astype(np.int64)

    def day_weights(self, growth: float = 0.4) -> np.ndarray:
        """Relative volume per day of the window: weekdays, the summer lull and a growing business."""
        days = np.arange(self.first_day, self.last_day + 1)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        weight = np.where(weekday < 5, 1.0, 0.12)
        weight = weight * MONTH_FACTOR[month_of_year(days) - 1]
        return weight * np.linspace(1.0 - growth, 1.0, days.size)

    def sample_days(self, rng: np.random.Generator, n: int, growth: float = 0.4) -> np.ndarray:
        weights = self.day_weights(growth)
        return self.first_day + rng.choice(weights.size, size=n, p=weights / weights.sum())

    def clip(self, seconds: np.ndarray) -> np.ndarray:
        return np.minimum(seconds, self.latest)


def month_of_year(days: np.ndarray) -> np.ndarray:
    """1-12 for each epoch day."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """The first day of the month `months` after each day's month."""
    month = days.astype("datetime64[D]").astype("datetime64[M]") + months
    return month.astype("datetime64[D]").astype(np.int64)


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform random time in [lo, hi) for each pair (lo where the span is empty)."""
    lo, hi = np.asarray(lo).astype(np.int64), np.asarray(hi).astype(np.int64)
    return lo + (rng.random(lo.shape) * np.maximum(hi - lo, 0)).astype(np.int64)


def in_creation_order(existing: np.ndarray, converted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge rows that already existed with rows made by lead conversion, by creation time.

    Returns the order to apply to the concatenated columns (existing rows first) and where each
    converted row lands, so that Ids, as in Salesforce, increase with CreatedDate.
    """
    order = np.argsort(np.concatenate([existing, converted]), kind="stable")
    position = np.empty(order.size, np.int64)
    position[order] = np.arange(order.size)
    return order, position[existing.size :]


def business_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A timestamp within working hours on each day (UTC hours spanning Europe and the Americas)."""
    hours = np.clip(rng.normal(15.0, 3.0, days.size), 7.0, 23.5)
    return days * DAY + (hours * HOUR).astype(np.int64)


def quarter_end_push(
    rng: np.random.Generator, days: np.ndarray, share: float, max_day: int
) -> np.ndarray:
    """Move `share` of dates in a quarter's first two months into its last month.

    Reps close (and forecast) deals against quarterly quota, so closes bunch up in the last month
    of each quarter; the summer lull is Q3's first two months, so it is thinned out the same way.
    Dates only move later, and never past `max_day`.
    """
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    month_in_quarter = month.astype(np.int64) % 3
    last_month = month + (2 - month_in_quarter)
    lo = np.maximum(last_month.astype("datetime64[D]").astype(np.int64), days)
    hi = np.minimum((last_month + 1).astype("datetime64[D]").astype(np.int64) - 1, max_day)
    move = (month_in_quarter < 2) & (rng.random(days.size) < share) & (lo <= hi)
    target = lo + (rng.random(days.size) * (hi - lo + 1)).astype(np.int64)
    return np.where(move, target, days)


def audit_stamps(
    rng: np.random.Generator,
    tl: Timeline,
    created: np.ndarray,
    *,
    floor: np.ndarray | None = None,
    deleted: np.ndarray | None = None,
    edit_share: float = 0.6,
    mean_edit_days: float = 20.0,
    fresh_share: float = 0.004,
) -> tuple[np.ndarray, np.ndarray]:
    """LastModifiedDate and SystemModstamp for rows created at `created`.

    Both are at or after CreatedDate (and after `floor`, the last known change such as a stage
    move), SystemModstamp at or after LastModifiedDate, and a few rows are touched on the as_of day
    so the org looks fresh. A deleted row was last written by its deletion.
    """
    n = created.size
    edited = rng.random(n) < edit_share
    lag = np.where(edited, rng.exponential(mean_edit_days * DAY, n), 0).astype(np.int64)
    # An edit that would fall after as_of has not happened yet.
    modified = np.where(created + lag <= tl.latest, created + lag, created)
    if floor is not None:
        modified = np.maximum(modified, floor)
    modified = tl.clip(modified)
    if n:
        fresh = rng.choice(n, size=max(1, round(n * fresh_share)), replace=False)
        today = tl.last_day * DAY + rng.integers(0, DAY, fresh.size)
        modified[fresh] = np.maximum(modified[fresh], np.minimum(today, tl.latest))
    # Background jobs (sharing recalculation, rollups) bump only the system stamp.
    bumped = modified + np.where(rng.random(n) < 0.1, rng.integers(1, 900, n), 0)
    modstamp = np.where(bumped <= tl.latest, bumped, modified)
    if deleted is not None:
        deleted_at = modstamp + (rng.random(n) * (tl.latest - modstamp)).astype(np.int64)
        modified = np.where(deleted, deleted_at, modified)
        modstamp = np.where(deleted, deleted_at, modstamp)
    return modified, modstamp


def pick_rows(rng: np.random.Generator, share: float, eligible: np.ndarray) -> np.ndarray:
    """About `share` of the `eligible` rows, and at least one if any is eligible.

    Used for the rare cases (deletions, missing amounts) so that even a tiny org shows them.
    """
    mask = eligible & (rng.random(eligible.size) < share)
    if not mask.any() and eligible.any():
        mask[rng.choice(np.flatnonzero(eligible))] = True
    return mask
