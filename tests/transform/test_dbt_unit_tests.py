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
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS
from tests.support import REPO

DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
# The files whose unit tests this test vouches for: every yml file of the project's models.
UNIT_TEST_FILES = sorted(DBT_PROJECT.glob("models/**/*.yml"))


def _enabled_unit_tests() -> set[str]:
    """Names of the unit tests in UNIT_TEST_FILES that are not disabled (`config: {enabled: false}`)."""
    names = set()
    for path in UNIT_TEST_FILES:
        for test in yaml.safe_load(path.read_text()).get("unit_tests") or []:
            if (test.get("config") or {}).get("enabled", True):
                names.add(test["name"])
    return names


def _dbt(args: list[str], home: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CRM_KPI_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(tmp_path / "dbt_logs"),
    }
    return subprocess.run(
        [str(DBT), "--no-use-colors", *args, "--profiles-dir", ".",
         "--target-path", str(tmp_path / "dbt_target")],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_dbt_unit_tests_pass(tmp_path):
    expected = _enabled_unit_tests()
    assert expected, "no enabled unit test found in " + ", ".join(map(str, UNIT_TEST_FILES))

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

    results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())["results"]
    passed = {r["unique_id"].rsplit(".", 1)[-1] for r in results
              if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"}
    not_passed = [(r["unique_id"], r["status"]) for r in results if r["status"] != "pass"]
    assert not not_passed, f"unit tests that did not pass: {not_passed}\n{run.stdout}"
    missing = expected - passed
    assert not missing, f"unit tests that did not run: {sorted(missing)}\n{run.stdout}"
    assert len(passed) >= len(expected)


def test_the_company_sum_of_reps_unit_test_has_the_inputs_of_the_rep_small_case():
    """The company mart's unit test spells out the rep mart's small case, to compare the two marts;
    the two copies must not drift apart."""
    tests = {test["name"]: test for path in UNIT_TEST_FILES
             for test in yaml.safe_load(path.read_text()).get("unit_tests") or []}
    company = tests["kpi_company_monthly_is_the_sum_of_reps"]["given"]
    assert company == tests["kpi_rep_monthly_small_case_for_company_sum"]["given"]
