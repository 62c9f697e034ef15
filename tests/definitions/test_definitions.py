"""The Dagster code location loads and forms one connected lineage with its checks attached."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.defs.jobs import PIPELINE_JOB_NAME
from orchestration.salesforce.objects import OBJECTS


@pytest.fixture(scope="module")
def asset_graph(tmp_path_factory):
    from orchestration.definitions import build_defs

    with pytest.MonkeyPatch.context() as env:  # the state directory of these tests only
        env.setenv("CRM_KPI_HOME", str(tmp_path_factory.mktemp("defs_home")))
        defs = build_defs()
        defs.resolve_job_def(PIPELINE_JOB_NAME)  # the job resolves against the graph
        yield defs.resolve_asset_graph()


def _key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


def test_every_salesforce_object_has_a_raw_asset_in_the_ingest_group(asset_graph):
    for obj in OBJECTS:
        node = asset_graph.get(_key("raw", obj.table))
        assert node.group_name == "ingest"


def test_raw_assets_feed_the_quality_gate_which_feeds_the_dbt_staging_models(asset_graph):
    for obj in OBJECTS:
        validated = asset_graph.get(_key("validated", obj.table))
        assert validated.group_name == "quality"
        assert _key("raw", obj.table) in validated.parent_keys
        # custom objects drop their `_c` suffix in staging (`survey_response_c` -> `survey_response`)
        staging = _key("staging", f"stg_salesforce__{obj.table.removesuffix('_c')}")
        assert asset_graph.get(staging).parent_keys == {_key("validated", obj.table)}


def test_the_published_marts_descend_from_every_raw_object(asset_graph):
    ancestors = asset_graph.upstream_key_iterator(_key("published", "crm_kpis"))
    upstream = set(ancestors)
    for key in (_key("marts", "kpi_rep_monthly"), _key("marts", "kpi_company_monthly"),
                _key("raw", "opportunity"), _key("raw", "lead"), _key("raw", "task")):
        assert key in upstream


def test_every_object_has_a_blocking_expectation_suite_and_load_checks(asset_graph):
    for obj in OBJECTS:
        suite = dg.AssetCheckKey(_key("validated", obj.table), "expectations")
        assert asset_graph.get_check_spec(suite).blocking
        for name, blocking in (("freshness", True), ("volume", True), ("schema_drift", False)):
            check = dg.AssetCheckKey(_key("raw", obj.table), name)
            assert asset_graph.get_check_spec(check).blocking is blocking


def test_every_kpi_mart_has_a_blocking_expectation_suite_and_all_run_in_one_step(asset_graph):
    from orchestration.defs.quality.mart_expectations import MARTS, mart_expectations

    assert _key("marts", "kpi_rep_monthly") in MARTS and len(MARTS) >= 10
    for key in MARTS:
        assert asset_graph.get_check_spec(dg.AssetCheckKey(key, "expectations")).blocking
    assert mart_expectations.check_keys == {dg.AssetCheckKey(key, "expectations") for key in MARTS}
    assert mart_expectations.can_subset  # the UI can run one mart's suite


def test_the_marts_are_reconciled_with_blocking_checks(asset_graph):
    for key, name in ((_key("marts", "kpi_company_monthly"), "reconciles_with_validated"),
                      (_key("marts", "kpi_rep_monthly"), "sums_to_company"),
                      (_key("marts", "kpi_rep_monthly"), "sums_to_teams"),
                      (_key("marts", "fct_opportunities"), "one_row_per_opportunity")):
        assert asset_graph.get_check_spec(dg.AssetCheckKey(key, name)).blocking


def _check_names(asset_graph, *key: str) -> set[str]:
    return {c.name for c in asset_graph.asset_check_keys if c.asset_key == _key(*key)}


def test_a_kpi_mart_rule_is_checked_once_by_the_mart_suite_not_again_as_a_dbt_test(asset_graph):
    from orchestration.defs.quality.mart_expectations import MARTS

    grain_test = "unique_combination_of_columns_kpi_rep_monthly_month__owner_id"
    assert _check_names(asset_graph, "marts", "kpi_rep_monthly") == {"expectations", "sums_to_company",
                                                                        "sums_to_teams"}
    suite = MARTS[_key("marts", "kpi_rep_monthly")].suite
    assert grain_test in {expectation.meta["dbt_test"] for expectation in suite.expectations}


def test_dbt_tests_the_mart_suites_do_not_check_stay_asset_checks(asset_graph):
    assert "relationships_kpi_scorecard_kpi_name__kpi_name__ref_kpi_catalog_" in _check_names(
        asset_graph, "marts", "kpi_scorecard")
    assert "unique_fct_opportunities_opportunity_id" in _check_names(asset_graph, "marts", "fct_opportunities")


def test_the_stages_the_checks_accept_are_the_dbt_seed_and_the_demo_org_uses_them():
    from orchestration.defs.resource_types import configured_stages
    from orchestration.salesforce.objects import DEFAULT_STAGES

    assert configured_stages() == [stage[0] for stage in DEFAULT_STAGES]
