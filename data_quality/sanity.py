"""Sanity warnings: data that loads and passes every rule, yet looks wrong to anyone who knows the
CRM. They never hold the run back (the data may be right), but they are said, with counts and
examples, so the numbers they feed are not trusted blindly.

- A won opportunity that closed before it was created makes the average sales cycle negative.
- An open opportunity whose latest OpportunityHistory row disagrees with the record itself: the
  "as it stood then" pipeline KPIs (open pipeline, weighted pipeline, coverage, stage conversion)
  read the history, while current-state KPIs (bookings, win rate, deal size, sales cycle) read the
  record. The two are meant to agree at export time; where they do not, one of them is stale.
"""

from __future__ import annotations

import datetime as dt

from data_quality.as_of import as_of_cutoff
from data_quality.load_audit import CheckOutcome

EXAMPLES = 5

_WON_BEFORE_CREATED = """
    select id, close_date, cast(created_date as date) as created_on
    from validated.opportunity
    where not coalesce(is_deleted, false) and is_won and close_date < cast(created_date as date)
    order by close_date, id
"""

# The newest history row of each open opportunity recorded by the as-of day, beside the record.
_HISTORY_VERSUS_RECORD = """
    with latest as (
        select opportunity_id, stage_name, amount, probability
        from validated.opportunity_history
        where not coalesce(is_deleted, false) and created_date < $cutoff
        qualify row_number() over (partition by opportunity_id order by created_date desc, id desc) = 1
    )
    select o.id,
           concat_ws('; ',
               case when o.stage_name is distinct from h.stage_name
                    then 'StageName ' || o.stage_name || ' vs ' || coalesce(h.stage_name, 'empty') end,
               case when o.amount is distinct from h.amount
                    then 'Amount ' || coalesce(cast(o.amount as varchar), 'empty') || ' vs '
                         || coalesce(cast(h.amount as varchar), 'empty') end,
               case when o.probability is distinct from h.probability
                    then 'Probability ' || coalesce(cast(o.probability as varchar), 'empty') || ' vs '
                         || coalesce(cast(h.probability as varchar), 'empty') end) as differs
    from validated.opportunity as o
    join latest as h on h.opportunity_id = o.id
    where not coalesce(o.is_deleted, false) and not coalesce(o.is_closed, false)
      and (o.stage_name is distinct from h.stage_name or o.amount is distinct from h.amount
           or o.probability is distinct from h.probability)
    order by o.id
"""


def won_before_created(con) -> CheckOutcome:
    """Won opportunities whose CloseDate is before the day they were created."""
    rows = con.execute(_WON_BEFORE_CREATED).fetchall()
    examples = [f"{id_}: closed {closed}, created {created}" for id_, closed, created in rows[:EXAMPLES]]
    metadata = {"opportunities": len(rows), "examples": examples}
    if not rows:
        return CheckOutcome(True, "Opportunity: no won opportunity closed before it was created.", metadata)
    return CheckOutcome(False, (
        f"Opportunity: {len(rows):,} won opportunit{'y' if len(rows) == 1 else 'ies'} closed before "
        f"{'it was' if len(rows) == 1 else 'they were'} created (CloseDate < CreatedDate), which makes "
        f"the average sales cycle shorter, even negative; e.g. {'; '.join(examples[:3])}."), metadata)


def history_disagrees_with_record(con, as_of: dt.date) -> CheckOutcome:
    """Open opportunities whose newest OpportunityHistory row (by the as-of day) has another
    StageName, Amount or Probability than the record."""
    rows = con.execute(_HISTORY_VERSUS_RECORD, {"cutoff": as_of_cutoff(as_of)}).fetchall()
    examples = [f"{id_}: {differs} (record vs history)" for id_, differs in rows[:EXAMPLES]]
    metadata = {"opportunities": len(rows), "examples": examples}
    if not rows:
        return CheckOutcome(True, "Opportunity: every open opportunity agrees with its latest history row.", metadata)
    return CheckOutcome(False, (
        f"Opportunity: {len(rows):,} open opportunit{'y' if len(rows) == 1 else 'ies'} disagree with "
        "their latest OpportunityHistory row; the pipeline KPIs as they stood then use the history, "
        f"current-state KPIs the record; e.g. {'; '.join(examples[:3])}."), metadata)
