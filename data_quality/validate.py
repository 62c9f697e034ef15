"""Run an expectation suite over the rows of a query and find the failing rows.

A suite whose every expectation compiles to DuckDB SQL (data_quality/sql_rules.py) is evaluated in
one pass inside DuckDB (validate_sql.py). Any other suite is validated by Great Expectations itself:
GE 1.x has no DuckDB SQL engine, so its rows go to pandas in bounded chunks, split by a hash of the
record Id (or of a mart's grain): every copy of an Id lands in the same chunk, so per-chunk
uniqueness is global uniqueness, and counts add up. Either way each failing row is identified by its
`_row_number` (its position in the export file).
"""

from __future__ import annotations

import copy
import heapq
import math
import time

import duckdb
import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from data_quality.data_docs import merge_chunk_results
from data_quality.outcomes import (
    LOCATION,
    ROW_KEY,
    SAMPLE_SIZE,
    RuleOutcome,
    SuiteOutcome,
    clean,
    sample_value,
)
from data_quality.sql_rules import python_regex_as_re2
from data_quality.validate_sql import validate_in_duckdb

DEFAULT_CHUNK_ROWS = 250_000
ROWS_TABLE = "_validation_rows"
BUCKET = "_validation_bucket"
BUCKETS = 4096  # hash buckets; a chunk is a range of them, so at most this many chunks


def ephemeral_context():
    # In memory, and no temporary Data Docs folder: the pipeline writes only under $CRM_KPI_HOME.
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    context = gx.get_context(mode="ephemeral", project_config=config)
    # Progress bars are for notebooks; here they would only flood the run logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def in_engine_terms(suite: gx.ExpectationSuite, end: str = "$") -> gx.ExpectationSuite:
    """`suite` with each regular expression rewritten to match on a SQL server or Spark what
    Python's `re.search` matches (the suites' meaning, GE's pandas engine's), `end` being the
    engine's end of text (python_regex_as_re2). A regex the rewrite does not cover stays as written."""
    expectations = []
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        regex = python_regex_as_re2(kwargs["regex"], end) if "regex" in kwargs else None
        if regex is not None:
            expectations.append(type(expectation)(**{**kwargs, "regex": regex}, meta=expectation.meta))
        else:
            expectations.append(copy.copy(expectation))  # an expectation belongs to one suite
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def index_columns(columns) -> list[str]:
    """The columns GE returns of each failing row: its number, and where the loader found the
    record when the table says (the sample of an empty value names that place)."""
    return [ROW_KEY, LOCATION] if LOCATION in columns else [ROW_KEY]


def _validate_frame(context, suite: gx.ExpectationSuite, frame) -> ExpectationSuiteValidationResult:
    source = context.data_sources.add_or_update_pandas("duckdb_chunks")
    asset = source.add_dataframe_asset(name=f"chunk_{id(frame)}")
    batch = asset.add_batch_definition_whole_dataframe("chunk").get_batch(batch_parameters={"dataframe": frame})
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns(frame.columns),
                     "partial_unexpected_count": SAMPLE_SIZE}
    result = batch.validate(suite, result_format=result_format)
    source.delete_asset(asset.name)
    return result


def validate_query(
    con: duckdb.DuckDBPyConnection, query: str, suite: gx.ExpectationSuite,
    chunk_rows: int = DEFAULT_CHUNK_ROWS, chunk_key: str = "id", engine: str = "auto",
) -> SuiteOutcome:
    """Validate every row `query` returns (it must have `_row_number`) against `suite`.

    `engine` is "auto" (DuckDB SQL where the whole suite compiles, else GE), "duckdb" or "great_expectations".
    `chunk_key` lists the columns whose hash splits the rows into GE's chunks: the record Id, or a
    mart's grain, so that a row and its duplicates always meet in the same chunk."""
    if engine != "great_expectations":
        outcome = validate_in_duckdb(con, query, suite)
        if outcome is not None or engine == "duckdb":
            if outcome is None:
                raise ValueError(f"{suite.name}: not every expectation compiles to DuckDB SQL")
            return outcome
    return validate_with_ge(con, query, suite, chunk_rows, chunk_key)


def validate_with_ge(
    con: duckdb.DuckDBPyConnection, query: str, suite: gx.ExpectationSuite, chunk_rows: int, chunk_key: str,
) -> SuiteOutcome:
    """Great Expectations' own validation, over pandas chunks of the rows."""
    started = time.perf_counter()
    # The query (joins for references, windows for month gaps) runs once, into a temporary table
    # sorted by hash bucket: each chunk is then a range of buckets DuckDB reads without a full scan.
    con.execute(f"create or replace temp table {ROWS_TABLE} as "
                f"select *, hash({chunk_key}) % {BUCKETS} as {BUCKET} from ({query}) order by {BUCKET}")
    try:
        rows = con.execute(f"select count(*) from {ROWS_TABLE}").fetchall()[0][0]
        chunks = min(BUCKETS, max(1, math.ceil(rows / chunk_rows)))
        context = ephemeral_context()
        outcomes = _no_failures_yet(suite)
        chunk_results = []
        for chunk in range(chunks):
            frame = con.execute(
                f"select * exclude ({BUCKET}) from {ROWS_TABLE} where {BUCKET} >= $low and {BUCKET} < $high",
                {"low": chunk * BUCKETS // chunks, "high": (chunk + 1) * BUCKETS // chunks},
            ).df()
            if frame.empty and chunks > 1:
                continue  # an empty table is still validated once, so its Data Docs page exists
            chunk_results.append(_validate_frame(context, suite, frame))
            add_up(outcomes, chunk_results[-1])
    finally:
        con.execute(f"drop table if exists {ROWS_TABLE}")
    merged = merge_chunk_results(suite.name, chunk_results, {"rows": rows, "chunks": chunks, "engine": "great_expectations"})
    return SuiteOutcome(suite.name, rows, chunks, time.perf_counter() - started, list(outcomes.values()), merged)


def _no_failures_yet(suite: gx.ExpectationSuite) -> dict[str, RuleOutcome]:
    """Each rule's outcome before any rows are counted, by rule name."""
    return {e.meta["rule"]: RuleOutcome(e.meta["rule"], e.expectation_type, e.configuration.kwargs)
            for e in suite.expectations}


def whole_table_outcome(suite: gx.ExpectationSuite, result: ExpectationSuiteValidationResult, rows: int,
                        started: float, engine: str) -> SuiteOutcome:
    """The outcome of GE's validation of all `rows` in one batch, by one of its engines (SQL, Spark)."""
    outcomes = _no_failures_yet(suite)
    add_up(outcomes, result)
    merged = merge_chunk_results(suite.name, [result], {"rows": rows, "chunks": 1, "engine": engine})
    return SuiteOutcome(suite.name, rows, 1, time.perf_counter() - started, list(outcomes.values()), merged)


def _raised(result) -> str | None:
    """The message of the exception an expectation raised, if it raised one.

    GE reports an expectation that could not be computed as unsuccessful with no counts; read
    naively, that is "0 failing rows". Its `exception_info` is either flat or keyed by metric."""
    info = result.exception_info or {}
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [i.get("exception_message") or "error" for i in found if i.get("raised_exception")]
    return messages[0] if messages else None


def add_up(outcomes: dict[str, RuleOutcome], chunk_result: ExpectationSuiteValidationResult) -> None:
    """Add one chunk's failing counts, samples and rows to the whole table's outcomes."""
    for result in chunk_result.results:
        outcome = outcomes[result.expectation_config.meta["rule"]]
        error = _raised(result)
        if error is not None:
            outcome.error = outcome.error or error
            continue
        unexpected = result.result.get("unexpected_count") or 0
        outcome.unexpected_count += unexpected
        if not unexpected:
            continue
        indexes = result.result.get("unexpected_index_list") or []
        outcome.failing_rows.extend(int(index[ROW_KEY]) for index in indexes)
        column = result.expectation_config.kwargs.get("column")
        columns = [column] if column else result.expectation_config.kwargs.get("column_list") or []
        if columns and indexes and all(c in indexes[0] for c in columns):
            # The sample is the failing values of the first rows of the file, whatever the chunks.
            earliest = [(int(index[ROW_KEY]), sample_value(index, column) if column else
                         {c: clean(index[c]) for c in columns}) for index in indexes]
            outcome.sampled = heapq.nsmallest(SAMPLE_SIZE, outcome.sampled + earliest, key=lambda pair: pair[0])
            outcome.sample = [value for _, value in outcome.sampled]
        else:
            sample = [clean(v) for v in result.result.get("partial_unexpected_list") or []]
            outcome.sample.extend(sample[: SAMPLE_SIZE - len(outcome.sample)])
