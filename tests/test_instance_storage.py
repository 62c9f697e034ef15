"""The Dagster instance's SQLite files are committed without waiting for the disk on every event."""

from __future__ import annotations

import sqlalchemy as sa

from orchestration.sqlite_commits import commit_without_fsync

NORMAL, FULL = 1, 2  # what `pragma synchronous` returns


def _synchronous(path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        return con.exec_driver_sql("pragma synchronous").scalar()


def test_a_database_of_the_instance_commits_with_synchronous_normal(tmp_path):
    (tmp_path / "dagster" / "history").mkdir(parents=True)
    commit_without_fsync(tmp_path / "dagster")
    assert _synchronous(tmp_path / "dagster" / "history" / "runs.db") == NORMAL


def test_a_database_elsewhere_keeps_sqlites_default(tmp_path):
    commit_without_fsync(tmp_path / "dagster")
    assert _synchronous(tmp_path / "other.db") == FULL
