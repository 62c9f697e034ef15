"""A synthetic but realistic Salesforce org, written as an export folder the pipeline can ingest.

`generate_org` writes one file per object of `orchestration.salesforce.objects.OBJECTS`: a sales
team with a manager hierarchy, a lead-to-opportunity funnel with stage history, activities,
campaigns, quotas and currencies, tracked e-mails, shared sales content and customer surveys, with
the seasonality, deletions and gaps of a real org.
"""

from __future__ import annotations

from orchestration.demo_org.generate import generate_org

__all__ = ["generate_org"]
