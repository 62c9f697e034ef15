"""What validating a table found: per rule, the failing rows and a sample of their values.

Both ways of evaluating a suite (Great Expectations on pandas chunks, or the suite compiled to
DuckDB SQL) report in these terms, so the quarantine, the gates and Data Docs never know which ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult

SAMPLE_SIZE = 5
ROW_KEY = "_row_number"
LOCATION = "_source_location"  # where the loader found a record it had something to report on


@dataclass
class RuleOutcome:
    """One expectation's result over the whole table."""

    rule: str
    expectation: str
    kwargs: dict[str, Any]
    unexpected_count: int = 0
    sample: list[Any] = field(default_factory=list)
    failing_rows: list[int] = field(default_factory=list)  # _row_number of each failing row
    sampled: list[tuple[int, Any]] = field(default_factory=list)  # (_row_number, value) behind `sample`
    error: str | None = None  # the rule could not be evaluated (it never counts as passed)

    @property
    def success(self) -> bool:
        return self.unexpected_count == 0 and self.error is None

    def describe(self) -> str:
        shown = {k: v for k, v in self.kwargs.items() if k not in ("batch_id", "row_condition", "condition_parser")}
        if isinstance(shown.get("value_set"), list) and len(shown["value_set"]) > 6:
            shown["value_set"] = shown["value_set"][:6] + ["…"]
        described = f"{self.rule}: {self.expectation}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
        return described if self.error is None else f"{described} could not be evaluated: {self.error}"


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    chunks: int
    seconds: float
    outcomes: list[RuleOutcome]
    result: ExpectationSuiteValidationResult  # all chunks merged, for Data Docs

    @property
    def failures(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.success]


def sample_value(index: dict, column: str) -> Any:
    """What a failing row shows in the sample: its value, or, where the value is empty (all a
    not-null rule can find), where the record is: `Opportunity.csv line 12: close_date is empty`."""
    value, location = clean(index[column]), clean(index.get(LOCATION))  # pandas' missing location is NaN
    return f"{location}: {column} is empty" if value is None and location else value


def clean(value):
    """A value as a sample shows it: pandas' missing markers (NaN, NaT, NA) as None, numpy's
    numbers and booleans as Python's."""
    if value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if isinstance(value, (np.bool_, np.number)) else value
