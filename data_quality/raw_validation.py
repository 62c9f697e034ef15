"""Validate one raw object: run its suite over the rows this run must check, move the rows that
break a row-level rule to quarantine, and give the gate's verdict. The Dagster asset only adds
Data Docs and metadata around it, and chooses where the suite runs: in DuckDB, or on the engine's
server, where a copy of the raw tables is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import great_expectations as gx

from data_quality import validation_scope
from data_quality.config import QualityConfig
from data_quality.load_audit import CheckOutcome
from data_quality.quarantine import gate, quarantine_rows
from data_quality.rules import RuleContext, build_suite, validation_query, validation_tables
from data_quality.sql import quote_ident
from data_quality.validate import SuiteOutcome, validate_query


@dataclass
class RawValidation:
    suite: gx.ExpectationSuite
    outcome: SuiteOutcome  # over the rows validated
    table_rows: int
    quarantined: int
    verdict: CheckOutcome
    changed_since: dt.datetime | None  # None: the whole table was validated

    @property
    def scope(self) -> str:
        if self.changed_since is None:
            return "whole table"
        return f"rows loaded after {self.changed_since:%Y-%m-%d %H:%M:%S} and quarantine"


def validate_raw(
    con: duckdb.DuckDBPyConnection, object_name: str, table: str, context: RuleContext, load_mode: str,
    config: QualityConfig, quarantined_at: dt.datetime,
    validate: Callable[[str, gx.ExpectationSuite, list[tuple[str, str]]], SuiteOutcome] | None = None,
) -> RawValidation:
    """`validate(query, suite, tables)` runs the suite where the rows are, the query reading the
    warehouse's `tables` ((schema, table) pairs); by default in DuckDB, on `con`."""
    suite, rules = build_suite(object_name, table, context)
    fingerprint, since = validation_scope.plan(con, object_name, table, context, load_mode)
    validate = validate or (lambda query, suite, tables: validate_query(con, query, suite))
    outcome = validate(validation_query(object_name, table, since), suite,
                       validation_tables(object_name, table, since))
    quarantined = quarantine_rows(con, table, outcome, rules, quarantined_at)
    table_rows, loaded_through = con.execute(
        f"select count(*), max(_loaded_at) from raw.{quote_ident(table)}").fetchall()[0]
    verdict = gate(object_name, outcome, rules, quarantined, config.quarantine_threshold,
                   config.orphan_tolerance, table_rows=table_rows)
    validation_scope.record(con, object_name, fingerprint, context.as_of, loaded_through, verdict.passed)
    return RawValidation(suite, outcome, table_rows, quarantined, verdict, since)
