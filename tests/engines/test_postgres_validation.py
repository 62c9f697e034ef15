"""Great Expectations' SQL engine on PostgreSQL (data_quality/validate_sqlalchemy.py) finds what the
suites compiled to DuckDB SQL find, which tests/quality/test_sql_rules.py proves equal to GE's
pandas engine: on the same edge-case rows, every failing row of every rule, not GE's first few.
The whole raw suites are compared on the bad-input corpus (test_postgres_bad_inputs.py)."""

from __future__ import annotations

import duckdb
import great_expectations.expectations as gxe
import pytest

from data_quality.rules import SALESFORCE_ID_REGEX
from data_quality.validate import validate_query
from data_quality.validate_sqlalchemy import validate_on_server
from orchestration.engines.postgres import SQLALCHEMY_URL, connect
from orchestration.engines.postgres_tables import copy_tables, ensure_tables, store_quarantine
from tests.quality.test_sql_rules import EDGE_SUITE, ROWS, _suite
from tests.support.engine_equivalence import as_pandas_shows, edge_case_table
from tests.support.postgres import rows

pytestmark = pytest.mark.usefixtures("postgres")

# Compound uniqueness in GE's SQL engine lists no failing rows, and a NULL never equals a NULL in
# its join, so it counts fewer duplicates than pandas: only whether the rule passes is compared.
_COMPOUND = "expect_compound_columns_to_be_unique"


@pytest.fixture(scope="module")
def edge_cases(postgres):
    """The edge-case rows in DuckDB and on the server."""
    con = duckdb.connect()
    edge_case_table(con, "edge")
    pg = connect()
    copy_tables(con, "edge", ["t"], pg)
    pg.close()
    yield con
    con.close()


def test_every_rule_fails_on_the_server_on_every_row_and_with_the_sample_duckdb_finds(edge_cases):
    suite = _suite(*(make() for make in EDGE_SUITE))
    on_server = validate_on_server(SQLALCHEMY_URL, "select * from edge.t", suite)
    in_duckdb = validate_query(edge_cases, "select * from edge.t", suite, engine="duckdb")
    assert on_server.rows == in_duckdb.rows == len(ROWS)
    compared = 0
    for server, duck in zip(on_server.outcomes, in_duckdb.outcomes, strict=True):
        assert server.error is None and server.success == duck.success, server.rule
        if server.expectation == _COMPOUND:
            continue
        assert (server.unexpected_count, sorted(server.failing_rows)) == \
               (duck.unexpected_count, sorted(duck.failing_rows)), (server.rule, server.kwargs)
        assert [as_pandas_shows(v) for v in server.sample] == duck.sample, server.rule
        compared += bool(duck.unexpected_count)
    assert compared >= 20  # the rows really are full of edge cases


def test_every_failing_row_comes_back_however_many_and_not_only_the_sample(postgres):
    con = duckdb.connect()
    con.execute("create schema many")
    con.execute("create table many.t as select range + 1 as _row_number, null::varchar as id from range(250)")
    pg = connect()
    copy_tables(con, "many", ["t"], pg)
    pg.close()
    suite = _suite(gxe.ExpectColumnValuesToNotBeNull(column="id"))
    on_server = validate_on_server(SQLALCHEMY_URL, "select * from many.t", suite)
    # more than GE's own cap (MAX_RESULT_RECORDS, 200) and its default sample (20)
    assert sorted(on_server.outcomes[0].failing_rows) == list(range(1, 251))


def test_a_trailing_newline_matches_a_dollar_sign_on_the_server_as_in_python(edge_cases):
    # Postgres's `$` alone would not match before the newline: the rule is rewritten (in_engine_terms)
    suite = _suite(*(make() for make in EDGE_SUITE if "Regex" in type(make()).__name__))
    on_server = validate_on_server(SQLALCHEMY_URL, "select * from edge.t where id like '%' || chr(10)", suite)
    # rows 5 ("c\n") and 9 (a well-formed Id and "\n"): each passes the rule its text fits
    assert {o.kwargs["regex"]: o.failing_rows for o in on_server.outcomes if o.kwargs["column"] == "id"} == \
        {SALESFORCE_ID_REGEX: [5], "^[a-z]$": [9]}


def test_a_table_the_server_lacks_or_holds_older_is_copied_again_and_a_current_one_is_left(postgres):
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.t as select range as _row_number, now()::timestamp as _loaded_at, "
                "'warehouse' as note from range(3)")
    ensure_tables(con, [("raw", "t")])  # missing there: copied
    pg = connect()
    with pg, pg.cursor() as cursor:  # a change the fingerprint cannot see: the copy is left as it is
        cursor.execute("update raw.t set note = 'server'")
    ensure_tables(con, [("raw", "t")])
    assert rows(pg, "select count(*), min(note) from raw.t") == [(3, "server")]
    pg.rollback()  # the read's lock would hold the next copy's truncate
    con.execute("insert into raw.t values (3, now()::timestamp, 'warehouse')")  # a later load here
    ensure_tables(con, [("raw", "t")])
    assert rows(pg, "select count(*), max(_row_number), min(note) from raw.t") == [(4, 3, "warehouse")]
    pg.close()


def test_the_quarantine_replaces_a_validated_table_an_earlier_version_left_with_a_view(postgres):
    con = duckdb.connect()
    con.execute("create schema raw; create schema quarantine; create schema validated")
    con.execute("create table raw.v as select range as _row_number from range(5)")
    con.execute("create table quarantine.v as select 2::bigint as _row_number, 'rule' as _quarantine_rules")
    con.execute("create table validated.v as select * from raw.v")
    pg = connect()
    copy_tables(con, "raw", ["v"], pg)
    copy_tables(con, "validated", ["v"], pg)  # what load_run_inputs copied before 2026-12-08
    store_quarantine(con, "v")
    assert rows(pg, "select relkind from pg_class where oid = to_regclass('validated.v')") == [("v",)]
    assert rows(pg, "select _row_number from validated.v order by 1") == [(0,), (1,), (3,), (4,)]
    pg.close()
