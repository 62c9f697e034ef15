"""Run an expectation suite where the rows are, on a database server, with Great Expectations'
own SQL engine (SQLAlchemy): the server computes every metric, and only what fails comes back
(each failing row's number and value). The outcome has the same shape as DuckDB's (validate.py)."""

from __future__ import annotations

import copy
import time

import great_expectations as gx
import sqlalchemy

from data_quality.outcomes import SuiteOutcome
from data_quality.sql_rules import python_regex_as_re2
from data_quality.validate import ephemeral_context, index_columns, whole_table_outcome


def in_server_terms(suite: gx.ExpectationSuite) -> gx.ExpectationSuite:
    """`suite` with each regular expression rewritten to match on the server what Python's
    `re.search` matches (the suites' meaning, GE's pandas engine's): a POSIX `$`, as RE2's, does
    not match before a final newline. A regex the rewrite does not cover stays as written."""
    expectations = []
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        regex = python_regex_as_re2(kwargs["regex"]) if "regex" in kwargs else None
        if regex is not None:
            expectations.append(type(expectation)(**{**kwargs, "regex": regex}, meta=expectation.meta))
        else:
            expectations.append(copy.copy(expectation))  # an expectation belongs to one suite
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def validate_on_server(url: str, query: str, suite: gx.ExpectationSuite) -> SuiteOutcome:
    """Validate every row `query` returns (it must have `_row_number`) against `suite`, on the
    server the SQLAlchemy `url` names."""
    started = time.perf_counter()
    source = ephemeral_context().data_sources.add_sql("server", connection_string=url)
    try:
        with source.get_engine().connect() as con:
            rows = con.execute(sqlalchemy.text(f"select count(*) from ({query}) as validated")).scalar_one()
            columns = con.execute(sqlalchemy.text(f"select * from ({query}) as validated limit 0")).keys()
        batch = source.add_query_asset(name="rows", query=query).add_batch_definition_whole_table("all").get_batch()
        # GE's SQL engine lists at most `partial_unexpected_count` failing rows, even in COMPLETE:
        # quarantine needs every one of them.
        result = batch.validate(in_server_terms(suite), result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": index_columns(columns),
            "partial_unexpected_count": max(rows, 1)})
    finally:
        source.get_engine().dispose()  # GE's connections, closed now rather than when collected
    return whole_table_outcome(suite, result, rows, started, "great_expectations sql")
