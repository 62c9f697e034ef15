"""Great Expectations suites run as blocking Dagster asset checks on the raw tables they guard.

A failing blocking check stops every downstream asset of the run, so the marts are neither rebuilt
nor published from data that breaks a rule.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.suites import opportunity_suite
from data_quality.validate import SuiteOutcome, validate_table
from orchestration.resources import PipelineConfig


def check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """A check result a person can act on: each broken rule, how often, and example values."""
    failures = {
        o.describe(): {"failing_rows": o.unexpected_count, "sample": [str(v) for v in o.sample]}
        for o in outcome.failures
    }
    summary = "; ".join(f"{rule}: {f['failing_rows']} row(s), e.g. {f['sample']}" for rule, f in failures.items())
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=summary or f"All {len(outcome.outcomes)} expectations passed.",
        metadata={
            "suite": outcome.suite,
            "rows_checked": dg.MetadataValue.int(outcome.rows),
            "expectations": dg.MetadataValue.int(len(outcome.outcomes)),
            "failed_expectations": dg.MetadataValue.json(failures),
            "chunks": dg.MetadataValue.int(outcome.chunks),
            "seconds": dg.MetadataValue.float(round(outcome.seconds, 3)),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw", "opportunity"]),
    name="opportunity_expectations",
    blocking=True,
    description=(
        "Great Expectations suite `raw.opportunity`: Id non-null, unique and Salesforce-shaped; "
        "Amount ≥ 0; StageName one of the configured stages."
    ),
)
def opportunity_expectations(
    pipeline: PipelineConfig, warehouse: DuckDBResource
) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        outcome = validate_table(con, "raw.opportunity", opportunity_suite(pipeline.opportunity_stages))
    return check_result(outcome)
