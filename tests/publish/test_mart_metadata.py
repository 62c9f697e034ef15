"""The previews and the chart the Dagster UI shows for each published mart."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

from orchestration.defs.metadata import markdown_table, trend_chart_markdown


def test_a_preview_is_a_markdown_table_with_nulls_as_dashes_and_pipes_escaped():
    table = markdown_table(["month", "name", "win_rate", "bookings", "deals"],
                           [(dt.date(2026, 10, 1), "A|B", 0.25, Decimal("1200.5"), 1200), (None, None, None, None, None)])
    assert table.splitlines() == [
        "| month | name | win_rate | bookings | deals |",
        "|---|---|---|---|---|",
        "| 2026-10-01 | A\\|B | 0.2500 | 1,200.50 | 1,200 |",
        "| — | — | — | — | — |",
    ]


def test_the_trend_chart_is_a_png_embedded_in_markdown():
    months = [dt.date(2026, m, 1) for m in range(1, 4)]
    chart = trend_chart_markdown(months, [100.0, None, 300.0], [0.5, None, 0.25])
    assert chart.startswith("![Bookings and win rate by month](data:image/png;base64,")
    png = base64.b64decode(chart.split("base64,", 1)[1].rstrip(")"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2_000
