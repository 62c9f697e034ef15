"""The whole pipeline through Dagster: generate → run → published marts, and a held-back run."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from orchestration.cli.main import main
from orchestration.salesforce.objects import OBJECTS
from tests.support.demo import PIPELINE_AS_OF as AS_OF
from tests.support.kpi_reference import reference_kpis
from tests.support.published import assert_frames_match, published_files, read_mart

pytestmark = pytest.mark.e2e


def test_a_clean_run_exits_zero_and_publishes_both_marts(published):
    assert published["exit"] == 0
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        company_rows = con.execute("select count(*) from kpi_company_monthly").fetchall()[0][0]
    assert {"kpi_rep_monthly", "kpi_company_monthly"} <= tables
    assert company_rows >= 24  # about two years of history, no gaps


def test_a_runs_dbt_build_runs_every_dbt_test_but_those_the_mart_suites_check(published):
    from data_quality.mart_suites import dbt_tests_in_mart_suites
    from orchestration.defs.transform.dbt import dbt_project
    from orchestration.defs.transform.manifest import load_manifest

    manifest = load_manifest(dbt_project.manifest_path)
    results = json.loads((published["home"] / "dbt" / "target" / "run_results.json").read_text())["results"]
    ran = {manifest["nodes"][r["unique_id"]]["name"] for r in results if r["unique_id"].startswith("test.")}
    every = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    in_suites = set(dbt_tests_in_mart_suites(manifest))
    assert len(in_suites) > 200 and ran == every - in_suites


def test_a_clean_run_writes_a_publish_log_row_and_a_parquet_copy_of_every_mart(published):
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        log = con.execute("select as_of, run_id, source_row_counts, check_summary from _publish_log").fetchall()
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert len(log) == 1 and str(log[0][0]) == AS_OF.isoformat()
    counts, checks = json.loads(log[0][2]), json.loads(log[0][3])
    assert counts["opportunity"] == len(pd.read_csv(published["export"] / "Opportunity.csv"))
    assert checks["failed"] == 0 and checks["passed"] > 50
    parquet = {p.stem for p in (published["db"].parent / "parquet").glob("*.parquet")}
    assert parquet == tables - {"_publish_log"}


def test_the_rep_mart_equals_an_independent_pandas_computation(published):
    expected, _ = reference_kpis(published["export"], AS_OF)
    assert_frames_match(read_mart(published["db"], "kpi_rep_monthly"), expected, ["month", "owner_id"])


def test_the_company_mart_equals_an_independent_pandas_computation(published):
    _, expected = reference_kpis(published["export"], AS_OF)
    assert_frames_match(read_mart(published["db"], "kpi_company_monthly"), expected, ["month"])


def test_the_company_mart_is_the_sum_of_the_rep_mart(published):
    rep = read_mart(published["db"], "kpi_rep_monthly")
    company = read_mart(published["db"], "kpi_company_monthly").set_index("month")
    additive = ["leads_created", "opportunities_created", "opportunities_won", "bookings_amount", "quota_amount"]
    summed = rep.groupby("month")[additive].sum().reindex(company.index, fill_value=0)
    pd.testing.assert_frame_equal(summed, company[additive], check_dtype=False, atol=1e-6)
    assert company["bookings_amount"].sum() > 0


def test_too_many_rows_breaking_a_rule_hold_the_run_back_and_leave_the_published_files_untouched(
    published, tmp_path, capsys
):
    before = published_files(published)
    export = tmp_path / "export"
    shutil.copytree(published["export"], export)
    opportunities = pd.read_csv(export / "Opportunity.csv", dtype=str, keep_default_na=False)
    opportunities.loc[::5, "Amount"] = "-500.00"  # 20% of the rows, over the 5% quarantine threshold
    opportunities.to_csv(export / "Opportunity.csv", index=False)

    exit_code = main(["run", "--source", str(export), "--home", str(published["home"]), "--as-of", AS_OF.isoformat()])

    output = capsys.readouterr()
    assert exit_code == 1
    assert "FAIL  validated/opportunity · expectations: Opportunity: amount_not_negative on" in output.out
    assert "(20.0% > 5%)" in output.out
    assert "Held back" in output.err
    assert published_files(published) == before


def test_kpis_prints_the_published_company_kpis(published, capsys):
    assert main(["kpis", "--home", str(published["home"]), "--months", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:3] == ["month", "leads", "contacted"]
    assert len(lines) == 2 + 3
    assert lines[-1].split()[0] == "2026-11-01"


def test_run_on_a_folder_that_does_not_exist_is_a_clear_error(tmp_path, capsys):
    assert main(["run", "--source", str(tmp_path / "nope"), "--home", str(tmp_path / "h")]) == 2
    assert "no such export folder" in capsys.readouterr().err


def test_a_missing_required_column_holds_the_run_back_naming_the_file_and_column(
    published, tmp_path, capsys
):
    before = published_files(published)
    export = tmp_path / "export"
    shutil.copytree(published["export"], export)
    opportunities = pd.read_csv(export / "Opportunity.csv", dtype=str, keep_default_na=False)
    opportunities.drop(columns=["StageName"]).to_csv(export / "Opportunity.csv", index=False)

    exit_code = main(["run", "--source", str(export), "--home", str(published["home"]), "--as-of", AS_OF.isoformat()])

    output = capsys.readouterr()
    assert exit_code == 1
    assert f"raw__opportunity: {export / 'Opportunity.csv'}: required column(s) StageName missing" in output.out
    assert "Traceback" not in output.out + output.err
    assert published_files(published) == before


def test_generate_writes_one_file_per_object_named_by_its_api_name(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), "--scale", "0.05", "--as-of", "2026-11-20"]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"{o.api_name}.csv" for o in OBJECTS}
    assert "Opportunity" in capsys.readouterr().out
