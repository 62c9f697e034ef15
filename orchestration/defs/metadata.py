"""What a published mart's materialization shows at a glance in the Dagster UI: a preview of its
first rows as a Markdown table, and, for the company mart, a small trend chart.

The chart is a PNG rendered by matplotlib and embedded in Markdown as a data URI, the way
Dagster's own tutorials attach plots: it travels with the event, with no file to serve.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from collections.abc import Sequence
from decimal import Decimal

PREVIEW_ROWS = 5
ROW_COUNT = "dagster/row_count"  # the key Dagster's UI shows as an asset's row count


def rows_change(instance, key, rows: int, first: str) -> str:
    """`rows` against the asset's last materialization, e.g. '+1,204'; `first` when there is none."""
    event = instance.get_latest_materialization_event(key)
    before = event.asset_materialization.metadata.get(ROW_COUNT) if event and event.asset_materialization else None
    return first if before is None else f"{rows - int(before.value):+,}"


def cell(value) -> str:
    """A value as a Markdown table cell: NULL as an em dash, numbers rounded for reading."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table of `rows` under `columns` (pipes in values escaped, NULL shown as —)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def trend_chart_markdown(months: Sequence[dt.date], bookings: Sequence, win_rates: Sequence) -> str:
    """Bookings (bars) and win rate (line) by month, as a Markdown image of a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory
    import matplotlib.pyplot as plt

    labels = [month.strftime("%b %y") for month in months]
    figure, left = plt.subplots(figsize=(7, 2.6), dpi=100)
    left.bar(labels, [float(b or 0) for b in bookings], color="#4C78A8")
    left.set_ylabel("bookings")
    left.tick_params(axis="x", labelrotation=45, labelsize=7)
    right = left.twinx()
    right.plot(labels, [math.nan if r is None else float(r) for r in win_rates], color="#F58518", marker="o")
    right.set_ylabel("win rate")
    right.set_ylim(0, 1)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return f"![Bookings and win rate by month](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"
