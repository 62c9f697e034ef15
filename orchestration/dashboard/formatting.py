"""How the dashboard writes numbers and statuses: one place, so the page and its tests agree.

Amounts are plain numbers in the corporate currency (the marts convert every amount into it, but
the published database does not name it). A missing value (NULL: an empty denominator, no target,
no row) is written "—", never 0, so nobody reads "no data" as "zero".
"""

from __future__ import annotations

import math

DASH = "—"
STATUSES = ("ahead", "on track", "behind")


def is_missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_money(value: float | None) -> str:
    """Thousands separators and two decimals: 2064534.782 -> '2,064,534.78'."""
    return DASH if is_missing(value) else f"{value:,.2f}"


def format_count(value: float | int | None) -> str:
    """A whole number with thousands separators (the scorecard stores counts as doubles)."""
    return DASH if is_missing(value) else f"{round(value):,}"


def format_ratio(value: float | None) -> str:
    """A fraction (0.2597) as a percentage with one decimal ('26.0%')."""
    return DASH if is_missing(value) else f"{value:.1%}"


def _number(suffix: str, decimals: int):
    def fmt(value: float | None) -> str:
        return DASH if is_missing(value) else f"{value:,.{decimals}f}{suffix}"
    return fmt


# By kpi_catalog.unit; an unknown unit falls back to two decimals rather than failing the page.
_BY_UNIT = {
    "currency": format_money,
    "count": format_count,
    "ratio": format_ratio,
    "hours": _number(" h", 1),
    "days": _number(" days", 1),
    "months": _number(" months", 0),
    "score": _number("", 2),
    "points": _number("", 1),
}


def format_value(value: float | None, unit: str | None) -> str:
    """A KPI value in its catalog unit."""
    return _BY_UNIT.get(unit or "", _number("", 2))(value)


def status_label(status: str | None) -> str:
    """The scorecard's status as shown; NULL (no target, or nothing to compare) is a dash."""
    return status if status in STATUSES else DASH


def status_class(status: str | None) -> str:
    """The CSS class of a status badge."""
    return status.replace(" ", "-") if status in STATUSES else "none"
