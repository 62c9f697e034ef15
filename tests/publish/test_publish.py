"""Publishing marts as a separate DuckDB file and Parquet folder, replaced whole."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.defs.publish.swap import PublishEntry, publish_tables


def _warehouse(folder, rows: int):
    """A state directory's warehouse, and beside it the marts database dbt builds (one mart)."""
    folder.mkdir(exist_ok=True)
    duckdb.connect(str(folder / "warehouse.duckdb")).close()
    with duckdb.connect(str(folder / "marts.duckdb")) as con:
        con.execute(f"create table kpi as select range as n from range({rows})")
    return folder / "warehouse.duckdb"


def _entry(run_id: str) -> PublishEntry:
    return PublishEntry("2026-11-23T10:00:00", "2026-11-22", run_id, {"opportunity": 3}, {"passed": 2})


@pytest.fixture
def target(tmp_path):
    return tmp_path / "published" / "crm_kpis.duckdb"


def test_publish_copies_the_tables_into_the_default_schema_and_parquet(tmp_path, target):
    warehouse = _warehouse(tmp_path / "wh", 3)
    counts = publish_tables(warehouse, target, [("marts", "kpi")], run_id="r1")
    assert counts == {"kpi": 3}
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select sum(n) from kpi").fetchall() == [(3,)]
    parquet = target.parent / "parquet" / "kpi.parquet"
    assert duckdb.sql(f"select sum(n) from '{parquet}'").fetchall() == [(3,)]


def test_the_publish_log_keeps_every_publish_with_its_run_and_counts(tmp_path, target):
    warehouse = _warehouse(tmp_path / "wh", 1)
    publish_tables(warehouse, target, [("marts", "kpi")], run_id="r1", entry=_entry("r1"))
    publish_tables(warehouse, target, [("marts", "kpi")], run_id="r2", entry=_entry("r2"))
    with duckdb.connect(str(target), read_only=True) as con:
        rows = con.execute(
            "select run_id, as_of::varchar, source_row_counts, check_summary from _publish_log order by run_id"
        ).fetchall()
    assert [r[0] for r in rows] == ["r1", "r2"]
    assert rows[1][1] == "2026-11-22"
    assert json.loads(rows[1][2]) == {"opportunity": 3} and json.loads(rows[1][3]) == {"passed": 2}


def test_publish_replaces_both_and_leaves_no_temporary_files(tmp_path, target):
    publish_tables(_warehouse(tmp_path / "wh1", 2), target, [("marts", "kpi")], run_id="r1")
    reader = duckdb.connect(str(target), read_only=True)  # a BI tool holding the old snapshot
    publish_tables(_warehouse(tmp_path / "wh2", 5), target, [("marts", "kpi")], run_id="r2")
    assert reader.execute("select count(*) from kpi").fetchall() == [(2,)]
    reader.close()
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from kpi").fetchall() == [(5,)]
    parquet = target.parent / "parquet" / "kpi.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall() == [(5,)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb", "parquet", "parquet-r2"]


def test_stale_temporary_files_from_a_killed_publish_are_cleaned_up(tmp_path, target):
    target.parent.mkdir(parents=True)
    (target.parent / ".crm_kpis.dead-run.tmp.duckdb").write_bytes(b"half written")
    (target.parent / ".parquet.dead-run.tmp").mkdir()
    publish_tables(_warehouse(tmp_path / "wh", 1), target, [("marts", "kpi")], run_id="r3")
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb", "parquet", "parquet-r3"]


def test_a_failed_publish_leaves_the_previous_files_byte_for_byte(tmp_path, target):
    warehouse = _warehouse(tmp_path / "wh", 2)
    publish_tables(warehouse, target, [("marts", "kpi")], run_id="r1")
    before = target.read_bytes()
    parquet = target.parent / "parquet" / "kpi.parquet"
    parquet_before = parquet.read_bytes()
    with pytest.raises(duckdb.Error):
        publish_tables(warehouse, target, [("marts", "kpi"), ("marts", "missing")], run_id="r2")
    assert target.read_bytes() == before
    assert parquet.read_bytes() == parquet_before
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb", "parquet", "parquet-r1"]


def test_what_the_marts_database_holds_beyond_the_published_tables_is_not_published(tmp_path, target):
    warehouse = _warehouse(tmp_path / "wh", 2)
    with duckdb.connect(str(tmp_path / "wh" / "marts.duckdb")) as con:
        con.execute("create table kpi__dbt_tmp as select 1 as n")  # what a failed dbt run leaves
        con.execute("create view kpi_view as select * from kpi")
        con.execute("create schema scratch; create table scratch.notes as select 'x' as note")
    publish_tables(warehouse, target, [("marts", "kpi")], run_id="r1")
    with duckdb.connect(str(target), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "union all select schema_name, view_name from duckdb_views() where not internal").fetchall()
    assert tables == [("main", "kpi")]
    assert sorted(p.name for p in (target.parent / "parquet").iterdir()) == ["kpi.parquet"]
