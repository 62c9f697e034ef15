"""Broken CRM mappings: each is refused before anything loads, naming the file, the place and the rule."""

from __future__ import annotations

import shutil

import pytest

from orchestration.mapping import MappingError, apply_mapping
from tests.support.mapping import AS_OF, EXAMPLE, EXPORT, broken

# --- broken mappings: each names the file, the place and the rule ---------------------------------


def test_an_unknown_object_is_refused_with_a_suggestion(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"].update(Oportunity=d["objects"]["Opportunity"]))
    assert "Oportunity: unknown object" in str(error) and "did you mean 'Opportunity'" in str(error)


def test_an_unknown_field_is_refused_with_a_suggestion(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(Amout="close_value"))
    assert "Opportunity.Amout: Opportunity has no field 'Amout' (did you mean 'Amount'?)" in str(error)


def test_a_missing_source_column_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(Amount="close_valu"))
    assert ("Opportunity.Amount: no column 'close_valu' in sales_pipeline.csv "
            "(did you mean 'close_value'?)") in str(error)


def test_a_missing_source_file_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["files"]["pipeline"].update(path="pipeline.csv"))
    assert "files.pipeline: source file 'pipeline.csv' is missing" in str(error)


def test_an_expression_that_does_not_parse_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(Amount="close_value *"))
    assert "Opportunity.Amount: expression 'close_value *' does not parse as SQL" in str(error)


@pytest.mark.parametrize("expression, rule", [
    ("read_csv('/etc/passwd')", "function read_csv() is not allowed"),
    ("getenv('HOME')", "function getenv() is not allowed"),
    ("(select max(close_value) from sales_pipeline)", "a subquery is not allowed"),
    ("deal_stage in (select 1)", "a subquery is not allowed"),
    ("close_value; drop table x", "must be one SQL expression, not several statements"),
    ("sum(close_value)", "aggregate sum() is not allowed"),
    ("now()", "now is not allowed: it changes between runs"),
    ("as_of_date('2026-01-31')", "as_of_date() takes no arguments: it is the run's as-of date"),
    ("__crm_mapping_as_of()", "function __crm_mapping_as_of() is not allowed"),
])
def test_an_expression_using_anything_but_columns_literals_operators_and_whitelisted_functions_is_refused(
        tmp_path, expression, rule):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(Name=expression))
    assert f"Opportunity.Name: expression {expression!r}: {rule}" in str(error)


def test_a_reference_to_another_files_column_is_refused_and_points_to_lookups(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(
        Amount="products.sales_price", Probability="sales_price"))
    assert "Opportunity.Amount: refers to products.sales_price, a column of another file" in str(error)
    assert ("Opportunity.Probability: no column 'sales_price' in sales_pipeline.csv; it is a column of "
            "products.csv: declare a lookup") in str(error)


def test_a_required_field_left_unmapped_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].pop("CloseDate"))
    assert "Opportunity.CloseDate: required field of Opportunity is not mapped" in str(error)


def test_a_mapping_without_an_object_the_pipeline_requires_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"].pop("User"))
    assert "User: the pipeline cannot run without this object" in str(error)


def test_an_id_with_another_objects_key_prefix_is_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Account"]["fields"].update(
        Id="salesforce_id('006', account)"))
    assert "Account.Id: salesforce_id prefix '006' is not Account's key prefix '001'" in str(error)


def test_an_expression_that_does_not_type_check_is_refused_before_any_row_is_read(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"]["fields"].update(
        Amount="close_value + engage_date"))
    assert "Opportunity.Amount: does not type-check in DuckDB" in str(error)


def test_every_problem_of_a_mapping_is_reported_at_once(tmp_path):
    def change(document):
        document["objects"]["Opportunity"]["fields"].update(Amount="getenv('HOME')", Stage="deal_stage")
        document["objects"]["Account"]["fields"].pop("Name")
    error = broken(tmp_path, change)
    assert len(error.problems) == 3
    assert "3 problems" in str(error)


def test_a_misspelled_key_is_refused_rather_than_ignored(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["Opportunity"].update(form="pipeline"))
    assert "Opportunity: unknown key 'form' (allowed: from, where, distinct," in str(error)


def test_a_field_given_twice_is_refused_rather_than_silently_overwritten(tmp_path):
    text = EXAMPLE.read_text().replace("      IsWon: deal_stage = 'Won'\n",
                                       "      IsWon: deal_stage = 'Won'\n      IsWon: true\n", 1)
    (tmp_path / "twice.yml").write_text(text)
    with pytest.raises(MappingError, match=r"twice.yml: is not valid YAML: the key 'IsWon' is given twice"):
        apply_mapping(tmp_path / "twice.yml", EXPORT, tmp_path / "out")


def test_a_lookup_whose_key_is_not_unique_is_refused(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXPORT, export)
    with open(export / "products.csv", "a") as f:
        f.write("Atlas Pro,Atlas,4999\n")
    with pytest.raises(MappingError, match=r"Opportunity.lookups.list_price: the key is not unique"):
        apply_mapping(EXAMPLE, export, tmp_path / "out", as_of=AS_OF)
    assert not (tmp_path / "out").exists()


def test_a_value_that_does_not_fit_its_declared_type_is_refused_with_examples(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXPORT, export)
    text = (export / "sales_pipeline.csv").read_text().replace(",2025-01-02,", ",soon,", 1)
    (export / "sales_pipeline.csv").write_text(text)
    with pytest.raises(MappingError, match=r"files.pipeline: column 'engage_date' .* not date .*\['soon'\]"):
        apply_mapping(EXAMPLE, export, tmp_path / "out", as_of=AS_OF)


def test_records_that_would_share_an_id_are_refused(tmp_path):
    error = broken(tmp_path, lambda d: d["objects"]["UserRole"].update(distinct=False))
    assert "UserRole.Id: Ids must be unique, but several records share one" in str(error)
