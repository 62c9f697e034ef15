"""Turning a data-quality outcome into a Dagster check result a person can act on."""

import dagster as dg

from data_quality.load_audit import CheckOutcome


def to_check_result(outcome: CheckOutcome, severity=dg.AssetCheckSeverity.ERROR,
                    extra_metadata: dict | None = None, **target) -> dg.AssetCheckResult:
    """`extra_metadata` holds values already typed for Dagster, such as a link to the Data Docs page.
    `target` (asset_key, check_name) names the check when one step evaluates several."""
    metadata = {key: dg.MetadataValue.json(value) if isinstance(value, (list, dict)) else value
                for key, value in outcome.metadata.items()}
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        description=outcome.description,
        metadata={**metadata, **(extra_metadata or {})},
        **target,
    )
