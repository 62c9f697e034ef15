"""dbt source freshness and the pipeline's blocking freshness checks use the same limits."""

from __future__ import annotations

import json

from data_quality.config import DEFAULT_MAX_AGE_HOURS
from orchestration.salesforce.objects import OBJECTS
from orchestration.settings import DBT_PROJECT_DIR


def test_dbt_source_freshness_limits_equal_the_pipeline_defaults():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    sources = {node["name"]: node for node in manifest["sources"].values()}
    for obj in OBJECTS:
        source = sources[obj.table]
        error_after = (source.get("freshness") or {}).get("error_after") or {}
        hours = error_after.get("count") if error_after.get("period") == "hour" else None
        assert hours == DEFAULT_MAX_AGE_HOURS.get(obj.api_name), obj.api_name
        if hours is not None:
            assert source["loaded_at_field"] == "system_modstamp", obj.api_name
