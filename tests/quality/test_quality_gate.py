"""Corrupted exports are held back by the right named check, and the published files stay as they were.

Each test reruns the pipeline on a damaged copy of the shared demo export, in the shared state
directory whose last good run is the clean one.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from orchestration.cli.main import main
from orchestration.warehouse import open_warehouse
from tests.support.demo import PIPELINE_AS_OF
from tests.support.published import published_files

pytestmark = pytest.mark.e2e


def _run_damaged(published, tmp_path, damage, as_of: dt.date = PIPELINE_AS_OF):
    export = tmp_path / "export"
    shutil.copytree(published["export"], export)
    damage(export)
    before = published_files(published)
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
    assert published_files(published) == before


def test_a_truncated_export_is_held_back_by_the_volume_check(published, tmp_path, capsys):
    def truncate(export):
        opportunities = _csv(export, "Opportunity")
        opportunities.head(len(opportunities) // 3).to_csv(export / "Opportunity.csv", index=False)

    code, before = _run_damaged(published, tmp_path, truncate)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  raw/opportunity · volume:" in out and "the export looks partial" in out
    assert published_files(published) == before


def test_duplicate_currency_codes_that_would_multiply_rows_are_held_back(published, tmp_path, capsys):
    def duplicate_a_currency(export):
        currencies = _csv(export, "CurrencyType")
        twin = currencies[currencies["IsoCode"] == "EUR"].assign(Id="01L000000000099AAA")
        pd.concat([currencies, twin]).to_csv(export / "CurrencyType.csv", index=False)

    code, before = _run_damaged(published, tmp_path, duplicate_a_currency)
    out = capsys.readouterr().out
    assert code == 1
    # the source suite catches the duplicate before any join can multiply opportunities by it
    assert "FAIL  validated/currency_type · expectations: CurrencyType: iso_code_unique on 2 rows" in out
    assert published_files(published) == before


def test_a_few_bad_rows_are_quarantined_counted_and_kept_out_of_the_marts(published, tmp_path, capsys):
    export, home = tmp_path / "export", tmp_path / "home"
    shutil.copytree(published["export"], export)
    opportunities = _csv(export, "Opportunity")
    won = opportunities.index[(opportunities["IsWon"] == "true") & (opportunities["Amount"] != "")][0]
    bad_id = opportunities.loc[won, "Id"]
    opportunities.loc[won, "Amount"] = "-1.00"
    opportunities.loc[won + 1, "OwnerId"] = "005000000000000AAA"  # an owner that does not exist
    opportunities.to_csv(export / "Opportunity.csv", index=False)

    code = main(["run", "--source", str(export), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()])

    assert code == 0, capsys.readouterr()
    with open_warehouse(home / "warehouse.duckdb", read_only=True) as con:
        quarantined = dict(con.execute(
            "select id, _quarantine_rules from quarantine.opportunity").fetchall())
        in_marts = con.execute("select count(*) from marts.fct_opportunities where opportunity_id = $id",
                               {"id": bad_id}).fetchall()[0][0]
    assert quarantined[bad_id] == "amount_not_negative"
    assert quarantined[opportunities.loc[won + 1, "Id"]] == "owner_id_exists"
    assert in_marts == 0


def _duplicate_ids(export):
    opportunities = _csv(export, "Opportunity")
    pd.concat([opportunities, opportunities.head(3)]).to_csv(export / "Opportunity.csv", index=False)


def _orphan_owners(export):
    opportunities = _csv(export, "Opportunity")
    opportunities.loc[::10, "OwnerId"] = "005000000000000AAA"  # 10% of the rows, over the 1% tolerance
    opportunities.to_csv(export / "Opportunity.csv", index=False)


def _unknown_stages(export):
    opportunities = _csv(export, "Opportunity")
    opportunities.loc[::8, "StageName"] = "Verbal Yes"  # a stage the org never configured
    opportunities.to_csv(export / "Opportunity.csv", index=False)


def _future_dated_rows(export):
    leads = _csv(export, "Lead")
    leads.loc[::10, "CreatedDate"] = "2027-06-01T09:00:00.000Z"
    leads.to_csv(export / "Lead.csv", index=False)


@pytest.mark.parametrize("damage, check, rule", [
    (_duplicate_ids, "validated/opportunity · expectations", "id_unique"),
    (_orphan_owners, "validated/opportunity · expectations", "owner_id_exists"),
    (_unknown_stages, "validated/opportunity · expectations", "stage_name_configured"),
    (_future_dated_rows, "validated/lead · expectations", "created_date_not_after_as_of"),
], ids=["duplicate ids", "orphan owners", "unknown stages", "future-dated rows"])
def test_each_defect_is_held_back_by_its_named_check_and_rule(published, tmp_path, capsys, damage, check, rule):
    code, before = _run_damaged(published, tmp_path, damage)
    out = capsys.readouterr().out
    assert code == 1
    failed = [line for line in out.splitlines() if line.strip().startswith(f"FAIL  {check}")]
    assert failed and rule in failed[0], out
    assert published_files(published) == before
