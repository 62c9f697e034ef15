"""Expectation suites for the raw Salesforce tables (Great Expectations 1.x), built in code.

Suites take the org's configuration (its opportunity stages, ...) as arguments, so the same rules
serve an org with custom stages. Column names are the raw tables' snake_case names.
"""

from __future__ import annotations

from collections.abc import Sequence

import great_expectations as gx
import great_expectations.expectations as gxe

# 15 or 18 characters of [0-9A-Za-z]: the shape of every Salesforce record Id.
SALESFORCE_ID_REGEX = r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$"


def opportunity_suite(stages: Sequence[str]) -> gx.ExpectationSuite:
    """Rules that, when broken, make opportunity KPIs (wins, bookings, pipeline) wrong."""
    return gx.ExpectationSuite(
        name="raw.opportunity",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="id"),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
            gxe.ExpectColumnValuesToMatchRegex(column="id", regex=SALESFORCE_ID_REGEX),
            gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
            gxe.ExpectColumnValuesToBeInSet(column="stage_name", value_set=list(stages)),
        ],
    )
