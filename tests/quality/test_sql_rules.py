"""Expectations compiled to DuckDB SQL (data_quality/sql_rules.py) find exactly what Great
Expectations' pandas engine finds: on a table of edge cases here, and on every raw suite of the
bad-input corpus and every mart suite in tests/bad_inputs/ and tests/quality/test_mart_suites.py."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from great_expectations.expectations.row_conditions import Column

from data_quality.rules import SALESFORCE_ID_REGEX
from data_quality.sql_rules import compile_rule, python_regex_as_re2
from data_quality.validate import validate_query
from tests.support.engine_equivalence import assert_duckdb_finds_what_ge_finds

CUTOFF = dt.datetime(2026, 12, 1)

# One row per line: every column holds an edge case for some rule (NULL, NaN, a bound exactly,
# a trailing newline, a quote, duplicates with and without NULLs).
ROWS = [
    # _row_number, id, n, amount, ts, d, b, flag, pe, s
    (1, "a", 1.0, "-0.01", "2026-11-30 23:59:59", "1989-12-31", True, True, None, "Open"),
    (2, "a", None, "0", "2026-12-01 00:00:00", "1990-01-01", None, None, "line 3: bad", "open"),
    (3, None, "nan", None, None, None, False, False, None, ""),
    (4, "b", -1.0, "12.5", "2026-12-01 00:00:01", "2036-12-02", True, None, None, None),
    (5, "c\n", 5.0, "0.00", "2025-01-01 00:00:00", "2036-12-01", True, True, None, "O'Brien"),
    (6, "x", 200.0, "99", "1980-01-01 00:00:00", "2000-02-29", None, True, None, None),
    (7, "006000000000001AAA", 100.0, None, "2026-06-01 12:00:00", None, None, None, None, "x"),
    (8, "006000000000001", 0.0, "1", None, "2020-01-01", None, False, "line 9: bad", "x"),
    (9, "006000000000001AAA\n", 0.0, "-5", "2026-01-01 00:00:00", "2020-01-01", False, True, None, "Öl"),
    (10, "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ", float("inf"), "3", "2026-01-01 00:00:00", "2020-01-01", True, None, None, "Open"),
]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("""create table t (_row_number bigint, id varchar, n double, amount decimal(18, 2), ts timestamp,
                   d date, b boolean, flag boolean, _parse_error varchar, s varchar)""")
    con.executemany("insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    yield con
    con.close()


def _suite(*expectations) -> gx.ExpectationSuite:
    for i, expectation in enumerate(expectations):
        expectation.meta = {"rule": f"rule_{i}"}
    return gx.ExpectationSuite(name="edge_cases", expectations=list(expectations))


EDGE_SUITE = [
    lambda: gxe.ExpectColumnValuesToBeNull(column="_parse_error"),
    lambda: gxe.ExpectColumnValuesToBeNull(column="n"),
    lambda: gxe.ExpectColumnValuesToNotBeNull(column="id"),
    lambda: gxe.ExpectColumnValuesToNotBeNull(column="n"),
    lambda: gxe.ExpectColumnValuesToNotBeNull(column="amount", row_condition=Column("_parse_error").is_null()),
    lambda: gxe.ExpectColumnValuesToNotBeNull(column="d", row_condition=Column("_parse_error").is_not_null()),
    lambda: gxe.ExpectColumnValuesToBeUnique(column="id"),
    lambda: gxe.ExpectColumnValuesToBeUnique(column="n"),
    lambda: gxe.ExpectColumnValuesToBeUnique(column="s"),
    lambda: gxe.ExpectColumnValuesToMatchRegex(column="id", regex=SALESFORCE_ID_REGEX),
    lambda: gxe.ExpectColumnValuesToMatchRegex(column="id", regex="^[a-z]$"),
    lambda: gxe.ExpectColumnValuesToMatchRegex(column="s", regex="pen"),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=100),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="n", min_value=0, strict_min=True),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="ts", max_value=CUTOFF, strict_max=True),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="ts", min_value=dt.datetime(1990, 1, 1), max_value=CUTOFF),
    lambda: gxe.ExpectColumnValuesToBeBetween(column="d", min_value=dt.datetime(1990, 1, 1),
                                              max_value=dt.datetime(2036, 12, 1)),
    lambda: gxe.ExpectColumnValuesToBeInSet(column="b", value_set=[True]),
    lambda: gxe.ExpectColumnValuesToBeInSet(column="b", value_set=[True], row_condition=Column("flag") == True),  # noqa: E712
    lambda: gxe.ExpectColumnValuesToBeInSet(column="b", value_set=[False], row_condition=Column("flag") == False),  # noqa: E712
    lambda: gxe.ExpectColumnValuesToBeInSet(column="s", value_set=["Open", "O'Brien", "x"]),
    lambda: gxe.ExpectColumnValuesToBeInSet(column="s", value_set=[]),
    lambda: gxe.ExpectColumnValuesToBeInSet(column="n", value_set=[0, 1.0, 100]),
    lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["s", "b"]),
    lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["flag", "b"]),
]


def test_every_edge_case_rule_fails_on_the_same_rows_with_the_same_sample_in_duckdb_as_in_great_expectations(con):
    found = assert_duckdb_finds_what_ge_finds(con, "select * from t", _suite(*(make() for make in EDGE_SUITE)),
                                              chunk_key="_row_number")
    failing = {rule: count for rule, (count, *_) in found.items() if count}
    assert len(failing) >= 20, failing  # the table really is full of edge cases
    assert found["rule_10"][1] == [7, 8, 9, 10]  # '^[a-z]$' breaks on the long Ids; "c\n" matches, as in Python


def test_the_same_holds_when_great_expectations_splits_the_rows_into_chunks(con):
    # GE's chunks keep copies of an Id together, so its uniqueness is global for the Id alone
    suite = _suite(*(e for e in (make() for make in EDGE_SUITE) if "unique" not in e.expectation_type
                     or e.configuration.kwargs.get("column") == "id"))
    sql = validate_query(con, "select * from t", suite, engine="duckdb")
    ge = validate_query(con, "select * from t", suite, chunk_rows=3, chunk_key="id", engine="great_expectations")
    assert ge.chunks > 1
    assert [(o.rule, o.unexpected_count, sorted(o.failing_rows)) for o in sql.outcomes] == \
           [(o.rule, o.unexpected_count, sorted(o.failing_rows)) for o in ge.outcomes]


def test_a_suite_with_an_expectation_sql_does_not_translate_is_validated_by_great_expectations(con):
    suite = _suite(gxe.ExpectColumnValuesToNotBeNull(column="id"),
                   gxe.ExpectColumnValueLengthsToBeBetween(column="s", min_value=1))
    outcome = validate_query(con, "select * from t", suite)
    assert outcome.result.meta["engine"] == "great_expectations"
    assert [o.unexpected_count for o in outcome.outcomes] == [1, 1]  # id NULL on row 3; s '' on row 3
    with pytest.raises(ValueError, match="not every expectation compiles"):
        validate_query(con, "select * from t", suite, engine="duckdb")


def test_a_rule_on_a_column_the_table_lacks_is_left_to_great_expectations_which_reports_it_unevaluated(con):
    suite = _suite(gxe.ExpectColumnValuesToNotBeNull(column="no_such_column"))
    outcome = validate_query(con, "select * from t", suite)
    assert outcome.result.meta["engine"] == "great_expectations"
    assert outcome.outcomes[0].error is not None and not outcome.outcomes[0].success


def _condition(condition) -> dict:
    """A row condition as an expectation's kwargs hold it."""
    return gxe.ExpectColumnValuesToNotBeNull(column="s", row_condition=condition).configuration.kwargs["row_condition"]


TYPES = {"s": "VARCHAR", "n": "DOUBLE", "i": "BIGINT", "ts": "TIMESTAMP", "d": "DATE", "b": "BOOLEAN"}


@pytest.mark.parametrize(("expectation_type", "kwargs"), [
    ("expect_column_values_to_be_between", {"column": "s", "min_value": 0}),  # text against a number
    ("expect_column_values_to_be_between", {"column": "d", "min_value": dt.date(1990, 1, 1)}),  # date bound
    ("expect_column_values_to_be_in_set", {"column": "i", "value_set": ["1"]}),  # text set, number column
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": [1]}),
    ("expect_column_values_to_match_regex", {"column": "s", "regex": r"^\d+$"}),  # \d: Unicode digits in Python
    ("expect_column_values_to_match_regex", {"column": "s", "regex": "^(?=a)"}),  # look-ahead: not in RE2
    ("expect_column_values_to_match_regex", {"column": "i", "regex": "^1"}),  # pandas matches str(value)
    ("expect_column_values_to_not_be_null", {"column": "s", "row_condition": _condition(Column("s") == "a")}),
    ("expect_column_values_to_not_be_null", {"column": "s", "row_condition": _condition(Column("b") != True)}),  # noqa: E712
    ("expect_column_values_to_not_be_null", {"column": "s", "row_condition": _condition(
        (Column("b") == True) & Column("s").is_null())}),  # noqa: E712
    ("expect_column_values_to_not_be_null", {"column": "s", "row_condition": "s.isnull()", "condition_parser": "pandas"}),
    ("expect_column_values_to_be_unique", {"column": "s", "row_condition": _condition(Column("b") == True)}),  # noqa: E712
    ("expect_column_values_to_be_of_type", {"column": "s", "type_": "str"}),
])
def test_what_would_compare_differently_in_sql_is_not_compiled(expectation_type, kwargs):
    assert compile_rule(expectation_type, kwargs, TYPES) is None


def test_a_dollar_sign_ending_a_python_regex_also_accepts_a_final_newline_in_re2():
    translated = python_regex_as_re2("^a$")
    assert translated == "^a(?:\n?$)"
    assert python_regex_as_re2("^[$]x\\$$") == "^[$]x\\$(?:\n?$)"  # a literal $ stays literal
    texts = ["a", "a\n", "a\n\n", "ba", "a b"]
    in_re2 = duckdb.execute("select list(regexp_matches(t, $r)) from unnest($texts) as u(t)",
                            {"r": translated, "texts": texts}).fetchall()[0][0]
    assert in_re2 == [bool(re.search("^a$", text)) for text in texts] == [True, True, False, False, False]
