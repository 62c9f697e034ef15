"""Running the pipeline job in this process and saying, in plain words, how it went."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from data_quality.data_docs import build_site
from orchestration.cli.progress import ProgressDisplay
from orchestration.defs.publish.keys import PUBLISHED_KEY
from orchestration.runtime.instance import get_instance
from orchestration.settings import StatePaths


@dataclass
class RunSummary:
    run_id: str
    published: bool
    log_file: Path | None = None  # what dbt and the libraries printed during the run
    failures: list[str] = field(default_factory=list)  # failed steps, with their error message
    failed_checks: list[str] = field(default_factory=list)
    passed_checks: int = 0
    warned_checks: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(text: str) -> str:
    """The first non-empty line, without terminal colour codes: a summary, not a log."""
    lines = [line.strip() for line in ANSI_ESCAPE.sub("", text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


def _check_description(evaluation) -> str:
    if evaluation.description:
        return _first_line(evaluation.description)
    status = evaluation.metadata.get("status")
    status = getattr(status, "value", status)
    if status == "error":  # a dbt test that could not run says nothing about rows
        return "the dbt test could not run (a dbt error: see the models' errors below)"
    if status == "skipped":
        return "the dbt test did not run (a model it needs failed)"
    failing = evaluation.metadata.get("dagster_dbt/failed_row_count")
    if failing is not None:  # a dbt test: say how many rows broke it
        return f"dbt test failed on {failing.value} row(s)"
    return "failed"


def dbt_errors(target: Path) -> list[str]:
    """The models and seeds dbt could not build in its last invocation, with dbt's message:
    `model kpi_sales_daily: Out of Memory Error: ...`, read from run_results.json."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    errors = []
    for result in results:
        kind, *_, name = result["unique_id"].split(".")  # model.<project>.<name>
        if result.get("status") == "error" and kind in ("model", "seed", "snapshot"):
            errors.append(f"{kind} {name}: {_first_line(result.get('message') or 'error')}")
    return errors


def _error_text(event: dg.DagsterEvent) -> str:
    data = event.event_specific_data
    error = getattr(data, "error", None)
    if error is None:
        return "failed"
    # A dg.Failure carries our own message (file, column, rule); show that, not the exception type.
    user_failure = getattr(data, "user_failure_data", None)
    if user_failure is not None and user_failure.description:
        if user_failure.description.startswith("The dbt CLI process"):
            # dagster-dbt's message is the command line; the failing tests are listed as checks
            return "dbt build failed (its failing tests are listed above, the models it could not build below)"
        return _first_line(user_failure.description)
    cause = error.cause or error
    return _first_line(cause.message)


def summarize(result: dg.ExecuteInProcessResult) -> RunSummary:
    summary = RunSummary(run_id=result.run_id, published=False)
    for event in result.all_events:
        if event.is_step_failure:
            error = getattr(event.event_specific_data, "error", None)
            # a step stopped by its own blocking check: that check is already listed as failed
            if error is None or error.cls_name != "DagsterAssetCheckFailedError":
                summary.failures.append(f"{event.step_key}: {_error_text(event)}")
        elif event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            # the run's set-up refused it (the run lock of a server engine's database, say)
            cause = event.event_specific_data.error.cause or event.event_specific_data.error
            message = _first_line(cause.message).removeprefix("dagster._core.definitions.events.Failure: ")
            summary.failures.append(f"the run's set-up: {message}")
        elif event.is_step_skipped:
            summary.skipped_steps.append(event.step_key or "?")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}"
            if evaluation.passed:
                summary.passed_checks += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                summary.warned_checks.append(f"{name}: {_check_description(evaluation)}")
            else:
                summary.failed_checks.append(f"{name}: {_check_description(evaluation)}")
        elif event.is_step_materialization and event.asset_key == PUBLISHED_KEY:
            summary.published = True
    return summary


def run_pipeline(
    paths: StatePaths, source: Path, as_of: dt.date, tags: dict[str, str] | None = None,
    load_mode: str = "replace", engine: str = "duckdb",
) -> RunSummary:
    """Materialize every asset of the pipeline job for `source` and `as_of`, recorded in the
    state directory's Dagster instance (so `make ui` shows the run). `load_mode` is 'replace'
    for a full export, 'merge' for a batch of changes; `engine` runs the models, mart checks and
    publish (orchestration/engines). The caller holds the state directory's
    run lock (see runtime/run_lock.py)."""
    instance = get_instance(paths)
    # Imported after the environment points at the state directory: resources read it.
    from orchestration.definitions import build_defs
    from orchestration.defs.jobs import PIPELINE_JOB_NAME

    job = build_defs().resolve_job_def(PIPELINE_JOB_NAME)
    run_config = {
        "resources": {
            "pipeline": {
                # the folder the CLI prepared: an export, whatever CRM_KPI_SOURCE_KIND says
                "config": {"source_kind": "export", "source_dir": str(source), "mapping": "",
                           "home": str(paths.home), "as_of": as_of.isoformat(), "load_mode": load_mode,
                           "engine": engine}
            }
        },
        # The CLI prints its own summary; the full event log is in the Dagster instance.
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    log_file = paths.logs / "last_run.log"
    run_id = str(uuid.uuid4())
    terminal = sys.stderr  # kept before the redirect below: the progress line goes to the terminal
    display = (ProgressDisplay(instance, run_id, job.asset_layer.asset_graph, terminal) if terminal.isatty()
               else contextlib.nullcontext())
    # dagster-dbt echoes every dbt log line to stdout: keep it in the log file, not on the terminal.
    with open(log_file, "w") as log, display, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            tags={"crm_kpi/source": str(source), "crm_kpi/as_of": as_of.isoformat(),
                  "crm_kpi/load_mode": load_mode, "crm_kpi/engine": engine, **(tags or {})},
        )
    summary = summarize(result)
    summary.log_file = log_file
    if any(failure.startswith("crm_kpi_dbt_models:") for failure in summary.failures):
        summary.failures.extend(f"dbt: {error}" for error in dbt_errors(paths.home / "dbt" / "target"))
    try:  # each validation only stored its result: its page is rendered with the others here
        build_site(paths.data_docs, paths.gx_stores)
    except Exception as exc:  # Data Docs are a report: they never change what the run did
        with open(log_file, "a") as log:
            print(f"The Data Docs were not rendered: {exc!r}", file=log)
    return summary
