"""The dbt unit tests (`unit_tests:` in the dbt project) pass.

dbt unit tests run each model on fixture rows, but dbt still reads the column types of a model's
parents from the warehouse. So: create every raw table empty in a temporary state directory, build
the whole project `--empty` (every relation, no rows), then run only the unit tests, and check in
`run_results.json` that each unit test of the project's yml files (a model's unit tests sit beside
it, in its own `_<model>.yml`) ran and passed (a suite that was silently skipped or deselected fails
here too).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS
from tests.support.dbt_runs import (
    UNIT_TEST_FILES,
    assert_every_unit_test_passed,
    enabled_unit_tests,
    run_dbt,
)


def _dbt(args: list[str], home: Path, tmp_path: Path):
    return run_dbt(args, tmp_path / "dbt_target", {"CRM_KPI_HOME": str(home)})


def test_dbt_unit_tests_pass(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute("create schema validated")
        for obj in OBJECTS:
            load_object(con, obj, None, dt.datetime(2025, 3, 31))  # the raw table, empty
            # the dbt sources read the quality gate's views of raw
            con.execute(f'create view validated."{obj.table}" as select * from raw."{obj.table}"')
    finally:
        con.close()

    # Every relation, with its real column types and no rows. Data tests are left out: they say
    # nothing about empty tables, and only the unit tests are under test here.
    build = _dbt(["build", "--empty", "--exclude-resource-type", "unit_test", "test"], home, tmp_path)
    if build.returncode != 0:
        pytest.fail(f"dbt build --empty failed (exit {build.returncode}):\n{build.stdout}\n{build.stderr}")

    run = _dbt(["test", "--select", "test_type:unit"], home, tmp_path)
    if run.returncode != 0:
        pytest.fail(f"dbt unit tests failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    assert_every_unit_test_passed(tmp_path / "dbt_target", run.stdout)


def test_the_company_sum_of_reps_unit_test_has_the_inputs_of_the_rep_small_case():
    """The company mart's unit test spells out the rep mart's small case, to compare the two marts;
    the two copies must not drift apart."""
    tests = {test["name"]: test for path in UNIT_TEST_FILES
             for test in yaml.safe_load(path.read_text()).get("unit_tests") or []}
    company = tests["kpi_company_monthly_is_the_sum_of_reps"]["given"]
    assert company == tests["kpi_rep_monthly_small_case_for_company_sum"]["given"]


def test_every_unit_test_name_fits_a_postgres_identifier():
    """dbt names a unit test's relations after it, and Postgres cuts identifiers at 63 bytes."""
    assert sorted(name for name in enabled_unit_tests() if len(name.encode()) > 63) == []
