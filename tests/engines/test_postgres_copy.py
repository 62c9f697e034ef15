"""Tables in and out of PostgreSQL with COPY (orchestration/engines/postgres_tables.py): the types
map both ways, values that break a naive CSV copy arrive unchanged and come back unchanged, and a
second copy keeps the views built on a table. On a throwaway cluster (tests/support/postgres.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from orchestration.engines.postgres import connect
from orchestration.engines.postgres_tables import copy_tables, copy_to_duckdb, duckdb_type, postgres_type
from tests.support.postgres import rows


def test_duckdb_types_map_to_postgres_types_that_hold_the_same_values():
    assert postgres_type("DECIMAL(18,2)") == "numeric(18, 2)"
    assert postgres_type("DOUBLE") == "double precision" and postgres_type("TIMESTAMP") == "timestamp"
    with pytest.raises(ValueError, match="no Postgres type for DuckDB's MAP"):
        postgres_type("MAP(VARCHAR, INTEGER)")


def test_postgres_types_map_back_to_duckdb_types_that_hold_the_same_values():
    assert duckdb_type("numeric", 18, 2) == "DECIMAL(18,2)" and duckdb_type("integer", 32, 0) == "INTEGER"
    assert duckdb_type("numeric", None, None) == "DOUBLE"  # a sum or average: no DECIMAL holds every value
    assert duckdb_type("timestamp without time zone", None, None) == "TIMESTAMP"
    with pytest.raises(ValueError, match="no DuckDB type for Postgres's point"):
        duckdb_type("point", None, None)


def test_values_that_break_a_naive_csv_copy_arrive_in_postgres_unchanged(postgres):
    duck = duckdb.connect()
    duck.execute("create schema validated")
    # reserved words as column names, as a mapped CRM export may bring
    duck.execute("""create table validated.edge (id integer, text varchar, flag boolean, "order" timestamp,
                    day date, ratio double, money decimal(18, 2))""")
    rows = [
        (1, "line one\r\nline two\rthree\nfour", True, dt.datetime(2025, 1, 2, 3, 4, 5, 678000),
         dt.date(2025, 1, 2), 0.1, Decimal("1234.56")),
        (2, "", False, None, None, float("inf"), Decimal("-0.01")),  # an empty string is not NULL
        (3, None, None, None, None, None, None),
        (4, 'quote " comma , backslash \\ tab \t ünïcødé 🙂', True, None, None, -0.0, Decimal("0.00")),
    ]
    duck.executemany("insert into validated.edge values (?, ?, ?, ?, ?, ?, ?)", rows)
    pg = connect()
    try:
        assert copy_tables(duck, "validated", ["edge"], pg) == {"edge": 4}
        with pg.cursor() as cursor:
            cursor.execute("select * from validated.edge order by id")
            assert cursor.fetchall() == rows
        pg.commit()
        # and back, as the published marts come back for the DuckDB file and the Parquet copy
        assert copy_to_duckdb(pg, {"main.edge_back": "validated.edge"}, duck) == {"main.edge_back": 4}
    finally:
        pg.close()
    assert duck.execute("select * from main.edge_back order by id").fetchall() == rows
    assert duck.execute("describe main.edge_back").fetchall() == duck.execute("describe validated.edge").fetchall()


def test_a_second_copy_keeps_the_views_on_a_table_and_a_new_shape_replaces_it(postgres):
    """Every run after the first copies onto dbt's staging views: same columns, the rows are replaced
    and the views stay; an export with another column replaces the table (the run rebuilds its views)."""
    duck = duckdb.connect()
    duck.execute("create schema validated")
    duck.execute("create table validated.lead as select 1 as id, 'a' as name")
    pg = connect()
    try:
        copy_tables(duck, "validated", ["lead"], pg)
        with pg, pg.cursor() as cursor:
            cursor.execute("create view public.stg_lead as select id, name from validated.lead")
        duck.execute("insert into validated.lead values (2, 'b')")
        assert copy_tables(duck, "validated", ["lead"], pg) == {"lead": 2}
        assert rows(pg, "select * from public.stg_lead order by id") == [(1, "a"), (2, "b")]
        pg.commit()
        duck.execute("alter table validated.lead add column industry varchar")
        assert copy_tables(duck, "validated", ["lead"], pg) == {"lead": 2}
        assert rows(pg, "select count(*) from information_schema.columns where table_name = 'lead'") == [(3,)]
        assert rows(pg, "select to_regclass('public.stg_lead')") == [(None,)]
    finally:
        pg.close()
