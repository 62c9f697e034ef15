"""The proof that a suite compiled to DuckDB SQL finds what Great Expectations finds on the same rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import great_expectations as gx
import pandas as pd

from data_quality.validate import validate_query

_COUNTS = ("element_count", "missing_count", "unexpected_count")


def _counts(outcome) -> dict[str, dict[str, int]]:
    return {r.expectation_config.meta["rule"]: {k: r.result.get(k) or 0 for k in _COUNTS} for r in outcome.result.results}


def _found(outcome) -> dict[str, tuple]:
    return {o.rule: (o.unexpected_count, sorted(o.failing_rows), [str(v) for v in o.sample], o.error is None)
            for o in outcome.outcomes}


def assert_duckdb_finds_what_ge_finds(con: duckdb.DuckDBPyConnection, query: str, suite: gx.ExpectationSuite,
                                      chunk_key: str = "id") -> dict[str, tuple]:
    """Validate with both engines and compare, rule by rule: failing count, every failing row, the
    sample (the first failing rows of the file), and Data Docs' element and missing counts.
    Returns what they found, so that a caller can also check the comparison was not empty."""
    sql = validate_query(con, query, suite, engine="duckdb")
    ge = validate_query(con, query, suite, chunk_key=chunk_key, engine="great_expectations")
    assert sql.result.meta["engine"] == "duckdb" and ge.result.meta["engine"] == "great_expectations"
    assert sql.rows == ge.rows, (suite.name, sql.rows, ge.rows)
    for name, (in_sql, in_ge) in {"found": (_found(sql), _found(ge)), "counts": (_counts(sql), _counts(ge))}.items():
        differ = {rule: (in_sql[rule], in_ge[rule]) for rule in in_sql if in_sql[rule] != in_ge.get(rule)}
        assert not differ and in_sql.keys() == in_ge.keys(), f"{suite.name}: {name} differ (DuckDB, GE): {differ}"
    assert sql.result.success == ge.result.success
    return _found(sql)


def edge_case_table(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """`<schema>.t`: the edge-case rows of tests/quality/test_sql_rules.py, for another engine to
    validate. NaN aside: the loader lets no NaN into raw (pandas takes it as missing, a SQL engine
    or Spark as a value), tests/sources/test_load.py."""
    from tests.quality.test_sql_rules import ROWS

    con.execute(f"create schema {schema}")
    con.execute(f"""create table {schema}.t (_row_number bigint, id varchar, n double, amount decimal(18, 2),
                    ts timestamp, d date, b boolean, flag boolean, _parse_error varchar, s varchar)""")
    con.executemany(f"insert into {schema}.t values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*row[:2], None if row[2] == "nan" else row[2], *row[3:]) for row in ROWS])


def as_pandas_shows(value):
    """A sample value as pandas shows it (a server or Spark returns dates and exact decimals)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    return value
