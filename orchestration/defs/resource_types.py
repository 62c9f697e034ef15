"""The run-level settings every asset reads (what export to load, for which as-of date, and where),
and the warehouse and dbt resources as this project configures them."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib.metadata
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version
from pydantic import Field, PrivateAttr

from orchestration.settings import DBT_PROJECT_DIR, StatePaths, duckdb_settings, parse_as_of, state_paths

STAGES_SEED = DBT_PROJECT_DIR / "seeds" / "opportunity_stages.csv"


def configured_stages() -> list[str]:
    """The org's stage names from the dbt seed, the one place stages are configured."""
    with open(STAGES_SEED, newline="") as handle:
        return [row["stage_name"] for row in csv.DictReader(handle)]


def _from_environment(name: str):
    """A field's default read from the environment when a run's config leaves it out (Dagster
    fills a run config's missing fields from these defaults, not from the values the resource was
    built with)."""
    def default() -> str:
        from orchestration.defs.ingest.sources import configured_source

        environment = {**configured_source(), "home": str(state_paths().home),
                       "as_of": os.environ.get("CRM_KPI_AS_OF", ""),
                       # empty: decided by source_dir (see `source`), so a config naming a folder loads it
                       "source_kind": os.environ.get("CRM_KPI_SOURCE_KIND", ""),
                       "engine": os.environ.get("CRM_KPI_ENGINE", "")}
        return environment[name]
    return default


def _loads_raw(run: dg.DagsterRun | None) -> bool:
    """Whether the run loads raw, and so needs its source: not a re-execution of later steps only,
    which must not extract a live org again or load anything."""
    if run is None:
        return True
    if run.asset_selection:  # empty when the whole job runs
        return any(key.path[0] == "raw" for key in run.asset_selection)
    if run.step_keys_to_execute is not None:
        return any(step.startswith("raw__") for step in run.step_keys_to_execute)
    return True


class PipelineConfig(dg.ConfigurableResource):
    """What a run loads and for which day. Every field can be set per run (launchpad or CLI); what
    a run's config leaves out comes from the environment (see docs/operations.md)."""

    source_kind: str = Field(
        default_factory=_from_environment("source_kind"),
        description="Where the export comes from: 'export' (source_dir: a Data Export folder, .zip, or "
        "folder of .zip files), 'salesforce' (a live org, extracted incrementally; credentials from the "
        "SALESFORCE_* environment variables) or 'demo' (the demo org, generated for the as-of date). "
        "Empty: 'export' when source_dir is set, else 'demo'.",
    )
    source_dir: str = Field(
        default_factory=_from_environment("source_dir"),
        description="The export to load (source kind 'export'): a folder, a .zip, or a folder of .zip files.",
    )
    mapping: str = Field(
        default_factory=_from_environment("mapping"),
        description="Another CRM's export: the YAML mapping file (docs/mapping.md) that converts source_dir "
        "onto the Salesforce objects.",
    )
    home: str = Field(
        default_factory=_from_environment("home"), description="The state directory ($CRM_KPI_HOME).")
    as_of: str = Field(
        default_factory=_from_environment("as_of"),
        description="The as-of date (YYYY-MM-DD) every KPI is computed for; empty means today (UTC).",
    )
    load_mode: str = Field(
        default="replace",
        description="'replace': the source is a full export and replaces raw (dbt rebuilds every "
        "model). 'merge': the source holds changes, merged into raw by Id, newest SystemModstamp "
        "wins (dbt's incremental facts process only the changed records).",
    )
    opportunity_stages: list[str] = Field(
        default_factory=configured_stages,
        description="The org's opportunity stages (StageName values; default: the opportunity_stages "
        "dbt seed); rows with any other stage are quarantined.",
    )

    engine: str = Field(
        default_factory=_from_environment("engine"),
        description="Where the dbt models, the mart checks and the publish run: 'duckdb' (embedded, in the "
        "state directory), 'postgres' (the server the PG* or CRM_KPI_POSTGRES_DSN environment variables "
        "name) or 'spark' (the models on Spark; docs/engines.md). Empty: CRM_KPI_ENGINE, else 'duckdb'.",
    )
    wait_seconds: float = Field(
        default=3600.0,
        description="How long a run launched from Dagster (UI, schedule, sensor) waits for the state "
        "directory's run lock while another run holds it.",
    )
    _export_dir: Path | None = PrivateAttr(default=None)
    _load_mode: str | None = PrivateAttr(default=None)

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["PipelineConfig"]:
        """Set up once per run (the job runs in process): hold the state directory's run lock, as
        `crm-kpi run` does, so a run launched from the UI, the schedule or the sensor never writes
        the warehouse beside another; and make the source ready in the state directory (unpack,
        extract, generate, map: orchestration/defs/ingest/sources.py)."""
        from orchestration.defs.ingest.sources import SourceError, prepare_source
        from orchestration.engines import check_ready, engine_for_run
        from orchestration.runtime.run_lock import held_here, run_lock
        from orchestration.warehouse import (
            WarehouseDamaged,
            WarehouseLocked,
            check_at_run_start,
            merge_needs_warehouse,
        )

        try:  # a wrong server is said now, not after the load
            check_ready(self.run_engine)
        except (ValueError, RuntimeError) as exc:  # an unknown engine, a server out of reach
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        home = self.paths.home
        with contextlib.ExitStack() as held:
            held.enter_context(contextlib.nullcontext() if held_here(home) else run_lock(home, self.wait_seconds))
            try:  # and on a server engine the database's: one run writes it at a time
                held.enter_context(engine_for_run(self.run_engine))
            except RuntimeError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            if context.instance is not None and context.run is not None:
                from orchestration.runtime.orphan_runs import PID_TAG, fail_orphaned_runs

                context.instance.add_run_tags(context.run.run_id, {PID_TAG: str(os.getpid())})
                for run_id in fail_orphaned_runs(context.instance, context.run.run_id):
                    context.log.warning(f"Run {run_id} was left started by a killed process: marked failed.")
            # As `crm-kpi run` does before launching (then this finds the warehouse sound): a damaged
            # file fails the run once, here, or is moved aside by a full export, not in every step.
            try:
                moved = check_at_run_start(self.paths.warehouse, rebuilds=self.load_mode != "merge")
            except WarehouseDamaged as exc:
                raise dg.Failure(description=merge_needs_warehouse(exc), allow_retries=False) from None
            except WarehouseLocked as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            for aside in moved:
                context.log.warning(aside.message())
            if not _loads_raw(context.run):
                yield self  # the later steps of a run re-executed: raw is loaded already
                return
            try:
                prepared = prepare_source(self.kind, self.paths, self.as_of_date,
                                          sources=[Path(self.source_dir)] if self.source_dir else [],
                                          mapping=self.mapping, load_mode=self.load_mode)
            except SourceError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            for note in prepared.notes:
                context.log.info(note)
            self._export_dir, self._load_mode = prepared.folder, prepared.load_mode
            yield self

    @property
    def paths(self) -> StatePaths:
        return state_paths(self.home)

    @property
    def source_path(self) -> Path:
        """The export folder this run loads (unpacked, extracted, generated or mapped)."""
        return self._export_dir or Path(self.source_dir).expanduser().resolve()

    @property
    def kind(self) -> str:
        """The source kind: as configured, else an export when a folder is given, else the demo org."""
        return self.source_kind or ("export" if self.source_dir else "demo")

    @property
    def run_load_mode(self) -> str:
        """How this run loads: the configured `load_mode`, except for a live org, whose extract
        decides (a first extract is a full load, later ones are changes to merge)."""
        return self._load_mode or self.load_mode

    @property
    def as_of_date(self) -> dt.date:
        return parse_as_of(self.as_of)

    @property
    def run_engine(self) -> str:
        """The engine this run's models, mart checks and publish run on (orchestration/engines)."""
        from orchestration.engines import resolve_engine

        return resolve_engine(self.engine)


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource, opening the warehouse through `orchestration.warehouse`: a lock
    held by another process is waited for as before, a damaged file fails the step at once (its
    own loop retried every DuckDB IO error, ten times per connection).

    Within a run, the warehouse (and the marts attached to it) is opened once, and each
    `get_connection()` is a cursor of that one opening: opening the files, attaching the marts and
    checkpointing on close cost about 70 ms a time, some sixty times a run. A step that hands the
    files to something that opens them itself (dbt's process, the publish's copy of the marts)
    calls `release()` first: DuckDB lets one process write a file, and one opening of it per
    process. The next `get_connection()` opens the files again. Outside a run (no
    `setup_for_execution`), each `get_connection()` opens the files and closes them after."""

    _shared: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _in_run: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.release()

    def _open(self) -> duckdb.DuckDBPyConnection:
        from orchestration.warehouse import WarehouseError, open_warehouse

        try:
            config = {"custom_user_agent": "dagster", **duckdb_settings(Path(self.database).parent),
                      **self.connection_config}
            return open_warehouse(self.database, config=config)
        except WarehouseError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self._in_run:
            con = self._open()
            try:
                yield con
            finally:
                con.close()
            return
        if self._shared is None:
            self._shared = self._open()
        # A connection of its own to the opened database: its temporary tables and any transaction
        # a failing step left open end with it, as they did when each step opened the file.
        cursor = self._shared.cursor()
        try:
            yield cursor
        except BaseException:
            # The next step opens the files afresh: an error DuckDB calls fatal (a failed write to
            # its log) leaves the opening unusable, and a failed step may have changed a setting.
            cursor.close()
            self.release()
            raise
        else:
            cursor.close()

    def release(self) -> None:
        """Close the run's opening of the warehouse (checkpointing it), so that another process,
        or another opening in this one, can have the files."""
        if self._shared is not None:
            shared, self._shared = self._shared, None
            shared.close()


@contextlib.contextmanager
def marts_connection(pipeline: PipelineConfig, warehouse: WarehouseResource):
    """A connection where this run's marts and validated tables are, for the checks whose SQL both
    engines run: the warehouse's, or the Postgres server's (with DuckDB's `execute` manner)."""
    if pipeline.run_engine == "postgres":
        from orchestration.engines.postgres import QueryConnection, connect

        with contextlib.closing(connect()) as pg:
            yield QueryConnection(pg)
    else:
        with warehouse.get_connection() as con:
            yield con


class DbtResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without the two set-ups of each invocation that this
    project never uses: it asks the dbt executable its version in a subprocess (ours is
    `crm-kpi-dbt`, the dbt-core of this interpreter, so the package says it), and it builds a dbt
    adapter in the Dagster process, needed only to fetch row counts or column metadata through
    dbt. Together they cost about 3 s of every run's dbt step."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None
