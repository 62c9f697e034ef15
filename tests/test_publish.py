"""Publishing marts as a separate file, replaced whole."""

from __future__ import annotations

import duckdb

from orchestration.publish import publish_tables


def _warehouse(path, rows: int):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.kpi as select range as n from range({rows})")


def test_publish_copies_the_tables_into_the_default_schema(tmp_path):
    _warehouse(tmp_path / "wh.duckdb", 3)
    target = tmp_path / "published" / "crm_kpis.duckdb"
    counts = publish_tables(tmp_path / "wh.duckdb", target, [("marts", "kpi")], run_id="r1")
    assert counts == {"kpi": 3}
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select sum(n) from kpi").fetchall() == [(3,)]


def test_publish_replaces_the_file_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "published" / "crm_kpis.duckdb"
    _warehouse(tmp_path / "wh1.duckdb", 2)
    publish_tables(tmp_path / "wh1.duckdb", target, [("marts", "kpi")], run_id="r1")
    reader = duckdb.connect(str(target), read_only=True)  # a BI tool holding the old snapshot
    _warehouse(tmp_path / "wh2.duckdb", 5)
    publish_tables(tmp_path / "wh2.duckdb", target, [("marts", "kpi")], run_id="r2")
    assert reader.execute("select count(*) from kpi").fetchall() == [(2,)]
    reader.close()
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from kpi").fetchall() == [(5,)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb"]


def test_a_stale_temporary_file_from_a_killed_publish_is_cleaned_up(tmp_path):
    target = tmp_path / "published" / "crm_kpis.duckdb"
    target.parent.mkdir(parents=True)
    (target.parent / ".crm_kpis.dead-run.tmp.duckdb").write_bytes(b"half written")
    _warehouse(tmp_path / "wh.duckdb", 1)
    publish_tables(tmp_path / "wh.duckdb", target, [("marts", "kpi")], run_id="r3")
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb"]


def test_a_failed_publish_leaves_the_previous_file_byte_for_byte(tmp_path):
    target = tmp_path / "published" / "crm_kpis.duckdb"
    _warehouse(tmp_path / "wh.duckdb", 2)
    publish_tables(tmp_path / "wh.duckdb", target, [("marts", "kpi")], run_id="r1")
    before = target.read_bytes()
    try:
        publish_tables(tmp_path / "wh.duckdb", target, [("marts", "missing_table")], run_id="r2")
    except duckdb.Error:
        pass
    else:
        raise AssertionError("publishing a missing table should fail")
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm_kpis.duckdb"]
