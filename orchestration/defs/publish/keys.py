"""The published database's asset key: what the publish step materializes, and what a run's
summary looks for to tell whether it published."""

import dagster as dg

PUBLISHED_KEY = dg.AssetKey(["published", "crm_kpis"])
