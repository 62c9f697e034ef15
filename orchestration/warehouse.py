"""Opening the working warehouse, and telling a fault that clears from one that never will.

DuckDB raises the same exception class (`duckdb.IOException`) for a file another process holds
locked and for a file that is damaged, and dagster-duckdb retries both ten times with backoff, per
connection: on a truncated warehouse every asset of a run sat out about 100 s of retries before
failing. Here the two are told apart, in one place:

- a lock held by another process (a DuckDB shell, a BI tool on the working warehouse) clears when
  that process lets go: retried with backoff, then `WarehouseLocked` naming the process;
- a damaged or unreadable file (truncated, not a DuckDB file, a directory, a storage version this
  DuckDB cannot read) never clears: `WarehouseDamaged` at once;
- anything else (a full disk, say) is raised as DuckDB raised it, for the caller to report.

The marts dbt builds live in a database of their own beside the warehouse (`marts.duckdb`,
attached as `marts` to every connection), and are judged the same way.

`check_at_run_start` opens the warehouse once before a run's steps launch: a full export (which
rebuilds the warehouse anyway) moves a damaged file aside, a merge (which needs the loaded data)
stops on it. The Dagster resource (`orchestration.defs.resource_types.WarehouseResource`) opens the
warehouse through `open_warehouse` too (once per run), so no step retries a damaged file.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data_quality.sql import quote_ident, sql_string
from orchestration.settings import MARTS_DATABASE, MARTS_FILE

# As dagster-duckdb waits for a lock: 0.1 s doubling, ten retries (about 100 s in all).
LOCK_RETRY_DELAYS = tuple(0.1 * 2**attempt for attempt in range(10))

_LOCKED = ("could not set lock on file", "conflicting lock is held")
# What DuckDB says of a file it cannot read as a database.
_DAMAGED = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "could not read from file",
    "is a directory",
    "permission denied",
    "trying to read a database file with version",
    "checksum",
    "corrupt",
)
_DAMAGED_CLASSES = (duckdb.SerializationException, duckdb.InternalException)


class WarehouseError(Exception):
    """The warehouse could not be opened; `str()` is the whole message, one line."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(self.describe())

    def describe(self) -> str:
        return f"{self.path}: {self.reason}"


class WarehouseLocked(WarehouseError):
    def describe(self) -> str:
        return (f"{self.path} is held by another process ({self.reason}); close that process (a DuckDB "
                "shell or BI tool opened on the working warehouse: BI tools read published/) and run again")


class WarehouseDamaged(WarehouseError):
    def describe(self) -> str:
        return f"{self.path} is damaged or not a DuckDB file ({self.reason})"


def _reason(exc: BaseException) -> str:
    """DuckDB's message on one line, without its documentation link."""
    text = " ".join(str(exc).split())
    return text.split(" See also https://")[0].removeprefix("IO Error: ")


def classify(exc: BaseException) -> str | None:
    """'locked', 'damaged', or None (not a fault of the file: a full disk, say) for an error DuckDB
    raised while opening a database file."""
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    if any(marker in text for marker in _LOCKED):
        return "locked"
    if isinstance(exc, _DAMAGED_CLASSES) or any(marker in text for marker in _DAMAGED):
        return "damaged"
    return None


def marts_path(warehouse: str | os.PathLike) -> Path:
    """The database dbt builds the marts in, beside the warehouse (profiles.yml attaches it as
    `marts`, so `marts.<table>` names a mart in either)."""
    return Path(warehouse).with_name(MARTS_FILE)


def _opened(path: Path, action, delays):
    """`action()`, which opens the DuckDB file at `path`: a lock held elsewhere is waited for (then
    `WarehouseLocked`), a damaged file raises `WarehouseDamaged` at once."""
    while True:
        try:
            return action()
        except duckdb.Error as exc:
            kind = classify(exc)
            if kind == "locked":
                delay = next(delays, None)
                if delay is not None:
                    time.sleep(delay)
                    continue
                raise WarehouseLocked(path, _reason(exc).split("Conflicting lock is held in ")[-1]) from None
            if kind == "damaged":
                raise WarehouseDamaged(path, _reason(exc)) from None
            raise


def open_file(path: str | os.PathLike, *, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to one DuckDB file of the state directory (the warehouse alone, or the marts),
    judged as `open_warehouse` judges it."""
    return _opened(Path(path), lambda: duckdb.connect(str(path), read_only=read_only, config=config or {}),
                   iter(LOCK_RETRY_DELAYS))


def open_warehouse(
    path: str | os.PathLike, *, read_only: bool = False, config: dict | None = None,
    lock_retry_delays: Iterable[float] = LOCK_RETRY_DELAYS,
) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB warehouse at `path`, with the marts database beside it attached
    as `marts` (read-only ones only once dbt has built it). A lock held elsewhere on either file is
    waited for (then `WarehouseLocked`), a damaged one raises `WarehouseDamaged` naming it, at once."""
    delays = iter(lock_retry_delays)
    con = _opened(Path(path), lambda: duckdb.connect(str(path), read_only=read_only, config=config or {}), delays)
    marts = marts_path(path)
    if read_only and not marts.exists():
        return con
    attach = f"attach if not exists {sql_string(str(marts))} as {MARTS_DATABASE}" + (" (read_only)" if read_only else "")
    try:
        _opened(marts, lambda: con.execute(attach), delays)
    except BaseException:
        con.close()
        raise
    return con


@dataclass(frozen=True)
class MovedAside:
    """A damaged warehouse (or marts) file a full export moved out of its way."""

    path: Path
    moved_to: Path
    reason: str

    def message(self) -> str:
        return (f"{self.path} is damaged or not a DuckDB file ({self.reason}): moved it to {self.moved_to}; "
                "this full export rebuilds it")


def merge_needs_warehouse(exc: WarehouseDamaged) -> str:
    """What a merge run says when it stops on a damaged warehouse: the file, and the fix."""
    return (f"{exc}: a merge needs the data loaded before it. Load a full export first (`crm-kpi run "
            f"--source FULL_EXPORT` moves the damaged file aside and rebuilds the warehouse), or put a "
            f"good copy back at {exc.path}; then run the merge again")


def check_at_run_start(path: Path, rebuilds: bool, now: dt.datetime | None = None) -> list[MovedAside]:
    """Open the warehouse and the marts beside it once each, as the run's steps will, before they
    launch; then drop the marts an older layout kept in the warehouse (see below).

    A damaged file raises `WarehouseDamaged` when the run needs its data (`rebuilds` false: a
    merge); when the run rebuilds it anyway (a full export) the file is moved aside instead (the
    list says which, and where). A lock held elsewhere is waited for, then raises
    `WarehouseLocked`; anything else (a full disk) is raised as DuckDB raised it. No warehouse yet
    is fine."""
    moved = []
    for file in (Path(path), marts_path(path)):
        if not file.exists() and not file.is_symlink():
            continue
        try:
            with open_file(file) as con:
                con.execute("select count(*) from duckdb_tables()").fetchall()  # the catalog reads
            continue
        except WarehouseDamaged as exc:
            damaged = exc
        except duckdb.Error as exc:
            if classify(exc) != "damaged":
                raise
            damaged = WarehouseDamaged(file, _reason(exc))  # the header read, the catalog did not
        if not rebuilds:
            raise damaged
        try:
            moved.append(MovedAside(file, move_aside(file, now), damaged.reason))
        except OSError as exc:
            raise WarehouseDamaged(file, f"{damaged.reason}; moving it aside failed: {exc.strerror or exc}") from None
    if Path(path).exists():
        with open_file(path) as con:
            drop_marts_of_the_old_layout(con)
    return moved


def schema_relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The tables and views of `schema` in the warehouse itself (not the attached marts)."""
    return [name for (name,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = $schema and database_name = current_database() "
        "union all select view_name from duckdb_views() where schema_name = $schema "
        "and database_name = current_database() order by 1", {"schema": schema}).fetchall()]


def local_table(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> str:
    """Where the published table `name` of `layer` is on a warehouse connection: the marts
    database, or a schema of the warehouse (made if missing). An engine that builds the marts
    elsewhere copies them here, for the checks and the publish."""
    if layer == MARTS_DATABASE:
        return f"{MARTS_DATABASE}.main.{quote_ident(name)}"
    con.execute(f"create schema if not exists {quote_ident(layer)}")
    return f"{quote_ident(layer)}.{quote_ident(name)}"


def drop_marts_of_the_old_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Marts built before they had a database of their own (before 2026-12-07) sit in the
    warehouse's `marts` schema: dropped, as dbt builds them again beside it, and `marts.<table>`
    would name either while both exist (DuckDB refuses such a name as ambiguous)."""
    con.execute("drop schema if exists marts cascade")


def move_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Rename the damaged file (and its write-ahead log) beside itself; returns the new name."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    os.replace(path, target)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + ".wal"))
    return target
