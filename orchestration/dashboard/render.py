"""The dashboard page: one self-contained HTML file (inline CSS, plotly.js inlined once, no fonts or
scripts from the network), so it opens from disk, a file share or the local server alike."""

from __future__ import annotations

import datetime as dt
from html import escape

from orchestration.dashboard.charts import plotly_js, trend_chart_html
from orchestration.dashboard.data import DashboardData, Freshness, KpiStatus, Performer
from orchestration.dashboard.formatting import (
    DASH,
    format_count,
    format_money,
    format_ratio,
    format_value,
    status_class,
    status_label,
)

INDICATOR_SECTIONS = (
    ("leading", "Leading indicators", "Activity and pipeline that predict the results to come."),
    ("lagging", "Lagging indicators", "Results: what was won, and against quota."),
)

CSS = """
body { margin: 0; background: #f4f5f7; color: #212529;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; }
h3 { font-size: 15px; margin: 0 0 2px; }
.freshness, .note, .hint { color: #5c636a; font-size: 13px; margin: 0 0 6px; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.card { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 14px 16px; }
.chart { padding: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th { text-align: left; font-weight: 600; color: #5c636a; border-bottom: 2px solid #e3e6ea; padding: 6px 8px; }
td { border-bottom: 1px solid #eef0f2; padding: 6px 8px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.kpi { cursor: help; }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 10px;
         padding: 1px 8px; font-size: 12px; font-weight: 600; }
.badge.ahead { background: #d3f9d8; color: #2b8a3e; }
.badge.on-track { background: #fff3bf; color: #8a6d00; }
.badge.behind { background: #ffe3e3; color: #c92a2a; }
.badge.none { color: #adb5bd; }
@media (max-width: 900px) { .columns, .charts { grid-template-columns: 1fr; } }
"""


def month_label(month: dt.date) -> str:
    return month.strftime("%B %Y")


def freshness_line(freshness: Freshness) -> str:
    """'Data as of 2026-11-20, published 2026-11-21 06:00:03 UTC (run 4dae273f)'."""
    published = freshness.published_at.strftime("%Y-%m-%d %H:%M:%S")
    return (f"Data as of {freshness.as_of.isoformat()}, published {published} UTC "
            f"(run {freshness.run_id[:8]})")


def _badge(status: str | None) -> str:
    return f'<span class="badge {status_class(status)}">{escape(status_label(status))}</span>'


def _kpi_row(kpi: KpiStatus) -> str:
    return (
        f'<tr data-kpi="{escape(kpi.kpi_name)}" data-status="{escape(kpi.status or "")}">'
        f'<td class="kpi" title="{escape(kpi.definition or "")}">{escape(kpi.label)}</td>'
        f'<td class="num value" id="kpi-{escape(kpi.kpi_name)}">{format_value(kpi.value, kpi.unit)}</td>'
        f'<td class="num target">{format_value(kpi.target, kpi.unit)}</td>'
        f'<td class="num attainment">{format_ratio(kpi.attainment)}</td>'
        f"<td>{_badge(kpi.status)}</td></tr>"
    )


def _indicator_section(key: str, title: str, hint: str, kpis: list[KpiStatus]) -> str:
    rows = "".join(_kpi_row(k) for k in kpis if k.indicator_type == key)
    return (
        f'<section class="card" id="{key}"><h3>{title}</h3><p class="hint">{hint}</p>'
        '<table><thead><tr><th>KPI</th><th class="num">Value</th><th class="num">Target</th>'
        '<th class="num">vs target</th><th>Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _performer_table(table_id: str, first_column: str, second_column: str,
                     performers: tuple[Performer, ...]) -> str:
    rows = []
    for rank, p in enumerate(performers, start=1):
        second = p.manager if p.reps is None else f"{p.reps:,}"
        row_id = f"{table_id}-{rank}"
        rows.append(
            f'<tr id="{row_id}" data-entity-id="{escape(p.entity_id)}">'
            f'<td class="num">{rank}</td>'
            f'<td id="{row_id}-name">{escape(p.name)}</td>'
            f"<td>{escape(second or DASH)}</td>"
            f'<td class="num">{format_money(p.bookings)}</td>'
            f'<td class="num">{format_money(p.quota)}</td>'
            f'<td class="num" id="{row_id}-attainment">{format_ratio(p.attainment)}</td>'
            f"<td>{_badge(p.status)}</td>"
            f'<td class="num">{format_ratio(p.win_rate)}</td>'
            f'<td class="num">{format_count(p.opportunities_won)}</td>'
            f'<td class="num">{format_money(p.pipeline_created)}</td></tr>'
        )
    header = (
        f'<tr><th class="num">#</th><th>{first_column}</th><th>{second_column}</th>'
        '<th class="num">Bookings</th><th class="num">Quota</th><th class="num">Attainment</th>'
        '<th>Status</th><th class="num">Win rate</th><th class="num">Won</th>'
        '<th class="num">Pipeline created</th></tr>'
    )
    return (f'<div class="card"><table id="{table_id}"><thead>{header}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def render_page(data: DashboardData) -> str:
    """The whole page for `data`: a pure function, the same data gives the same bytes."""
    month = month_label(data.month)
    kpis = list(data.kpis)
    sections = "".join(_indicator_section(key, title, hint, kpis) for key, title, hint in INDICATOR_SECTIONS)
    charts = "".join(f'<div class="card chart">{trend_chart_html(t)}</div>' for t in data.trends)
    first, last = data.trends[0].months[0], data.trends[0].months[-1]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sales KPIs, {month}</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
<script>{plotly_js()}</script>
</head>
<body>
<main>
<header>
<h1>Sales KPIs, {month}</h1>
<p class="freshness" id="freshness">{escape(freshness_line(data.freshness))}</p>
</header>
<h2 id="company-kpis">Company KPIs, {month}, against target</h2>
<p class="note">Targets, attainment and status come from the KPI scorecard: ahead or behind when
attainment is outside the KPI's tolerance around its target, on track within it. Attainment above
100% is better than target, also for KPIs where lower is better. {DASH} means no value (an empty
denominator) or no target. Amounts are in the corporate currency. Hover a KPI for its definition.</p>
<div class="columns">{sections}</div>
<h2 id="trends">Trends, {month_label(first)} to {month_label(last)}</h2>
<div class="charts">{charts}</div>
<h2 id="reps">Rep leaderboard, {month}</h2>
<p class="note">By quota attainment; reps without a quota last.</p>
{_performer_table("leaderboard", "Rep", "Manager", data.reps)}
<h2 id="team-view">Teams by manager, {month}</h2>
<p class="note">A team is the reps reporting to one manager.</p>
{_performer_table("teams", "Manager", "Reps", data.teams)}
</main>
</body>
</html>
"""
