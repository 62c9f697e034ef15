"""The thresholds of the data-quality gate, with defaults a user can override in a YAML file.

    # $CRM_KPI_QUALITY_CONFIG, e.g. quality.yml
    max_age_hours: {Opportunity: 24, Lead: 24, Task: 48}
    volume_drop_threshold: 0.5

Only the keys given are overridden; `max_age_hours` entries are merged into the defaults (set an
object to null to stop checking its freshness).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

# Objects whose newest change says whether the export is current: the ones sales touch every day.
DEFAULT_MAX_AGE_HOURS: dict[str, float | None] = {
    "Opportunity": 24,
    "OpportunityHistory": 48,
    "Lead": 24,
    "Task": 48,
    "Event": 48,
}


class QualityConfig(BaseModel):
    max_age_hours: dict[str, float | None] = Field(
        default_factory=lambda: dict(DEFAULT_MAX_AGE_HOURS),
        description="Maximum age of each object's newest SystemModstamp at the run's as-of time.",
    )
    volume_drop_threshold: float = Field(
        0.5, ge=0, le=1, description="Largest tolerated drop in an object's rows against the last good load."
    )
    quarantine_threshold: float = Field(
        0.05, ge=0, le=1,
        description="Largest share of an object's rows that may break one row-level rule (they are "
        "quarantined); above it the run is held back.",
    )
    orphan_tolerance: float = Field(
        0.01, ge=0, le=1, description="Largest share of rows whose reference (owner, account, ...) may not resolve."
    )
    lead_statuses: list[str] = Field(
        default_factory=lambda: ["Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                                 "Closed - Not Converted"],
        description="The org's Lead Status values (Salesforce's defaults unless configured).",
    )

    def max_age_for(self, object_name: str) -> float | None:
        return self.max_age_hours.get(object_name)


def load_quality_config(path: str | os.PathLike | None = None) -> QualityConfig:
    """The config in `path` (default `$CRM_KPI_QUALITY_CONFIG`), else the defaults."""
    path = path or os.environ.get("CRM_KPI_QUALITY_CONFIG")
    if not path:
        return QualityConfig()
    try:
        overrides = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the quality config: {exc}") from None
    if not isinstance(overrides, dict):
        raise ValueError(f"{path}: the quality config must be a mapping of settings")
    merged = {**DEFAULT_MAX_AGE_HOURS, **(overrides.pop("max_age_hours", None) or {})}
    return QualityConfig(max_age_hours=merged, **overrides)
