"""Run an expectation suite where the rows are, on Apache Spark, with Great Expectations' own Spark
engine: Spark computes every metric, and only what fails comes back (each failing row's number and
value; GE's Spark engine lists every one in COMPLETE results). The outcome has the same shape as
DuckDB's (validate.py)."""

from __future__ import annotations

import time

import great_expectations as gx

from data_quality.outcomes import SAMPLE_SIZE, SuiteOutcome
from data_quality.validate import ephemeral_context, in_engine_terms, index_columns, whole_table_outcome


def validate_frame(frame, suite: gx.ExpectationSuite) -> SuiteOutcome:
    """Validate every row of the Spark DataFrame `frame` (it must have `_row_number`) against `suite`."""
    started = time.perf_counter()
    frame = frame.cache()  # GE computes its metrics in many Spark jobs: the query runs once
    try:
        rows = frame.count()
        source = ephemeral_context().data_sources.add_spark("spark")
        batch = source.add_dataframe_asset(name="rows").add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": frame})
        # Java's `$` also matches before a final `\r`: `\z` is the end of the text
        result = batch.validate(in_engine_terms(suite, end=r"\z"), result_format={"result_format": "COMPLETE",
                                                      "unexpected_index_column_names": index_columns(frame.columns),
                                                      "partial_unexpected_count": SAMPLE_SIZE})
    finally:
        frame.unpersist()
    return whole_table_outcome(suite, result, rows, started, "great_expectations spark")
