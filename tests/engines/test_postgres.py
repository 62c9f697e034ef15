"""`crm-kpi run --engine postgres` on the demo org: every model and data test passes on the server,
every unit test passes, and what it publishes (the server's `published` schema, and the DuckDB
file and Parquet copy made from it) equals what `crm-kpi run` publishes on DuckDB from the same
export: counts exactly, money to the cent, everything else to 1e-9.

The server is a throwaway cluster of Debian's PostgreSQL (tests/support/postgres.py), reached
through the libpq variables as any server would be.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import duckdb
import pandas as pd
import pytest

from data_quality.mart_suites import build_mart_suite, mart_models
from data_quality.validate import validate_query
from data_quality.validate_sqlalchemy import validate_on_server
from orchestration.cli.main import main
from orchestration.defs.transform.dbt import dbt_project
from orchestration.defs.transform.manifest import load_manifest
from orchestration.engines.postgres import RUN_LOCK_KEY, SQLALCHEMY_URL, connect
from orchestration.kpi_catalog import load_catalog
from tests.support.dbt_runs import assert_every_unit_test_passed, run_dbt
from tests.support.demo import PIPELINE_AS_OF
from tests.support.mart_equality import assert_same_mart, assert_same_parquet_copy
from tests.support.postgres import rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def duckdb_run(published, tmp_path_factory):
    """The demo org run through the pipeline on DuckDB in a state directory of this module's own
    (other tests run held-back runs on the shared one, which change its validated tables)."""
    home = tmp_path_factory.mktemp("duckdb_run") / "home"
    code = main(["run", "--engine", "duckdb", "--source", str(published["export"]), "--home", str(home),
                 "--as-of", PIPELINE_AS_OF.isoformat()])
    assert code == 0
    return {"home": home, "db": home / "published" / "crm_kpis.duckdb"}


@pytest.fixture(scope="module")
def postgres_run(published, postgres, tmp_path_factory):
    """`crm-kpi run --engine postgres` on the same export: loaded and validated as on DuckDB, then
    copied into Postgres, where dbt builds, the mart checks run and the publish swaps."""
    home = tmp_path_factory.mktemp("postgres_run") / "home"
    code = main(["run", "--engine", "postgres", "--source", str(published["export"]), "--home", str(home),
                 "--as-of", PIPELINE_AS_OF.isoformat()])
    variables = f'{{as_of_date: "{PIPELINE_AS_OF.isoformat()}", objects_not_exported: []}}'
    return {"code": code, "home": home, "db": home / "published" / "crm_kpis.duckdb", "variables": variables,
            "target": home / "dbt" / "target"}


def _postgres_frame(pg, sql: str) -> pd.DataFrame:
    with pg.cursor() as cursor:
        cursor.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[column.name for column in cursor.description])


def test_the_validated_tables_copy_into_postgres_row_for_row(postgres_run):
    assert postgres_run["code"] == 0
    pg = connect()
    try:
        with duckdb.connect(str(postgres_run["home"] / "warehouse.duckdb"), read_only=True) as duck:
            tables = [name for (name,) in duck.execute(
                "select view_name from duckdb_views() where schema_name = 'validated'").fetchall()]
            for table in tables:  # counted on both sides, not taken from what the copy reports
                expected = duck.execute(f'select count(*) from validated."{table}"').fetchall()[0][0]
                assert rows(pg, f'select count(*) from validated."{table}"') == [(expected,)], table
    finally:
        pg.close()
    assert len(tables) > 15 and "opportunity" in tables


def test_every_model_and_data_test_of_the_dbt_project_passes_on_postgres(postgres_run):
    assert postgres_run["code"] == 0
    results = json.loads((postgres_run["target"] / "run_results.json").read_text())
    assert results["args"]["target"] == "postgres"
    assert {result["status"] for result in results["results"]} <= {"success", "pass", "no-op"}  # no-op: ephemeral
    assert sum(result["unique_id"].startswith("model.") for result in results["results"]) > 30


def test_every_dbt_unit_test_passes_on_postgres(postgres_run, tmp_path):
    target = tmp_path / "unit_target"
    run = run_dbt(["test", "--target", "postgres", "--vars", postgres_run["variables"], "--select", "test_type:unit"],
                  target, {})
    assert run.returncode == 0, run.stdout[-5000:]
    assert_every_unit_test_passed(target, run.stdout, "postgres")


def _published_marts(duck) -> list[str]:
    return [name for (name,) in duck.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and not starts_with(table_name, '_') "
        "and table_name <> 'kpi_catalog' order by 1").fetchall()]


def test_postgres_publishes_the_same_kpis_as_duckdb(postgres_run, duckdb_run):
    """What BI tools on the server read (the `published` schema) equals DuckDB's published marts."""
    assert postgres_run["code"] == 0
    units = {kpi.name: kpi.unit for kpi in load_catalog()}
    with duckdb.connect(str(duckdb_run["db"]), read_only=True) as duck:
        marts = _published_marts(duck)
        pg = connect()
        try:
            for name in marts:
                assert_same_mart(name, duck.execute(f'select * from main."{name}"').df(),
                                  _postgres_frame(pg, f'select * from published."{name}"'), units)
            published_by = rows(pg, "select run_id, as_of from published._publish_log")
        finally:
            pg.close()
    assert {"kpi_rep_monthly", "kpi_company_monthly", "kpi_sales_monthly", "fct_opportunities"} <= set(marts)
    assert len(published_by) == 1 and published_by[0][1] == PIPELINE_AS_OF


def test_the_parquet_copy_written_from_postgres_has_duckdbs_columns_types_and_values(postgres_run, duckdb_run):
    assert postgres_run["code"] == 0
    units = {kpi.name: kpi.unit for kpi in load_catalog()}
    assert_same_parquet_copy(*(run["home"] / "published" / "parquet" for run in (duckdb_run, postgres_run)), units)


def _rule_counts(outcome) -> dict[str, tuple[int, str | None]]:
    return {rule.rule: (rule.unexpected_count, rule.error) for rule in outcome.outcomes}


def _failing_rows(outcome) -> dict[str, set[int]]:
    """Per rule, the failing rows named (numbered in the mart's grain order, the same on both engines)."""
    return {rule.rule: set(rule.failing_rows) for rule in outcome.outcomes}


def test_the_mart_suites_run_on_postgres_find_what_they_find_on_duckdb_in_sound_and_damaged_marts(
        postgres_run, duckdb_run, tmp_path):
    assert postgres_run["code"] == 0
    manifest = load_manifest(dbt_project.manifest_path)
    damage = ["create table {schema}.kpi_damaged as select * from {schema}.kpi_rep_monthly",
              "insert into {schema}.kpi_damaged select * from {schema}.kpi_rep_monthly order by month, owner_id limit 1",
              "update {schema}.kpi_damaged set win_rate = 2, leads_created = null "
              "where owner_id = (select min(owner_id) from {schema}.kpi_rep_monthly)",
              # a month missing in the middle of the company mart: the month-gap rule
              "create table {schema}.kpi_gap as select * from {schema}.kpi_company_monthly",
              "delete from {schema}.kpi_gap where month = (select min(month) from {schema}.kpi_gap "
              "where month > (select min(month) + 40 from {schema}.kpi_gap))"]
    marts = shutil.copy(duckdb_run["home"] / "marts.duckdb", tmp_path / "marts.duckdb")
    duck, pg = duckdb.connect(str(marts)), connect()
    try:
        for statement in damage:
            duck.execute(statement.format(schema="main"))
            with pg, pg.cursor() as cursor:
                cursor.execute(statement.format(schema="marts"))
        suites = [build_mart_suite(manifest, model) for model in mart_models(manifest)]
        suites.append(dataclasses.replace(build_mart_suite(manifest, "kpi_company_monthly"), model="kpi_gap"))
        suites.append(dataclasses.replace(build_mart_suite(manifest, "kpi_rep_monthly"), model="kpi_damaged"))
        gap = None
        for mart in suites:
            # DuckDB as the pipeline runs it (the suite compiled to SQL where it compiles; that this
            # finds what GE finds is tests/quality/test_mart_suites.py's)
            on_duckdb = validate_query(duck, mart.query("main"), mart.suite, chunk_key=mart.chunk_key)
            on_postgres = validate_on_server(SQLALCHEMY_URL, mart.query("marts"), mart.suite)
            assert on_postgres.rows == on_duckdb.rows > 0, mart.model
            assert _rule_counts(on_postgres) == _rule_counts(on_duckdb), mart.model
            # GE's SQL engine names the first failing rows of a column rule, DuckDB every one
            named, every = _failing_rows(on_postgres), _failing_rows(on_duckdb)
            assert all(named[rule] <= every[rule] for rule in named), mart.model
            gap = on_postgres if mart.model == "kpi_gap" else gap
    finally:
        duck.close()
        pg.close()
    failing = {rule for rule, (count, _) in _rule_counts(on_postgres).items() if count}
    assert len(failing) >= 3 and all(error is None for _, error in _rule_counts(on_postgres).values()), failing
    assert _failing_rows(on_postgres)["win_rate_between_0_and_1"]  # rows are named, not only counted
    assert [rule.rule for rule in gap.outcomes if rule.unexpected_count] == ["no_month_gaps_in_month"], gap


def test_a_run_is_refused_while_another_state_directorys_run_writes_the_same_database(
        postgres_run, published, tmp_path, capsys):
    assert postgres_run["code"] == 0
    other = connect()  # another run's session, holding the database's run lock
    try:
        other.autocommit = True
        assert rows(other, "select pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,)) == [(True,)]
        code = main(["run", "--engine", "postgres", "--source", str(published["export"]), "--home",
                     str(tmp_path / "home"), "--as-of", PIPELINE_AS_OF.isoformat()])
    finally:
        other.close()
    output = capsys.readouterr()
    assert code != 0
    assert "another pipeline run is writing crm_kpi" in output.out + output.err, output.out + output.err
    assert not (tmp_path / "home" / "published" / "crm_kpis.duckdb").exists()


def test_a_second_run_on_the_same_server_publishes_there_and_says_so_when_the_files_fail(
        postgres_run, published, monkeypatch, capsys):
    """The next day's run copies onto the views dbt built the first time, and publishes on the
    server; when the files' copy fails after that (a full disk, here), the run says the server
    holds the new publish and the files the last one (last in the module: it publishes again)."""
    import orchestration.defs.publish.assets as publish_assets

    assert postgres_run["code"] == 0
    published_before = postgres_run["db"].read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_assets, "publish_tables", disk_full)
    code = main(["run", "--engine", "postgres", "--source", str(published["export"]), "--home",
                 str(postgres_run["home"]), "--as-of", PIPELINE_AS_OF.isoformat()])
    output = capsys.readouterr()
    assert code != 0
    assert "Published on the server (schema `published`" in output.out + output.err, output.out + output.err
    pg = connect()
    try:
        assert rows(pg, "select count(*) from published._publish_log") == [(2,)]
    finally:
        pg.close()
    assert postgres_run["db"].read_bytes() == published_before
