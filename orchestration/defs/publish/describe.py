"""The materialization of each published table: its size, how it changed, and what it holds.

Read from the published database itself (read-only, after the swap), so what the UI shows is
exactly what BI tools read.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path

import dagster as dg
import duckdb

from data_quality.sql import quote_ident
from orchestration.mart_metadata import PREVIEW_ROWS, markdown_table, trend_chart_markdown

ROW_COUNT = "dagster/row_count"  # the key Dagster's UI shows as the asset's row count
TREND_MART, TREND_MONTHS = "kpi_company_monthly", 12


def _previous_rows(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    event = instance.get_latest_materialization_event(key)
    value = event.asset_materialization.metadata.get(ROW_COUNT) if event and event.asset_materialization else None
    return None if value is None else int(value.value)


def _trend(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        f"select month, bookings_amount, win_rate from {TREND_MART} order by month desc limit {TREND_MONTHS}"
    ).fetchall()[::-1]
    return trend_chart_markdown([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def describe_published(
    context: dg.AssetExecutionContext, published_db: Path, keys: Mapping[str, dg.AssetKey], as_of: str
) -> Iterator[dg.MaterializeResult]:
    """One materialization per published table: rows and their change since the last publish,
    the as-of date, a preview of the first rows, and the company mart's trend chart."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        for name, key in keys.items():
            table = quote_ident(name)
            rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            preview = con.execute(f"select * from {table} limit {PREVIEW_ROWS}")
            columns = [d[0] for d in preview.description]
            previous = _previous_rows(context.instance, key)
            metadata = {
                ROW_COUNT: dg.MetadataValue.int(rows),
                "rows_change": dg.MetadataValue.text("first publish" if previous is None else f"{rows - previous:+,}"),
                "as_of": dg.MetadataValue.text(as_of),
                "preview": dg.MetadataValue.md(markdown_table(columns, preview.fetchall())),
            }
            if name == TREND_MART:
                metadata["trend"] = dg.MetadataValue.md(_trend(con))
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
