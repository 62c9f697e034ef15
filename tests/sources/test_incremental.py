"""Incremental loads: records merged into raw by Id, and full + delta equal a full reload.

The merge rules are checked on small tables; the end-to-end test runs the whole pipeline twice
(a full export, then a delta merged on top) and compares every published mart with a full load of
the final state, computed here with pandas, independently of the merge SQL.
"""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.cli.main import main
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS_BY_NAME
from tests.support.demo import PIPELINE_AS_OF

CURRENCY = OBJECTS_BY_NAME["CurrencyType"]
LOADED = dt.datetime(2026, 11, 21, 6, 0)


def _write(path, rows: list[dict]) -> object:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _rate(id_: str, code: str, rate: str, stamp: str, **extra) -> dict:
    return {"Id": id_, "IsoCode": code, "ConversionRate": rate, "IsCorporate": "false",
            "SystemModstamp": stamp, **extra}


def _table(con) -> list[tuple]:
    return con.execute("select id, iso_code, conversion_rate::varchar, system_modstamp::varchar "
                       "from raw.currency_type order by id").fetchall()


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect()
    base = _write(tmp_path / "base.csv", [_rate("01L000000000001AAA", "EUR", "0.9", "2026-11-01T00:00:00Z"),
                                          _rate("01L000000000002AAA", "GBP", "0.8", "2026-11-01T00:00:00Z")])
    load_object(con, CURRENCY, base, LOADED)
    return con


def test_a_merge_inserts_new_records_and_updates_newer_versions(con, tmp_path):
    delta = _write(tmp_path / "delta.csv", [_rate("01L000000000002AAA", "GBP", "0.85", "2026-11-20T10:00:00Z"),
                                            _rate("01L000000000003AAA", "JPY", "150", "2026-11-20T10:00:00Z")])
    result = load_object(con, CURRENCY, delta, LOADED, mode="merge")
    assert (result.merged.inserted, result.merged.updated, result.merged.unchanged) == (1, 1, 0)
    assert _table(con) == [
        ("01L000000000001AAA", "EUR", "0.9", "2026-11-01 00:00:00"),
        ("01L000000000002AAA", "GBP", "0.85", "2026-11-20 10:00:00"),
        ("01L000000000003AAA", "JPY", "150.0", "2026-11-20 10:00:00"),
    ]


def test_an_older_version_arriving_late_does_not_overwrite_a_newer_one(con, tmp_path):
    late = _write(tmp_path / "late.csv", [_rate("01L000000000001AAA", "EUR", "0.5", "2026-10-01T00:00:00Z")])
    result = load_object(con, CURRENCY, late, LOADED, mode="merge")
    assert result.merged.unchanged == 1
    assert _table(con)[0] == ("01L000000000001AAA", "EUR", "0.9", "2026-11-01 00:00:00")


def test_the_newest_of_several_versions_in_one_batch_wins(con, tmp_path):
    batch = _write(tmp_path / "batch.csv", [_rate("01L000000000001AAA", "EUR", "0.95", "2026-11-20T12:00:00Z"),
                                            _rate("01L000000000001AAA", "EUR", "0.91", "2026-11-20T09:00:00Z")])
    load_object(con, CURRENCY, batch, LOADED, mode="merge")
    assert _table(con)[0] == ("01L000000000001AAA", "EUR", "0.95", "2026-11-20 12:00:00")


def test_merging_the_same_batch_twice_changes_nothing(con, tmp_path):
    delta = _write(tmp_path / "delta.csv", [_rate("01L000000000003AAA", "JPY", "150", "2026-11-20T10:00:00Z")])
    load_object(con, CURRENCY, delta, LOADED, mode="merge")
    before = con.execute("select * from raw.currency_type order by _row_number").fetchall()
    again = load_object(con, CURRENCY, delta, LOADED + dt.timedelta(hours=1), mode="merge")
    assert (again.merged.inserted, again.merged.updated, again.merged.unchanged) == (0, 0, 1)
    assert con.execute("select * from raw.currency_type order by _row_number").fetchall() == before


def test_a_soft_delete_is_kept_in_raw_with_its_flag(tmp_path):
    con = duckdb.connect()
    obj = OBJECTS_BY_NAME["Campaign"]
    row = {"Id": "701000000000001AAA", "Name": "Webinar", "IsActive": "true", "IsDeleted": "false",
           "CreatedDate": "2026-01-01T00:00:00Z", "SystemModstamp": "2026-01-01T00:00:00Z"}
    load_object(con, obj, _write(tmp_path / "c.csv", [row]), LOADED)
    deleted = {**row, "IsDeleted": "true", "SystemModstamp": "2026-11-20T08:00:00Z"}
    load_object(con, obj, _write(tmp_path / "d.csv", [deleted]), LOADED, mode="merge")
    assert con.execute("select id, is_deleted from raw.campaign").fetchall() == [("701000000000001AAA", True)]


def test_a_merge_adds_a_new_custom_field_and_keeps_row_numbers_unique(con, tmp_path):
    delta = _write(tmp_path / "delta.csv", [
        _rate("01L000000000004AAA", "CHF", "0.88", "2026-11-20T10:00:00Z", Region__c="EMEA")])
    load_object(con, CURRENCY, delta, LOADED, mode="merge")
    rows = con.execute("select id, region_c, _row_number from raw.currency_type order by _row_number").fetchall()
    assert [r[1] for r in rows] == [None, None, "EMEA"]
    assert [r[2] for r in rows] == [1, 2, 3]


def test_a_missing_file_in_a_merge_leaves_the_table_as_it_was(con):
    result = load_object(con, CURRENCY, None, LOADED, mode="merge")
    assert result.rows == 2 and len(_table(con)) == 2


# --- full + delta == full reload of the final state ------------------------------------------

DAY = PIPELINE_AS_OF
STAMP = f"{DAY.isoformat()}T23:00:00.000Z"


def _csv(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _make_delta(export) -> dict[str, pd.DataFrame]:
    """One day of changes: deals won, a new deal, a deletion, tasks done and added, a stale copy."""
    opps, tasks = _csv(export, "Opportunity"), _csv(export, "Task")
    open_opps = opps[opps["IsClosed"] == "false"].head(3).copy()
    open_opps[["StageName", "IsClosed", "IsWon", "Probability", "ForecastCategory", "ForecastCategoryName"]] = [
        "Closed Won", "true", "true", "100", "Closed", "Closed"]
    open_opps[["CloseDate", "LastModifiedDate", "SystemModstamp"]] = [DAY.isoformat(), STAMP, STAMP]
    new_opp = opps.iloc[[0]].copy()
    new_opp[["Id", "Name", "StageName", "IsClosed", "IsWon", "Amount", "CreatedDate", "LastModifiedDate",
             "SystemModstamp", "CloseDate"]] = ["006000000000777AAA", "New deal", "Prospecting", "false", "false",
                                               "12345.67", STAMP, STAMP, STAMP, "2026-12-31"]
    deleted = opps[opps["IsClosed"] == "true"].tail(1).copy()
    deleted[["IsDeleted", "SystemModstamp"]] = ["true", STAMP]
    stale = opps[~opps["Id"].isin(open_opps["Id"])].iloc[[5]].copy()
    stale[["Amount", "SystemModstamp"]] = ["1.00", "2020-01-01T00:00:00.000Z"]  # an old copy, arriving late
    pending = tasks[tasks["Status"] != "Completed"].head(4).copy()
    pending[["Status", "LastModifiedDate", "SystemModstamp"]] = ["Completed", STAMP, STAMP]
    gone = tasks[tasks["Status"] == "Completed"].tail(2).copy()
    gone[["IsDeleted", "SystemModstamp"]] = ["true", STAMP]
    new_task = tasks.iloc[[0]].copy()
    new_task[["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "Status"]] = [
        "00T000000000777AAA", STAMP, STAMP, STAMP, "Completed"]
    return {"Opportunity": pd.concat([open_opps, new_opp, deleted, stale]),
            "Task": pd.concat([pending, gone, new_task])}


def _final_state(base: pd.DataFrame, delta: pd.DataFrame) -> pd.DataFrame:
    """Base upserted with the delta, where only a newer SystemModstamp replaces a record."""
    newer = delta.merge(base[["Id", "SystemModstamp"]], on="Id", how="left", suffixes=("", "_base"))
    newer = newer[newer["SystemModstamp_base"].isna() | (newer["SystemModstamp"] > newer["SystemModstamp_base"])]
    return pd.concat([base[~base["Id"].isin(newer["Id"])], newer[base.columns]])


def _marts(db) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_name <> '_publish_log' order by 1").fetchall()]
        frames = {name: con.execute(f'select * from "{name}"').df() for name in names}
    # Load times differ between the two runs by nature, and so do the fingerprints of incremental
    # models' inputs (they include load times); every other column must agree.
    frames = {name: frame.drop(columns=[c for c in frame.columns if c == "loaded_at" or c.startswith("_")])
              for name, frame in frames.items()}
    # Row order is not part of a table: sort by every column (as text, so any type sorts).
    return {name: frame.loc[frame.astype(str).sort_values(list(frame.columns)).index].reset_index(drop=True)
            for name, frame in frames.items()}


@pytest.mark.e2e
@pytest.mark.slow  # three whole runs (4 to 5 minutes): in `make test-slow`, which CI runs
def test_a_full_csv_load_plus_a_merged_delta_publishes_the_same_marts_as_a_parquet_export_of_the_final_state(
        published, tmp_path):
    base, delta_dir, final = tmp_path / "base", tmp_path / "delta", tmp_path / "final"
    shutil.copytree(published["export"], base)
    shutil.copytree(published["export"], final)
    delta_dir.mkdir()
    for name, delta in _make_delta(base).items():
        delta.to_csv(delta_dir / f"{name}.csv", index=False)
        _final_state(_csv(base, name), delta).to_csv(final / f"{name}.csv", index=False)
    # The final state goes in as a Parquet export: the same marts must come out of either format.
    for csv in list(final.glob("*.csv")):
        pd.read_csv(csv, dtype=str, keep_default_na=False).replace("", None).to_parquet(csv.with_suffix(".parquet"))
        csv.unlink()
    as_of = ["--as-of", DAY.isoformat()]
    # The base export is loaded the day before, as a daily run would: the delta run then also
    # moves the as-of date, which ages open stages and flips what is done and who is a customer.
    day_before = ["--as-of", (DAY - dt.timedelta(days=1)).isoformat()]

    assert main(["run", "--source", str(base), "--home", str(tmp_path / "inc"), *day_before]) == 0
    assert main(["run", "--source", str(delta_dir), "--home", str(tmp_path / "inc"), "--merge", *as_of]) == 0
    # the merge run validated the tasks it merged (and any in quarantine), not the whole table
    task_check = dg.DagsterInstance.get().get_latest_materialization_event(
        dg.AssetKey(["validated", "task"])).asset_materialization.metadata
    assert task_check["validated"].value.startswith("rows loaded after")
    assert len(_make_delta(base)["Task"]) <= task_check["rows_validated"].value < task_check["dagster/row_count"].value / 10
    assert main(["run", "--source", str(final), "--home", str(tmp_path / "full"), *as_of]) == 0

    incremental = _marts(tmp_path / "inc" / "published" / "crm_kpis.duckdb")
    full = _marts(tmp_path / "full" / "published" / "crm_kpis.duckdb")
    assert incremental.keys() == full.keys()
    for name in full:
        pd.testing.assert_frame_equal(incremental[name], full[name], obj=name)
    with duckdb.connect(str(tmp_path / "inc" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.opportunity where is_deleted").fetchall()[0][0] >= 1
        assert con.execute("select count(*) from raw.opportunity where amount = 1").fetchall()[0][0] == 0
        marks = dict(con.execute("select object, system_modstamp from audit.watermarks").fetchall())
    assert marks["Opportunity"] == dt.datetime(DAY.year, DAY.month, DAY.day, 23, 0)
