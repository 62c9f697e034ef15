"""Choosing the engine: `--engine`, `CRM_KPI_ENGINE`, and the server a Postgres run reaches (its PG*
variables or one DSN), refused with one clear line before anything runs when it is wrong."""

from __future__ import annotations

import pytest

from orchestration.cli.main import EXIT_BAD_INPUT, main
from orchestration.engines import resolve_engine
from orchestration.engines.postgres import (
    DSN_VARIABLE,
    PROFILE_DEFAULTS,
    ServerUnreachable,
    apply_dsn,
    readers,
)
from tests.support import REPO


def _unset_libpq_variables(monkeypatch) -> None:
    """Unset, and restored after the test: a run's check writes the defaults into the environment."""
    for name in (DSN_VARIABLE, *PROFILE_DEFAULTS, "PGPASSWORD"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_the_engine_is_duckdb_unless_the_run_or_the_environment_names_another(monkeypatch):
    monkeypatch.delenv("CRM_KPI_ENGINE", raising=False)
    assert resolve_engine(None) == "duckdb"
    monkeypatch.setenv("CRM_KPI_ENGINE", "Postgres")
    assert resolve_engine(None) == "postgres"
    assert resolve_engine("duckdb") == "duckdb"  # the run's own choice wins


def test_an_unknown_engine_is_refused_naming_where_it_came_from_and_the_choices(monkeypatch):
    monkeypatch.setenv("CRM_KPI_ENGINE", "oracle")
    with pytest.raises(ValueError, match=r"CRM_KPI_ENGINE 'oracle' is not an engine .*: choose one of duckdb, postgres, spark"):
        resolve_engine(None)
    with pytest.raises(ValueError, match=r"^engine 'mysql'"):
        resolve_engine("mysql")


def test_unset_libpq_variables_take_the_dbt_profiles_defaults_so_both_reach_one_database():
    environ = {"PGHOST": "db.internal"}
    apply_dsn(environ)
    assert environ == {"PGHOST": "db.internal", "PGPORT": "5432", "PGUSER": "postgres", "PGDATABASE": "crm_kpi",
                       "PGCONNECT_TIMEOUT": "10"}
    profile = (REPO / "dbt_project" / "profiles.yml").read_text()
    for variable in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        assert f"env_var('{variable}', '{PROFILE_DEFAULTS[variable]}')" in profile, variable


def test_a_dsn_is_spread_over_the_libpq_variables_dbt_and_psycopg_read():
    environ = {DSN_VARIABLE: "postgresql://kpi:s3cret@db.internal:6543/crm?sslmode=require", "PGHOST": "old"}
    apply_dsn(environ)
    assert {k: v for k, v in environ.items() if k.startswith("PG")} == {
        "PGHOST": "db.internal", "PGPORT": "6543", "PGUSER": "kpi", "PGPASSWORD": "s3cret",
        "PGDATABASE": "crm", "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "10"}
    environ = {DSN_VARIABLE: "host=/tmp/socket dbname=crm", "PGUSER": "kept"}
    apply_dsn(environ)
    assert (environ["PGHOST"], environ["PGDATABASE"], environ["PGUSER"]) == ("/tmp/socket", "crm", "kept")


def test_a_dsn_that_does_not_parse_is_refused_without_echoing_it():
    with pytest.raises(ServerUnreachable, match=f"{DSN_VARIABLE} is not a PostgreSQL connection string") as caught:
        apply_dsn({DSN_VARIABLE: "postgresql://kpi:s3cret@[db/crm"})
    assert "s3cret" not in str(caught.value)


def test_the_readers_are_the_comma_separated_roles_of_their_variable(monkeypatch):
    monkeypatch.setenv("CRM_KPI_POSTGRES_READERS", " metabase, superset ,,")
    assert readers() == ["metabase", "superset"]


def test_a_postgres_run_whose_server_is_out_of_reach_exits_2_naming_it_before_anything_runs(
        monkeypatch, tmp_path, capsys):
    _unset_libpq_variables(monkeypatch)
    for name, value in {"PGHOST": str(tmp_path / "no_server"), "PGPORT": "5432", "PGUSER": "kpi",
                        "PGPASSWORD": "s3cret", "PGDATABASE": "crm"}.items():
        monkeypatch.setenv(name, value)
    code = main(["run", "--engine", "postgres", "--home", str(tmp_path / "home"), "--as-of", "2026-11-20"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert f"PostgreSQL at kpi@{tmp_path / 'no_server'}:5432/crm cannot be reached" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "home" / "demo_export").exists()  # refused before the demo org was generated


def test_a_dsn_with_a_password_is_never_echoed_when_its_server_is_out_of_reach(monkeypatch, tmp_path, capsys):
    _unset_libpq_variables(monkeypatch)
    monkeypatch.setenv(DSN_VARIABLE, f"postgresql://kpi:s3cret@/crm?host={tmp_path / 'no_server'}")
    assert main(["run", "--engine", "postgres", "--home", str(tmp_path / "home"), "--as-of", "2026-11-20"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"PostgreSQL at kpi@{tmp_path / 'no_server'}:5432/crm cannot be reached" in err, err
    assert "s3cret" not in err


def test_an_engine_named_in_the_environment_that_does_not_exist_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CRM_KPI_ENGINE", "oracle")
    assert main(["run", "--home", str(tmp_path / "home"), "--as-of", "2026-11-20"]) == EXIT_BAD_INPUT
    assert "crm-kpi: CRM_KPI_ENGINE 'oracle' is not an engine" in capsys.readouterr().err


def test_a_spark_run_without_java_17_exits_2_saying_how_to_install_it(monkeypatch, tmp_path, capsys):
    (tmp_path / "bin").mkdir()
    java = tmp_path / "bin" / "java"  # Java 11 prints its version on stderr, as every java does
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert main(["run", "--engine", "spark", "--home", str(tmp_path / "home"), "--as-of", "2026-11-20"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert 'Spark needs Java 17 or later (openjdk version "11.0.22" 2024-01-16): `make java`' in err, err
    assert not (tmp_path / "home" / "demo_export").exists()
