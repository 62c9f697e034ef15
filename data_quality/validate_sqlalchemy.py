"""Run an expectation suite where the rows are, on a database server, with Great Expectations'
own SQL engine (SQLAlchemy): the server computes every metric, and only what fails comes back
(each failing row's number and value). The outcome has the same shape as DuckDB's (validate.py)."""

from __future__ import annotations

import time

import great_expectations as gx
import sqlalchemy

from data_quality.data_docs import merge_chunk_results
from data_quality.outcomes import ROW_KEY, SAMPLE_SIZE, RuleOutcome, SuiteOutcome
from data_quality.validate import add_up, ephemeral_context


def validate_on_server(url: str, query: str, suite: gx.ExpectationSuite) -> SuiteOutcome:
    """Validate every row `query` returns (it must have `_row_number`) against `suite`, on the
    server the SQLAlchemy `url` names."""
    started = time.perf_counter()
    source = ephemeral_context().data_sources.add_sql("server", connection_string=url)
    try:
        batch = source.add_query_asset(name="rows", query=query).add_batch_definition_whole_table("all").get_batch()
        result = batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                      "unexpected_index_column_names": [ROW_KEY],
                                                      "partial_unexpected_count": SAMPLE_SIZE})
        with source.get_engine().connect() as con:
            rows = con.execute(sqlalchemy.text(f"select count(*) from ({query}) as validated")).scalar_one()
    finally:
        source.get_engine().dispose()  # GE's connections, closed now rather than when collected
    outcomes = {e.meta["rule"]: RuleOutcome(e.meta["rule"], e.expectation_type, e.configuration.kwargs)
                for e in suite.expectations}
    add_up(outcomes, result)
    merged = merge_chunk_results(suite.name, [result], {"rows": rows, "chunks": 1, "engine": "great_expectations sql"})
    return SuiteOutcome(suite.name, rows, 1, time.perf_counter() - started, list(outcomes.values()), merged)
