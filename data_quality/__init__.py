"""Data-quality rules and checks: Great Expectations suites, quarantine, load audits, reconciliation."""

import os

# GX phones home unless told not to; the pipeline sends nothing anywhere. Set before any GX import.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
