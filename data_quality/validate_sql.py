"""Evaluate an expectation suite inside DuckDB, in one pass, from its compiled SQL (sql_rules.py).

The query is read once into a temporary table of each row's key and three flags per rule: the row
is in the rule's domain, its value is missing, it breaks the rule. Counts and failing rows are read
from that table; only when a rule fails are the failing rows' values read again, for the samples. DuckDB spreads the pass over every core it is given, and spills to its
temporary folder past its memory limit. The Data Docs result has the shape GE's merged chunks have.
"""

from __future__ import annotations

import dataclasses
import time

import duckdb
import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from data_quality.data_docs import SAMPLE_VALUES, merge_chunk_results
from data_quality.outcomes import ROW_KEY, SAMPLE_SIZE, RuleOutcome, SuiteOutcome, clean, sample_value
from data_quality.sql import quote_ident
from data_quality.sql_rules import CompiledRule, compile_rule, is_repeated

FLAGS_TABLE = "_validation_flags"
FAILING_TABLE = "_validation_failing"  # each failing rule's first rows, with all their columns
REPEATED_TABLE = "_validation_repeated_{}"  # per uniqueness rule, the key values that repeat
ENGINE = "duckdb"


def _flag(kind: str, index: int) -> str:
    return f"__rule_{index}_{kind}"


def compile_suite(suite: gx.ExpectationSuite, types: dict[str, str]) -> list[CompiledRule] | None:
    """Every expectation of `suite` as SQL, in the suite's order; None if any one does not compile."""
    compiled = [compile_rule(e.expectation_type, e.configuration.kwargs, types) for e in suite.expectations]
    return None if any(rule is None for rule in compiled) else compiled


def _flags(compiled: list[CompiledRule]) -> str:
    columns = []
    for i, rule in enumerate(compiled):
        columns += [
            f"coalesce({rule.domain}, false) as {_flag('domain', i)}",
            f"coalesce(({rule.domain}) and ({rule.missing}), false) as {_flag('missing', i)}",
            f"coalesce(({rule.domain}) and not ({rule.missing}) and ({rule.unexpected}), false) as {_flag('fails', i)}",
        ]
    return ", ".join(columns)


def validate_in_duckdb(con: duckdb.DuckDBPyConnection, query: str, suite: gx.ExpectationSuite) -> SuiteOutcome | None:
    """`suite` over every row `query` returns (it must have `_row_number`), or None when the suite
    does not compile to SQL (GE then validates it)."""
    started = time.perf_counter()
    relation = con.sql(query)
    compiled = compile_suite(suite, dict(zip(relation.columns, map(str, relation.types))))
    if compiled is None:
        return None
    try:
        compiled = [_with_repeated_values(con, query, rule, i) for i, rule in enumerate(compiled)]
        con.execute(f"create or replace temp table {FLAGS_TABLE} as select {ROW_KEY}, {_flags(compiled)} from ({query}) as _rows")
        # count(*) filter, not count_if: on an empty table count_if is NULL
        counts = con.execute("select count(*), " + ", ".join(
            f"count(*) filter (where {_flag(kind, i)})" for i in range(len(compiled)) for kind in ("domain", "missing", "fails")
        ) + f" from {FLAGS_TABLE}").fetchall()[0]
        rows, outcomes, results = counts[0], [], []
        if any(counts[3::3]):  # the values of each failing rule's first rows, for the samples
            sampled = " union ".join(
                f"(select {ROW_KEY} from {FLAGS_TABLE} where {_flag('fails', i)} order by {ROW_KEY} limit {SAMPLE_VALUES})"
                for i in range(len(compiled)) if counts[3 + 3 * i])
            con.execute(f"create or replace temp table {FAILING_TABLE} as select _rows.*, flags.* exclude ({ROW_KEY}) "
                        f"from ({query}) as _rows semi join ({sampled}) as sampled using ({ROW_KEY}) "
                        f"join {FLAGS_TABLE} as flags using ({ROW_KEY})")
        for i, (expectation, rule) in enumerate(zip(suite.expectations, compiled)):
            domain, missing, fails = counts[1 + 3 * i: 4 + 3 * i]
            outcome, sample = _outcome(con, expectation, rule, _flag("fails", i), fails, len(compiled))
            outcomes.append(outcome)
            results.append(ExpectationValidationResult(
                success=fails == 0, expectation_config=expectation.configuration, meta=expectation.meta,
                result={"element_count": domain, "missing_count": missing, "unexpected_count": fails,
                        "partial_unexpected_list": sample}))
    finally:
        for table in [FLAGS_TABLE, FAILING_TABLE, *(REPEATED_TABLE.format(i) for i in range(len(compiled)))]:
            con.execute(f"drop table if exists {table}")
    passed = all(result.success for result in results)
    whole = ExpectationSuiteValidationResult(success=passed, results=results, suite_name=suite.name)
    merged = merge_chunk_results(suite.name, [whole], {"rows": rows, "chunks": 1, "engine": ENGINE})
    return SuiteOutcome(suite.name, rows, 1, time.perf_counter() - started, outcomes, merged)


def _with_repeated_values(con: duckdb.DuckDBPyConnection, query: str, rule: CompiledRule, index: int) -> CompiledRule:
    """A uniqueness rule with the table of its key's repeated values computed and named."""
    if not rule.repeated_key:
        return rule
    table = REPEATED_TABLE.format(index)
    key = ", ".join(quote_ident(column) for column in rule.repeated_key)
    con.execute(f"create or replace temp table {table} as select {key} from ({query}) as _rows "
                f"group by {key} having count(*) > 1")
    return dataclasses.replace(rule, unexpected=is_repeated(rule.repeated_key, table))


def _outcome(con, expectation, rule: CompiledRule, flag: str, fails: int, rules: int) -> tuple[RuleOutcome, list]:
    """The rule's failing rows (all of them), its sample (the first rows of the file) and the
    values Data Docs show."""
    outcome = RuleOutcome(expectation.meta["rule"], expectation.expectation_type, expectation.configuration.kwargs,
                          unexpected_count=fails)
    if not fails:
        return outcome, []
    outcome.failing_rows = con.execute(
        f"select {ROW_KEY} from {FLAGS_TABLE} where {flag} order by {ROW_KEY}").fetchnumpy()[ROW_KEY].tolist()
    flags = ", ".join(_flag(kind, i) for i in range(rules) for kind in ("domain", "missing", "fails"))
    # through pandas, so that the sample's values are of the types GE's engine would show
    first = con.execute(f"select * exclude ({flags}) from {FAILING_TABLE} where {flag} "
                        f"order by {ROW_KEY} limit {SAMPLE_VALUES}").df()
    records = first.to_dict("records")
    if rule.column is not None:
        values = [clean(record[rule.column]) for record in records]
        outcome.sampled = [(int(record[ROW_KEY]), sample_value(record, rule.column)) for record in records[:SAMPLE_SIZE]]
        outcome.sample = [value for _, value in outcome.sampled]
    else:
        columns = expectation.configuration.kwargs["column_list"]
        values = [{column: clean(record[column]) for column in columns} for record in records]
        outcome.sampled = [(int(record[ROW_KEY]), value) for record, value in zip(records, values)][:SAMPLE_SIZE]
        outcome.sample = values[:SAMPLE_SIZE]
    return outcome, values
