"""Great Expectations expectations compiled to DuckDB SQL, with the meaning GE's pandas engine gives them.

The suites stay the one place where rules are written; this decides only where they are computed.
GE 1.x has no DuckDB engine, so without this every row would travel to pandas. Each expectation
becomes three SQL conditions over a row: is it in the rule's domain (its `row_condition`), is its
value missing (GE leaves NULL and NaN out of most rules), and is it unexpected. An expectation,
row condition or regular expression outside what is translated here returns None, and the suite is
validated by GE itself. tests/quality/test_sql_rules.py proves the two give the same results.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from data_quality.sql import quote_ident

_FLOATS = {"DOUBLE", "FLOAT", "REAL"}
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_TEMPORAL = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def _kind(duckdb_type: str) -> str:
    """What pandas would compare a column as: "number", "datetime", "text", "boolean" or "other"
    (time zones, lists, ...: GE's pandas engine is left to judge those)."""
    if duckdb_type in _FLOATS or duckdb_type in _INTEGERS or duckdb_type.startswith("DECIMAL"):
        return "number"
    return {"VARCHAR": "text", "BOOLEAN": "boolean"}.get(duckdb_type, "datetime" if duckdb_type in _TEMPORAL else "other")


def _value_kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    # a date alone: pandas holds DATE columns as timestamps, which do not compare with dates
    return "text" if isinstance(value, str) else "other"


@dataclass(frozen=True)
class CompiledRule:
    """One expectation as SQL conditions over a row of the validated table."""

    domain: str  # the rows GE looks at (element_count)
    missing: str  # of those, the ones GE leaves out as missing (missing_count)
    # of the rest, the ones that break the rule (unexpected_count); None for a uniqueness rule,
    # which the evaluator phrases with `is_repeated` once it has found the repeated values
    unexpected: str | None
    column: str | None  # the column whose values are the sample (None: several columns)
    repeated_key: tuple[str, ...] = ()  # a uniqueness rule: the columns whose repeated values break it


def is_repeated(columns: tuple[str, ...], repeated: str) -> str:
    """The row's value of `columns` is among those of the table `repeated` (NULL matching NULL, as
    pandas' duplicated() and a GROUP BY both count them). Finding the repeated values by grouping
    first costs far less than a window partitioned by the key."""
    matches = " and ".join(f"repeated.{quote_ident(c)} is not distinct from _rows.{quote_ident(c)}" for c in columns)
    return f"exists (select 1 from {repeated} as repeated where {matches})"


def _literal(value) -> str | None:
    """A Python value of an expectation's kwargs as a SQL literal, or None where none is written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.datetime):
        return f"timestamp '{value.replace(tzinfo=None).isoformat(sep=' ')}'" if value.tzinfo is None else None
    return None


def _is_null(column: str, types: dict[str, str]) -> str:
    """pandas' isnull(): NULL, and NaN in a float column."""
    col = quote_ident(column)
    return f"({col} is null or isnan({col}))" if types[column] in _FLOATS else f"({col} is null)"


def _domain(kwargs: dict, types: dict[str, str]) -> str | None:
    """The SQL of the expectation's row condition (GE's condition objects, as their dicts): a
    column null or not, or a boolean column equal to true or false. None for any other."""
    condition = kwargs.get("row_condition")
    if not condition:
        return "true"
    if not isinstance(condition, dict) or condition.get("column", {}).get("name") not in types:
        return None
    column = condition["column"]["name"]
    if condition.get("type") == "nullity":
        return _is_null(column, types) if condition["is_null"] else f"not {_is_null(column, types)}"
    # a boolean column only: `== True` on text or numbers would compare differently in pandas
    if condition.get("type") == "comparison" and condition.get("operator") == "==" and \
            isinstance(condition.get("parameter"), bool) and types[column] == "BOOLEAN":
        return f"coalesce({quote_ident(column)} = {_literal(condition['parameter'])}, false)"
    return None


def python_regex_as_re2(regex: str, end: str = "$") -> str | None:
    """`regex` for DuckDB's RE2, matching what Python's `re.search` matches, or None when unsure.

    Python's `$` also matches just before a final newline, which RE2's does not; escapes such as
    `\\d` or `\\w` mean more in Python (any Unicode digit), and look-arounds do not exist in RE2.
    `end` is the engine's end of text: `$` for RE2 and Postgres, `\\z` for Java (Spark), whose
    `$` also matches before a final `\\r`."""
    if re.search(r"\\[A-Za-z0-9]|\(\?[=!<P]|\{,", regex):
        return None
    out, in_class, escaped = [], False, False
    for char in regex:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            out.append(char)
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "$":
            out.append(f"(?:\n?{end})")
        else:
            out.append(char)
    return "".join(out)


def compile_rule(expectation_type: str, kwargs: dict, types: dict[str, str]) -> CompiledRule | None:
    """The SQL of one expectation over a table whose columns have DuckDB `types`; None where the
    expectation is not translated here (GE then validates the suite)."""
    domain = _domain(kwargs, types)
    column = kwargs.get("column")
    if domain is None or (column is not None and column not in types):
        return None
    col = quote_ident(column) if column else None
    if expectation_type == "expect_column_values_to_be_null":
        return CompiledRule(domain, "false", f"not {_is_null(column, types)}", column)
    if expectation_type == "expect_column_values_to_not_be_null":
        return CompiledRule(domain, "false", _is_null(column, types), column)
    if expectation_type == "expect_column_values_to_be_in_set":
        values = [_literal(value) for value in kwargs["value_set"]]
        # values of the column's own kind only: DuckDB would cast across kinds where pandas never matches
        if None in values or any(_value_kind(v) != _kind(types[column]) for v in kwargs["value_set"]):
            return None
        inside = f"{col} in ({', '.join(values)})" if values else "false"
        return CompiledRule(domain, _is_null(column, types), f"not ({inside})", column)
    if expectation_type == "expect_column_values_to_be_between":
        return _between(domain, column, kwargs, types)
    if expectation_type == "expect_column_values_to_match_regex":
        regex = python_regex_as_re2(kwargs["regex"])
        if regex is None or _kind(types[column]) != "text":
            return None
        return CompiledRule(domain, _is_null(column, types), f"not regexp_matches({col}, {_literal(regex)})", column)
    if expectation_type == "expect_column_values_to_be_unique" and domain == "true":
        return CompiledRule(domain, _is_null(column, types), None, column, (column,))
    if expectation_type == "expect_compound_columns_to_be_unique" and domain == "true":
        columns = kwargs["column_list"]
        if kwargs.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing" or \
                any(c not in types for c in columns):
            return None
        missing = "(" + " and ".join(_is_null(c, types) for c in columns) + ")"
        return CompiledRule(domain, missing, None, None, tuple(columns))
    return None


def _between(domain: str, column: str, kwargs: dict, types: dict[str, str]) -> CompiledRule | None:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return None
    col, parts = quote_ident(column), []
    for bound, strict, above in ((low, kwargs.get("strict_min"), True), (high, kwargs.get("strict_max"), False)):
        if bound is None:
            continue
        literal = _literal(bound)
        # DuckDB would compare text with a number as text; pandas raises, and GE reports the rule unevaluated
        if literal is None or _value_kind(bound) not in ("number", "datetime") or \
                _value_kind(bound) != _kind(types[column]):
            return None
        operator = (">" if strict else ">=") if above else ("<" if strict else "<=")
        parts.append(f"{col} {operator} {literal}")
    return CompiledRule(domain, _is_null(column, types), f"not ({' and '.join(parts)})", column)
