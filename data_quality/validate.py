"""Run an expectation suite over a DuckDB table, in bounded chunks of rows.

Great Expectations 1.x has no DuckDB SQL engine, so rows are validated as pandas DataFrames. To keep
memory bounded on large tables, the table is split into chunks by a hash of its key: every copy of a
key lands in the same chunk, so per-chunk uniqueness is global uniqueness, and per-chunk counts add up.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

# GX phones home unless told not to; the pipeline sends nothing anywhere.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402  (after the analytics switch)
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

DEFAULT_CHUNK_ROWS = 250_000
SAMPLE_SIZE = 5


@dataclass
class ExpectationOutcome:
    """One expectation's result over the whole table."""

    expectation: str
    column: str | None
    kwargs: dict[str, Any]
    unexpected_count: int = 0
    sample: list[Any] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.unexpected_count == 0

    def describe(self) -> str:
        rule = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items() if k not in ("column", "batch_id"))
        return f"{self.expectation}({self.column}{', ' + rule if rule else ''})"


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    chunks: int
    seconds: float
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def _validate_frame(context, suite: gx.ExpectationSuite, frame) -> list[Any]:
    source = context.data_sources.add_or_update_pandas("duckdb_chunks")
    asset = source.add_dataframe_asset(name=f"chunk_{id(frame)}")
    batch = asset.add_batch_definition_whole_dataframe("chunk").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result = batch.validate(suite, result_format={"result_format": "SUMMARY"})
    source.delete_asset(asset.name)
    return result.results


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite: gx.ExpectationSuite,
    key: str = "id",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> SuiteOutcome:
    """Validate every row of `table` (a trusted, quoted SQL name) against `suite`."""
    started = time.perf_counter()
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    chunks = max(1, math.ceil(rows / chunk_rows))
    context = gx.get_context(mode="ephemeral")
    # Progress bars are for notebooks; here they would only flood the run logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    outcomes = [
        ExpectationOutcome(e.expectation_type, getattr(e, "column", None), e.configuration.kwargs)
        for e in suite.expectations
    ]
    for chunk in range(chunks):
        frame = con.execute(
            f"select * from {table} where hash({key}) % $chunks = $chunk",
            {"chunks": chunks, "chunk": chunk},
        ).df()
        if frame.empty:
            continue
        for outcome, result in zip(outcomes, _validate_frame(context, suite, frame), strict=True):
            unexpected = result.result.get("unexpected_count") or 0
            outcome.unexpected_count += unexpected
            if unexpected and len(outcome.sample) < SAMPLE_SIZE:
                sample = result.result.get("partial_unexpected_list") or []
                sample = [None if v != v else v for v in sample]  # NaN (a NULL) reads as None
                outcome.sample.extend(sample[: SAMPLE_SIZE - len(outcome.sample)])
    return SuiteOutcome(suite.name, rows, chunks, time.perf_counter() - started, outcomes)
