"""Plain-text KPI tables for the terminal, read from the published marts."""

from __future__ import annotations

from pathlib import Path

import duckdb

COLUMNS = (
    ("month", "month", "{}"),
    ("leads_created", "leads", "{:,}"),
    ("rate_of_contact", "contacted", "{:.0%}"),
    ("opportunities_created", "opps", "{:,}"),
    ("opportunities_won", "won", "{:,}"),
    ("win_rate", "win rate", "{:.0%}"),
    ("bookings_amount", "bookings", "{:,.2f}"),
    ("avg_deal_size", "avg deal", "{:,.2f}"),
    ("quota_attainment", "quota att.", "{:.0%}"),
)


def _cell(value, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def format_table(rows: list[tuple], columns=COLUMNS) -> str:
    header = [label for _, label, _ in columns]
    body = [[_cell(v, fmt) for v, (_, _, fmt) in zip(row, columns)] for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in body]
    return "\n".join(lines)


def company_kpi_table(published_db: Path, months: int = 12) -> str:
    """The company KPIs of the last `months` months of the published marts."""
    if not published_db.exists():
        raise FileNotFoundError(f"{published_db}: nothing published yet (run `crm-kpi run` first)")
    names = ", ".join(name for name, _, _ in COLUMNS)
    with duckdb.connect(str(published_db), read_only=True) as con:
        rows = con.execute(
            f"select {names} from kpi_company_monthly order by month desc limit $months", {"months": months}
        ).fetchall()
    return format_table(list(reversed(rows)))
