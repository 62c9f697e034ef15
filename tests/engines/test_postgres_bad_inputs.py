"""The bad-input corpus on PostgreSQL (issue 17): a representative subset of
tests/support/bad_input_cases.py run with `crm-kpi run --engine postgres`.

- The quarantine run: every row that breaks a rule is quarantined with that rule, in the local
  warehouse and in the server's `quarantine` schema, and kept out of what the server publishes.
  The rules ran on the server (Great Expectations' SQL engine); its quarantine holds exactly the
  rows the suites compiled to DuckDB SQL find in the same raw tables.
- The broken files run, after it: each bad file holds the run back with one line naming the file,
  the column and the rule, and the server's `published` schema stays exactly as the quarantine run
  left it.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.engines.postgres import connect
from orchestration.engines.postgres_tables import copy_to_duckdb
from tests.support.bad_input_cases import HeldBack, Quarantined
from tests.support.bad_input_runs import (
    MART_OF,
    assert_held_back,
    assert_quarantined,
    params,
    quarantine_by_duckdb,
    quarantined_row,
    raw_validation_engines,
    run_cases,
)
from tests.support.demo import PIPELINE_AS_OF
from tests.support.postgres import rows

pytestmark = pytest.mark.e2e


def _tables_on_server(schema: str) -> dict[str, list[tuple]]:
    """Every table or view of the server's `schema`, its rows in a stable order."""
    pg = connect()
    try:
        tables = [name for (name,) in rows(pg, "select table_name from information_schema.tables "
                                               "where table_schema = %s order by 1", (schema,))]
        return {name: sorted(rows(pg, f'select * from {schema}."{name}"'), key=repr) for name in tables}
    finally:
        pg.close()


def _quarantine_on_server() -> duckdb.DuckDBPyConnection:
    """The server's `quarantine` schema, copied into DuckDB as it is now."""
    duck = duckdb.connect()
    duck.execute("create schema quarantine")
    pg = connect()
    try:
        tables = [name for (name,) in rows(pg, "select table_name from information_schema.tables "
                                               "where table_schema = 'quarantine'")]
        pg.rollback()  # the listing's transaction: the copy reads in a snapshot of its own
        copy_to_duckdb(pg, {f'quarantine."{name}"': f"quarantine.{name}" for name in tables}, duck)
    finally:
        pg.close()
    return duck


@pytest.fixture(scope="module")
def postgres_runs(published, postgres, tmp_path_factory):
    """Both runs on one database. The server's working tables (raw, validated, quarantine) are the
    last run's, as a state directory's are: the quarantine run's are kept before the next run."""
    quarantine = run_cases(published, tmp_path_factory.mktemp("pg_quarantine"), "quarantine", "postgres")
    kept = {"quarantine": _quarantine_on_server(),
            "counts": {schema: {name: len(table) for name, table in _tables_on_server(schema).items()}
                       for schema in ("raw", "validated")}}
    before = _tables_on_server("published")
    broken = run_cases(published, tmp_path_factory.mktemp("pg_broken"), "broken_files", "postgres")
    return {"quarantine": quarantine, "broken_files": broken, "before": before,
            "after": _tables_on_server("published"), "server": kept}


@pytest.mark.parametrize("case", params(("quarantine",), Quarantined))
def test_on_postgres_a_row_that_breaks_a_rule_is_quarantined_there_and_kept_out_of_what_it_publishes(
        postgres_runs, case):
    run = postgres_runs["quarantine"]
    assert_quarantined(run, case)  # the local warehouse, and the DuckDB copy of what was published
    on_server, _ = quarantined_row(postgres_runs["server"]["quarantine"], run.source, case)
    assert [rules for rules, _, _ in on_server] == [case.outcome.rule]
    if case.outcome.table in MART_OF:  # the server's publish is still the quarantine run's (the test below)
        mart, column, _ = MART_OF[case.outcome.table]
        pg = connect()
        try:
            assert rows(pg, f"select count(*) from published.{mart} where {column} = %s", (on_server[0][2],)) == [(0,)]
        finally:
            pg.close()


@pytest.mark.parametrize("case", params(("broken_files",), HeldBack))
def test_on_postgres_a_bad_file_holds_the_run_back_and_the_servers_last_publish_stays(postgres_runs, case):
    assert_held_back(postgres_runs["broken_files"], case)
    assert postgres_runs["after"] == postgres_runs["before"]
    assert len(postgres_runs["before"]["_publish_log"]) == 1 and len(postgres_runs["before"]) > 20


def test_on_postgres_the_quarantine_run_publishes_its_marts_on_the_server(postgres_runs):
    assert postgres_runs["quarantine"].exit_code == 0, postgres_runs["quarantine"].output
    [(_, as_of, run_id, _, checks)] = postgres_runs["before"]["_publish_log"]
    assert as_of == PIPELINE_AS_OF and run_id and checks["failed"] == 0
    assert len(postgres_runs["before"]["kpi_company_monthly"]) >= 12


def test_on_postgres_the_rules_run_on_the_server_find_exactly_the_rows_duckdb_finds(postgres_runs):
    run = postgres_runs["quarantine"]
    expected = quarantine_by_duckdb(run)
    kept = postgres_runs["server"]
    on_server = {table: sorted(kept["quarantine"].execute(
        f'select _row_number, _quarantine_rules from quarantine."{table}"').fetchall()) for table in expected}
    assert raw_validation_engines(run) == {"great_expectations sql"}
    assert on_server == expected
    assert sum(map(len, expected.values())) >= len(params(("quarantine",), Quarantined))
    raw, validated = kept["counts"]["raw"], kept["counts"]["validated"]
    assert validated == {table: raw[table] - len(expected[table]) for table in expected}
