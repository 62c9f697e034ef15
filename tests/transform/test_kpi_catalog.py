"""The KPI catalog and the marts agree: every KPI column is catalogued, every entry is in a mart."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.kpi_catalog import (
    DOC_BLOCKS,
    SOURCES_MACRO,
    load_catalog,
    mart_columns,
    render_doc_blocks,
    render_sources_macro,
    unmeasured_kpis,
)
from orchestration.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


@pytest.fixture(scope="module")
def kpi_marts() -> dict[str, dict]:
    """Columns (name → properties) of every `kpi_*` model, as documented in the dbt manifest."""
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    return {
        node["name"]: node["columns"]
        for node in nodes
        if node["resource_type"] == "model" and node["name"].startswith("kpi_")
    }


def _kpi_columns(columns: dict) -> set[str]:
    return {name for name, column in columns.items() if not column.get("meta", {}).get("dimension")}


def test_every_kpi_column_of_a_mart_is_in_the_catalog_for_that_mart(kpi_marts):
    catalogued = {(model, kpi.name) for kpi in load_catalog() for model in kpi.models}
    missing = sorted(
        (model, column)
        for model, columns in kpi_marts.items()
        for column in _kpi_columns(columns)
        if (model, column) not in catalogued
    )
    assert missing == []


def test_every_catalog_entry_is_a_column_of_each_mart_it_names(kpi_marts):
    missing = sorted(
        (kpi.name, model)
        for kpi in load_catalog()
        for model in kpi.models
        if kpi.name not in kpi_marts.get(model, {})
    )
    assert missing == []


def test_every_catalog_entry_says_what_it_means_and_how_to_read_it():
    for kpi in load_catalog():
        assert kpi.definition and kpi.formula and kpi.label, kpi.name
        assert kpi.indicator_type in ("leading", "lagging"), kpi.name
        assert kpi.unit in ("count", "currency", "ratio", "hours", "days", "months", "score", "points"), kpi.name


def test_every_kpi_column_is_described_by_its_catalog_doc_block(kpi_marts):
    labels = {kpi.name: kpi.label for kpi in load_catalog()}
    undocumented = sorted(
        (model, name)
        for model, columns in kpi_marts.items()
        for name in _kpi_columns(columns)
        if not columns[name]["description"].startswith(f"**{labels.get(name)}**")
    )
    assert undocumented == []


def test_the_doc_blocks_are_generated_from_the_current_catalog():
    assert DOC_BLOCKS.read_text() == render_doc_blocks(load_catalog()), (
        "run `python -m orchestration.kpi_catalog` after editing seeds/kpi_catalog.csv"
    )


def test_the_kpi_sources_and_mart_columns_macros_are_generated_from_the_current_catalog_and_marts():
    assert SOURCES_MACRO.read_text() == render_sources_macro(load_catalog()), (
        "run `python -m orchestration.kpi_catalog` (make does) after editing the catalog or a mart's yml"
    )



def test_lead_activity_kpis_are_unmeasured_only_when_neither_task_nor_event_was_exported():
    catalog = load_catalog()
    activity = {"leads_contacted", "rate_of_contact", "rate_of_follow_up", "median_lead_response_hours"}
    assert unmeasured_kpis(catalog, "kpi_rep_monthly", {"task", "event"}) == activity
    assert unmeasured_kpis(catalog, "kpi_rep_monthly", {"event"}) == set()


def test_a_kpi_is_unmeasured_when_its_denominators_object_is_missing():
    unmeasured = unmeasured_kpis(load_catalog(), "kpi_rep_monthly", {"lead"})
    assert {"leads_created", "lead_conversion_rate", "rate_of_contact"} <= unmeasured
    assert "bookings_amount" not in unmeasured


def test_no_kpi_column_has_a_plain_not_null_test():
    """A plain not_null on a KPI would hold back every export that lacks its objects: KPIs use
    not_null_when_measured, which also checks that an unmeasured KPI is NULL throughout."""
    catalog = load_catalog()
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    plain = sorted(
        (node["attached_node"].split(".")[-1], node["column_name"]) for node in nodes
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") == "not_null"
        and any(kpi.name == node["column_name"] and node["attached_node"].split(".")[-1] in kpi.models
                for kpi in catalog)
    )
    assert plain == []


@pytest.mark.e2e
def test_each_marts_generated_column_list_is_the_columns_it_publishes(published):
    """Engines without `select * replace` null a mart's unmeasured KPIs by listing its columns
    (mart_columns(), from its yml): a column the yml left out would be lost there."""
    marts = {mart for kpi in load_catalog() for mart in kpi.models}
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        published_columns = {mart: [row[0] for row in con.execute(f"describe main.{mart}").fetchall()]
                             for mart in marts}
    assert mart_columns(marts) == published_columns
