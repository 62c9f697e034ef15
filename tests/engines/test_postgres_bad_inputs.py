"""The bad-input corpus on PostgreSQL (issue 17): a representative subset of
tests/support/bad_input_cases.py run with `crm-kpi run --engine postgres`.

- The quarantine run: every row that breaks a rule is quarantined with that rule, in the local
  warehouse and in the server's `quarantine` schema, and kept out of what the server publishes.
- The broken files run, after it: each bad file holds the run back with one line naming the file,
  the column and the rule, and the server's `published` schema stays exactly as the quarantine run
  left it.
"""

from __future__ import annotations

import pytest

from orchestration.engines.postgres import QueryConnection, connect
from tests.support.bad_input_cases import HeldBack, Quarantined
from tests.support.bad_input_runs import (
    MART_OF,
    assert_held_back,
    assert_quarantined,
    params,
    quarantined_row,
    run_cases,
)
from tests.support.demo import PIPELINE_AS_OF
from tests.support.postgres import rows, start_cluster

pytestmark = pytest.mark.e2e


def _published_on_server() -> dict[str, list[tuple]]:
    """Every table of the server's `published` schema, its rows in a stable order."""
    pg = connect()
    try:
        tables = [name for (name,) in rows(pg, "select table_name from information_schema.tables "
                                               "where table_schema = 'published' order by 1")]
        return {name: sorted(rows(pg, f'select * from published."{name}"'), key=repr) for name in tables}
    finally:
        pg.close()


@pytest.fixture(scope="module")
def postgres_runs(published, tmp_path_factory):
    cluster = start_cluster()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in cluster.environment().items():
                patch.setenv(name, value)  # the CLI's subprocess inherits them
            quarantine = run_cases(published, tmp_path_factory.mktemp("pg_quarantine"), "quarantine", "postgres")
            before = _published_on_server()
            broken = run_cases(published, tmp_path_factory.mktemp("pg_broken"), "broken_files", "postgres")
            yield {"quarantine": quarantine, "broken_files": broken, "before": before, "after": _published_on_server()}
    finally:
        cluster.stop()


@pytest.mark.parametrize("case", params(("quarantine",), Quarantined))
def test_on_postgres_a_row_that_breaks_a_rule_is_quarantined_there_and_kept_out_of_what_it_publishes(
        postgres_runs, case):
    run = postgres_runs["quarantine"]
    assert_quarantined(run, case)  # the local warehouse, and the DuckDB copy of what was published
    pg = connect()
    try:
        on_server, _ = quarantined_row(QueryConnection(pg), run.source, case)
        assert [rules for rules, _, _ in on_server] == [case.outcome.rule]
        if case.outcome.table in MART_OF:
            mart, column, _ = MART_OF[case.outcome.table]
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
