"""Which rows of a raw table a run validates: the whole table, or only what a merge changed.

After a merge load, raw holds the rows earlier runs validated plus the rows this load merged in.
A row that passed its suite keeps passing while
  - it is unchanged (a merged-in version is a new row, with a new `_loaded_at`),
  - the rules are the same, the as-of date aside,
  - the as-of date did not move back (every date rule only gets looser as it moves forward),
  - no record it refers to disappeared, which a merge never does (deletions stay in raw as
    soft-deleted rows).
So a merge run validates the rows loaded since the last validation plus the rows in quarantine
(they may pass now: their parent arrived, or their date is no longer in the future), and reaches
the same quarantine and the same verdict as validating the whole table. Anything else (a full
export, changed rules, an as-of date moved back, a last validation that held the run back)
validates the whole table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace

import duckdb

from data_quality.load_audit import AUDIT_SCHEMA
from data_quality.rules import RuleContext, build_suite

# Rules are compared with the as-of date set to this day, so that a new day is not a new rule.
_REFERENCE_AS_OF = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class ValidationState:
    """What the last validation of a table covered."""

    rules_fingerprint: str
    as_of: dt.date
    loaded_through: dt.datetime | None  # the newest `_loaded_at` it validated
    passed: bool  # whether its verdict let the run go on


def rules_fingerprint(object_name: str, table: str, context: RuleContext) -> str:
    """A digest of the object's suite for this org and configuration, whatever the as-of date."""
    suite, _ = build_suite(object_name, table, replace(context, as_of=_REFERENCE_AS_OF))
    expectations = [e.configuration.to_json_dict() for e in suite.expectations]
    return hashlib.sha256(json.dumps(expectations, sort_keys=True, default=str).encode()).hexdigest()


def changed_since(
    previous: ValidationState | None, *, load_mode: str, fingerprint: str, as_of: dt.date,
    has_quarantine: bool,
) -> dt.datetime | None:
    """The `_loaded_at` after which rows need validating, or None to validate the whole table."""
    if (
        previous is None
        or load_mode != "merge"
        or not previous.passed
        or previous.rules_fingerprint != fingerprint
        or as_of < previous.as_of
        or previous.loaded_through is None
        or not has_quarantine
    ):
        return None
    return previous.loaded_through


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"create table if not exists {AUDIT_SCHEMA}.validation_state (object varchar primary key, "
        "rules_fingerprint varchar, as_of date, loaded_through timestamp, passed boolean)"
    )


def read_state(con: duckdb.DuckDBPyConnection, object_name: str) -> ValidationState | None:
    _ensure_table(con)
    rows = con.execute(
        f"select rules_fingerprint, as_of, loaded_through, passed from {AUDIT_SCHEMA}.validation_state "
        "where object = $object", {"object": object_name},
    ).fetchall()
    return ValidationState(*rows[0]) if rows else None


def write_state(con: duckdb.DuckDBPyConnection, object_name: str, state: ValidationState) -> None:
    _ensure_table(con)
    con.execute(
        f"insert or replace into {AUDIT_SCHEMA}.validation_state values ($object, $fp, $as_of, $through, $passed)",
        {"object": object_name, "fp": state.rules_fingerprint, "as_of": state.as_of,
         "through": state.loaded_through, "passed": state.passed},
    )


def _has_quarantine(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables "
                            "where table_schema = 'quarantine' and table_name = $t", {"t": table}).fetchall()[0][0])


def plan(
    con: duckdb.DuckDBPyConnection, object_name: str, table: str, context: RuleContext, load_mode: str,
) -> tuple[str, dt.datetime | None]:
    """This run's rules fingerprint, and the `_loaded_at` after which rows need validating (None: all)."""
    fingerprint = rules_fingerprint(object_name, table, context)
    since = changed_since(read_state(con, object_name), load_mode=load_mode, fingerprint=fingerprint,
                          as_of=context.as_of, has_quarantine=_has_quarantine(con, table))
    return fingerprint, since


def record(
    con: duckdb.DuckDBPyConnection, object_name: str, fingerprint: str, as_of: dt.date,
    loaded_through: dt.datetime | None, passed: bool,
) -> None:
    """Remember what this validation covered: every row of the table, loaded up to `loaded_through`."""
    write_state(con, object_name, ValidationState(fingerprint, as_of, loaded_through, passed))
