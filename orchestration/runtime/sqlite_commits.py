"""How the Dagster instance's SQLite databases are committed to: without an fsync per event, over
connections kept open.

Its own module, outside the stages orchestration/cli/disk_full.py names: a full disk met while Dagster
opens a connection (and this listener tunes it) is the instance's, not this module's.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log import SqlPollingEventWatcher
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData

_TUNED_HOMES: set[str] = set()


def commit_without_fsync(dagster_home: Path) -> None:
    """Dagster's SQLite storage (already in write-ahead-log mode) commits each event in its own
    transaction, and a run writes about 1,900 events; with SQLite's default `synchronous=FULL`
    each commit waits for the disk. This process's connections to the instance's databases use
    `synchronous=NORMAL`, SQLite's recommended setting in WAL mode: a crash of the process loses
    nothing, a power cut at most the last events, and the database is never corrupted. The setting
    is per connection: `crm-kpi run` sets it when it opens the instance (orchestration/runtime/instance.py),
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


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, keeping its connections open between events.

    The stock storage creates a SQLAlchemy engine, opens the database file and disposes of both for
    every write: a run's ~1,900 events cost about 10,000 connections, a fifth of a demo run. Here
    each database (a run's own, and the cross-run index) keeps one engine with SQLAlchemy's default
    pool; the schema, the files and the write-ahead log are Dagster's, unchanged, so the UI reads
    them as before (it learns of new events by polling, see `__init__`). Only the most recently used `KEEP_ENGINES` databases stay open, so a webserver
    that reads the history of many runs does not hold a file for each. Named in the instance's
    dagster.yaml (orchestration/runtime/instance.py), so every process of the state directory uses it.
    """

    KEEP_ENGINES = 4

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        if base_dir is None:  # Dagster's own place for the event logs of $DAGSTER_HOME
            base_dir = os.path.join(os.environ["DAGSTER_HOME"], "history", "runs")
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)
        # The stock storage tells the UI of new events by watching each run's database file for
        # changes. With connections left open, SQLite writes new events to the write-ahead log and
        # copies them into that file only now and then, so the UI's live run log would stall: it
        # polls for them instead, as Dagster's Postgres storage does.
        self._event_watcher = SqlPollingEventWatcher(self)

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = sa.create_engine(self.conn_string_for_shard(shard),
                                          connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
            self._engines[shard] = engine  # the most recently used last
            while len(self._engines) > self.KEEP_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the cross-run index has this table. Dagster asks before each asset check result
        and tagged materialization it stores (about 500 times a demo run), and the stock storage
        opens the index file anew to answer: 0.8 s a run. A table once found stays until a wipe or
        an upgrade, which forget them; one not found is looked for again."""
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def _dispose_engines(self) -> None:
        self._tables_found.clear()
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        self._event_watcher.watch_run(run_id, cursor, callback)

    def end_watch(self, run_id: str, handler) -> None:
        self._event_watcher.unwatch_run(run_id, handler)

    def wipe(self) -> None:  # the files go: so do the connections to them
        self._dispose_engines()
        super().wipe()

    def upgrade(self) -> None:
        self._dispose_engines()
        super().upgrade()

    def dispose(self) -> None:
        self._event_watcher.close()
        self._dispose_engines()
        super().dispose()
