"""One asset per Salesforce object: the export file loaded into `raw.<object>` of the warehouse."""

import datetime as dt

import dagster as dg

from data_quality.load_audit import record_export, record_load
from orchestration.defs.metadata import ROW_COUNT, rows_change
from orchestration.defs.resource_types import PipelineConfig, WarehouseResource
from orchestration.salesforce.export import ExportError, find_object_file
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS, SObject
from orchestration.salesforce.watermarks import store_watermark


def _raw_asset(obj: SObject) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", obj.table],
        group_name="ingest",
        kinds={"duckdb", "salesforce"},
        owners=["team:sales-ops-data"],
        tags={"layer": "raw"},
        description=(
            f"Salesforce `{obj.api_name}` from the source folder, typed, in `raw.{obj.table}` "
            f"(Fivetran-style snake_case columns plus `_loaded_at`, and `_parse_error` for a record "
            f"that could not be read whole): replaced by a full export, "
            f"or merged by Id from a batch of changes."
        ),
    )
    def _load(
        context: dg.AssetExecutionContext, pipeline: PipelineConfig, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        # The load time is metadata about the load, not an input of any KPI.
        loaded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        try:
            path = find_object_file(pipeline.source_path, obj)
            # In a batch of changes an absent file only means no changes to this object.
            if path is None and obj.required and pipeline.run_load_mode == "replace":
                raise ExportError(
                    f"{pipeline.source_path}: no {obj.api_name} file (expected {obj.api_name}.csv, "
                    f".csv.gz or .parquet); the pipeline cannot run without it"
                )
            with warehouse.get_connection() as con:
                result = load_object(con, obj, path, loaded_at, mode=pipeline.run_load_mode)
                columns = [f.column for f in obj.fields if f.api_name not in result.missing_optional_columns]
                record_load(con, context.run.run_id, obj.api_name, result.rows,
                            columns + result.extra_columns if path else [], result.source_file,
                            loaded_at, pipeline.as_of_date)
                record_export(con, obj.table, path is not None, pipeline.run_load_mode)
                watermark = store_watermark(con, obj.api_name, obj.table, context.run.run_id, loaded_at)
        except ExportError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        merged = {}
        if result.merged:
            merged = {f"merge_{name}": dg.MetadataValue.int(count)
                      for name, count in vars(result.merged).items()}
        if path is None and pipeline.run_load_mode == "merge":
            context.log.info(f"{obj.api_name}: no changes in this batch; raw.{obj.table} left as it was.")
        elif result.unparsed_rows:
            context.log.warning(
                f"{obj.api_name}: {result.unparsed_rows:,} record(s) of {path.name} could not be read whole; "
                f"they are in raw.{obj.table} with `_parse_error` (line and reason) and go to quarantine."
            )
        elif path is None:
            context.log.warning(
                f"{obj.api_name}: not in the export; loaded as an empty table. KPIs that need it "
                "are NULL (ratios) or 0 (counts)."
            )
        return dg.MaterializeResult(
            metadata={
                ROW_COUNT: dg.MetadataValue.int(result.rows),
                "rows_change": dg.MetadataValue.text(
                    rows_change(context.instance, context.asset_key, result.rows, "first load")),
                "newest_source_timestamp": dg.MetadataValue.text(
                    watermark.isoformat() if watermark else "(no SystemModstamp)"),
                "unparsed_rows": dg.MetadataValue.int(result.unparsed_rows),
                "source_file": dg.MetadataValue.path(result.source_file or "(missing: empty table)"),
                "as_of": dg.MetadataValue.text(pipeline.as_of_date.isoformat()),
                "extra_columns": dg.MetadataValue.json(result.extra_columns),
                "missing_optional_columns": dg.MetadataValue.json(result.missing_optional_columns),
                "load_mode": dg.MetadataValue.text(pipeline.run_load_mode),
                **merged,
            }
        )

    return _load


raw_assets = [_raw_asset(obj) for obj in OBJECTS]
