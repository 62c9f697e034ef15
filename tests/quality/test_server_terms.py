"""A suite handed to a SQL server or Spark (data_quality/validate_sqlalchemy.py, validate_spark.py)
keeps the meaning GE's pandas engine gives it: regexes rewritten to Python's `$`, everything else
as written."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.rules import SALESFORCE_ID_REGEX
from data_quality.validate import in_engine_terms


def _suite() -> gx.ExpectationSuite:
    expectations = [gxe.ExpectColumnValuesToMatchRegex(column="id", regex=SALESFORCE_ID_REGEX, meta={"rule": "id"}),
                    gxe.ExpectColumnValuesToMatchRegex(column="s", regex=r"^\d+$", meta={"rule": "digits"}),
                    gxe.ExpectColumnValuesToNotBeNull(column="s", meta={"rule": "s"})]
    return gx.ExpectationSuite(name="raw.t", expectations=expectations)


def test_a_regex_is_rewritten_so_a_dollar_sign_also_matches_before_a_final_newline():
    rewritten = in_engine_terms(_suite())
    assert rewritten.expectations[0].configuration.kwargs["regex"] == "^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?(?:\n?$)"


def test_on_spark_the_end_of_text_is_javas_so_a_final_carriage_return_does_not_match():
    rewritten = in_engine_terms(_suite(), end=r"\z")
    assert rewritten.expectations[0].configuration.kwargs["regex"] == "^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?(?:\n?\\z)"


def test_what_the_rewrite_does_not_cover_and_every_other_rule_stay_as_written_with_their_names():
    suite = _suite()
    rewritten = in_engine_terms(suite)
    assert rewritten.expectations[1].configuration.kwargs["regex"] == r"^\d+$"  # \d: no translation
    assert [e.meta["rule"] for e in rewritten.expectations] == ["id", "digits", "s"]
    assert [e.expectation_type for e in rewritten.expectations] == [e.expectation_type for e in suite.expectations]
    assert suite.expectations[0].configuration.kwargs["regex"] == SALESFORCE_ID_REGEX  # the original is untouched
