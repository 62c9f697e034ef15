"""`as_of_date()` in a mapping: the run's as-of date, for the fields an export leaves empty (a
prospecting deal has no date at all, but Salesforce needs a CreatedDate and a CloseDate)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from orchestration.mapping import MappingError, apply_mapping, validate_mapping
from tests.support.mapping import EXAMPLE, EXPORT, parquet_table, tiny_export

DEALS = [["deal", "rep", "amount", "day"], ["D1", "Ann Lee", "250", "2026-01-05"],
         ["D2", "Ann Lee", "100", ""], ["D3", "Ann Lee", "75", "2026-03-01"]]


def _dated_by_as_of(tmp_path):
    """The tiny export, its undated deals created on the as-of day, closing 90 days after creation,
    and deals dated after the as-of day left out."""
    mapping = tiny_export(tmp_path, [["rep"], ["Ann Lee"]], DEALS, where="day is null or day <= as_of_date()")
    document = yaml.safe_load(mapping.read_text())
    document["objects"]["Opportunity"]["fields"].update(
        CreatedDate="coalesce(day, as_of_date())",
        CloseDate="coalesce(day, as_of_date()) + interval 90 day")
    mapping.write_text(yaml.safe_dump(document))
    return mapping


def _deals(folder) -> dict[str, tuple]:
    deals = parquet_table(folder, "Opportunity")
    return {row.Name: (row.CreatedDate.date(), row.CloseDate.date()) for row in deals.itertuples()}


def test_as_of_date_is_the_as_of_day_the_conversion_is_given(tmp_path):
    mapping = _dated_by_as_of(tmp_path)
    apply_mapping(mapping, tmp_path / "export", tmp_path / "feb", as_of=dt.date(2026, 2, 10))
    apply_mapping(mapping, tmp_path / "export", tmp_path / "mar", as_of=dt.date(2026, 3, 31))
    assert _deals(tmp_path / "feb") == {
        "D1": (dt.date(2026, 1, 5), dt.date(2026, 4, 5)),
        "D2": (dt.date(2026, 2, 10), dt.date(2026, 5, 11)),  # undated: the as-of day, + 90 days
    }  # D3 is dated after the as-of day: the where clause leaves it out
    assert _deals(tmp_path / "mar")["D2"] == (dt.date(2026, 3, 31), dt.date(2026, 6, 29))
    assert set(_deals(tmp_path / "mar")) == {"D1", "D2", "D3"}


def test_the_as_of_date_a_conversion_was_given_is_recorded_with_its_output(tmp_path):
    apply_mapping(_dated_by_as_of(tmp_path), tmp_path / "export", tmp_path / "out", as_of=dt.date(2026, 2, 10))
    assert json.loads((tmp_path / "out" / "_mapping.json").read_text())["as_of"] == "2026-02-10"


def test_a_mapping_using_as_of_date_is_refused_without_one_naming_every_place_it_is_used(tmp_path):
    with pytest.raises(MappingError) as caught:
        apply_mapping(EXAMPLE, EXPORT, tmp_path / "out")
    places = [problem.split(":")[0] for problem in caught.value.problems]
    assert places == ["Opportunity.CreatedDate", "Opportunity.CloseDate", "Opportunity.LastModifiedDate",
                      "Opportunity.SystemModstamp", "OpportunityHistory[1].CloseDate",
                      "OpportunityHistory[1].CreatedDate", "OpportunityHistory[1].SystemModstamp"]
    assert ("uses as_of_date(), the run's as-of date, but none was given (crm-kpi run --as-of YYYY-MM-DD"
            in caught.value.problems[0])
    assert not (tmp_path / "out").exists()


def test_a_mapping_using_as_of_date_validates_without_a_date_and_lists_where_it_uses_it():
    plan = validate_mapping(EXAMPLE, EXPORT)
    assert "Opportunity.CreatedDate" in plan.as_of_places()
    assert "Opportunity.Amount" not in plan.as_of_places()


def test_an_as_of_that_is_not_a_date_is_refused(tmp_path):
    with pytest.raises(MappingError, match=r"as-of: '2026-09-30' is not a date"):
        apply_mapping(EXAMPLE, EXPORT, tmp_path / "out", as_of="2026-09-30")


def test_a_mapping_without_as_of_date_needs_no_as_of_date(tmp_path):
    mapping = tiny_export(tmp_path, [["rep"], ["Ann Lee"]], DEALS[:2])
    assert apply_mapping(mapping, tmp_path / "export", tmp_path / "out") == {"User": 1, "Opportunity": 1}
