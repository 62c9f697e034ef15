"""Where the pipeline keeps its state, and the as-of date every KPI is computed for.

All runtime state lives under one directory, `$CRM_KPI_HOME` (default `./.crm_kpi`): the Dagster
instance, the working warehouse, the published marts, Data Docs and logs. Nothing is written elsewhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The marts' own database: its file in the state directory, and the name it is attached under
# (profiles.yml, dbt_project.yml and every pipeline connection), which is also the marts' layer.
MARTS_FILE, MARTS_DATABASE = "marts.duckdb", "marts"


@dataclass(frozen=True)
class StatePaths:
    """The layout of a state directory."""

    home: Path

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def warehouse(self) -> Path:
        """The working warehouse: only the pipeline opens it, and it may be mid-build at any time."""
        return self.home / "warehouse.duckdb"

    @property
    def marts(self) -> Path:
        """The database dbt builds the marts in (profiles.yml attaches it to the warehouse as
        `marts`); publishing copies it whole."""
        return self.home / MARTS_FILE

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published_db(self) -> Path:
        """The audited copy BI tools read; replaced whole by an atomic rename on each publish."""
        return self.published_dir / "crm_kpis.duckdb"

    @property
    def data_docs(self) -> Path:
        """The Great Expectations Data Docs site: open `index.html` in a browser."""
        return self.home / "data_docs"

    @property
    def gx_stores(self) -> Path:
        """Great Expectations' stores (suites, validation results) the Data Docs are rendered from."""
        return self.home / "gx"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def demo_export(self) -> Path:
        """Where `crm-kpi run` writes the demo org when no source is given."""
        return self.home / "demo_export"


def state_paths(home: str | os.PathLike | None = None) -> StatePaths:
    """The state directory: `home` if given, else `$CRM_KPI_HOME`, else `./.crm_kpi`, made absolute."""
    chosen = home or os.environ.get("CRM_KPI_HOME") or ".crm_kpi"
    return StatePaths(Path(chosen).expanduser().resolve())


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """The as-of date of a run: a `YYYY-MM-DD` string, or today in UTC when not given.

    Reading the clock here, once per run, is the only place it is read: everything downstream is a
    function of the date this returns.
    """
    if value is None or value == "":
        return dt.datetime.now(dt.timezone.utc).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as-of date {value!r} is not a date in the form YYYY-MM-DD") from None


DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"


def duckdb_settings(home: Path) -> dict[str, str]:
    """DuckDB's settings for every connection that reads or writes the warehouse: the Dagster
    steps, dbt (profiles.yml reads the same variables) and the publish. Without them each DuckDB
    would take 80 % of the machine's memory, so a run's peak followed the machine, not the work.
    Only one of them works on the warehouse at a time (the steps release theirs before dbt starts),
    so each may have the whole limit; past it DuckDB spills to `temp_directory`, a folder of the
    state directory itself (DuckDB creates the folder, not its parents).

    `CRM_KPI_DUCKDB_MEMORY_LIMIT` (default 4GB, DuckDB's units) and `CRM_KPI_DUCKDB_THREADS`
    (default: every core) set them; a value DuckDB refuses is named here, not in every step.

    No table's meaning depends on the order of its rows (a raw record's place in its file is its
    `_row_number`), so DuckDB need not keep insertion order: it then writes a table's row groups
    in parallel and compressed at once. Keeping it, each big table was written twice (once as it
    was built, once more when the database was checkpointed) and took twice the space."""
    memory = os.environ.get("CRM_KPI_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    threads = os.environ.get("CRM_KPI_DUCKDB_THREADS") or str(os.cpu_count() or 1)
    _check_duckdb_settings(memory, threads)
    return {"memory_limit": memory, "threads": threads, "temp_directory": str(home / "duckdb_tmp"),
            "preserve_insertion_order": "false"}


LARGE_ORG_ROWS = 1_000_000


def dbt_threads(raw_rows: int) -> str:
    """How many models dbt builds at once, for an org of `raw_rows` loaded rows. DuckDB already
    spreads each query over every core, so on a large org a second model at once only competes for
    the cores and the memory limit (the large demo org's dbt step took half as long again with
    two); on a small one, where dbt's own work per model dominates, two at once save about 10 %.
    `CRM_KPI_DBT_THREADS` overrides."""
    if chosen := os.environ.get("CRM_KPI_DBT_THREADS"):
        if not chosen.isdigit() or int(chosen) < 1:
            raise ValueError(f"CRM_KPI_DBT_THREADS={chosen!r} is not a whole number of threads such as 1 or 2")
        return chosen
    return "1" if raw_rows > LARGE_ORG_ROWS else "2"


@functools.cache
def _check_duckdb_settings(memory: str, threads: str) -> None:
    import duckdb

    for variable, setting, value, example in (
        ("CRM_KPI_DUCKDB_MEMORY_LIMIT", "memory_limit", memory, "4GB or 500MB"),
        ("CRM_KPI_DUCKDB_THREADS", "threads", threads, "a whole number such as 2"),
    ):
        try:
            duckdb.connect(config={setting: value}).close()
        except duckdb.Error as exc:
            raise ValueError(f"{variable}={value!r} is not a DuckDB {setting} ({example}): "
                             f"{str(exc).splitlines()[0]}") from None
