"""The engines a run's rules, dbt models, mart checks and publish run on. DuckDB, embedded, is the
default; `postgres` runs them on a PostgreSQL server, `spark` runs the rules, the dbt models and
the mart suites on Apache Spark.
One module per engine holds what is specific to it outside dbt (dbt's own seam is its dispatch
macros).

A run's engine comes from its config (`crm-kpi run --engine`, the launchpad), else from
`CRM_KPI_ENGINE`, else DuckDB.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

DEFAULT_ENGINE = "duckdb"
# How a run's publish failure begins when a server engine's own publish went through before it
SERVER_PUBLISHED = "Published on the server"
ENGINES = (DEFAULT_ENGINE, "postgres", "spark")


def resolve_engine(name: str | None = None) -> str:
    """The engine `name` names, else `CRM_KPI_ENGINE`'s, else DuckDB; ValueError for any other name."""
    chosen = (name or os.environ.get("CRM_KPI_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        origin = "engine" if name else "CRM_KPI_ENGINE"
        raise ValueError(f"{origin} {chosen!r} is not an engine of this pipeline: choose one of {', '.join(ENGINES)}")
    return chosen


def check_ready(engine: str) -> None:
    """Before a run starts: the engine's server can be reached, or its runtime can start.
    RuntimeError, one line, when it cannot."""
    if engine == "postgres":
        from orchestration.engines.postgres import check_reachable

        check_reachable()
    elif engine == "spark":
        from orchestration.engines.spark import check_ready as spark_ready

        spark_ready()


@contextlib.contextmanager
def engine_for_run(engine: str) -> Iterator[None]:
    """Held for a whole run. On Postgres, the database's run lock, so that runs from two state
    directories (two hosts) never write one database at once: RuntimeError when another run holds
    it. On Spark, the session the run's rules ran in is stopped when the run ends, however it ends."""
    if engine == "postgres":
        from orchestration.engines.postgres import database_run_lock

        with database_run_lock():
            yield
    elif engine == "spark":
        from orchestration.engines import spark_rules

        try:
            yield
        finally:
            spark_rules.stop()
    else:
        yield
