"""The floor of `make bench`: bench/floor.sql, the contract KPIs in one DuckDB script over the
export's files. What the pipeline adds above it (validation, quarantine, checks, Data Docs, the
marts beyond the contract, publishing) is the price of trustworthy numbers; the ratio says how high.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.salesforce.export import find_object_file
from orchestration.salesforce.objects import OBJECTS_BY_NAME

SCRIPT = Path(__file__).with_name("floor.sql")
FLOOR_OBJECTS = ("Opportunity", "Lead", "Task", "Event", "ForecastingQuota", "CurrencyType")


def _view(con: duckdb.DuckDBPyConnection, export: Path, api_name: str) -> None:
    obj = OBJECTS_BY_NAME[api_name]
    path = find_object_file(export, obj)
    if path is None:  # not exported (a single-currency org has no CurrencyType): no rows
        columns = ", ".join(f'null::varchar as "{field.api_name}"' for field in obj.fields)
        con.execute(f"create or replace temp view {obj.table} as select {columns} where false")
        return
    # every column as text, as a CSV export holds it, so the script reads CSV and Parquet alike
    reader = (f"read_parquet('{path}')" if path.suffix == ".parquet"
              else f"read_csv('{path}', header = true, all_varchar = true)")
    present = {row[0] for row in con.execute(f"describe select * from {reader}").fetchall()}
    # a field the org does not have (CurrencyIsoCode in a single-currency org) is NULL
    absent = "".join(f', null::varchar as "{f.api_name}"' for f in obj.fields if f.api_name not in present)
    con.execute(f"create or replace temp view {obj.table} as select columns(*)::varchar{absent} from {reader}")


def floor_kpis(export: Path, as_of: dt.date, threads: int | None = None) -> tuple[float, pd.DataFrame]:
    """Seconds the script took over `export` (reading the files included), and its rep × month KPIs."""
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {int(threads)}")
    started = time.perf_counter()
    for name in FLOOR_OBJECTS:
        _view(con, export, name)
    con.execute("set variable as_of = ?", [as_of.isoformat()])
    con.execute(SCRIPT.read_text())
    seconds = time.perf_counter() - started
    kpis = con.execute("select * from floor_rep_monthly order by month, owner_id").df()
    con.close()
    return seconds, kpis
