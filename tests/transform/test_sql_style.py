"""The dbt project's SQL follows its sqlfluff rules (dbt_project/.sqlfluff).

sqlfluff renders each model with dbt itself (its dbt templater), so the models are linted as dbt
runs them, macros included. A model dbt cannot render is not skipped quietly: sqlfluff reports it
with no violations and no segments, which fails here as "not linted".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def lint_env(tmp_path_factory) -> dict[str, str]:
    """A state directory of its own with the seeds loaded (the scorecard reads the KPI catalog while
    dbt renders it), and dbt's target folder outside the repo (the pipeline's manifest stays)."""
    home = tmp_path_factory.mktemp("sqlfluff_home")
    env = {**os.environ, "CRM_KPI_HOME": str(home), "DBT_TARGET_PATH": str(home / "target"),
           "DBT_LOG_PATH": str(home / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("CRM_KPI_DBT_STATE_DIR", None)
    env.pop("CRM_KPI_DBT_TARGET", None)  # the working warehouse's target, whatever a shell chose for mf
    subprocess.run([str(BIN / "dbt"), "seed", "--profiles-dir", ".", "--quiet"], cwd=DBT_PROJECT_DIR,
                   env=env, check=True)
    return env


def test_every_dbt_model_is_rendered_by_dbt_and_follows_the_projects_sqlfluff_rules(lint_env):
    linted = subprocess.run([str(BIN / "sqlfluff"), "lint", "models", "--format", "json", "--nofail"],
                            cwd=DBT_PROJECT_DIR, env=lint_env, capture_output=True, text=True, check=True)
    results = {result["filepath"]: result for result in json.loads(linted.stdout)}
    models = {str(path.relative_to(DBT_PROJECT_DIR)) for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    assert set(results) == models
    not_linted = sorted(path for path, result in results.items() if not result["statistics"]["raw_segments"])
    assert not not_linted, f"dbt could not render {not_linted}: {linted.stderr[-2000:]}"
    violations = [f"{path}:{v['start_line_no']}: {v['code']} {v['description']}"
                  for path, result in sorted(results.items()) for v in result["violations"]]
    assert not violations, "\n".join(violations)
