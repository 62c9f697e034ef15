"""The bad-input corpus on Apache Spark (issue 17): the representative subset of
tests/support/bad_input_cases.py that tests/engines/test_postgres_bad_inputs.py runs on Postgres,
run with `crm-kpi run --engine spark`.

- The quarantine run: every row that breaks a rule is quarantined with that rule, in the local
  warehouse and in the files Spark's `quarantine` table is named over, and kept out of what the
  run publishes. The rules ran on Spark (Great Expectations' Spark engine); the quarantine holds
  exactly the rows the suites compiled to DuckDB SQL find in the same raw tables.
- The broken files run: each bad file holds the run back with one line naming the file, the
  column and the rule, and the published files stay as they were.

Slow (`make test-slow`): two runs on Spark.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.support.bad_input_cases import HeldBack, Quarantined, marker
from tests.support.bad_input_runs import (
    assert_held_back,
    assert_quarantined,
    params,
    quarantine_by_duckdb,
    raw_validation_engines,
    run_cases,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark_runs(published, tmp_path_factory):
    return {run: run_cases(published, tmp_path_factory.mktemp(f"spark_{run}"), run, "spark")
            for run in ("quarantine", "broken_files")}


@pytest.mark.parametrize("case", params(("quarantine",), Quarantined))
def test_on_spark_a_row_that_breaks_a_rule_is_quarantined_and_kept_out_of_what_it_publishes(spark_runs, case):
    run = spark_runs["quarantine"]
    assert_quarantined(run, case)  # the local warehouse, and what the run published
    if case.outcome.cut_file:
        return  # a record cut short has no Name to find it by in Spark's copy
    # the quarantine Spark was given: the Parquet files its `quarantine` table is named over
    files = run.home / "spark" / "inputs" / "quarantine" / case.outcome.table / "*.parquet"
    found = duckdb.connect().execute(f"select _quarantine_rules from '{files}' where name = $name",
                                     {"name": marker(case.id)}).fetchall()
    assert found == [(case.outcome.rule,)]


@pytest.mark.parametrize("case", params(("broken_files",), HeldBack))
def test_on_spark_a_bad_file_holds_the_run_back_with_one_line_naming_it(spark_runs, case):
    assert_held_back(spark_runs["broken_files"], case)  # and the published files unchanged


def test_on_spark_the_rules_run_on_spark_find_exactly_the_rows_duckdb_finds(spark_runs):
    run = spark_runs["quarantine"]
    expected = quarantine_by_duckdb(run)
    inputs = run.home / "spark" / "inputs" / "quarantine"
    con = duckdb.connect()
    in_spark = {table: sorted(con.execute(f"select _row_number, _quarantine_rules from '{inputs / table}/*.parquet'"
                                          ).fetchall()) for table in expected}
    assert in_spark == expected
    assert sum(map(len, expected.values())) >= len(params(("quarantine",), Quarantined))
    assert raw_validation_engines(run) == {"great_expectations spark"}
