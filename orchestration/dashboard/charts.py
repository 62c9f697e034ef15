"""The trend charts: plotly figures as HTML fragments that rely on plotly.js being on the page once.

Each figure gets a fixed div id (plotly would otherwise pick a random one), so the same published
data always renders byte-identical HTML.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from orchestration.dashboard.data import Trend

BAR = "#4c6ef5"
TARGET = "#868e96"
# Counts and amounts read best as bars (a month's total); ratios as a line (a rate over time).
_AXIS_FORMAT = {"ratio": ".0%", "currency": ",.0f", "count": ",d"}
_HOVER_FORMAT = {"ratio": ".1%", "currency": ",.2f", "count": ",d"}
# Static charts: hovering shows values, but no toolbar and no link to plotly's cloud.
CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}


def plotly_js() -> str:
    """The whole plotly.js bundle, to inline once in a <script> tag: the page works offline."""
    return get_plotlyjs()


def trend_figure(trend: Trend) -> go.Figure:
    """The KPI over the trend window, with the scorecard's target as a dashed line when it has one."""
    months = [m.isoformat() for m in trend.months]
    hover = _HOVER_FORMAT.get(trend.unit, ",.2f")
    if trend.unit == "ratio":
        series = go.Scatter(x=months, y=list(trend.values), name=trend.label, mode="lines+markers",
                            line={"color": BAR, "width": 2.5}, hovertemplate=f"%{{y:{hover}}}<extra></extra>")
    else:
        series = go.Bar(x=months, y=list(trend.values), name=trend.label, marker_color=BAR,
                        hovertemplate=f"%{{y:{hover}}}<extra></extra>")
    figure = go.Figure(series)
    if any(t is not None for t in trend.targets):
        figure.add_trace(go.Scatter(
            x=months, y=list(trend.targets), name="Target", mode="lines",
            line={"color": TARGET, "dash": "dash", "width": 1.5},
            hovertemplate=f"target %{{y:{hover}}}<extra></extra>",
        ))
    figure.update_layout(
        template="plotly_white",
        title={"text": f"{trend.label} <span style='font-size:12px;color:#868e96'>"
                       f"({trend.indicator_type})</span>", "x": 0.01, "font": {"size": 15}},
        height=280,
        margin={"l": 60, "r": 16, "t": 44, "b": 36},
        showlegend=False,
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
    )
    # Every other month is labelled, counting back from the reporting month so it always is.
    figure.update_xaxes(type="date", tickformat="%b %Y", dtick="M2", tick0=months[-1])
    figure.update_yaxes(tickformat=_AXIS_FORMAT.get(trend.unit, ",.1f"), rangemode="tozero")
    return figure


def trend_chart_html(trend: Trend) -> str:
    """One chart as a <div> plus the <script> that draws it with the page's plotly.js."""
    return trend_figure(trend).to_html(
        full_html=False, include_plotlyjs=False, div_id=f"trend-{trend.kpi_name}", config=CONFIG,
    )
