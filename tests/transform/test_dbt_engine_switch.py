"""A DuckDB run after a run on another engine rebuilds every model: the marts that engine built,
copied into the local marts database, are not dbt-duckdb's incremental tables."""

from __future__ import annotations

import duckdb

from orchestration.defs.transform.dbt import engine_switched


def test_the_first_run_and_a_run_on_the_same_engine_are_not_a_switch():
    con = duckdb.connect()
    con.execute("create schema audit")
    assert not engine_switched(con, "duckdb")
    assert not engine_switched(con, "duckdb")


def test_a_run_after_another_engines_run_is_a_switch_once():
    con = duckdb.connect()
    con.execute("create schema audit")
    engine_switched(con, "spark")
    assert engine_switched(con, "duckdb")
    assert not engine_switched(con, "duckdb")  # recorded: the next DuckDB run goes on incrementally
    assert engine_switched(con, "postgres")
