"""PostgreSQL: reaching the server. The connection comes from `PGHOST`, `PGPORT`, `PGUSER`,
`PGPASSWORD` (or `~/.pgpass`) and `PGDATABASE`, as every Postgres tool reads them, or from one DSN
in `CRM_KPI_POSTGRES_DSN`: no setting or secret in a file of ours. What the pipeline loads into the
server and publishes there is postgres_tables.py.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping, MutableMapping

import psycopg2

# SQLAlchemy's URL for the same server: empty, so psycopg2 takes every part from the libpq variables
SQLALCHEMY_URL = "postgresql+psycopg2://"


DSN_VARIABLE = "CRM_KPI_POSTGRES_DSN"
# A DSN's parts and the libpq variable of each (what dbt's profile and psycopg2 both read)
_LIBPQ_VARIABLES = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
                    "dbname": "PGDATABASE", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
                    "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
                    "options": "PGOPTIONS", "application_name": "PGAPPNAME",
                    "target_session_attrs": "PGTARGETSESSIONATTRS"}
# profiles.yml's defaults, given to libpq too: unset, libpq would pick a socket, the login's name
# and a database of that name, and dbt would build in another database than the pipeline reads
PROFILE_DEFAULTS = {"PGHOST": "localhost", "PGPORT": "5432", "PGUSER": "postgres", "PGDATABASE": "crm_kpi",
                    "PGCONNECT_TIMEOUT": "10"}


class ServerUnreachable(RuntimeError):
    """The server the environment names cannot be reached; `str()` says which, without secrets."""


def apply_dsn(environ: MutableMapping[str, str] = os.environ) -> None:
    """Spread the DSN in `CRM_KPI_POSTGRES_DSN` (`postgresql://user@host:5432/db` or `host=... dbname=...`),
    when set, over the libpq variables, then give the variables still unset profiles.yml's
    defaults: dbt's profile and every connection then read one server. A part the DSN leaves out
    keeps its variable's value."""
    dsn = environ.get(DSN_VARIABLE)
    if dsn:
        _spread(dsn, environ)
    for variable, value in PROFILE_DEFAULTS.items():
        environ.setdefault(variable, value)


def _spread(dsn: str, environ: MutableMapping[str, str]) -> None:
    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        raise ServerUnreachable(f"{DSN_VARIABLE} is not a PostgreSQL connection string "
                                "(postgresql://USER@HOST:PORT/DATABASE, or host=... dbname=...)") from None
    for part, variable in _LIBPQ_VARIABLES.items():
        if parts.get(part):
            environ[variable] = parts[part]


READERS_VARIABLE = "CRM_KPI_POSTGRES_READERS"


def readers() -> list[str]:
    """The roles BI tools log in as, which may read the published schema (`CRM_KPI_POSTGRES_READERS`,
    comma-separated)."""
    return [role.strip() for role in os.environ.get(READERS_VARIABLE, "").split(",") if role.strip()]


def connect() -> psycopg2.extensions.connection:
    """A connection to the server the libpq environment variables (or the DSN) name."""
    apply_dsn()
    return psycopg2.connect("")


def check_reachable() -> None:
    """Connect once, before a run starts: a wrong host or password is said at once, naming the
    server (never the password), not after the export is loaded."""
    try:  # connect() spreads the DSN and the defaults over the PG* variables the message names
        connect().close()
    except psycopg2.OperationalError as exc:
        where = (f"{os.environ['PGUSER']}@{os.environ['PGHOST']}:{os.environ['PGPORT']}/{os.environ['PGDATABASE']}")
        reason = " ".join(str(exc).split())
        raise ServerUnreachable(f"PostgreSQL at {where} cannot be reached ({reason}); set the PG* "
                                f"variables or {DSN_VARIABLE} (docs/engines.md)") from None


# The advisory lock every run on a database holds: one key for the whole pipeline ("crmkpi" in hex)
RUN_LOCK_KEY = 0x63726D6B7069


class DatabaseBusy(RuntimeError):
    """Another pipeline run holds the database's run lock."""


@contextlib.contextmanager
def database_run_lock() -> Iterator[None]:
    """The database's run lock (a session advisory lock), held while the block runs: a run from
    another state directory on the same database is refused at once rather than write beside
    this one. The lock goes with the session, so a killed run leaves none behind."""
    pg = connect()
    try:
        pg.autocommit = True
        with pg.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,))
            if not cursor.fetchone()[0]:
                raise DatabaseBusy(f"another pipeline run is writing {os.environ['PGDATABASE']} on "
                                   f"{os.environ['PGHOST']} (it holds advisory lock {RUN_LOCK_KEY}); "
                                   "run again when it has ended")
        yield
    finally:
        pg.close()


class QueryConnection:
    """A psycopg2 connection with DuckDB's `execute(sql, params).fetchall()`, for the checks whose
    SQL both engines run (data_quality/reconcile.py): `$name` parameters become psycopg2's."""

    def __init__(self, pg: psycopg2.extensions.connection):
        self._pg = pg

    def execute(self, sql: str, params: Mapping[str, object] | None = None):
        cursor = self._pg.cursor()
        if params:
            sql = re.sub(r"\$(\w+)", r"%(\1)s", sql.replace("%", "%%"))
        cursor.execute(sql, params or None)
        return cursor
