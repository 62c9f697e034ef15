"""Shared by the mapping tests: the example mapping and export, and ways to break or shrink them."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from orchestration.mapping import MappingError, apply_mapping
from tests.support import REPO

EXAMPLE = REPO / "examples" / "mappings" / "sales_pipeline.yml"
EXPORT = REPO / "examples" / "sales_pipeline_export"
AS_OF = dt.date(2026, 9, 30)  # the example export's last day: it was taken at the end of it
SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{18}$")
INJECTION = "'; drop table x; --"


def csv_rows(name: str) -> list[dict[str, str]]:
    with open(EXPORT / name, newline="") as f:
        return list(csv.DictReader(f))


def parquet_table(folder: Path, name: str) -> pd.DataFrame:
    return duckdb.execute("select * from read_parquet($p)", {"p": str(folder / f"{name}.parquet")}).df()


def broken(tmp_path: Path, change) -> MappingError:
    """The error of the example mapping after `change(document)`, applied to the example export."""
    document = yaml.safe_load(EXAMPLE.read_text())
    change(document)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(MappingError) as caught:
        apply_mapping(path, EXPORT, tmp_path / "out", as_of=AS_OF)
    assert str(path) in str(caught.value)
    assert not (tmp_path / "out").exists()  # nothing is written when the mapping is refused
    return caught.value


def tiny_export(tmp_path: Path, reps: list[list[str]], deals: list[list[str]], **opportunity) -> Path:
    """A two-file export (reps, deals) and a minimal mapping of it; returns the mapping's path."""
    (tmp_path / "export").mkdir()
    for name, rows in (("reps.csv", reps), ("deals.csv", deals)):
        with open(tmp_path / "export" / name, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump({
        "version": 1,
        "files": {"reps": "reps.csv", "deals": {"path": "deals.csv", "column_types": {"day": "date"}}},
        "objects": {
            "User": {"from": "reps", "fields": {"Id": "salesforce_id('005', rep)", "Name": "rep"}},
            "Opportunity": {"from": "deals", "fields": {
                "Id": "salesforce_id('006', deal)", "Name": "deal", "OwnerId": "salesforce_id('005', rep)",
                "Amount": "amount", "CloseDate": "day", "CreatedDate": "day"},
                "constants": {"StageName": "Prospecting", "IsClosed": False, "IsWon": False}, **opportunity},
        },
    }))
    return mapping
