"""How this process commits to the Dagster instance's SQLite databases.

Its own module, outside the stages orchestration/disk_full.py names: a full disk met while Dagster
opens a connection (and this listener tunes it) is the instance's, not this module's.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

_TUNED_HOMES: set[str] = set()


def commit_without_fsync(dagster_home: Path) -> None:
    """Dagster's SQLite storage (already in write-ahead-log mode) commits each event in its own
    transaction, and a run writes about 1,900 events; with SQLite's default `synchronous=FULL`
    each commit waits for the disk. This process's connections to the instance's databases use
    `synchronous=NORMAL`, SQLite's recommended setting in WAL mode: a crash of the process loses
    nothing, a power cut at most the last events, and the database is never corrupted. The setting
    is per connection: `crm-kpi run` sets it when it opens the instance (orchestration/instance.py),
    runs launched in Dagster when their code location loads (orchestration/definitions.py)."""
    home = str(Path(dagster_home).resolve())
    if home in _TUNED_HOMES:
        return
    if not _TUNED_HOMES:
        sa.event.listen(sa.engine.Engine, "connect", _tune_connection)
    _TUNED_HOMES.add(home)


def _tune_connection(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = dbapi_connection.execute("pragma database_list").fetchone()[2]
    if any(path.startswith(home + os.sep) for home in _TUNED_HOMES):
        dbapi_connection.execute("pragma synchronous=normal")
