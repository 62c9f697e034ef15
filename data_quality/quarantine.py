"""Quarantine: rows that break a row-level rule are kept aside, with the rules they broke.

`quarantine.<table>` holds every such row of `raw.<table>` (all its columns, plus
`_quarantine_rules` and `_quarantined_at`); `validated.<table>` is raw without them, and is what
the dbt models read. Nothing is dropped silently: the counts are in the check metadata, and the run
is held back when too many rows break a rule.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from data_quality.load_audit import CheckOutcome
from data_quality.outcomes import SuiteOutcome
from data_quality.rules import Rule
from data_quality.sql import quote_ident


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, table: str, outcome: SuiteOutcome, rules: dict[str, Rule],
    quarantined_at: dt.datetime,
) -> int:
    """Write `quarantine.<table>` and the `validated.<table>` view; return the rows quarantined."""
    failing = pd.DataFrame(
        [(o.rule, row) for o in outcome.outcomes if rules[o.rule].row_level for row in o.failing_rows],
        columns=["rule", "_row_number"],
    ).astype({"rule": "string", "_row_number": "int64"})
    name = quote_ident(table)
    con.execute("create schema if not exists quarantine")
    con.execute("create schema if not exists validated")
    con.register("_failing_rows", failing)
    try:
        con.execute(
            f"""create or replace table quarantine.{name} as
                select raw.*, failing.rules as _quarantine_rules, $at::timestamp as _quarantined_at
                from raw.{name} as raw
                join (select _row_number, string_agg(rule, ', ' order by rule) as rules
                      from _failing_rows group by _row_number) as failing using (_row_number)""",
            {"at": quarantined_at},
        )
    finally:
        con.unregister("_failing_rows")
    con.execute(f"create or replace view validated.{name} as {validated_rows(table)}")
    return con.execute(f"select count(*) from quarantine.{name}").fetchall()[0][0]


def validated_rows(table: str) -> str:
    """The SQL of `validated.<table>`: raw without its quarantined rows, in SQL every engine runs
    (`not exists`, which Postgres plans as an anti-join, where `not in` may not be)."""
    name = quote_ident(table)
    return (f"select * from raw.{name} as r where not exists "
            f"(select 1 from quarantine.{name} as q where q._row_number = r._row_number)")


def gate(
    object_name: str, outcome: SuiteOutcome, rules: dict[str, Rule], quarantined: int,
    quarantine_threshold: float, orphan_tolerance: float, table_rows: int | None = None,
) -> CheckOutcome:
    """Hold the run back when a table-level rule fails, or a row-level rule fails on more rows than
    its threshold allows (the orphan tolerance for references, the quarantine threshold otherwise).

    Shares are of the whole table (`table_rows`), also when only the rows a merge changed were
    validated: those include every row in quarantine, so the failing rows are all counted."""
    rows = outcome.rows if table_rows is None else table_rows
    blocking, details = [], {}
    for failure in outcome.failures:
        rule = rules[failure.rule]
        error = failure.error
        if error is None and rule.row_level and len(failure.failing_rows) != failure.unexpected_count:
            # rows counted but not named cannot be quarantined: the run would publish them
            error = (f"the engine counted {failure.unexpected_count:,} failing rows but named "
                     f"{len(failure.failing_rows):,}, so they cannot be quarantined")
        if error is not None:  # a rule that cannot be evaluated vouches for nothing
            details[failure.rule] = {"rule": failure.describe(), "error": error}
            blocking.append(f"{failure.rule} could not be evaluated ({error})")
            continue
        share = failure.unexpected_count / rows if rows else 0.0
        limit = 0.0 if not rule.row_level else orphan_tolerance if rule.orphan else quarantine_threshold
        details[failure.rule] = {
            "rule": failure.describe(), "failing_rows": failure.unexpected_count, "share": round(share, 4),
            "threshold": limit, "quarantined": rule.row_level, "sample": [str(v) for v in failure.sample],
            "sample_row_numbers": [row for row, _ in failure.sampled] or failure.failing_rows[:5],
        }
        if share > limit:
            what = "rows" if rule.row_level else "rows (a table-level rule: none may fail)"
            blocking.append(f"{failure.rule} on {failure.unexpected_count:,} {what} ({share:.1%} > {limit:.0%}), "
                            f"e.g. {details[failure.rule]['sample'][:3]}")
    metadata = {"rows_checked": outcome.rows, "rows_in_table": rows, "rows_quarantined": quarantined,
                "rules": len(outcome.outcomes),
                "failed_rules": details, "chunks": outcome.chunks, "seconds": round(outcome.seconds, 3)}
    if blocking:
        return CheckOutcome(False, f"{object_name}: " + "; ".join(blocking) + ".", metadata)
    note = f", {quarantined:,} row(s) quarantined" if quarantined else ""
    checked = f"{outcome.rows:,} rows" if rows == outcome.rows else f"{outcome.rows:,} new or changed of {rows:,} rows"
    return CheckOutcome(True, f"{object_name}: {len(outcome.outcomes)} rules checked on {checked}{note}.", metadata)
