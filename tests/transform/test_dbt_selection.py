"""The dbt step leaves out the mart tests the blocking mart suites check, by a few dozen selectors
rather than one per test (dbt tries every selector against every node)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_quality.mart_suites import dbt_tests_in_mart_suites
from orchestration.defs.transform.manifest import load_manifest, selectors_for
from orchestration.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "crm-kpi-dbt")


def _test(name: str, kind: str, model: str) -> dict:
    return {"resource_type": "test", "name": name, "test_metadata": {"name": kind},
            "attached_node": f"model.p.{model}"}


def test_the_tests_of_one_kind_on_one_model_become_one_prefix_unless_it_names_another_node():
    manifest = {"nodes": {name: node for name, node in {
        "a": _test("not_null_kpi_x_a", "not_null", "kpi_x"),
        "b": _test("not_null_kpi_x_b", "not_null", "kpi_x"),
        "c": _test("unique_kpi_y_id", "unique", "kpi_y"),
        "d": _test("unique_kpi_y_key", "unique", "kpi_y"),
        "e": _test("unique_kpi_y_kept", "unique", "kpi_y_kept"),  # shares the prefix, and stays
        "f": {"resource_type": "model", "name": "kpi_x"},
    }.items()}}
    selected = {"not_null_kpi_x_a", "not_null_kpi_x_b", "unique_kpi_y_id", "unique_kpi_y_key"}
    assert selectors_for(manifest, selected) == ["not_null_kpi_x_*", "unique_kpi_y_id", "unique_kpi_y_key"]


def test_a_name_that_is_no_test_of_the_project_is_refused_not_dropped():
    manifest = {"nodes": {"a": _test("not_null_kpi_x_a", "not_null", "kpi_x")}}
    with pytest.raises(ValueError, match="not tests of this dbt project: not_a_test"):
        selectors_for(manifest, {"not_null_kpi_x_a", "not_a_test"})


def test_in_dbt_the_selectors_leave_out_exactly_the_tests_of_the_mart_suites(tmp_path):
    manifest = load_manifest(DBT_PROJECT_DIR / "target" / "manifest.json")
    env = {**os.environ, "CRM_KPI_HOME": str(tmp_path), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs")}

    def tests(*args: str) -> set[str]:
        listed = subprocess.run([DBT, "ls", "--resource-type", "test", "--output", "name", "--quiet",
                                 "--profiles-dir", str(DBT_PROJECT_DIR), *args],
                                env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True)
        return set(listed.stdout.split())

    suites = set(dbt_tests_in_mart_suites(manifest))
    every = tests()
    kept = tests("--exclude", " ".join(selectors_for(manifest, suites)))
    assert suites <= every and kept == every - suites
