"""Expectation suites for the KPI marts, translated from the dbt tests declared on them.

A mart's rules are written once, as dbt tests in the model's YAML: that is where analysts add them,
and a plain `dbt build` runs them. In a Dagster run they are checked here instead, once, on the
finished tables before they are published, so the audit of what BI tools will read is rendered in
Data Docs beside the raw suites: rates within [0, 1], counts ≥ 0, one row per grain, no gaps in
months. A test type with no translation here stays a dbt test, in every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.load_audit import CheckOutcome
from data_quality.outcomes import SuiteOutcome
from data_quality.sql import quote_ident
from orchestration.settings import MARTS_DATABASE

MART_PREFIX = "kpi_"
ROW_KEY = "_row_number"


@dataclass(frozen=True)
class MartSuite:
    model: str
    suite: gx.ExpectationSuite
    grain: tuple[str, ...]  # columns that identify a row; the chunks are split by their hash
    month_columns: tuple[str, ...]  # columns that must have no gap between their first and last month

    def query(self, schema: str) -> str:
        """The mart's rows, numbered, with a `_months_after_previous__<column>` helper per month
        column. Plain SQL that DuckDB and Postgres both run, so the suite runs where the mart is."""
        table = f"{quote_ident(schema)}.{quote_ident(self.model)}"
        # numbered in grain order: the same numbers each time the query runs, on either engine
        order = f"order by {self.chunk_key}" if self.grain else ""
        query = f"select *, row_number() over ({order}) as {ROW_KEY} from {table}"
        for column in self.month_columns:
            col, helper = quote_ident(column), quote_ident(_gap_helper(column))
            query = (
                f"select m.*, g.{helper} from ({query}) as m left join ("
                f"select {col}, {_months_between(f'lag({col}) over (order by {col})', col)} as {helper} "
                f"from (select distinct {col} from {table} where {col} is not null) as d) as g using ({col})"
            )
        return query

    @property
    def chunk_key(self) -> str:
        return ", ".join(quote_ident(column) for column in self.grain) or ROW_KEY


def _months_between(earlier: str, later: str) -> str:
    """Calendar months from `earlier` to `later`, in SQL both engines know."""
    return (f"(extract(year from {later}) - extract(year from {earlier})) * 12 "
            f"+ extract(month from {later}) - extract(month from {earlier})")


def _gap_helper(column: str) -> str:
    return f"_months_after_previous__{column}"


def _number(value):
    """A dbt bound given as a number (bounds may be SQL expressions; those stay dbt-only)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _translate(test: dict, unmeasured: frozenset[str]) -> tuple[str, gxe.Expectation] | None:
    """(rule name, expectation) for one dbt generic test, or None when it has no GE translation."""
    kind, kwargs, column = test["test_metadata"]["name"], test["test_metadata"]["kwargs"], test.get("column_name")
    if test["config"].get("where"):
        return None  # a filtered test would need its SQL filter; it stays dbt-only
    if kind == "not_null_when_measured" and column in unmeasured:
        return f"{column}_null_as_not_measured", gxe.ExpectColumnValuesToBeNull(column=column)
    if kind in ("not_null", "not_null_when_measured"):
        return f"{column}_not_null", gxe.ExpectColumnValuesToNotBeNull(column=column)
    if kind == "unique":
        return f"{column}_unique", gxe.ExpectColumnValuesToBeUnique(column=column)
    if kind == "accepted_values":
        return f"{column}_accepted_values", gxe.ExpectColumnValuesToBeInSet(column=column, value_set=kwargs["values"])
    if kind == "unique_combination_of_columns":
        columns = list(kwargs["combination_of_columns"])
        if len(columns) == 1:
            return f"{columns[0]}_unique", gxe.ExpectColumnValuesToBeUnique(column=columns[0])
        return f"one_row_per_{'_'.join(columns)}", gxe.ExpectCompoundColumnsToBeUnique(column_list=columns)
    if kind == "no_month_gaps":
        return f"no_month_gaps_in_{column}", gxe.ExpectColumnValuesToBeBetween(
            column=_gap_helper(column), min_value=1, max_value=1)
    if kind == "accepted_range":
        low, high = _number(kwargs.get("min_value")), _number(kwargs.get("max_value"))
        if (low is None and kwargs.get("min_value") is not None) or (high is None and kwargs.get("max_value") is not None):
            return None
        strict = kwargs.get("inclusive", True) is False
        name = f"{column}_between_{low}_and_{high}" if high is not None else f"{column}_at_least_{low}"
        return name, gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high,
                                                       strict_min=strict, strict_max=strict)
    return None


def mart_models(manifest: dict) -> list[str]:
    """The KPI marts: every model of the marts database named `kpi_*`."""
    return sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("database") == MARTS_DATABASE
        and node["name"].startswith(MART_PREFIX)
    )


def _generic_tests(manifest: dict, model: str) -> list[dict]:
    """The generic dbt tests attached to one model, in a stable order."""
    unique_id = next(key for key, node in manifest["nodes"].items()
                     if node["resource_type"] == "model" and node["name"] == model)
    return sorted((node for node in manifest["nodes"].values()
                   if node["resource_type"] == "test" and node.get("attached_node") == unique_id
                   and "test_metadata" in node), key=lambda node: node["name"])


def dbt_tests_in_mart_suites(manifest: dict) -> list[str]:
    """The names of the dbt tests whose rules the mart suites check: a Dagster run leaves them out
    of `dbt build`, as the blocking mart check evaluates each of them on the finished table anyway.
    The rest (filtered tests, relationships, SQL bounds) stay dbt tests in every run."""
    return sorted(test["name"] for model in mart_models(manifest) for test in _generic_tests(manifest, model)
                  if _translate(test, frozenset()) is not None)


def build_mart_suite(manifest: dict, model: str, unmeasured: frozenset[str] = frozenset()) -> MartSuite:
    """The suite of one mart, from the dbt tests attached to it (in a stable order). The KPIs in
    `unmeasured` (the export lacks their objects) are expected NULL instead of not NULL."""
    expectations, grain, months = {}, (), []
    for test in _generic_tests(manifest, model):
        translated = _translate(test, unmeasured)
        if translated is None:
            continue
        name, expectation = translated
        expectation.meta = {"rule": name, "dbt_test": test["name"]}
        expectations.setdefault(name, expectation)
        kind = test["test_metadata"]["name"]
        # one grain splits the chunks; a compound key wins over a single unique column
        if kind == "unique_combination_of_columns" and len(grain) < 2:
            grain = tuple(test["test_metadata"]["kwargs"]["combination_of_columns"])
        elif kind == "unique" and not grain:
            grain = (test["column_name"],)
        elif kind == "no_month_gaps":
            months.append(test["column_name"])
    suite = gx.ExpectationSuite(name=f"marts.{model}", expectations=list(expectations.values()))
    return MartSuite(model, suite, grain, tuple(months))


def mart_gate(model: str, outcome: SuiteOutcome) -> CheckOutcome:
    """A mart is published only when every one of its rules holds: a broken mart is wrong numbers."""
    details = {
        failure.rule: {"rule": failure.describe(), "failing_rows": failure.unexpected_count,
                       "sample": [str(value) for value in failure.sample], "error": failure.error}
        for failure in outcome.failures
    }
    metadata = {"rows_checked": outcome.rows, "rules": len(outcome.outcomes), "failed_rules": details,
                "chunks": outcome.chunks, "seconds": round(outcome.seconds, 3)}
    if details:
        reasons = "; ".join(f"{rule} could not be evaluated ({d['error']})" if d["error"] else
                            f"{rule} fails on {d['failing_rows']:,} row(s), e.g. {d['sample'][:3]}"
                            for rule, d in details.items())
        return CheckOutcome(False, f"{model}: {reasons}.", metadata)
    return CheckOutcome(True, f"{model}: {len(outcome.outcomes)} rules hold on {outcome.rows:,} rows.", metadata)
