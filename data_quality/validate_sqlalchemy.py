"""Run an expectation suite where the rows are, on a database server, with Great Expectations'
own SQL engine (SQLAlchemy): the server computes every metric, and only what fails comes back
(each failing row's number and value). The outcome has the same shape as DuckDB's (validate.py)."""

from __future__ import annotations

import time

import great_expectations as gx
import sqlalchemy

from data_quality.outcomes import SuiteOutcome
from data_quality.validate import ephemeral_context, in_engine_terms, index_columns, whole_table_outcome


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
        result = batch.validate(in_engine_terms(suite), result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": index_columns(columns),
            "partial_unexpected_count": max(rows, 1)})
    finally:
        source.get_engine().dispose()  # GE's connections, closed now rather than when collected
    return whole_table_outcome(suite, result, rows, started, "great_expectations sql")
