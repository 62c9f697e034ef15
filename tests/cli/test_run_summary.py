"""What `crm-kpi run` says when dbt fails: the models it could not build, with dbt's message, and
dbt tests that could not run told apart from tests that found bad rows; and, when a run is held
back with nothing failed, the steps that never ran."""

from __future__ import annotations

import json
from types import SimpleNamespace

import dagster as dg

from orchestration.cli.runner import _check_description, dbt_errors


def _evaluation(status: str, failing: int) -> SimpleNamespace:
    return SimpleNamespace(description=None, metadata={
        "status": dg.MetadataValue.text(status), "dagster_dbt/failed_row_count": dg.MetadataValue.int(failing)})


def test_a_model_dbt_could_not_build_is_named_with_the_first_line_of_dbts_message(tmp_path):
    # The fields of dbt's run_results.json (https://schemas.getdbt.com/dbt/run-results/v6.json).
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.crm_kpi.kpi_sales_daily", "status": "error",
         "message": "Out of Memory Error: could not allocate block of size 256.0 KiB\n  compiled code at ..."},
        {"unique_id": "model.crm_kpi.kpi_rep_monthly", "status": "success", "message": "OK"},
        {"unique_id": "test.crm_kpi.not_null_kpi_sales_daily_date_day.abc", "status": "error", "message": "x"},
        {"unique_id": "seed.crm_kpi.kpi_targets", "status": "error", "message": "Runtime Error: bad csv"},
    ]}))
    assert dbt_errors(tmp_path) == [
        "model kpi_sales_daily: Out of Memory Error: could not allocate block of size 256.0 KiB",
        "seed kpi_targets: Runtime Error: bad csv",
    ]


def test_no_run_results_means_nothing_to_add(tmp_path):
    assert dbt_errors(tmp_path) == []


def test_a_dbt_test_that_errored_or_was_skipped_is_not_reported_as_zero_failing_rows():
    assert _check_description(_evaluation("fail", 12)) == "dbt test failed on 12 row(s)"
    assert "could not run" in _check_description(_evaluation("error", 0))
    assert "did not run" in _check_description(_evaluation("skipped", 0))


def test_a_run_held_back_by_steps_that_never_ran_names_them(capsys):
    from orchestration.cli.main import _print_summary
    from orchestration.cli.runner import RunSummary

    summary = RunSummary(run_id="r", published=False)
    summary.passed_checks, summary.skipped_steps = 198, ["mart_expectations", "published_marts"]
    _print_summary(summary)
    assert "  SKIPPED mart_expectations, published_marts: an asset they need was not materialized in this run" \
        in capsys.readouterr().out
    summary.failures = ["crm_kpi_dbt_models: dbt failed"]  # a failure says why already
    _print_summary(summary)
    assert "SKIPPED" not in capsys.readouterr().out
