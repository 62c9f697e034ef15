"""The KPI marts' expectation suites, translated from their dbt tests: what they hold, what they
find (equal to what Great Expectations finds), and the Dagster step that checks the marts."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from data_quality.mart_suites import build_mart_suite, dbt_tests_in_mart_suites, mart_gate, mart_models
from data_quality.validate import validate_query
from orchestration.warehouse import open_warehouse


def _manifest() -> dict:
    """A dbt manifest holding one KPI mart with each kind of test the mart suites translate."""
    model = "model.crm.kpi_demo_monthly"

    def test(name, kind, column=None, where=None, **kwargs):
        return f"test.crm.{name}", {"resource_type": "test", "name": name, "attached_node": model,
                                    "column_name": column, "config": {"where": where, "severity": "error"},
                                    "test_metadata": {"name": kind, "kwargs": {"column_name": column, **kwargs}}}

    return {"nodes": dict([
        (model, {"resource_type": "model", "name": "kpi_demo_monthly",
                 "config": {"database": "marts", "schema": "main"}}),
        ("model.crm.fct_x", {"resource_type": "model", "name": "fct_x", "config": {"database": "marts", "schema": "main"}}),
        test("grain", "unique_combination_of_columns", combination_of_columns=["month", "owner_id"]),
        test("rate", "accepted_range", "win_rate", min_value=0, max_value=1),
        test("count", "accepted_range", "opportunities_won", min_value=0),
        test("sql_bound", "accepted_range", "month", min_value="cast('2020-01-01' as date)"),
        test("filtered", "not_null", "win_rate", where="opportunities_won > 0"),
        test("month_not_null", "not_null", "month"),
        test("gaps", "no_month_gaps", "month"),
    ])}


def _mart(con, rows: list[tuple]) -> None:
    con.execute("attach if not exists ':memory:' as marts")  # as the marts database is attached to the warehouse
    con.execute("create or replace table marts.kpi_demo_monthly "
                "(month date, owner_id varchar, opportunities_won int, win_rate double)")
    con.executemany("insert into marts.kpi_demo_monthly values (?, ?, ?, ?)", rows)


def _audit(con, manifest, engine: str = "auto") -> tuple[bool, str]:
    mart = build_mart_suite(manifest, "kpi_demo_monthly")
    outcome = validate_query(con, mart.query("marts"), mart.suite, chunk_key=mart.chunk_key, engine=engine)
    return mart_gate("kpi_demo_monthly", outcome).passed, mart_gate("kpi_demo_monthly", outcome).description


def test_mart_suites_come_from_the_dbt_tests_of_every_kpi_mart():
    manifest = _manifest()
    mart = build_mart_suite(manifest, "kpi_demo_monthly")
    assert mart_models(manifest) == ["kpi_demo_monthly"]
    assert sorted(e.meta["rule"] for e in mart.suite.expectations) == [
        "month_not_null", "no_month_gaps_in_month", "one_row_per_month_owner_id",
        "opportunities_won_at_least_0", "win_rate_between_0_and_1",
    ]  # the SQL bound and the filtered test stay dbt-only
    assert mart.grain == ("month", "owner_id") and mart.month_columns == ("month",)


def test_a_dagster_run_leaves_to_dbt_exactly_the_mart_tests_the_suites_do_not_translate():
    assert dbt_tests_in_mart_suites(_manifest()) == ["count", "gaps", "grain", "month_not_null", "rate"]


JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_a_sound_mart_passes_its_suite():
    con = duckdb.connect()
    _mart(con, [(JAN, "a", 1, 0.5), (FEB, "a", 0, None), (MAR, "b", 2, 1.0)])
    assert _audit(con, _manifest()) == (True, "kpi_demo_monthly: 5 rules hold on 3 rows.")


@pytest.mark.parametrize("rows, rule", [
    ([(JAN, "a", 1, 1.5), (FEB, "a", 1, 0.5)], "win_rate_between_0_and_1"),
    ([(JAN, "a", -1, 0.5), (FEB, "a", 1, 0.5)], "opportunities_won_at_least_0"),
    ([(JAN, "a", 1, 0.5), (JAN, "a", 1, 0.5), (FEB, "b", 1, 0.5)], "one_row_per_month_owner_id"),
    ([(JAN, "a", 1, 0.5), (MAR, "a", 1, 0.5)], "no_month_gaps_in_month"),
], ids=["rate above 1", "negative count", "two rows for one grain", "a missing month"])
@pytest.mark.parametrize("engine", ["duckdb", "great_expectations"])
def test_a_broken_mart_fails_its_suite_naming_the_rule(rows, rule, engine):
    con = duckdb.connect()
    _mart(con, rows)
    passed, description = _audit(con, _manifest(), engine)
    assert not passed
    assert description.startswith(f"kpi_demo_monthly: {rule} fails on ")


@pytest.mark.e2e
def test_every_mart_suite_compiled_to_sql_finds_what_great_expectations_finds_on_the_published_marts(published):
    from orchestration.defs.transform.dbt import dbt_project
    from orchestration.defs.transform.manifest import load_manifest
    from tests.support.engine_equivalence import assert_duckdb_finds_what_ge_finds

    manifest = load_manifest(dbt_project.manifest_path)
    with open_warehouse(published["home"] / "warehouse.duckdb", read_only=True) as con:
        # one mart damaged in a temporary copy, so that failing rows are compared too
        con.execute("create temp table kpi_damaged as select * from marts.kpi_rep_monthly")
        con.execute("update kpi_damaged set win_rate = 1.5 where month = (select min(month) from kpi_damaged)")
        con.execute("insert into kpi_damaged select * from kpi_damaged limit 3")
        for model in mart_models(manifest):
            mart = build_mart_suite(manifest, model)
            assert_duckdb_finds_what_ge_finds(con, mart.query("marts"), mart.suite, chunk_key=mart.chunk_key)
        mart = build_mart_suite(manifest, "kpi_rep_monthly")
        damaged = mart.query("marts").replace('"marts"."kpi_rep_monthly"', "temp.main.kpi_damaged")
        found = assert_duckdb_finds_what_ge_finds(con, damaged, mart.suite, chunk_key=mart.chunk_key)
    failing = {rule for rule, (count, *_) in found.items() if count}
    assert any(rule.startswith("win_rate_between") for rule in failing), failing
    assert any(rule.startswith("one_row_per_") for rule in failing), failing


def _check_marts(published, tmp_path, models: list[str]) -> dict[str, dg.AssetCheckEvaluation]:
    """Run the mart suites' step for `models` alone, on a copy of the published run's warehouse."""
    import shutil

    from orchestration.defs.quality.mart_expectations import mart_expectations
    from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
    from tests.support.demo import PIPELINE_AS_OF

    home = tmp_path / "home"
    home.mkdir()
    for name in ("warehouse.duckdb", "marts.duckdb"):
        shutil.copy(published["home"] / name, home / name)
    keys = [dg.AssetCheckKey(dg.AssetKey(["marts", model]), "expectations") for model in models]
    defs = dg.Definitions(
        asset_checks=[mart_expectations],
        jobs=[dg.define_asset_job("some_marts", selection=dg.AssetSelection.checks(*keys))],
        resources={"pipeline": PipelineConfig(source_dir=str(published["export"]), home=str(home),
                                              as_of=PIPELINE_AS_OF.isoformat()),
                   "warehouse": WarehouseResource(database=str(home / "warehouse.duckdb"))},
    )
    result = defs.resolve_job_def("some_marts").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


@pytest.mark.e2e
def test_the_mart_suites_step_checks_only_the_marts_selected(published, tmp_path):
    evaluations = _check_marts(published, tmp_path, ["kpi_rep_monthly", "kpi_team_monthly"])
    assert set(evaluations) == {"kpi_rep_monthly", "kpi_team_monthly"}
    assert all(e.passed for e in evaluations.values())


@pytest.mark.e2e
def test_a_mart_whose_suite_cannot_be_evaluated_is_held_back_and_the_others_are_still_checked(
        published, tmp_path, monkeypatch):
    import orchestration.defs.quality.mart_expectations as module

    real = module.validate_query

    def validate(con, query, suite, **kwargs):
        if "kpi_rep_monthly" in query:
            raise duckdb.OutOfMemoryException("could not allocate block")
        return real(con, query, suite, **kwargs)

    monkeypatch.setattr(module, "validate_query", validate)
    evaluations = _check_marts(published, tmp_path, ["kpi_rep_monthly", "kpi_team_monthly", "kpi_company_monthly"])
    assert not evaluations["kpi_rep_monthly"].passed
    assert evaluations["kpi_rep_monthly"].description == (
        "kpi_rep_monthly: its suite could not be evaluated: could not allocate block")
    assert evaluations["kpi_team_monthly"].passed and evaluations["kpi_company_monthly"].passed
