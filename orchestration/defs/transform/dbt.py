"""The dbt project as Dagster assets: each model an asset, each dbt test an asset check, except
the KPI marts' tests that their blocking `expectations` check already evaluates
(data_quality/mart_suites.py): running those twice cost a run more than the marts themselves.

The manifest is prepared by the build step (`make manifest`, i.e. `dbt parse`), never on import.
"""

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from data_quality.load_audit import objects_not_exported
from data_quality.mart_suites import dbt_tests_in_mart_suites
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.defs.transform.manifest import layer, load_manifest, published_relations, selectors_for
from orchestration.engines import postgres_tables, spark, spark_rules
from orchestration.runtime.dbt_child import PARENT_ENV, stop
from orchestration.settings import DBT_PROJECT_DIR, dbt_threads
from orchestration.warehouse import local_table, schema_relations

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"{dbt_project.manifest_path} is missing: run `make manifest` (dbt parse) first"
    )
_manifest = load_manifest(dbt_project.manifest_path)
MART_SUITE_TESTS = frozenset(dbt_tests_in_mart_suites(_manifest))
MART_SUITE_SELECTORS = selectors_for(_manifest, MART_SUITE_TESTS)
# Every mart model and the KPI catalog, as (layer, table) pairs: `marts`, or the seed's schema.
PUBLISHED = published_relations(dbt_project.manifest_path)


def write_run_context(con, as_of: dt.date, not_exported: list[str]) -> None:
    """What dbt reads of this run (macros/run_context.sql): the as-of date, and the objects the
    export does not hold (raw table names, comma-separated)."""
    con.execute("create schema if not exists audit")
    con.execute("create or replace table audit.dbt_run_context as select ?::varchar as as_of_date, "
                "?::varchar as objects_not_exported", [as_of.isoformat(), ",".join(sorted(not_exported))])


def engine_switched(con, engine: str) -> bool:
    """Whether the local marts were last written by another engine than `engine` (recorded here
    for the next run). Marts Spark or Postgres built, copied into the marts database, are not
    dbt-duckdb's incremental tables (another fingerprint, another type): a DuckDB run after them
    rebuilds every model, as after a full export."""
    con.execute("create table if not exists audit.marts_engine (engine varchar)")
    previous = con.execute("select engine from audit.marts_engine").fetchall()
    con.execute("delete from audit.marts_engine")
    con.execute("insert into audit.marts_engine values (?)", [engine])
    return bool(previous) and previous[0][0] != engine


class CrmKpiDbtTranslator(DagsterDbtTranslator):
    """Models keyed by `<schema>/<name>` (e.g. `marts/kpi_rep_monthly`), all in group `transform`.

    Sources keep the `validated/<table>` keys set in their `meta` (the quality gate's assets, which
    the staging models read), so ingest, the quality gate and the dbt models form one lineage.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([layer(dbt_resource_props), dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:sales-ops-data"]

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        """No check for a KPI mart test that the mart's `expectations` check holds: the dbt step
        leaves it out. (Here rather than as the decorator's `exclude`, which costs half a second of
        dbt node selection each time the code location loads.)"""
        if manifest["nodes"][unique_id]["name"] in MART_SUITE_TESTS:
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        configured = dbt_resource_props.get("config", {}).get("schema")
        name = layer(dbt_resource_props) if configured else dbt_resource_props["resource_type"]
        return {**super().get_tags(dbt_resource_props), "layer": name}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CrmKpiDbtTranslator(),
)
def crm_kpi_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineConfig, warehouse: WarehouseResource
):
    """`dbt build` (models and their tests) for the run's as-of date, told which objects the export
    does not hold, so the KPIs only those objects can measure are NULL (not measured), not 0. Both
    reach dbt through the warehouse (`write_run_context`), not --vars, which would make dbt parse
    the whole project again whenever they change."""
    paths = pipeline.paths
    # dbt (crm-kpi-dbt, orchestration/runtime/dbt_child.py) works in the state directory, with the
    # warehouse's DuckDB settings, and writes its logs and artifacts there, never into the repo.
    os.environ["CRM_KPI_HOME"] = str(paths.home)
    os.environ[PARENT_ENV] = str(os.getpid())  # dbt dies with this process (orchestration/runtime/dbt_child.py)
    # dbt's log file (dbt.log in the target folder) at info: at debug, its default, it also holds
    # every SQL statement (those are in target/run/ anyway), and writing them costs a second a run.
    # DBT_LOG_LEVEL_FILE=debug in the environment brings them back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    with warehouse.get_connection() as con:
        write_run_context(con, pipeline.as_of_date, objects_not_exported(con))
        switched = engine_switched(con, pipeline.run_engine)
        raw_rows = con.execute("select coalesce(sum(estimated_size), 0) from duckdb_tables() "
                               "where schema_name = 'raw'").fetchall()[0][0]
        if pipeline.run_engine == "postgres":
            postgres_tables.load_run_inputs(con, schema_relations(con, "validated"))
    warehouse.release()  # dbt opens the files next: one writer at a time
    if pipeline.run_engine == "spark":  # in a process of its own, which reads the released warehouse
        spark_rules.stop()  # the rules' session: its JVM goes before the next one starts
        try:
            loaded = spark.run_in_child("load", paths.warehouse, paths.home, paths.logs / "spark_load.log")
        except RuntimeError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        context.log.info(f"Loaded into Spark: {sum(loaded.values()):,} rows of {len(loaded)} tables.")
    # dbt unit tests check the SQL, not the data: `make test` runs them, production runs skip them.
    args = ["build", "--exclude-resource-type", "unit_test", "--threads", dbt_threads(raw_rows)]
    # Left out of full and subset runs alike: dbt would bring them back with their models.
    args += ["--exclude", " ".join(MART_SUITE_SELECTORS)]
    if pipeline.run_load_mode == "replace" or switched:
        # A full export may have dropped records; only a full refresh removes them from the
        # incremental facts. A merge keeps everything else, so the facts update incrementally.
        args.append("--full-refresh")
    if pipeline.run_engine != "duckdb":
        args += ["--target", pipeline.run_engine]  # profiles.yml: a target per engine
    invocation = dbt.cli(
        args,
        context=context,
        # One writer at a time owns the warehouse, so one target folder suffices.
        target_path=paths.home / "dbt" / "target",
    )
    try:
        yield from invocation.stream()
    finally:
        stop(invocation.process)
    if pipeline.run_engine == "spark":
        # The checks and the publish read the marts Spark built, from its Parquet files
        with warehouse.get_connection() as con:
            spark.mirror_tables(con, paths.home, {relation: local_table(con, *relation) for relation in PUBLISHED})
