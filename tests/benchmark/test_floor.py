"""The floor script of `make bench` computes the contract KPIs the pipeline does: held to the
independent pandas computation (tests/support/kpi_reference.py), so the ratio compares like with like."""

from __future__ import annotations

import pandas as pd

from bench.floor import floor_kpis
from demo_org import generate_org
from tests.support import DATA_EXPORT, DATA_EXPORT_AS_OF
from tests.support.demo import AS_OF
from tests.support.kpi_reference import reference_kpis


def _assert_equal(floor: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = ["month", "owner_id"]
    expected = expected.drop(columns=["team_id"])  # which team a rep rolls up to is the marts' (tests/kpis)
    assert set(floor.columns) == set(expected.columns)  # every contract KPI, and only those
    floor = floor.assign(month=pd.to_datetime(floor["month"]).dt.date).sort_values(keys).reset_index(drop=True)
    expected = expected[list(floor.columns)].sort_values(keys).reset_index(drop=True)
    assert len(floor) == len(expected) > 0
    pd.testing.assert_frame_equal(floor, expected, check_dtype=False, rtol=0, atol=1e-6)


def test_the_floor_script_computes_the_reference_kpis_of_the_demo_org(org):
    _, floor = floor_kpis(org["dir"], AS_OF)
    reps, _ = reference_kpis(org["dir"], AS_OF)
    _assert_equal(floor, reps)


def test_the_floor_script_reads_the_same_org_as_parquet(org, tmp_path):
    generate_org(tmp_path, as_of=AS_OF, seed=42, scale=0.2, fmt="parquet")  # the org fixture's, as Parquet
    _, from_parquet = floor_kpis(tmp_path, AS_OF)
    _, from_csv = floor_kpis(org["dir"], AS_OF)
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False, rtol=0, atol=1e-6)


def test_the_floor_script_reads_a_salesforce_data_export_with_objects_missing():
    _, floor = floor_kpis(DATA_EXPORT, DATA_EXPORT_AS_OF)
    reps, _ = reference_kpis(DATA_EXPORT, DATA_EXPORT_AS_OF)
    _assert_equal(floor, reps)


def test_the_floor_script_gives_the_same_kpis_on_one_thread_as_on_two(org):
    _, one = floor_kpis(org["dir"], AS_OF, threads=1)
    _, two = floor_kpis(org["dir"], AS_OF, threads=2)
    pd.testing.assert_frame_equal(one, two, rtol=0, atol=1e-9)
