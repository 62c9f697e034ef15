"""The published marts: what BI tools read, written only after every blocking check passed."""

import datetime as dt

import dagster as dg

from data_quality.load_audit import record_good_run
from data_quality.sql import quote_ident
from orchestration.dashboard import write_dashboard
from orchestration.defs.publish.describe import describe_published
from orchestration.defs.publish.keys import PUBLISHED_KEY
from orchestration.defs.publish.swap import PublishEntry, publish_tables
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.defs.transform.dbt import PUBLISHED, dbt_project
from orchestration.defs.transform.manifest import layer, load_manifest
from orchestration.engines import SERVER_PUBLISHED
from orchestration.engines import postgres_tables as postgres
from orchestration.salesforce.objects import OBJECTS
from orchestration.warehouse import local_table


def _check_summary(context: dg.AssetExecutionContext) -> dict[str, int]:
    """How the checks of this run went, for `_publish_log`."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    summary = {"passed": 0, "warned": 0, "failed": 0}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            summary["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            summary["warned"] += 1
        else:
            summary["failed"] += 1
    return summary


def _source_row_counts(warehouse: WarehouseResource) -> dict[str, int]:
    """The rows of each object's raw table (not of a load a killed run left half done)."""
    objects = {obj.table for obj in OBJECTS}
    with warehouse.get_connection() as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
        ).fetchall()
        return {
            name: con.execute(f"select count(*) from raw.{quote_ident(name)}").fetchall()[0][0]
            for (name,) in tables if name in objects
        }


FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24))
OWNERS = ["team:sales-ops-data"]


def _description(layer_name: str, name: str) -> str:
    node = next(n for n in load_manifest(dbt_project.manifest_path)["nodes"].values()
                if n["name"] == name and layer(n) == layer_name)
    return (f"`{name}` as BI tools read it from the published database and Parquet folder. "
            f"{node.get('description', '').strip()}")


MART_KEYS = {name: dg.AssetKey(["published", name]) for _, name in PUBLISHED}


@dg.multi_asset(
    name="published_marts",
    group_name="publish",
    specs=[
        dg.AssetSpec(
            PUBLISHED_KEY,
            deps=[dg.AssetKey([layer_name, name]) for layer_name, name in PUBLISHED],
            kinds={"duckdb", "parquet"},
            owners=OWNERS,
            tags={"layer": "published"},
            freshness_policy=FRESHNESS,
            description=(
                "The audited marts (every `marts` model and the KPI catalog) in "
                "`$CRM_KPI_HOME/published/crm_kpis.duckdb` (default schema, with a `_publish_log` table) "
                "and as Parquet files in `$CRM_KPI_HOME/published/parquet/`, swapped in whole. Runs only "
                "when every upstream blocking check and dbt test passed, so a failed audit leaves the "
                "last good files untouched. On the Postgres engine the server's `published` schema is "
                "swapped first, and the files are written from it."
            ),
        ),
        *[
            dg.AssetSpec(MART_KEYS[name], deps=[PUBLISHED_KEY], kinds={"duckdb", "parquet"}, owners=OWNERS,
                         tags={"layer": "published"}, freshness_policy=FRESHNESS,
                         description=_description(layer_name, name))
            for layer_name, name in PUBLISHED
        ],
    ],
)
def published_marts(context: dg.AssetExecutionContext, pipeline: PipelineConfig, warehouse: WarehouseResource):
    """Publish every mart at once (one atomic swap), then describe each published table."""
    paths = pipeline.paths
    entry = PublishEntry(
        published_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(),
        as_of=pipeline.as_of_date.isoformat(),
        run_id=context.run.run_id,
        source_row_counts=_source_row_counts(warehouse),
        check_summary=_check_summary(context),
    )
    on_server = pipeline.run_engine == "postgres"
    if on_server:
        # BI tools on the server read its `published` schema, swapped first; the DuckDB file and
        # Parquet copy below are made from what was published there
        with warehouse.get_connection() as con:
            mirror = {relation: local_table(con, *relation) for relation in PUBLISHED}
        postgres.publish_on_server(list(mirror), entry)
    try:
        if on_server:
            with warehouse.get_connection() as con:
                postgres.copy_published(con, mirror)
        warehouse.release()  # the publish opens and copies the files itself
        counts = publish_tables(paths.warehouse, paths.published_db, PUBLISHED, context.run.run_id, entry)
    except Exception as exc:
        if not on_server:
            raise
        # the two publishes are each whole, one after the other: say which one stands
        raise dg.Failure(description=(
            f"{SERVER_PUBLISHED} (schema `{postgres.PUBLISHED_SCHEMA}`, run {context.run.run_id}), but "
            f"{paths.published_dir} still holds the last publish: the copy for the files failed: {exc}"),
            allow_retries=False) from exc
    # This run's loads become the baseline the next run's volume and schema checks compare with.
    with warehouse.get_connection() as con:
        record_good_run(con, context.run.run_id, dt.datetime.fromisoformat(entry.published_at))
    warehouse.release()  # the run's last write: the dashboard and the descriptions read the published file
    yield dg.MaterializeResult(
        asset_key=PUBLISHED_KEY,
        metadata={
            "path": dg.MetadataValue.path(str(paths.published_db)),
            "parquet": dg.MetadataValue.path(str(paths.published_dir / "parquet")),
            "as_of": dg.MetadataValue.text(entry.as_of),
            "checks": dg.MetadataValue.json(entry.check_summary),
            "tables": dg.MetadataValue.int(len(counts)),
            "dashboard": dg.MetadataValue.path(str(paths.published_dir / "dashboard" / "index.html")),
            **{f"rows_{name}": dg.MetadataValue.int(n) for name, n in counts.items()},
        },
    )
    # The marts are published now: what follows describes them, and must not fail the publish.
    try:
        # The sales leaders' page, from the marts just published (served by `crm-kpi dashboard`).
        write_dashboard(paths.published_db, paths.published_dir / "dashboard")
    except Exception as exc:  # noqa: BLE001 - reported, and the last good page stays
        context.log.warning(f"The dashboard was not updated: {exc}")
    try:
        yield from describe_published(context, paths.published_db, MART_KEYS, entry.as_of, counts)
    except Exception as exc:  # noqa: BLE001 - the tables are published; only their metadata is missing
        context.log.warning(f"The published tables could not be described: {exc}")
