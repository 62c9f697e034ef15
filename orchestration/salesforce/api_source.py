"""A live Salesforce org as the pipeline's source: extract what changed since the last load.

The first extract from an org reads every record and is loaded as a full export. Later extracts
ask only for records changed after each object's watermark (stored in the warehouse by the last
load) and are merged into raw by Id. Deleted records come along (queryAll) with IsDeleted = true.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from orchestration.salesforce.objects import OBJECTS
from orchestration.salesforce.watermarks import read_watermarks
from orchestration.settings import StatePaths


def stored_watermarks(paths: StatePaths) -> dict[str, dt.datetime]:
    """The watermarks of the state directory's warehouse; none before its first load."""
    if not paths.warehouse.exists():
        return {}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return read_watermarks(con)


def extract_from_salesforce(paths: StatePaths, now: dt.datetime) -> tuple[Path, str, dict]:
    """Extract the org's changes into a new folder; return it, the load mode, and the results.

    Credentials come from the SALESFORCE_* environment variables (see `api.connect`).
    """
    from orchestration.salesforce.api import connect_from_env, extract_changes

    watermarks = stored_watermarks(paths)
    out_dir = paths.home / "salesforce_extract" / now.strftime("%Y%m%dT%H%M%SZ")
    results = extract_changes(connect_from_env(), OBJECTS, watermarks, out_dir)
    return out_dir, "merge" if watermarks else "replace", results
