"""Great Expectations' Spark engine, on the run's Spark session for the rules
(orchestration/engines/spark_rules.py), finds what the suites compiled to DuckDB SQL find, which
tests/quality/test_sql_rules.py proves equal to GE's pandas engine: on the same edge-case rows,
every failing row of every rule. The whole raw suites are compared on the bad-input corpus
(test_spark_bad_inputs.py).

Slow (`make test-slow`): it starts a JVM.
"""

from __future__ import annotations

import time

import duckdb
import pytest

from data_quality.validate import validate_query
from orchestration.engines import spark_rules
from tests.quality.test_sql_rules import EDGE_SUITE, ROWS, _suite
from tests.support.engine_equivalence import as_pandas_shows, edge_case_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory):
    """The edge-case rows in DuckDB and as a Spark table."""
    home = tmp_path_factory.mktemp("spark_rules")
    con = duckdb.connect()
    edge_case_table(con, "edge")
    spark_rules.load_table(con, home, "edge", "t")
    yield con, home
    spark_rules.stop()
    con.close()


def test_every_rule_fails_on_spark_on_every_row_and_with_the_sample_duckdb_finds(edge_cases):
    con, home = edge_cases
    suite = _suite(*(make() for make in EDGE_SUITE))
    # the rules' SQL quotes names with double quotes, as data_quality/rules.py writes it
    on_spark = spark_rules.validate(home, 'select * from edge."t"', suite)
    in_duckdb = validate_query(con, "select * from edge.t", suite, engine="duckdb")
    assert on_spark.result.meta["engine"] == "great_expectations spark"
    assert on_spark.rows == in_duckdb.rows == len(ROWS)
    for spark, duck in zip(on_spark.outcomes, in_duckdb.outcomes, strict=True):
        assert spark.error is None, (spark.rule, spark.error)
        assert (spark.unexpected_count, sorted(spark.failing_rows), [as_pandas_shows(v) for v in spark.sample]) == \
               (duck.unexpected_count, sorted(duck.failing_rows), duck.sample), (spark.rule, spark.kwargs)
    assert sum(bool(o.unexpected_count) for o in in_duckdb.outcomes) >= 20  # full of edge cases


def test_a_datetime_bound_means_the_same_wall_clock_time_on_a_host_outside_utc(edge_cases, monkeypatch):
    con, home = edge_cases
    monkeypatch.setenv("TZ", "America/New_York")  # pyspark turns a literal into a timestamp in Python
    time.tzset()
    try:
        suite = _suite(*(make() for make in EDGE_SUITE if make().configuration.kwargs.get("column") in ("ts", "d")
                         and "Between" in type(make()).__name__))
        on_spark = spark_rules.validate(home, "select * from edge.t", suite)
    finally:
        monkeypatch.undo()
        time.tzset()
    in_duckdb = validate_query(con, "select * from edge.t", suite, engine="duckdb")
    assert len(suite.expectations) == 3  # rows 2 and 4 sit on the bounds to the second
    assert [sorted(o.failing_rows) for o in on_spark.outcomes] == [sorted(o.failing_rows) for o in in_duckdb.outcomes]


def test_stopping_the_session_ends_its_jvm(edge_cases):
    from pyspark import SparkContext

    con, home = edge_cases
    spark_rules.session(home)
    jvm = SparkContext._gateway.proc
    spark_rules.stop()
    assert jvm.poll() is not None and SparkContext._gateway is None
    spark_rules.load_table(con, home, "edge", "t")  # a new session starts on the next use
    assert spark_rules.validate(home, "select * from edge.t", _suite(*(m() for m in EDGE_SUITE[:2]))).rows == len(ROWS)
