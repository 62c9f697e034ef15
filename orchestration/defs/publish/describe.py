"""The materialization of each published table: its size, how it changed, and what it holds.

Read from the published database itself (read-only, after the swap), so what the UI shows is
exactly what BI tools read.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path

import dagster as dg
import duckdb

from data_quality.sql import quote_ident
from orchestration.defs.metadata import (
    PREVIEW_ROWS,
    ROW_COUNT,
    markdown_table,
    rows_change,
    trend_chart_markdown,
)

TREND_MART, TREND_MONTHS = "kpi_company_monthly", 12


def _trend(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        f"select month, bookings_amount, win_rate from {TREND_MART} order by month desc limit {TREND_MONTHS}"
    ).fetchall()[::-1]
    return trend_chart_markdown([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def describe_published(
    context: dg.AssetExecutionContext, published_db: Path, keys: Mapping[str, dg.AssetKey], as_of: str,
    rows_by_table: Mapping[str, int],
) -> Iterator[dg.MaterializeResult]:
    """One materialization per published table: rows and their change since the last publish,
    the as-of date, a preview of the first rows, and the company mart's trend chart."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        for name, key in keys.items():
            table = quote_ident(name)
            rows = rows_by_table[name]  # counted by the publish
            preview = con.execute(f"select * from {table} limit {PREVIEW_ROWS}")
            columns = [d[0] for d in preview.description]
            metadata = {
                ROW_COUNT: dg.MetadataValue.int(rows),
                "rows_change": dg.MetadataValue.text(rows_change(context.instance, key, rows, "first publish")),
                "as_of": dg.MetadataValue.text(as_of),
                "preview": dg.MetadataValue.md(markdown_table(columns, preview.fetchall())),
            }
            if name == TREND_MART:
                metadata["trend"] = dg.MetadataValue.md(_trend(con))
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
