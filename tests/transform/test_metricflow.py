"""The dbt semantic layer gives the numbers of the published marts: `mf query` by month equals
kpi_company_monthly, and it answers while a run holds the warehouse.

MetricFlow runs for real (the `mf` CLI of dbt-metricflow) on a copy of the end-to-end run's state
directory, from a copy of the dbt project, so neither the shared fixture nor the repo's
dbt_project/target is written to. `mf` reads `<project>/target/semantic_manifest.json` (written by
`dbt parse`) and queries through the profile's read-only `published` target (CRM_KPI_DBT_TARGET),
which attaches the published database, never the working warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR, state_paths
from orchestration.warehouse import open_warehouse

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
# metric -> kpi_company_monthly column; counts compare exactly, amounts and ratios approximately.
COUNTS = {"opportunities_won": "opportunities_won", "opportunities_lost": "opportunities_lost",
          "leads_created": "leads_created", "opportunities_created": "opportunities_created"}
AMOUNTS = {"bookings": "bookings_amount", "pipeline_created_amount": "pipeline_created_amount"}
RATIOS = {"win_rate": "win_rate", "avg_deal_size": "avg_deal_size"}
METRICS = {**COUNTS, **AMOUNTS, **RATIOS}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def mf_project(published, tmp_path_factory):
    """A copy of the dbt project, parsed, and the environment to run `mf` in it on a copy of the state."""
    assert published["exit"] == 0, "the demo run did not publish"
    root = tmp_path_factory.mktemp("mf")
    home = root / "home"
    shutil.copytree(published["home"], home, symlinks=True)
    project = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DBT_") and key != "CRM_KPI_DBT_TARGET"}
    env.update({
        "CRM_KPI_HOME": str(home),
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
        "DBT_LOG_PATH": str(root / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    # parsed as the pipeline parses (target dev), queried through the published target
    _run([str(BIN / "dbt"), "parse", "--profiles-dir", ".", "--quiet"], project, env)
    env["CRM_KPI_DBT_TARGET"] = "published"
    assert (project / "target" / "semantic_manifest.json").exists()
    return {"dir": project, "env": env, "home": home, "root": root}


@pytest.fixture(scope="module")
def by_month(mf_project) -> dict[dt.date, dict[str, str]]:
    """`mf query` of every contract metric by metric_time__month, as CSV rows keyed by month, asked
    while the warehouse is open read-write, as a run holds it from its first step to its end."""
    out = mf_project["root"] / "metrics.csv"
    with open_warehouse(state_paths(mf_project["home"]).warehouse):
        _run([str(BIN / "mf"), "query", "--metrics", ",".join(METRICS), "--group-by", "metric_time__month",
              "--order", "metric_time__month", "--csv", str(out), "--quiet"], mf_project["dir"], mf_project["env"])
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {dt.datetime.fromisoformat(row["metric_time__month"]).date(): row for row in rows}


@pytest.fixture(scope="module")
def mart(mf_project) -> dict[dt.date, dict[str, object]]:
    with duckdb.connect(str(state_paths(mf_project["home"]).published_db), read_only=True) as con:
        frame = con.sql("select * from kpi_company_monthly order by month").df()
    return {row["month"].date() if hasattr(row["month"], "date") else row["month"]: row
            for row in frame.to_dict("records")}


def _is_null(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def test_mf_query_covers_only_months_of_the_mart_and_finds_bookings(by_month, mart):
    assert by_month, "mf returned no rows"
    assert set(by_month) <= set(mart)
    assert sum(float(row["bookings"]) for row in by_month.values()) > 0


def test_every_metric_by_month_equals_kpi_company_monthly(by_month, mart):
    for month, expected in mart.items():
        # mf leaves out a month without any fact row of the metrics; the mart shows it as 0 / NULL
        got = by_month.get(month, {})
        for metric, column in COUNTS.items():
            value = got.get(metric) or "0"
            assert int(float(value)) == expected[column], (month, metric)
        for metric, column in AMOUNTS.items():
            value = float(got.get(metric) or 0)
            assert value == pytest.approx(expected[column], rel=1e-9, abs=1e-6), (month, metric)
        for metric, column in RATIOS.items():
            value, want = got.get(metric), expected[column]
            if _is_null(want):
                assert _is_null(value), (month, metric, value)
            else:
                assert not _is_null(value), (month, metric)
                assert float(value) == pytest.approx(want, rel=1e-9), (month, metric)

