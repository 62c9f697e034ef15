"""Writing one object's columns as an export file (CSV or Parquet) with DuckDB.

Columns arrive as numpy arrays (masked arrays for NULLs), with datetimes as epoch seconds and dates
as epoch days. They are typed by the object's schema in `objects.py` and written in its field order,
so a file always has exactly the fields the loader expects, named by their API names.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from data_quality.sql import quote_ident
from orchestration.salesforce.objects import Field, SObject

# Salesforce's export format: ISO-8601 UTC with milliseconds, plain ISO dates.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"
DATE_FORMAT = "%Y-%m-%d"

_NUMPY_TYPES = {"boolean": bool, "currency": float, "number": float, "integer": np.int64}


def to_arrow(obj: SObject, columns: dict) -> pa.Table:
    """The columns as an Arrow table in the schema's field order; refuses missing or extra fields."""
    names = [f.api_name for f in obj.fields]
    missing, extra = set(names) - set(columns), set(columns) - set(names)
    if missing or extra:
        raise ValueError(
            f"{obj.api_name}: columns missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    return pa.table([_array(f, columns[f.api_name]) for f in obj.fields], names=names)


def _array(field: Field, values) -> pa.Array:
    mask = np.ma.getmaskarray(values) if isinstance(values, np.ma.MaskedArray) else None
    data = np.ma.getdata(values)
    if field.type == "datetime":
        data = data.astype(np.int64).astype("datetime64[s]")
    elif field.type == "date":
        data = data.astype(np.int64).astype("datetime64[D]")
    elif field.type in _NUMPY_TYPES:
        data = data.astype(_NUMPY_TYPES[field.type])
    else:
        data = data.astype(str)
    return pa.array(data, mask=mask if mask is not None and mask.any() else None)


def write_object(con: duckdb.DuckDBPyConnection, obj: SObject, columns: dict, out_dir: Path,
                 fmt: str) -> int:
    """Write `<out_dir>/<Object>.<fmt>`; returns the number of rows written."""
    table = to_arrow(obj, columns)
    view = f"demo_{obj.table}"
    con.register(view, table)
    try:
        # Casting to the warehouse types gives Parquet typed columns (DECIMAL amounts, DATEs,
        # TIMESTAMPs) and CSV the same text the loader parses back.
        select = ", ".join(
            f"CAST({quote_ident(f.api_name)} AS {f.duckdb_type}) AS {quote_ident(f.api_name)}" for f in obj.fields
        )
        path = str(out_dir / f"{obj.api_name}.{fmt}").replace("'", "''")
        if fmt == "csv":
            options = (
                f"FORMAT csv, HEADER, TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}', DATEFORMAT '{DATE_FORMAT}'"
            )
        elif fmt == "parquet":
            options = "FORMAT parquet"
        else:
            raise ValueError(f"unknown export format {fmt!r}; use 'csv' or 'parquet'")
        con.execute(f"COPY (SELECT {select} FROM {view}) TO '{path}' ({options})")
    finally:
        con.unregister(view)
    return table.num_rows
