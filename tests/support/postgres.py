"""A throwaway PostgreSQL cluster from Debian's `postgresql` package, for the tests of the Postgres
engine. (The pipeline itself reaches a server through the standard `PG*` environment variables.)

The cluster lives in one temporary folder, listens only on a Unix socket there (no TCP port to
collide with), trusts local connections, skips fsync (it is thrown away), and is removed on
`stop()`. initdb refuses to run as root, so under root the cluster belongs to the `postgres`
system user the package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEBIAN_BIN = Path("/usr/lib/postgresql")
PORT = 5432  # only names the socket file: the cluster listens on no TCP port
SUPERUSER = "postgres"


class PostgresNotInstalled(RuntimeError):
    """No PostgreSQL server binaries: `make postgres` installs Debian's package."""


def server_bin() -> Path:
    """The newest installed server's bin folder (Debian keeps initdb and pg_ctl off PATH)."""
    versions = sorted(DEBIAN_BIN.glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not versions:
        raise PostgresNotInstalled(f"no PostgreSQL server under {DEBIAN_BIN}: run `make postgres`, "
                                   "which installs Debian's postgresql package")
    return versions[-1].parent


@dataclass
class Cluster:
    root: Path  # holds the data folder and the socket
    database: str

    @property
    def socket_dir(self) -> Path:
        return self.root

    def environment(self) -> dict[str, str]:
        """The libpq variables that reach this cluster (dbt's profile and psycopg read them)."""
        return {"PGHOST": str(self.socket_dir), "PGPORT": str(PORT), "PGUSER": SUPERUSER,
                "PGDATABASE": self.database, "PGPASSWORD": ""}

    def stop(self) -> None:
        _as_owner([str(server_bin() / "pg_ctl"), "stop", "-D", str(self.root / "data"), "-m", "immediate",
                   "--silent"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _owner() -> pwd.struct_passwd | None:
    """The user the cluster runs as when this process is root, else None (this user)."""
    return pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None


def _as_owner(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
    owner = _owner()
    if owner is not None:
        command = ["runuser", "-u", owner.pw_name, "--", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def start_cluster(database: str = "crm_kpi") -> Cluster:
    """initdb, start and create `database`; the caller stops it."""
    bin_dir = server_bin()
    owner = _owner()
    # in /tmp, not $TMPDIR: short (a Unix socket's path must fit in 107 bytes) and open to its owner
    root = Path(tempfile.mkdtemp(prefix="crm-kpi-pg-", dir="/tmp"))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    try:
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        options = (f"-c listen_addresses='' -c unix_socket_directories='{root}' -p {PORT} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        _as_owner([str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-w", "-l", str(root / "server.log"),
                   "-o", options])
        _as_owner([str(bin_dir / "createdb"), "-h", str(root), "-p", str(PORT), "-U", SUPERUSER, database])
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = (exc.stderr or "").strip() or (log.read_text() if log.exists() else "")
        Cluster(root, database).stop()  # a server that started is stopped; the folder goes
        raise RuntimeError(f"could not start a PostgreSQL cluster with {bin_dir}: {detail}") from None
    return Cluster(root, database)


def rows(con, sql: str, params: tuple = ()) -> list[tuple]:
    """What `sql` (with `%s` for each of `params`) returns on the connection `con`."""
    with con.cursor() as cursor:
        cursor.execute(sql, params or None)
        return cursor.fetchall()
