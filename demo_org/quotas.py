"""ForecastingQuota: each rep's monthly quota in the corporate currency.

One row per rep per month they were employed, from the first month of the history through the last
month of the current quarter: quotas are set a quarter at a time, so the current quarter's months
exist even when they start after as_of. Quotas follow skill loosely and rise once a year.
"""

from __future__ import annotations

import numpy as np

from demo_org.clock import DAY, HOUR, Timeline, add_months, audit_stamps
from demo_org.columns import Ref, ref, text
from demo_org.ids import make_ids
from demo_org.team import Team
from orchestration.salesforce.objects import FORECASTING_QUOTA

# The org's one forecast type (Opportunity revenue); ForecastingType Ids start with 0Db.
FORECASTING_TYPE_COUNTER = 4_200
FORECASTING_TYPE_ID = make_ids("0Db", 1, start=FORECASTING_TYPE_COUNTER)[0]


def build_quotas(rng: np.random.Generator, tl: Timeline, team: Team) -> dict:
    first_month = int(add_months(np.array([tl.first_day]), 0)[0])
    current = tl.n_months - 1
    # Months up to the end of the current quarter (month-of-year index 0-11 -> quarter end).
    month_of_year = int(np.datetime64(tl.last_day, "D").astype("datetime64[M]").astype(np.int64) % 12)
    n_months = current + 1 + (2 - month_of_year % 3)
    n_reps = team.skill.size

    employed = np.zeros((n_months, n_reps), bool)
    employed[: team.active.shape[0]] = team.active
    # Reps still on the team carry on into the rest of the quarter.
    employed[team.active.shape[0] :] = team.active[-1]
    month, rep = np.nonzero(employed)
    start_day = add_months(np.full(month.size, first_month), month)

    base = np.clip(65_000 * np.exp(0.15 * team.skill), 40_000, 110_000)
    month_number = start_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    years_in = month_number // 12 - (month_number.min() // 12 if month.size else 0)
    # Quota rises about 8% each calendar year, and stays in a realistic 40k-120k band.
    amount = np.clip(np.round(base[rep] * 1.08**years_in / 5_000) * 5_000, 40_000, 120_000)

    # Quotas for a quarter are entered in the last weeks before it starts.
    quarter_start = add_months(start_day, -(month_number % 3))
    created = quarter_start * DAY - rng.integers(3, 20, month.size) * DAY + 10 * HOUR
    created = tl.clip(np.maximum(created, tl.start - 30 * DAY + 10 * HOUR))
    modified, modstamp = audit_stamps(rng, tl, created, edit_share=0.1, fresh_share=0.02)
    order = np.lexsort((rep, start_day))
    n = month.size
    table = {
        "Id": ref(FORECASTING_QUOTA.id_prefix, 2_300_000, np.arange(n)),
        "QuotaOwnerId": team.rep_ref(rep),
        "StartDate": start_day,
        "QuotaAmount": amount,
        "QuotaQuantity": np.ma.array(np.zeros(n), mask=np.ones(n, bool)),
        "ForecastingTypeId": Ref(np.full(n, FORECASTING_TYPE_COUNTER), "0Db"),
        "CurrencyIsoCode": text(np.zeros(n, np.int64), ("USD",)),
        "IsAmount": np.ones(n, bool),
        "IsQuantity": np.zeros(n, bool),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}
