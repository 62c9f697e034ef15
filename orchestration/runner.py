"""Running the pipeline job in this process and saying, in plain words, how it went."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.instance import get_instance
from orchestration.settings import StatePaths

PUBLISHED_KEY = dg.AssetKey(["published", "crm_kpis"])


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


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


def _error_text(event: dg.DagsterEvent) -> str:
    data = event.event_specific_data
    error = getattr(data, "error", None)
    if error is None:
        return "failed"
    # A dg.Failure carries our own message (file, column, rule); show that, not the exception type.
    user_failure = getattr(data, "user_failure_data", None)
    if user_failure is not None and user_failure.description:
        return user_failure.description
    cause = error.cause or error
    return _first_line(cause.message)


def summarize(result: dg.ExecuteInProcessResult) -> RunSummary:
    summary = RunSummary(run_id=result.run_id, published=False)
    for event in result.all_events:
        if event.is_step_failure:
            summary.failures.append(f"{event.step_key}: {_error_text(event)}")
        elif event.is_step_skipped:
            summary.skipped_steps.append(event.step_key or "?")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}"
            if evaluation.passed:
                summary.passed_checks += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                summary.warned_checks.append(f"{name}: {evaluation.description or 'warning'}")
            else:
                summary.failed_checks.append(f"{name}: {evaluation.description or 'failed'}")
        elif event.is_step_materialization and event.asset_key == PUBLISHED_KEY:
            summary.published = True
    return summary


def run_pipeline(
    paths: StatePaths, source: Path, as_of: dt.date, tags: dict[str, str] | None = None
) -> RunSummary:
    """Materialize every asset of the pipeline job for `source` and `as_of`, recorded in the
    state directory's Dagster instance (so `make ui` shows the run)."""
    instance = get_instance(paths)
    # Imported after the environment points at the state directory: resources read it.
    from orchestration.definitions import build_defs
    from orchestration.defs.jobs import PIPELINE_JOB_NAME

    job = build_defs().resolve_job_def(PIPELINE_JOB_NAME)
    run_config = {
        "resources": {
            "pipeline": {
                "config": {"source_dir": str(source), "home": str(paths.home), "as_of": as_of.isoformat()}
            }
        },
        # The CLI prints its own summary; the full event log is in the Dagster instance.
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    log_file = paths.logs / "last_run.log"
    # dagster-dbt echoes every dbt log line to stdout: keep it in the log file, not on the terminal.
    with open(log_file, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            tags={"crm_kpi/source": str(source), "crm_kpi/as_of": as_of.isoformat(), **(tags or {})},
        )
    summary = summarize(result)
    summary.log_file = log_file
    return summary
