"""Corrupted exports are held back by the right named check, and the published files stay as they were.

Each test reruns the pipeline on a damaged copy of the shared demo export, in the shared state
directory whose last good run is the clean one.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from orchestration.cli import main
from tests.demo_org_support import PIPELINE_AS_OF
from tests.test_pipeline import _published_files

pytestmark = pytest.mark.e2e


def _run_damaged(published, tmp_path, damage, as_of: dt.date = PIPELINE_AS_OF):
    export = tmp_path / "export"
    shutil.copytree(published["export"], export)
    damage(export)
    before = _published_files(published)
    code = main(["run", "--source", str(export), "--home", str(published["home"]), "--as-of", as_of.isoformat()])
    return code, before


def _csv(export, name: str) -> pd.DataFrame:
    return pd.read_csv(export / f"{name}.csv", dtype=str, keep_default_na=False)


def test_a_stale_export_is_held_back_by_the_freshness_check(published, tmp_path, capsys):
    later = PIPELINE_AS_OF + dt.timedelta(days=3)
    code, before = _run_damaged(published, tmp_path, lambda export: None, as_of=later)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  raw/opportunity · freshness: Opportunity is stale" in out
    assert "over the 24 h allowed" in out
    assert _published_files(published) == before


def test_a_truncated_export_is_held_back_by_the_volume_check(published, tmp_path, capsys):
    def truncate(export):
        opportunities = _csv(export, "Opportunity")
        opportunities.head(len(opportunities) // 3).to_csv(export / "Opportunity.csv", index=False)

    code, before = _run_damaged(published, tmp_path, truncate)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  raw/opportunity · volume:" in out and "the export looks partial" in out
    assert _published_files(published) == before


def test_a_join_that_multiplies_rows_is_held_back(published, tmp_path, capsys):
    def duplicate_a_currency(export):
        currencies = _csv(export, "CurrencyType")
        twin = currencies[currencies["IsoCode"] == "EUR"].assign(Id="01L000000000099AAA")
        pd.concat([currencies, twin]).to_csv(export / "CurrencyType.csv", index=False)

    code, before = _run_damaged(published, tmp_path, duplicate_a_currency)
    out = capsys.readouterr().out
    assert code == 1
    # dbt's own grain test on the currency rates catches the duplicate before the join multiplies
    assert "unique_int_currency_rates_currency_iso_code" in out
    assert _published_files(published) == before
