"""A BI tool reads every published mart, from the DuckDB file and from the Parquet folder.

These tests connect the way docs/bi.md tells BI tools to: a read-only DuckDB
connection to `published/crm_kpis.duckdb`, and `published/parquet/<table>.parquet` read by DuckDB
and by pandas. Every table the manifest says is published must be there, whole: its row count
equals the mart's in the warehouse it was published from.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from orchestration.defs.publish.swap import PUBLISH_LOG
from orchestration.defs.transform.manifest import published_relations
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.warehouse import open_warehouse

pytestmark = pytest.mark.e2e

# The manifest the publish asset reads (DbtProject(project_dir=DBT_PROJECT_DIR).manifest_path).
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


@pytest.fixture(scope="module")
def relations(published) -> list[tuple[str, str]]:
    assert published["exit"] == 0, "the demo run did not publish"
    return published_relations(MANIFEST)


@pytest.fixture(scope="module")
def db_counts(published, relations) -> dict[str, int]:
    """Row count of every published table, read as a BI tool reads it."""
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        return {name: con.execute(f'select count(*) from "{name}"').fetchall()[0][0] for _, name in relations}


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]


def test_the_published_database_holds_exactly_the_published_relations_and_the_publish_log(published, relations):
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
    assert tables == {name for _, name in relations} | {PUBLISH_LOG}
    assert "dim_date" in tables  # MetricFlow's time spine, which its published target reads


def test_every_published_table_can_be_selected_and_has_the_row_count_of_its_mart(published, relations, db_counts):
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        for _, name in relations:
            sample = con.execute(f'select * from "{name}" limit 5').df()
            assert list(sample.columns) == _columns(con, f'"{name}"')
            assert len(sample) == min(5, db_counts[name])
    # `_publish_log` records the raw row counts, not the marts', so the marts are compared with the
    # warehouse they were published from (nothing writes it after the run).
    with open_warehouse(published["home"] / "warehouse.duckdb", read_only=True) as warehouse:
        for schema, name in relations:
            expected = warehouse.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            assert db_counts[name] == expected, f"{name}: {db_counts[name]} published, {expected} in {schema}"
    assert db_counts["kpi_company_monthly"] > 0 and db_counts["fct_opportunities"] > 0


def test_the_newest_publish_log_row_names_the_run_its_as_of_date_and_the_raw_row_counts(published):
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        as_of, run_id, counts = con.execute(
            f"select as_of, run_id, source_row_counts from {PUBLISH_LOG} order by published_at desc limit 1"
        ).fetchall()[0]
    assert run_id and as_of is not None
    with duckdb.connect(str(published["home"] / "warehouse.duckdb"), read_only=True) as warehouse:
        tables = [row[0] for row in warehouse.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()]
        raw = {table: warehouse.execute(f'select count(*) from raw."{table}"').fetchall()[0][0] for table in tables}
    assert json.loads(counts) == raw

def test_the_parquet_folder_read_by_duckdb_has_the_tables_rows_and_columns(published, relations, db_counts):
    folder = published["db"].parent / "parquet"
    assert folder.is_symlink()  # BI tools use the link; the folder it points at changes every publish
    assert {path.stem for path in folder.glob("*.parquet")} == {name for _, name in relations}
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        for _, name in relations:
            parquet = f"read_parquet('{folder / f'{name}.parquet'}')"
            assert con.execute(f"select count(*) from {parquet}").fetchall()[0][0] == db_counts[name]
            assert _columns(con, parquet) == _columns(con, f'"{name}"')


def test_the_parquet_folder_read_by_pandas_has_the_tables_rows_and_columns(published, relations, db_counts):
    folder = published["db"].parent / "parquet"
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        for _, name in relations:
            frame = pd.read_parquet(folder / f"{name}.parquet")
            assert len(frame) == db_counts[name], name
            assert list(frame.columns) == _columns(con, f'"{name}"'), name


def test_the_company_kpis_read_through_pandas_equal_those_read_through_duckdb(published):
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        from_db = con.sql("select * from kpi_company_monthly order by month").df()
    from_parquet = pd.read_parquet(published["db"].parent / "parquet" / "kpi_company_monthly.parquet")
    from_parquet = from_parquet.sort_values("month").reset_index(drop=True)
    # pyarrow gives a DATE column as Python dates, DuckDB's .df() as datetime64
    from_parquet["month"] = pd.to_datetime(from_parquet["month"]).astype(from_db["month"].dtype)
    pd.testing.assert_frame_equal(from_parquet, from_db, check_dtype=False)


def test_a_read_only_connection_opens_while_another_reader_holds_the_published_database(published):
    """Many readers: a second BI tool (here another process) connects while the first is connected."""
    script = (
        "import duckdb, sys\n"
        "with duckdb.connect(sys.argv[1], read_only=True) as con:\n"
        "    print(con.execute('select count(*) from kpi_company_monthly').fetchall()[0][0])\n"
    )
    with duckdb.connect(str(published["db"]), read_only=True) as first:
        held = first.execute("select count(*) from kpi_company_monthly").fetchall()[0][0]
        # the same process: DuckDB hands the second connect the database already open read-only
        with duckdb.connect(str(published["db"]), read_only=True) as second:
            assert second.execute("select count(*) from kpi_company_monthly").fetchall()[0][0] == held
        other = subprocess.run([sys.executable, "-c", script, str(published["db"])],
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 0, other.stderr
        assert int(other.stdout.strip()) == held
        assert first.execute("select count(*) from kpi_company_monthly").fetchall()[0][0] == held
