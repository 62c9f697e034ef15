"""Publishing on PostgreSQL: the audited marts become the `published` schema in one transaction,
so a BI tool reading it sees the last publish or the new one, never a mix, and a publish that
fails leaves the last one as it was. On a throwaway cluster (tests/support/postgres.py)."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from orchestration.defs.publish.swap import PublishEntry
from orchestration.engines.postgres import connect
from orchestration.engines.postgres_tables import publish_schema
from tests.support.postgres import rows, start_cluster

MARTS = [("marts", "kpi_company_monthly"), ("config", "kpi_catalog")]


@pytest.fixture
def pg(monkeypatch):
    cluster = start_cluster()
    for name, value in cluster.environment().items():
        monkeypatch.setenv(name, value)
    con = connect()
    with con, con.cursor() as cursor:
        cursor.execute("create schema marts; create schema config")
        cursor.execute("create table marts.kpi_company_monthly as "
                       "select date '2025-01-01' as month, 100.0::double precision as bookings_amount")
        cursor.execute("create table config.kpi_catalog as select 'bookings_amount' as kpi_name")
    yield con
    con.close()
    cluster.stop()


def _entry(run_id: str) -> PublishEntry:
    return PublishEntry(published_at="2025-02-01T06:00:00", as_of="2025-01-31", run_id=run_id,
                        source_row_counts={"opportunity": 3}, check_summary={"passed": 2, "warned": 0, "failed": 0})


def test_a_publish_swaps_in_every_table_and_keeps_the_log_of_the_publishes_before_it(pg):
    assert publish_schema(pg, MARTS, _entry("run-1")) == {"kpi_company_monthly": 1, "kpi_catalog": 1}
    with pg, pg.cursor() as cursor:
        cursor.execute("insert into marts.kpi_company_monthly values (date '2025-02-01', 50.0)")
    assert publish_schema(pg, MARTS, _entry("run-2")) == {"kpi_company_monthly": 2, "kpi_catalog": 1}

    assert rows(pg, "select month::text, bookings_amount from published.kpi_company_monthly order by 1") == [
        ("2025-01-01", 100.0), ("2025-02-01", 50.0)]
    assert rows(pg, "select run_id, source_row_counts->>'opportunity' from published._publish_log "
                     "order by run_id") == [("run-1", "3"), ("run-2", "3")]
    assert rows(pg, "select schema_name from information_schema.schemata where schema_name like 'published%'") == [
        ("published",)]


def test_a_publish_that_fails_leaves_the_last_one_as_it_was_and_nothing_half_built(pg):
    publish_schema(pg, MARTS, _entry("run-1"))
    with pytest.raises(psycopg2.errors.UndefinedTable):
        publish_schema(pg, [*MARTS, ("marts", "kpi_rep_monthly")], _entry("run-2"))  # dbt did not build it

    assert rows(pg, "select run_id from published._publish_log") == [("run-1",)]
    assert rows(pg, "select count(*) from published.kpi_company_monthly") == [(1,)]
    assert rows(pg, "select count(*) from information_schema.schemata where schema_name = 'published__new'") == [(0,)]


def test_the_bi_tools_role_reads_every_publish_though_each_replaces_the_schema(pg):
    with pg, pg.cursor() as cursor:
        cursor.execute("create role bi_reader login")
    for run in ("run-1", "run-2"):
        publish_schema(pg, MARTS, _entry(run), readers=["bi_reader"])
        bi = psycopg2.connect("", user="bi_reader")
        try:
            assert rows(bi, "select count(*) from published.kpi_company_monthly") == [(1,)]
            assert rows(bi, "select count(*) from published._publish_log") == [(1 if run == "run-1" else 2,)]
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                rows(bi, "select count(*) from marts.kpi_company_monthly")  # only what is published
        finally:
            bi.close()


def test_a_connection_without_a_transaction_is_refused_before_anything_is_written(pg):
    pg.autocommit = True
    with pytest.raises(ValueError, match="autocommit"):
        publish_schema(pg, MARTS, _entry("run-1"))
    assert rows(pg, "select count(*) from information_schema.schemata where schema_name like 'published%'") == [(0,)]


def test_a_reader_that_never_ends_its_transaction_makes_the_publish_give_up_and_the_last_one_stay(pg):
    publish_schema(pg, MARTS, _entry("run-1"))
    reader = connect()
    try:
        rows(reader, "select count(*) from published.kpi_company_monthly")  # and the transaction stays open
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            publish_schema(pg, MARTS, _entry("run-2"), lock_timeout_seconds=0.5)
        assert rows(reader, "select run_id from published._publish_log") == [("run-1",)]
    finally:
        reader.close()
    assert rows(pg, "select run_id from published._publish_log") == [("run-1",)]


def test_a_reader_in_a_transaction_sees_the_last_publish_until_it_ends_then_the_new_one(pg):
    publish_schema(pg, MARTS, _entry("run-1"))
    with pg, pg.cursor() as cursor:
        cursor.execute("update marts.kpi_company_monthly set bookings_amount = 200.0")
    reader = connect()
    try:
        assert rows(reader, "select bookings_amount from published.kpi_company_monthly") == [(100.0,)]
        done = threading.Event()

        def publish():
            con = connect()
            try:
                publish_schema(con, MARTS, _entry("run-2"))
                done.set()
            finally:
                con.close()

        writer = threading.Thread(target=publish)
        writer.start()
        for _ in range(100):  # the swap waits for the reader's transaction: on a lock, not merely slow
            waiting = rows(pg, "select count(*) from pg_stat_activity where wait_event_type = 'Lock'")[0][0]
            pg.commit()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1 and not done.is_set()
        assert rows(reader, "select bookings_amount from published.kpi_company_monthly") == [(100.0,)]
        reader.commit()
        writer.join(timeout=30)
        assert done.is_set()
        assert rows(reader, "select bookings_amount from published.kpi_company_monthly") == [(200.0,)]
    finally:
        reader.close()
