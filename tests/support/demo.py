"""Helpers for the demo org tests (the `org` fixture is in conftest.py).

Most tests read one small org (scale 0.2) back with DuckDB, typing every column by the schema in
`objects.py`, and assert on the values, not on the generator's internals.
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2025, 3, 5)
CUTOFF = dt.datetime(2025, 3, 6)  # the end of the as_of day
PIPELINE_AS_OF = dt.date(2026, 11, 20)  # the as-of date of the shared end-to-end run
# The realism tests (tests/generator/test_realism.py) that any org the generator writes must pass, also
# one of many territories or one a delta moved on.
STRUCTURE_CHECKS = (
    "test_stage_flags_follow_the_stage_and_won_implies_closed",
    "test_stage_history_starts_at_creation_in_the_first_stage_and_ends_in_the_current_stage",
    "test_converted_leads_point_at_the_opportunity_created_at_conversion_by_their_owner",
    "test_every_reference_resolves_and_live_rows_only_reference_live_rows",
    "test_activities_point_at_leads_contacts_deals_and_accounts_and_never_a_what_on_a_lead",
    "test_quotas_are_monthly_usd_amounts_per_rep",
)


def rows(org, sql: str, *params) -> list[tuple]:
    return org["con"].execute(sql, list(params)).fetchall()


def one(org, sql: str, *params):
    return rows(org, sql, *params)[0][0]


def none(org, table: str, condition: str, *params) -> None:
    """Assert that no row of `table` meets `condition`."""
    assert one(org, f'select count(*) from "{table}" where {condition}', *params) == 0, condition

