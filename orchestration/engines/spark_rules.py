"""Apache Spark: where a run on the Spark engine checks its rules. Before an object's suite runs,
the raw tables it reads are written as Parquet (DuckDB writes them) and named as Spark tables; the
suite then runs on Spark, by Great Expectations' Spark engine (data_quality/validate_spark.py).
The mart suites run there too, on the Parquet files Spark's dbt wrote.

The session lives in the run's process, whose steps share it (jobs.py: the in-process executor),
so its JVM starts once for the rules and once more for the mart suites after dbt. Its catalog is in memory: the Derby metastore on disk belongs to
dbt's session (spark.py). It is stopped, JVM and all, before the dbt step starts Spark again, and
when the run ends (`engine_for_run`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import duckdb
import great_expectations as gx

from data_quality.outcomes import SuiteOutcome
from data_quality.validate_spark import validate_frame
from orchestration.engines.spark import build_session, name_table, settings, write_parquet

_session = None  # the run's session, started on first use
_session_home: Path | None = None  # the state directory it was started for
_named: set[tuple[str, str]] = set()  # the warehouse tables it holds, written in this session


def _folder(home: Path) -> Path:
    return home / "spark" / "rules"


def _settings(home: Path) -> dict[str, str]:
    """dbt's session settings (spark.py), less its metastore's, with a catalog folder of its own."""
    conf = {key: value for key, value in settings(home).items()
            if not key.startswith("spark.hadoop.javax.jdo") and key != "spark.driver.extraJavaOptions"}
    # the rules' SQL quotes names as standard SQL does (data_quality/rules.py validation_query)
    return conf | {"spark.sql.warehouse.dir": str(_folder(home) / "catalog"), "spark.sql.ansi.enabled": "true",
                   "spark.sql.ansi.doubleQuotedIdentifiers": "true",
                   # a rule's datetime bound (no zone) compares as wall-clock time, as DuckDB's
                   # TIMESTAMP columns hold it: as a TIMESTAMP, pyspark would read it in the
                   # host's time zone, and every date rule would shift off UTC
                   "spark.sql.timestampType": "TIMESTAMP_NTZ"}


def session(home: Path):
    """The run's Spark session for the rules, started on first use."""
    global _session, _session_home
    if _session is not None and _session_home != home:
        stop()  # another state directory's (a process that ran several runs)
    if _session is None:
        _session, _session_home = build_session("crm-kpi-rules", _settings(home), hive=False), home
    return _session


def stop() -> None:
    """Stop the session and its JVM, if one was started: dbt's Spark needs the memory next."""
    global _session, _session_home
    if _session is None:
        return
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    gateway = SparkContext._gateway
    try:
        _session.stop()
        if gateway is not None:
            gateway.shutdown()
    finally:  # whatever failed, the next use starts afresh
        _session, _session_home = None, None
        _named.clear()
        SparkSession._instantiatedSession = SparkSession._activeSession = None
        SparkContext._gateway = SparkContext._jvm = None
        jvm = getattr(gateway, "proc", None)  # none when pyspark joined a gateway it did not start
        if jvm is not None:
            jvm.stdin.close()  # the JVM ends when its standard input closes
            try:
                jvm.wait(timeout=60)
            except subprocess.TimeoutExpired:
                jvm.kill()


def ensure_tables(duck: duckdb.DuckDBPyConnection, home: Path, tables: Iterable[tuple[str, str]]) -> None:
    """Make the session hold each (schema, table) of the warehouse as it is now: written and named
    once a session, so a run that re-runs only its later steps writes them then."""
    for schema, table in tables:
        if (schema, table) not in _named:
            load_table(duck, home, schema, table)


def load_table(duck: duckdb.DuckDBPyConnection, home: Path, schema: str, table: str) -> None:
    """Write `schema.table` of the warehouse as Parquet and name it as the same Spark table."""
    folder = _folder(home) / schema / table
    write_parquet(duck, schema, table, folder)
    name_table(session(home), schema, table, folder)
    _named.add((schema, table))


def name_files(home: Path, schema: str, table: str, folder: Path) -> None:
    """Name Parquet files Spark wrote (a mart dbt built) as `schema.table` of the session."""
    name_table(session(home), schema, table, folder)


def validate(home: Path, query: str, suite: gx.ExpectationSuite) -> SuiteOutcome:
    """`suite` over every row the Spark SQL `query` returns, on the run's session."""
    return validate_frame(session(home).sql(query), suite)
