"""Apache Spark, where dbt builds: the session settings, loading the run's inputs into Spark's
catalog, and reading the marts it built back into the local marts database. (The rules run in a
session of the run's own process: spark_rules.py.)

dbt runs Spark inside its own process (dbt-spark's `session` method, profiles.yml `spark`). Both it
and the pipeline keep Spark's tables and catalog in the state directory: the tables as Parquet
under `spark/`, the catalog in an embedded Derby metastore, `spark/metastore_db/`, which one
process (one JVM) opens at a time. So the pipeline's Spark work runs in a child process of its own
(`python -m orchestration.engines.spark`), which ends, letting go of the metastore, before dbt
starts: as dbt's process does before the next step.

Spark runs in local mode on every core unless `CRM_KPI_SPARK_MASTER` names a cluster's master;
a run needs local mode today, as its inputs and the marts it reads back are local files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from data_quality.sql import quote_ident, sql_string
from orchestration.runtime.dbt_child import die_with_parent
from orchestration.warehouse import schema_relations

RUN_INPUT_SCHEMAS = ("validated", "quarantine")


def settings(home: Path) -> dict[str, str]:
    """The session's settings: those profiles.yml's `spark` target gives dbt's session."""
    spark = home / "spark"
    return {
        "spark.master": os.environ.get("CRM_KPI_SPARK_MASTER") or "local[*]",
        "spark.sql.warehouse.dir": str(spark / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={spark / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.stream.error.file={spark / 'derby.log'}",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.shuffle.partitions": os.environ.get("CRM_KPI_SPARK_SHUFFLE_PARTITIONS") or "4",
    }


def session(home: Path):
    """A Spark session on the state directory's tables; the caller stops it."""
    return build_session("crm-kpi", settings(home), hive=True)


def build_session(app: str, conf: dict[str, str], hive: bool):
    """A local Spark session named `app` with the settings `conf`; its catalog in the Hive
    metastore (`hive`) or in memory."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    builder = builder.enableHiveSupport() if hive else builder.config("spark.sql.catalogImplementation", "in-memory")
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def write_parquet(duck: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path) -> None:
    """Write the warehouse's `schema.table` as `folder/data.parquet`, the folder made anew."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    duck.execute(f"copy {quote_ident(schema)}.{quote_ident(table)} to "
                 f"{sql_string(str(folder / 'data.parquet'))} (format parquet)")


def name_table(spark, schema: str, table: str, folder: Path) -> None:
    """Name the Parquet files in `folder` as the Spark table `schema.table`."""
    spark.sql(f"create database if not exists `{schema}`")
    spark.sql(f"drop table if exists `{schema}`.`{table}`")
    spark.sql(f"create table `{schema}`.`{table}` using parquet location {spark_string(str(folder))}")


def load_run_inputs(warehouse: Path, home: Path) -> dict[str, int]:
    """Load into Spark what the run's dbt reads there: the validated tables, the quarantined rows
    beside them, and the run's context (`audit.dbt_run_context`: macros/run_context.sql). DuckDB
    writes each as Parquet under `spark/inputs/`, and Spark names it as a table over those files.
    Returns the rows of each, as Spark counts them."""
    # Spark rebuilds every table each run, so its catalog starts empty: a metastore kept from
    # before would hold absolute paths, wrong once the state directory moves
    for folder in ("inputs", "warehouse", "metastore_db"):
        shutil.rmtree(home / "spark" / folder, ignore_errors=True)
    inputs = home / "spark" / "inputs"
    wanted = {"audit": ["dbt_run_context"]}
    with duckdb.connect(str(warehouse), read_only=True) as duck:
        for schema in RUN_INPUT_SCHEMAS:
            wanted[schema] = schema_relations(duck, schema)
        for schema, tables in wanted.items():
            for table in tables:
                write_parquet(duck, schema, table, inputs / schema / table)
    spark = session(home)
    counts = {}
    try:
        for schema, tables in wanted.items():
            for table in tables:
                name_table(spark, schema, table, inputs / schema / table)
                counts[f"{schema}.{table}"] = spark.table(f"`{schema}`.`{table}`").count()
    finally:
        spark.stop()
    return counts


def spark_string(text: str) -> str:
    """`text` as a Spark SQL string literal: Spark reads backslash escapes, not doubled quotes."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_folder(home: Path, schema: str, table: str) -> Path:
    """Where Spark keeps the Parquet files of a table it manages (`schema.table`)."""
    return Path(settings(home)["spark.sql.warehouse.dir"]) / f"{schema}.db" / table


def mirror_tables(duck: duckdb.DuckDBPyConnection, home: Path, mirror: dict[tuple[str, str], str]) -> None:
    """Replace each DuckDB table that `mirror` names by the Spark table of its (schema, table) key,
    read from the Parquet files Spark wrote: the marts Spark built become the local marts database
    the reconciliation checks read and the publish copies."""
    for (schema, table), target in mirror.items():
        files = sql_string(str(table_folder(home, schema, table) / "*.parquet"))
        duck.execute(f"create or replace table {target} as select * from read_parquet({files})")


def check_ready() -> None:
    """Spark can start: Java 17 or later is on the PATH (`make java` installs it)."""
    try:
        shown = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60).stderr
    except FileNotFoundError:
        shown = ""
    version = re.search(r'version "(\d+)', shown)
    if not version or int(version[1]) < 17:
        found = shown.splitlines()[0] if shown else "no java on the PATH"
        raise RuntimeError(f"Spark needs Java 17 or later ({found}): `make java` installs Debian's "
                           "openjdk-17-jre-headless")


def run_in_child(command: str, warehouse: Path, home: Path, log: Path) -> dict:
    """`command` of this module in a process of its own (see the module's docstring), Spark's own
    output in `log`; its JSON result. RuntimeError, one line naming the log, when it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as output:
        done = subprocess.run([sys.executable, "-m", "orchestration.engines.spark", command, "--warehouse",
                               str(warehouse), "--home", str(home)], stdout=subprocess.PIPE, stderr=output, text=True)
    if done.returncode == 0:
        try:
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            pass
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    said = lines[-1].strip() if lines else f"exit code {done.returncode}"  # the exception, after Spark's log
    raise RuntimeError(f"Spark could not {command} the run's inputs ({said}); its output: {log}")


def main(argv: list[str] | None = None) -> None:
    """The child process's entry: do `command`, print its result as one JSON line. It dies with
    the run that started it, as dbt does (its JVM follows: it ends when this process's pipe closes)."""
    die_with_parent()
    parser = argparse.ArgumentParser(prog="python -m orchestration.engines.spark")
    parser.add_argument("command", choices=["load"])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(load_run_inputs(args.warehouse, args.home)))


if __name__ == "__main__":
    main()
