"""Bring-your-own CRM: a YAML mapping turns any CSV export into the Salesforce objects the pipeline reads.

    from orchestration.mapping import apply_mapping
    apply_mapping("examples/mappings/sales_pipeline.yml", "examples/sales_pipeline_export", "out/")
    # then: crm-kpi run --source out/

The format is documented in docs/mapping.md.
"""

from orchestration.mapping.apply import apply_mapping
from orchestration.mapping.errors import MappingError
from orchestration.mapping.ids import salesforce_id
from orchestration.mapping.validate import MappingPlan, validate_mapping

__all__ = ["MappingError", "MappingPlan", "apply_mapping", "salesforce_id", "validate_mapping"]
