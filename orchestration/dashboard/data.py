"""What the dashboard shows, read from the published marts and nothing else.

Every number comes from a mart as published: values, targets, attainment and status from
`kpi_scorecard` (which applies the kpi_targets seed and each KPI's tolerance), the leading/lagging
class and labels from `kpi_catalog`, trends from `kpi_company_monthly`, the leaderboard and team
view from `kpi_rep_monthly` / `kpi_team_monthly` with names from `dim_users`. The reporting month
follows from the as-of date of the newest `_publish_log` entry, never from the clock, so the page
is a pure function of the published database.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

TREND_MONTHS = 12
# The trend charts, in page order: the outcome first, then what drives it.
TREND_KPIS = (
    "bookings_amount",
    "quota_attainment",
    "win_rate",
    "pipeline_created_amount",
    "opportunities_created",
    "leads_created",
)


@dataclass(frozen=True)
class Freshness:
    as_of: dt.date
    published_at: dt.datetime  # UTC
    run_id: str


@dataclass(frozen=True)
class KpiStatus:
    """One company KPI for the reporting month, against its target."""

    kpi_name: str
    label: str
    definition: str
    unit: str
    indicator_type: str  # leading or lagging, as kpi_catalog classes it
    value: float | None
    target: float | None
    attainment: float | None
    status: str | None


@dataclass(frozen=True)
class Trend:
    kpi_name: str
    label: str
    unit: str
    indicator_type: str
    months: tuple[dt.date, ...]
    values: tuple[float | None, ...]
    targets: tuple[float | None, ...]


@dataclass(frozen=True)
class Performer:
    """A rep or a team for the reporting month; a team is named after its manager."""

    entity_id: str
    name: str
    manager: str | None  # a rep's manager (None for a team)
    reps: int | None  # a team's reps with a row in the month (None for a rep)
    bookings: float
    quota: float
    attainment: float | None
    status: str | None
    win_rate: float | None
    opportunities_won: int
    pipeline_created: float


@dataclass(frozen=True)
class DashboardData:
    freshness: Freshness
    month: dt.date
    kpis: tuple[KpiStatus, ...]
    trends: tuple[Trend, ...]
    reps: tuple[Performer, ...]
    teams: tuple[Performer, ...]


def last_complete_month(as_of: dt.date) -> dt.date:
    """The first day of the newest month that is over by the end of the as-of day: the as-of
    month itself when as_of is its last day, else the month before."""
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return as_of.replace(day=1)
    return add_months(as_of.replace(day=1), -1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def trend_window(last_month: dt.date, months: int = TREND_MONTHS) -> tuple[dt.date, ...]:
    """The `months` month starts ending with `last_month`, oldest first."""
    return tuple(add_months(last_month, offset) for offset in range(1 - months, 1))


def _freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    row = con.execute(
        "select as_of, published_at, run_id from _publish_log "
        "order by published_at desc, run_id desc limit 1"
    ).fetchone()
    if row is None:
        raise ValueError("the published database has no _publish_log entry: nothing was published")
    return Freshness(as_of=row[0], published_at=row[1], run_id=row[2])


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {table} limit 0").description]


def _company_kpis(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[KpiStatus, ...]:
    """The contract KPIs of kpi_company_monthly plus every company KPI the scorecard has a target
    for in any month (so a row does not vanish in a month without one), in the marts' column order."""
    rows = con.execute(
        """
        with shown as (
            select kpi_name from kpi_catalog
            where list_contains(string_split(models, ' '), 'kpi_company_monthly')
            union
            select kpi_name from kpi_scorecard
            where grain = 'month' and entity_type = 'company' and target is not null
        )
        select c.kpi_name, c.label, c.definition, c.unit, c.indicator_type,
               s.value, s.target, s.attainment, s.status
        from kpi_catalog as c
        inner join shown using (kpi_name)
        left join kpi_scorecard as s
            on s.kpi_name = c.kpi_name and s.grain = 'month' and s.period_start = $month
            and s.entity_type = 'company' and s.entity_id = 'company'
        """,
        {"month": month},
    ).fetchall()
    order = _columns(con, "kpi_company_monthly") + _columns(con, "kpi_sales_monthly")
    rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[0]))
    return tuple(KpiStatus(*row) for row in rows)


def _trends(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[Trend, ...]:
    months = trend_window(month)
    catalog = {
        r[0]: r[1:]
        for r in con.execute(
            "select kpi_name, label, unit, indicator_type from kpi_catalog where kpi_name in $names",
            {"names": list(TREND_KPIS)},
        ).fetchall()
    }
    by_month = {
        r[0]: r[1:]
        for r in con.execute(
            f"select month, {', '.join(TREND_KPIS)} from kpi_company_monthly "
            "where month between $first and $last",
            {"first": months[0], "last": months[-1]},
        ).fetchall()
    }
    targets = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            "select kpi_name, period_start, target from kpi_scorecard "
            "where grain = 'month' and entity_type = 'company' and kpi_name in $names "
            "and period_start between $first and $last",
            {"names": list(TREND_KPIS), "first": months[0], "last": months[-1]},
        ).fetchall()
    }
    trends = []
    for i, kpi in enumerate(TREND_KPIS):
        label, unit, indicator_type = catalog.get(kpi, (kpi, None, ""))
        trends.append(Trend(
            kpi_name=kpi, label=label, unit=unit, indicator_type=indicator_type, months=months,
            values=tuple(by_month[m][i] if m in by_month else None for m in months),
            targets=tuple(targets.get((kpi, m)) for m in months),
        ))
    return tuple(trends)


def _reps(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[Performer, ...]:
    """Every rep with a row in the month, best quota attainment first (no quota: last)."""
    rows = con.execute(
        """
        select r.owner_id, coalesce(u.user_name, r.owner_id) as name, u.manager_name, null,
               r.bookings_amount, r.quota_amount, r.quota_attainment, s.status, r.win_rate,
               r.opportunities_won, r.pipeline_created_amount
        from kpi_rep_monthly as r
        left join dim_users as u on u.user_id = r.owner_id
        left join kpi_scorecard as s
            on s.kpi_name = 'quota_attainment' and s.grain = 'month' and s.period_start = r.month
            and s.entity_type = 'rep' and s.entity_id = r.owner_id
        where r.month = $month
        order by r.quota_attainment desc nulls last, r.bookings_amount desc, name, r.owner_id
        """,
        {"month": month},
    ).fetchall()
    return tuple(Performer(*row) for row in rows)


def _teams(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[Performer, ...]:
    """Every team (the reps reporting to one manager) in the month, best attainment first, with
    the reps the rep mart rolls up into it (kpi_rep_monthly.team_id)."""
    rows = con.execute(
        """
        with members as (
            select team_id, count(*) as reps
            from kpi_rep_monthly
            where month = $month
            group by team_id
        )
        select t.team_id, coalesce(m.user_name, t.team_id) as name,
               null, coalesce(members.reps, 0),
               t.bookings_amount, t.quota_amount, t.quota_attainment, s.status, t.win_rate,
               t.opportunities_won, t.pipeline_created_amount
        from kpi_team_monthly as t
        left join dim_users as m on m.user_id = t.team_id
        left join members on members.team_id = t.team_id
        left join kpi_scorecard as s
            on s.kpi_name = 'quota_attainment' and s.grain = 'month' and s.period_start = t.month
            and s.entity_type = 'team' and s.entity_id = t.team_id
        where t.month = $month
        order by t.quota_attainment desc nulls last, t.bookings_amount desc, name, t.team_id
        """,
        {"month": month},
    ).fetchall()
    return tuple(Performer(*row) for row in rows)


def load_dashboard(published_db: Path) -> DashboardData:
    """Everything the page shows, read from `published_db` opened read-only."""
    if not published_db.exists():
        raise FileNotFoundError(f"{published_db}: nothing published yet (run `crm-kpi run` first)")
    with duckdb.connect(str(published_db), read_only=True) as con:
        freshness = _freshness(con)
        month = last_complete_month(freshness.as_of)
        return DashboardData(
            freshness=freshness,
            month=month,
            kpis=_company_kpis(con, month),
            trends=_trends(con, month),
            reps=_reps(con, month),
            teams=_teams(con, month),
        )
