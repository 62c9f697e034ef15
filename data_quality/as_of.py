"""The as-of day's cutoff: a KPI counts what happened before the end of the as-of day. Defined once
for the row rules, the sanity checks, the reconciliation and the load checks (dbt's own is the
`as_of_cutoff()` macro)."""

from __future__ import annotations

import datetime as dt


def as_of_cutoff(as_of: dt.date) -> dt.datetime:
    """The end of the as-of day: midnight after it, exclusive, UTC and naive like the warehouse's
    timestamps."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
