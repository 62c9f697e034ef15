"""Two engines' copies of a mart are the same KPIs: columns and rows alike, keys exactly, money to
the cent, every other number to 1e-9, and NULL only where the other has NULL (issue 17)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd

# a hash of each row's inputs, by each engine's own function; when each run loaded the row
RUN_SPECIFIC = {"_inputs_fingerprint", "loaded_at"}
MONEY_WORDS = ("amount", "revenue", "clv", "cost")


def _money(column: str, units: dict[str, str]) -> bool:
    """A KPI in the catalog's currency unit, or a mart's amount column (amount, amount_corporate, ...)."""
    return units[column] == "currency" if column in units else any(word in column for word in MONEY_WORDS)


def assert_same_mart(name: str, duck: pd.DataFrame, other: pd.DataFrame, units: dict[str, str]) -> None:
    """`other` (another engine's copy of the mart `name`) holds DuckDB's rows, in any order; `units`
    are the KPI catalog's units by column."""
    columns = [column for column in duck.columns if column not in RUN_SPECIFIC]
    assert [c for c in other.columns if c not in RUN_SPECIFIC] == columns, name
    assert len(other) == len(duck), name
    keys = [c for c in columns if not pd.api.types.is_float_dtype(duck[c])]
    duck = duck[columns].sort_values(keys, na_position="first").reset_index(drop=True)
    other = other[columns].astype({c: duck[c].dtype for c in keys if duck[c].dtype != object}, errors="ignore")
    other = other.sort_values(keys, na_position="first").reset_index(drop=True)
    for column in columns:
        if column in keys:
            assert [None if pd.isna(v) else str(v) for v in other[column]] == \
                   [None if pd.isna(v) else str(v) for v in duck[column]], f"{name}.{column}"
            continue
        tolerance = 0.005 if _money(column, units) else 1e-9
        for left, right in zip(duck[column], pd.to_numeric(other[column]).astype(float)):
            assert (pd.isna(left) and pd.isna(right)) or math.isclose(left, right, rel_tol=0, abs_tol=tolerance), \
                f"{name}.{column}: DuckDB {left} vs the other engine {right}"


def assert_same_parquet_copy(expected: Path, written: Path, units: dict[str, str]) -> None:
    """The Parquet folder `written` (another engine's publish) holds the files of `expected`
    (DuckDB's), each with the same columns and column types and the same mart in it."""
    assert sorted(p.name for p in written.iterdir()) == sorted(p.name for p in expected.iterdir())
    con = duckdb.connect()
    for path in sorted(expected.glob("*.parquet")):
        types = [con.execute(f"describe select * from '{folder / path.name}'").fetchall() for folder in (expected, written)]
        assert [(c[0], c[1]) for c in types[1] if c[0] not in RUN_SPECIFIC] == \
               [(c[0], c[1]) for c in types[0] if c[0] not in RUN_SPECIFIC], path.name
        assert_same_mart(path.stem, con.execute(f"select * from '{path}'").df(),
                         con.execute(f"select * from '{written / path.name}'").df(), units)
