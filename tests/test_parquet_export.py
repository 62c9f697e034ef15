"""A Parquet export runs to the same published marts as the CSV export of the same org."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.cli import main
from orchestration.demo_org import generate_org
from tests.demo_org_support import PIPELINE_AS_OF

pytestmark = pytest.mark.e2e


def _company(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from kpi_company_monthly order by month").df()


def test_a_parquet_export_publishes_the_same_company_kpis_as_its_csv_twin(published, tmp_path):
    export, home = tmp_path / "export", tmp_path / "home"
    # the shared end-to-end run's org (seed 7, scale 0.1), written as Parquet this time
    generate_org(export, as_of=PIPELINE_AS_OF, seed=7, scale=0.1, fmt="parquet")
    assert sorted(p.suffix for p in export.iterdir()) == [".parquet"] * 16

    assert main(["run", "--source", str(export), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()]) == 0

    pd.testing.assert_frame_equal(_company(home / "published" / "crm_kpis.duckdb"), _company(published["db"]))
