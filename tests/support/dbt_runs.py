"""Running the dbt project from a test, and reading what its run says about the unit tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import yaml

from tests.support import REPO

DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
# The files whose unit tests the tests vouch for: every yml file of the project's models.
UNIT_TEST_FILES = sorted(DBT_PROJECT.glob("models/**/*.yml"))


def enabled_unit_tests(target_type: str = "duckdb") -> set[str]:
    """Names of the unit tests in UNIT_TEST_FILES that are not disabled on `target_type`
    (`config: {enabled: false}`, or an `enabled` expression of the target, as dbt renders it)."""
    names = set()
    for path in UNIT_TEST_FILES:
        for test in yaml.safe_load(path.read_text()).get("unit_tests") or []:
            enabled = (test.get("config") or {}).get("enabled", True)
            if isinstance(enabled, str):
                enabled = jinja2.Template(enabled).render(target={"type": target_type}).strip() == "True"
            if enabled:
                names.add(test["name"])
    return names


def run_dbt(args: list[str], target_path: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """`dbt <args>` in the project, its artifacts in `target_path` and its log beside them."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_LOG_PATH": str(target_path.parent / "dbt_logs"), **env}
    return subprocess.run(
        [str(DBT), "--no-use-colors", *args, "--profiles-dir", ".", "--target-path", str(target_path)],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=timeout,
    )


def assert_every_unit_test_passed(target_path: Path, output: str, target_type: str = "duckdb") -> None:
    """The last run in `target_path` ran every unit test enabled on `target_type`, and each passed."""
    expected = enabled_unit_tests(target_type)
    assert expected, "no enabled unit test found in " + ", ".join(map(str, UNIT_TEST_FILES))
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    passed = {r["unique_id"].rsplit(".", 1)[-1] for r in results
              if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"}
    not_passed = [(r["unique_id"], r["status"]) for r in results if r["status"] != "pass"]
    assert not not_passed, f"unit tests that did not pass: {not_passed}\n{output}"
    missing = expected - passed
    assert not missing, f"unit tests that did not run: {sorted(missing)}\n{output}"
