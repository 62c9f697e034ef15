"""The quality gate's verdict on a raw table's outcome (data_quality/quarantine.py `gate`), from
outcomes written here: what any engine could hand it."""

from __future__ import annotations

from data_quality.outcomes import RuleOutcome, SuiteOutcome
from data_quality.quarantine import gate
from data_quality.rules import Rule

RULES = {"amount_not_negative": Rule("amount_not_negative", lambda context: None)}


def _outcome(unexpected: int, named: list[int]) -> SuiteOutcome:
    rule = RuleOutcome("amount_not_negative", "expect_column_values_to_be_between", {"column": "amount"},
                       unexpected_count=unexpected, failing_rows=named, sample=[-1.0] * len(named))
    return SuiteOutcome("raw.opportunity", rows=1000, chunks=1, seconds=0.1, outcomes=[rule], result=None)


def test_a_few_failing_rows_all_named_are_quarantined_and_the_run_goes_on():
    verdict = gate("Opportunity", _outcome(2, [7, 9]), RULES, quarantined=2,
                   quarantine_threshold=0.05, orphan_tolerance=0.05)
    assert verdict.passed and "2 row(s) quarantined" in verdict.description


def test_failing_rows_an_engine_counted_but_did_not_name_hold_the_run_back():
    # rows that cannot be quarantined would otherwise reach the marts
    verdict = gate("Opportunity", _outcome(3, [7, 9]), RULES, quarantined=2,
                   quarantine_threshold=0.05, orphan_tolerance=0.05)
    assert not verdict.passed
    assert "amount_not_negative could not be evaluated (the engine counted 3 failing rows but named 2" \
        in verdict.description
