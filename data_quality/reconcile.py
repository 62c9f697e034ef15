"""Reconciliation: the marts agree with the loaded data, computed again from the validated tables
(raw without quarantined rows).

These queries share nothing with the dbt models, so a join that multiplies rows, a filter that
drops them, or a conversion that goes wrong shows up as a difference.
"""

from __future__ import annotations

import datetime as dt

from data_quality.as_of import as_of_cutoff
from data_quality.load_audit import CheckOutcome

CENT = 0.005  # half a cent: sums of doubles may differ in the last bits, never by a cent

# The validated facts by the KPI contract's words: live rows, amounts in the corporate currency.
_OPPORTUNITIES = """
    with rates as (select iso_code, conversion_rate from validated.currency_type),
    org as (select count(*) as currencies from rates)
    select
        count(case when o.created_date < $cutoff then 1 end) as opportunities_created,
        count(case when o.is_won and o.close_date <= $as_of then 1 end) as opportunities_won,
        count(case when o.is_closed and not o.is_won and o.close_date <= $as_of then 1 end) as opportunities_lost,
        coalesce(sum(case when o.is_won and o.close_date <= $as_of then coalesce(o.amount, 0) / case
            when org.currencies = 0 or o.currency_iso_code is null then 1 else rates.conversion_rate end end), 0)
            as bookings_amount
    from validated.opportunity as o
    cross join org
    left join rates on rates.iso_code = o.currency_iso_code
    where not coalesce(o.is_deleted, false)
"""
_LEADS = """
    select count(*) from validated.lead
    where not coalesce(is_deleted, false) and created_date < $cutoff
"""
_MART_TOTALS = """
    select sum(opportunities_created), sum(opportunities_won), sum(opportunities_lost),
           sum(bookings_amount), sum(leads_created)
    from marts.kpi_company_monthly
"""
ADDITIVE = ("leads_created", "leads_converted", "leads_contacted", "opportunities_created",
            "pipeline_created_amount", "opportunities_won", "opportunities_lost", "bookings_amount",
            "quota_amount")


def marts_match_validated(con, as_of: dt.date) -> CheckOutcome:
    """Company totals of kpi_company_monthly equal the same totals computed from the
    validated tables (raw without its quarantined rows, which the marts leave out too)."""
    params = {"as_of": as_of, "cutoff": as_of_cutoff(as_of)}
    created, won, lost, bookings = con.execute(_OPPORTUNITIES, params).fetchall()[0]
    leads = con.execute(_LEADS, {"cutoff": params["cutoff"]}).fetchall()[0][0]
    mart = con.execute(_MART_TOTALS).fetchall()[0]
    expected = {"opportunities_created": created, "opportunities_won": won, "opportunities_lost": lost,
                "bookings_amount": float(bookings), "leads_created": leads}
    actual = dict(zip(["opportunities_created", "opportunities_won", "opportunities_lost",
                       "bookings_amount", "leads_created"], [v or 0 for v in mart]))
    mismatches = {
        name: {"validated": expected[name], "mart": actual[name]}
        for name in expected
        if abs(float(actual[name]) - float(expected[name])) > (CENT if name == "bookings_amount" else 0)
    }
    metadata = {"validated": expected, "mart": {k: float(v) for k, v in actual.items()}}
    if mismatches:
        details = "; ".join(f"{k}: validated {v['validated']:,} vs mart {v['mart']:,}"
                            for k, v in mismatches.items())
        return CheckOutcome(False, f"kpi_company_monthly disagrees with the validated tables: {details}.",
                            metadata)
    bookings = expected["bookings_amount"]
    return CheckOutcome(True, f"Totals match the validated tables (bookings {bookings:,.2f}).", metadata)


def _rep_sums_differ(con, keys: list[str], mart: str) -> list[tuple]:
    """The `keys` (month, and team_id for the team mart) where kpi_rep_monthly's additive KPIs,
    summed by `keys`, differ from `mart` by more than half a cent, or where one side has no row."""
    group = ", ".join(keys)
    diffs = " or ".join(f"abs(coalesce(rep.{c}, 0) - coalesce(other.{c}, 0)) > {CENT}" for c in ADDITIVE)
    missing = " or ".join(f"{side}.{keys[0]} is null" for side in ("rep", "other"))
    return con.execute(f"""
        with rep as (select {group}, {', '.join(f'sum({c}) as {c}' for c in ADDITIVE)}
                     from marts.kpi_rep_monthly group by {group})
        select {', '.join(f'coalesce(other.{k}, rep.{k}) as {k}' for k in keys)}
        from marts.{mart} as other
        full join rep on {' and '.join(f'rep.{k} = other.{k}' for k in keys)}
        where {diffs} or ({missing})
        order by {group}
    """).fetchall()


def rep_mart_sums_to_company(con) -> CheckOutcome:
    """Every additive KPI of kpi_rep_monthly, summed over owners, equals kpi_company_monthly."""
    months = [str(month) for (month,) in _rep_sums_differ(con, ["month"], "kpi_company_monthly")]
    if months:
        return CheckOutcome(False, (f"kpi_rep_monthly does not sum to kpi_company_monthly in "
                                    f"{len(months)} month(s), e.g. {months[:3]}."),
                            {"failing_months": len(months), "sample": months[:5]})
    return CheckOutcome(True, "The rep mart sums to the company mart in every month.")


def rep_mart_sums_to_teams(con) -> CheckOutcome:
    """Every additive KPI of kpi_rep_monthly, summed over the reps of each team (their team_id),
    equals kpi_team_monthly: the team a rep's row names is the team that counts it."""
    rows = [f"{month} {team}" for month, team in _rep_sums_differ(con, ["month", "team_id"], "kpi_team_monthly")]
    if rows:
        return CheckOutcome(False, (f"kpi_rep_monthly summed by team_id does not equal kpi_team_monthly for "
                                    f"{len(rows)} team month(s), e.g. {rows[:3]}."),
                            {"failing_team_months": len(rows), "sample": rows[:5]})
    return CheckOutcome(True, "The rep mart sums to the team mart, team by team, in every month.")


def one_row_per_opportunity(con) -> CheckOutcome:
    """fct_opportunities has exactly one row per live validated opportunity: no join multiplied or lost rows."""
    rows, distinct = con.execute(
        "select count(*), count(distinct opportunity_id) from marts.fct_opportunities"
    ).fetchall()[0]
    live = con.execute(
        "select count(distinct id) from validated.opportunity where not coalesce(is_deleted, false)"
    ).fetchall()[0][0]
    metadata = {"rows": rows, "distinct_opportunities": distinct, "validated_live_opportunities": live}
    if rows != distinct or distinct != live:
        sample = [r[0] for r in con.execute(
            "select opportunity_id from marts.fct_opportunities group by 1 having count(*) > 1 limit 5"
        ).fetchall()]
        return CheckOutcome(False, (
            f"fct_opportunities has {rows:,} rows for {distinct:,} opportunities ({live:,} live in the validated table): "
            f"a join multiplies or drops rows (duplicated e.g. {sample})."), {**metadata, "sample": sample})
    return CheckOutcome(True, f"{rows:,} rows, one per live opportunity.", metadata)
