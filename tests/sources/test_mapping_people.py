"""One record per person: a rep who is the SDR on some deals and the closer on others, mapped with
one `User` mapping per role column, is one User (orchestration/mapping/merge.py); mappings that
really disagree about that person are refused, naming both mappings and the fields that differ."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from orchestration.mapping import MappingError, apply_mapping
from tests.support.mapping import AS_OF, parquet_table

DEALS = [
    ["deal", "sdr", "closer", "day", "amount"],
    ["D1", "Ann Lee", "Bo Chan", "2026-09-01", "100"],
    ["D2", "Bo Chan", "Ann Lee", "2026-09-02", "200"],
    ["D3", "Cy Diaz", "Ann Lee", "2026-09-03", "300"],
]


def _role_user(column: str, title: str | None) -> dict:
    user = {"from": "deals", "distinct": True,
            "fields": {"Id": f"salesforce_id('005', {column})", "Name": column}}
    if title is not None:
        user["constants"] = {"Title": title}
    return user


def _export(tmp_path: Path, sdr_title: str | None, closer_title: str | None) -> tuple[Path, Path]:
    export = tmp_path / "export"
    export.mkdir()
    with open(export / "deals.csv", "w", newline="") as f:
        csv.writer(f).writerows(DEALS)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump({
        "version": 1,
        "files": {"deals": {"path": "deals.csv", "column_types": {"day": "date", "amount": "decimal"}}},
        "objects": {
            "User": [_role_user("sdr", sdr_title), _role_user("closer", closer_title)],
            "Opportunity": {"from": "deals", "fields": {
                "Id": "salesforce_id('006', deal)", "Name": "deal", "OwnerId": "salesforce_id('005', closer)",
                "Amount": "amount", "CloseDate": "day", "CreatedDate": "day"},
                "constants": {"StageName": "Prospecting", "IsClosed": False, "IsWon": False}},
        },
    }))
    return mapping, export


def test_a_person_in_both_role_columns_becomes_one_user(tmp_path):
    mapping, export = _export(tmp_path, sdr_title=None, closer_title=None)
    apply_mapping(mapping, export, tmp_path / "out", as_of=AS_OF)
    deals = pd.read_csv(export / "deals.csv")
    people = sorted(set(deals.sdr) | set(deals.closer))
    users = parquet_table(tmp_path / "out", "User")
    assert sorted(users.Name) == people == ["Ann Lee", "Bo Chan", "Cy Diaz"]
    assert users.Id.is_unique


def test_a_field_only_one_mapping_maps_is_taken_from_that_mapping(tmp_path):
    mapping, export = _export(tmp_path, sdr_title=None, closer_title="Account Executive")
    apply_mapping(mapping, export, tmp_path / "out", as_of=AS_OF)
    titles = parquet_table(tmp_path / "out", "User").set_index("Name").Title
    assert titles["Ann Lee"] == "Account Executive" and titles["Bo Chan"] == "Account Executive"
    assert pd.isna(titles["Cy Diaz"])  # only ever an SDR: the SDR mapping maps no Title


def test_two_mappings_that_disagree_about_a_person_are_refused_naming_both_and_the_field(tmp_path):
    mapping, export = _export(tmp_path, sdr_title="SDR", closer_title="Account Executive")
    with pytest.raises(MappingError) as caught:
        apply_mapping(mapping, export, tmp_path / "out", as_of=AS_OF)
    message = str(caught.value)
    assert "User[1] and User[2]" in message and "Title" in message
    assert "'SDR'" in message and "'Account Executive'" in message
    assert not (tmp_path / "out").exists()
