"""A synthetic but realistic Salesforce org, written as an export folder the pipeline can ingest.

`generate_org` writes one file per object of `orchestration.salesforce.objects.OBJECTS`: a sales
team with a manager hierarchy, a lead-to-opportunity funnel with stage history, activities,
campaigns, quotas and currencies, tracked e-mails, shared sales content and customer surveys, with
the seasonality, deletions and gaps of a real org. `LARGE_ORG_SCALE` is an org of a million deals,
generated territory by territory in bounded memory. `generate_delta` adds one more day of changes
to an org folder, as the delta file an incremental extract would return.

It is the demo and the test bed, not the target: a package of its own beside the pipeline, which
imports it only to generate the demo org when a run asks for one (`make run`, the tests, the bench).
"""

from __future__ import annotations

from demo_org.delta import generate_delta
from demo_org.generate import LARGE_ORG_SCALE, generate_org, planned_counts

__all__ = ["LARGE_ORG_SCALE", "generate_delta", "generate_org", "planned_counts"]
