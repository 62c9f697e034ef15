"""Reading what a run published: its files byte for byte, and a mart as a DataFrame."""

from __future__ import annotations

import duckdb
import pandas as pd


def published_files(published) -> dict[str, bytes]:
    """Every published file (the DuckDB file and the Parquet copies) with its bytes."""
    parquet = published["db"].parent / "parquet"
    files = {"crm_kpis.duckdb": published["db"].read_bytes()}
    files.update({f"parquet/{p.name}": p.read_bytes() for p in sorted(parquet.glob("*.parquet"))})
    return files


def read_mart(db, name: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select * from {name}").df()


def assert_frames_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """A monthly mart equals its reference row for row, to 1e-6 (the columns the mart has)."""
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected[list(actual.columns)].sort_values(keys).reset_index(drop=True)
    actual["month"] = pd.to_datetime(actual["month"]).dt.date
    assert len(actual) == len(expected)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=0, atol=1e-6)
