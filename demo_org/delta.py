"""One more day of an org: the day's changes as a delta export, and the org moved to the new state.

`generate_delta` reads an org folder written by `generate_org` (or by an earlier delta) and writes
into `delta_dir` what an incremental extract of the following `day` returns: new records, updated
records (whole rows, as the API returns them) and deletions (rows with IsDeleted = true), every one
stamped on that day. It then rewrites the org folder to the state after the day: each record of the
delta replaces the org's record with its Id, new ones are added, deleted ones kept with their flag.
So "full load of the old org + incremental load of the delta" and "full load of the new org" must
give the same tables, which is what the pipeline's incremental load is tested against.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from demo_org.clock import HOUR
from demo_org.delta_activity import activity_changes
from demo_org.delta_day import Changes, Day
from demo_org.delta_funnel import funnel_changes
from demo_org.delta_io import OrgFiles, as_table, upsert_org, write_delta
from demo_org.delta_pipeline import pipeline_changes
from orchestration.salesforce.objects import OBJECTS, OBJECTS_BY_NAME


def generate_delta(org_dir: Path, delta_dir: Path, *, day: dt.date, seed: int = 42) -> dict[str, int]:
    """Write the changes of `day` into `delta_dir` and upsert them into `org_dir`; rows per object.

    `day` must come after every change already in the org. The delta has the org's format (CSV or
    Parquet), one file per object (empty where nothing changed), and is a pure function of the org,
    `day` and `seed`.
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    if Path(delta_dir).resolve() == Path(org_dir).resolve():
        raise ValueError("the delta goes into a folder of its own, not into the org folder")
    org = OrgFiles(Path(org_dir))
    try:
        last = _last_change(org)
        if last is not None and day <= last:
            raise ValueError(f"{org_dir}: the org already has changes on {last}; a delta must be for a later day")
        today = Day(day, np.random.default_rng(np.random.SeedSequence([seed, day.toordinal()])), org)
        changes = Changes()
        touches = funnel_changes(today, changes)
        deals = pipeline_changes(today, changes)
        activity_changes(today, changes, touches, deals)
        _refresh_rates(today, changes)
        _next_quarter_quotas(today, changes)
        tables = changes.combined(org)
        write_delta(Path(delta_dir), org.fmt, tables)
        upsert_org(org, tables)
    finally:
        org.close()
    return {obj.api_name: tables[obj.api_name].num_rows if obj.api_name in tables else 0 for obj in OBJECTS}


def _last_change(org: OrgFiles) -> dt.date | None:
    stamps = " UNION ALL ".join(f'SELECT max(SystemModstamp) AS s FROM "{o.api_name}"' for o in OBJECTS)
    newest = org.scalar(f"SELECT max(s) FROM ({stamps})")
    return None if newest is None else newest.date()


def _refresh_rates(day: Day, changes: Changes) -> None:
    """The daily job that maintains exchange rates writes every CurrencyType row each morning."""
    ids = day.org.query("SELECT Id FROM CurrencyType ORDER BY Id")["Id"].astype(str)
    written = day.start + 6 * HOUR + np.arange(ids.size) * 60
    changes.update("CurrencyType", ids, {"LastModifiedDate": written, "SystemModstamp": written})


def _next_quarter_quotas(day: Day, changes: Changes) -> None:
    """Entering a quarter that has no quotas yet: each active rep's quota for its three months."""
    quarter = dt.date(day.date.year, (day.date.month - 1) // 3 * 3 + 1, 1)
    latest = day.org.scalar("SELECT max(StartDate) FROM ForecastingQuota")
    if latest is None or latest >= quarter:
        return
    reps = day.org.query(
        "SELECT QuotaOwnerId, arg_max(QuotaAmount, StartDate)::DOUBLE AS amount, any_value(ForecastingTypeId) AS type "
        "FROM ForecastingQuota WHERE QuotaOwnerId IN (SELECT k FROM keys) GROUP BY 1 ORDER BY 1", keys=day.reps)
    owner = np.repeat(reps["QuotaOwnerId"].astype(str), 3)
    if not owner.size:
        return
    # A new year raises quotas about 8%, in the realistic 40k-120k band, as quotas.py sets them.
    raise_ = 1.08 if quarter.month == 1 else 1.0
    amount = np.clip(np.round(np.repeat(reps["amount"], 3) * raise_ / 5_000) * 5_000, 40_000, 120_000)
    month = np.tile(np.arange(3), reps["QuotaOwnerId"].size)
    first = (quarter - dt.date(1970, 1, 1)).days
    start = (np.datetime64(first, "D").astype("datetime64[M]") + month).astype("datetime64[D]").astype(np.int64)
    n = owner.size
    created = np.full(n, day.start + 10 * HOUR) + np.arange(n) % 3_600
    changes.add("ForecastingQuota", as_table(OBJECTS_BY_NAME["ForecastingQuota"], {
        "Id": day.new_ids("ForecastingQuota", n), "QuotaOwnerId": owner, "StartDate": start, "QuotaAmount": amount,
        "QuotaQuantity": np.ma.masked_all(n, float), "ForecastingTypeId": np.repeat(reps["type"].astype(str), 3),
        "CurrencyIsoCode": np.full(n, "USD"), "IsAmount": np.ones(n, bool), "IsQuantity": np.zeros(n, bool),
        "CreatedDate": created, "LastModifiedDate": created, "SystemModstamp": created,
    }))

