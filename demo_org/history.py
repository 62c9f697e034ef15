"""OpportunityHistory: the trail of stage changes behind each deal's current state.

Each deal starts in the first stage at its CreatedDate and moves forward, skipping stages now and
then; about one deal in ten slips back a stage before moving on. The last stage change lands on the
deal's current stage at its last change (its close, for a closed deal). Earlier rows carry the
amount and close date the rep had entered at the time.
"""

from __future__ import annotations

import numpy as np

from demo_org import money
from demo_org.clock import DAY, Timeline
from demo_org.columns import Ref, text
from demo_org.ids import id_start
from demo_org.pipeline import (
    FORECAST_CATEGORY,
    OPEN_STAGES,
    STAGE_IS_CLOSED,
    STAGE_NAMES,
    STAGE_PROBABILITY,
    Opportunities,
)
from demo_org.team import Team
from orchestration.salesforce.objects import OPPORTUNITY_HISTORY

_KEEP_STAGE = 0.45  # chance a deal records an intermediate stage rather than skipping it
_REGRESSION = 0.17  # chance a deal with room for it slips back once (about 10% of all deals)
_FRESH_KEY = 1e9  # sort key placing today's update after every stage change


def build_history(rng: np.random.Generator, tl: Timeline, team: Team, opps: Opportunities,
                  block: int = 0) -> dict:
    n = opps.size
    reached = np.searchsorted(OPEN_STAGES, opps.reached)

    # Open stages 0..reached, keeping the first and the furthest and a random share in between.
    opp = np.repeat(np.arange(n), reached + 1)
    pos = np.arange(opp.size) - np.repeat(np.cumsum(reached + 1) - (reached + 1), reached + 1)
    keep = (pos == 0) | (pos == reached[opp]) | (rng.random(opp.size) < _KEEP_STAGE)
    opp, pos = opp[keep], pos[keep]
    stage, key = OPEN_STAGES[pos], pos.astype(float)

    closed = np.flatnonzero(STAGE_IS_CLOSED[opps.stage])
    opp = np.concatenate([opp, closed])
    stage = np.concatenate([stage, opps.stage[closed]])
    key = np.concatenate([key, np.full(closed.size, float(OPEN_STAGES.size))])
    opp, stage, key = _sorted(opp, stage, key)

    # Regressions: after some middle row, step back to an earlier stage before continuing.
    rank, size = _rank(opp)
    middle = (rank > 0) & (rank < size - 1) & ~STAGE_IS_CLOSED[stage]
    score = np.where(middle, rng.random(opp.size), -1.0)
    by_score = np.lexsort((score, opp))
    last_of_deal = np.r_[np.flatnonzero(np.diff(opp[by_score])), opp.size - 1] if opp.size else []
    pick = by_score[last_of_deal]  # each deal's best-scoring middle row
    pick = pick[(score[pick] >= 0) & (rng.random(pick.size) < _REGRESSION)]
    back_pos = (rng.random(pick.size) * np.searchsorted(OPEN_STAGES, stage[pick])).astype(np.int64)

    fresh = np.flatnonzero(~np.ma.getmaskarray(opps.fresh_at))
    opp = np.concatenate([opp, opp[pick], fresh])
    stage = np.concatenate([stage, OPEN_STAGES[back_pos], opps.stage[fresh]])
    key = np.concatenate([key, key[pick] + 0.5, np.full(fresh.size, _FRESH_KEY)])
    opp, stage, key = _sorted(opp, stage, key)
    rank, size = _rank(opp)

    # Times: the first row at CreatedDate, the last stage change at the deal's last change, the
    # rest in between in order; today's update (if any) at its own time.
    is_fresh = key == _FRESH_KEY
    n_main = size - np.bincount(opp[is_fresh], minlength=n)[opp]
    u = np.where(rank == 0, 0.0, np.where(rank == n_main - 1, 1.0, rng.random(opp.size)))
    u = np.where(is_fresh, 2.0, u)
    u = u[np.lexsort((u, opp))]  # sorted within each deal; the deal blocks stay in place
    created, last = opps.created[opp], opps.last_change[opp]
    stretch = np.maximum(last - created - (n_main - 1), 0)
    spread = created + (u.clip(0, 1) * stretch).astype(np.int64) + rank  # + rank: strictly ascending
    time = np.where(is_fresh, opps.fresh_at.filled(0)[opp], spread)

    # Amounts and close dates drift towards their current values; the last row holds those.
    last_row = rank == size - 1
    currency = opps.currency[opp]
    final_amount = opps.amount.filled(np.nan)[opp]
    drift = money.round_local(final_amount * rng.uniform(0.7, 1.2, opp.size), currency)
    amount = np.where(last_row, final_amount, drift)
    amount_null = np.ma.getmaskarray(opps.amount)[opp]
    slip = ((1 - u.clip(0, 1)) * rng.uniform(0, 45, opp.size)).astype(np.int64)
    # Earlier expectations were earlier (deals slip), but always at least a week out at the time.
    earlier = np.maximum(opps.close_day[opp] - slip, time // DAY + 7)
    close_day = np.where(last_row, opps.close_day[opp], earlier)
    probability = STAGE_PROBABILITY[stage]
    deleted = opps.deleted[opp]
    modstamp = np.where(deleted, opps.table["SystemModstamp"][opp], time)

    order = np.lexsort((key, opp, time))  # Ids follow creation order, as in Salesforce
    table = {
        "Id": Ref(id_start(410_000_000, block) + np.arange(opp.size), OPPORTUNITY_HISTORY.id_prefix),
        "OpportunityId": opps.refs(opp),
        "StageName": text(stage, STAGE_NAMES),
        "Amount": np.ma.array(amount, mask=amount_null),
        "Probability": probability,
        "CloseDate": close_day,
        "ExpectedRevenue": np.ma.array(np.round(amount * probability / 100, 2), mask=amount_null),
        "ForecastCategory": text(stage, FORECAST_CATEGORY),
        "CreatedById": team.rep_ref(opps.owner[opp]),
        "IsDeleted": deleted,
        "CreatedDate": time,
        "SystemModstamp": modstamp,
    }
    return {k: (v if k == "Id" else v[order]) for k, v in table.items()}


def _sorted(opp: np.ndarray, stage: np.ndarray, key: np.ndarray):
    order = np.lexsort((key, opp))
    return opp[order], stage[order], key[order]


def _rank(opp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each row within its (contiguous) deal, and the deal's row count."""
    counts = np.bincount(opp, minlength=opp.max() + 1 if opp.size else 0)
    starts = np.cumsum(counts) - counts
    return np.arange(opp.size) - starts[opp], counts[opp]
