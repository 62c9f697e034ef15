"""Helpers for the demo org tests (the `org` fixture is in conftest.py).

Most tests read one small org (scale 0.2) back with DuckDB, typing every column by the schema in
`objects.py`, and assert on the values, not on the generator's internals.
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2025, 3, 5)
CUTOFF = dt.datetime(2025, 3, 6)  # the end of the as_of day
PIPELINE_AS_OF = dt.date(2026, 11, 20)  # the as-of date of the shared end-to-end run


def rows(org, sql: str, *params) -> list[tuple]:
    return org["con"].execute(sql, list(params)).fetchall()


def one(org, sql: str, *params):
    return rows(org, sql, *params)[0][0]


def none(org, table: str, condition: str, *params) -> None:
    """Assert that no row of `table` meets `condition`."""
    assert one(org, f'select count(*) from "{table}" where {condition}', *params) == 0, condition

