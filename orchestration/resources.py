"""The run-level settings every asset reads: what export to load, for which as-of date, and where."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.settings import DBT_PROJECT_DIR, StatePaths, parse_as_of, state_paths

STAGES_SEED = DBT_PROJECT_DIR / "seeds" / "opportunity_stages.csv"


def configured_stages() -> list[str]:
    """The org's stage names from the dbt seed, the one place stages are configured."""
    with open(STAGES_SEED, newline="") as handle:
        return [row["stage_name"] for row in csv.DictReader(handle)]


class PipelineConfig(dg.ConfigurableResource):
    """What a run loads and for which day. Every field can be set per run (launchpad or CLI)."""

    source_dir: str = Field(description="The export folder to load (one file per Salesforce object).")
    home: str = Field(description="The state directory ($CRM_KPI_HOME).")
    as_of: str = Field(
        default="",
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

    @property
    def paths(self) -> StatePaths:
        return state_paths(self.home)

    @property
    def source_path(self) -> Path:
        return Path(self.source_dir).expanduser().resolve()

    @property
    def as_of_date(self) -> dt.date:
        return parse_as_of(self.as_of)
