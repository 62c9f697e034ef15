"""Running the bad-input corpus (tests/support/bad_input_cases.py) through the CLI, and what every case asserts.

Each run copies the shared demo export and its state directory, whose last good run is published,
applies the damage of every case of the run, and runs `crm-kpi run` in a subprocess, so that what
reaches the terminal (a traceback, say) is what the test sees.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from data_quality.config import load_quality_config
from data_quality.rules import RuleContext, build_suite, validation_query
from data_quality.sql import quote_ident
from data_quality.validate import validate_query
from orchestration.defs.resource_types import configured_stages
from orchestration.salesforce.objects import OBJECTS
from tests.support import REPO
from tests.support.bad_input_cases import CASES, Case, HeldBack, Loaded, Quarantined, Stored, marker
from tests.support.demo import PIPELINE_AS_OF
from tests.support.engine_equivalence import assert_duckdb_finds_what_ge_finds
from tests.support.published import published_files

# Where a quarantined row is looked up in the published marts: mart, its column, the raw column.
MART_OF = {"opportunity": ("fct_opportunities", "opportunity_name", "name"), "lead": ("fct_leads", "lead_id", "id")}


@dataclass
class Run:
    source: Path
    home: Path
    exit_code: int
    output: str  # stdout and stderr of the CLI
    published_before: dict[str, bytes]
    published_after: dict[str, bytes]
    opportunities_before: int  # rows of raw.opportunity before the run


def _published(home: Path) -> dict[str, bytes]:
    return published_files({"db": home / "published" / "crm_kpis.duckdb"})


def _count(home: Path, table: str) -> int:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def run_cases(published: dict, root: Path, run: str, engine: str = "duckdb") -> Run:
    """Apply the damage of every case of `run` to a copy of the demo export, and run the CLI on it
    with `engine` (a server engine's from the environment's variables)."""
    source, home = root / "export", root / "home"
    shutil.copytree(published["export"], source)
    shutil.copytree(published["home"], home, symlinks=True)  # `published/parquet` is a symlink
    for case in cases_of(run):
        source = case.damage(source) or source
    before, opportunities = _published(home), _count(home, "raw.opportunity")
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--source", str(source), "--home", str(home),
         "--as-of", PIPELINE_AS_OF.isoformat(), "--engine", engine],
        cwd=REPO, capture_output=True, text=True, errors="replace", timeout=1800,
    )
    return Run(source, home, completed.returncode, completed.stdout + completed.stderr,
               before, _published(home), opportunities)


def cases_of(run: str) -> list[Case]:
    return [case for case in CASES if (case.run or case.id) == run and not case.covered_by]


def params(runs: tuple[str, ...], outcome: type) -> list:
    """The cases of `runs` with this kind of outcome, as pytest parameters (xfail where stated)."""
    return [
        pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [])
        for run in runs for case in cases_of(run) if isinstance(case.outcome, outcome)
    ]


def run_once(published: dict, tmp_path_factory) -> Callable[[str], Run]:
    """`get(name)`: the run of that name, run on the first call only (a test module's fixture)."""
    done: dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in done:
            done[name] = run_cases(published, tmp_path_factory.mktemp(name), name)
        return done[name]

    return get


def _records(source: Path, name: str) -> int | None:
    path = source / f"{name}.csv"
    return len(path.read_text().splitlines()) - 1 if path.is_file() and path.stat().st_size else None


def assert_safe(run: Run) -> None:
    """What holds in every case: no traceback, the published files changed only by a publish, and
    nothing of the input executed as SQL (`raw.opportunity` still holds the rows it should)."""
    assert "Traceback" not in run.output, run.output
    if run.exit_code == 0:
        assert run.published_after != run.published_before
    else:
        assert run.published_after == run.published_before
    rows = _count(run.home, "raw.opportunity")
    assert rows in (run.opportunities_before, _records(run.source, "Opportunity")), rows


def _line_of(source: Path, file: str, text: str) -> int:
    """The line of `file` on which `text` (or, when empty, the file's last line) is."""
    content = (source / file).read_text()
    return content.count("\n", 0, content.index(text) if text else len(content.rstrip("\n"))) + 1


_SAYS = "coalesce(_parse_error, _source_location)"


def quarantined_row(con: duckdb.DuckDBPyConnection, source: Path, case: Case) -> list[tuple]:
    """`(rules, what the loader says of it, key)` of each row of the case in quarantine, the key being
    the column its mart is looked up by (MART_OF); and the line of its record. The loader says what
    it could not read (`_parse_error`, which starts with the record's place) or else only where the
    record is (`_source_location`, for an empty required field)."""
    outcome: Quarantined = case.outcome
    table = quote_ident(outcome.table)
    key = MART_OF[outcome.table][2] if outcome.table in MART_OF else "id"
    if outcome.cut_file:
        line = _line_of(source, outcome.cut_file, "")
        return con.execute(f"select _quarantine_rules, {_SAYS}, {key} from quarantine.{table} "
                           "where starts_with(_parse_error, $start)",
                           {"start": f"{outcome.cut_file} line {line}:"}).fetchall(), line
    file = "Lead.csv" if outcome.table == "lead" else "Opportunity.csv"
    return con.execute(f"select _quarantine_rules, {_SAYS}, {key} from quarantine.{table} where name = $name",
                       {"name": marker(case.id)}).fetchall(), _line_of(source, file, marker(case.id))


def assert_quarantined(run: Run, case: Case) -> None:
    """The case's row is in quarantine with exactly its rule and reason, and not in the published marts."""
    outcome: Quarantined = case.outcome
    assert run.exit_code == 0, run.output
    assert_safe(run)
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        rows, line = quarantined_row(con, run.source, case)
    assert [rules for rules, _, _ in rows] == [outcome.rule]
    for says in outcome.says:
        assert says.format(line=line) in rows[0][1], rows[0][1]
    if outcome.table in MART_OF:
        mart, mart_column, _ = MART_OF[outcome.table]
        with duckdb.connect(str(run.home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
            in_marts = con.execute(f"select count(*) from {mart} where {mart_column} = $key",
                                   {"key": rows[0][2]}).fetchall()[0][0]
        assert in_marts == 0


def assert_stored(run: Run, case: Case) -> None:
    """The run published, and raw holds the case's values verbatim, as data."""
    outcome: Stored = case.outcome
    assert run.exit_code == 0, run.output
    assert_safe(run)
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        for column, values in outcome.values.items():
            stored = {row[0] for row in con.execute(
                f"select distinct {quote_ident(column)} from raw.{quote_ident(outcome.table)}").fetchall()}
            assert set(values) <= stored, (column, stored)


def assert_loaded(run: Run, case: Case) -> None:
    """The run published its files read from the --source folder, and nothing else in it."""
    outcome: Loaded = case.outcome
    assert run.exit_code == 0, run.output
    assert_safe(run)
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        loaded = {row[0] for row in con.execute(
            "select source_file from audit.load_history where run_id = (select run_id from audit.good_runs "
            "order by published_at desc limit 1)").fetchall()}
    assert {str(run.source / name) for name in outcome.files} <= loaded
    assert not {str(run.source / name) for name in outcome.ignored} & loaded


def assert_held_back(run: Run, case: Case) -> None:
    """The run exits non-zero, one line naming the file, column and rule, and publishes nothing."""
    outcome: HeldBack = case.outcome
    assert run.exit_code == outcome.exit_code, run.output
    assert_safe(run)
    assert any(all(part in line for part in outcome.says) for line in run.output.splitlines()), run.output


def _raw_suites(con: duckdb.DuckDBPyConnection):
    """(object, table, suite, rules) of every raw table in the run's warehouse, for the corpus's as-of date."""
    currencies = tuple(row[0] for row in con.execute(
        "select distinct iso_code from raw.currency_type where iso_code is not null order by 1").fetchall())
    context = RuleContext(as_of=PIPELINE_AS_OF, stages=tuple(configured_stages()), currencies=currencies,
                          lead_statuses=tuple(load_quality_config().lead_statuses))
    tables = {row[0] for row in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    for obj in OBJECTS:
        if obj.table in tables:
            yield (obj.api_name, obj.table, *build_suite(obj.api_name, obj.table, context))


def failing_rules_by_engine(run: Run) -> dict[str, set[str]]:
    """Validate every raw table the run left with both engines (DuckDB SQL, Great Expectations),
    asserting that they find the same rows; return each table's failing rules."""
    failing: dict[str, set[str]] = {}
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        for name, table, suite, _ in _raw_suites(con):
            found = assert_duckdb_finds_what_ge_finds(con, validation_query(name, table), suite)
            failing[table] = {rule for rule, (count, *_) in found.items() if count}
    return failing


def quarantine_by_duckdb(run: Run) -> dict[str, list[tuple[int, str]]]:
    """What quarantine should hold after the run, found independently: every raw table the run
    left validated by the suites compiled to DuckDB SQL, each row that breaks a row-level rule
    with the rules it breaks (as `_quarantine_rules` lists them), by table."""
    found: dict[str, list[tuple[int, str]]] = {}
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        for name, table, suite, rules in _raw_suites(con):
            outcome = validate_query(con, validation_query(name, table), suite, engine="duckdb")
            by_row: dict[int, list[str]] = {}
            for rule in outcome.outcomes:
                if rules[rule.rule].row_level:
                    for row in rule.failing_rows:
                        by_row.setdefault(row, []).append(rule.rule)
            found[table] = sorted((row, ", ".join(sorted(names))) for row, names in by_row.items())
    return found


def raw_validation_engines(run: Run) -> set[str]:
    """The engines that validated the raw tables last (in the run), as their stored results say:
    `raw/<table>/<run id>/<time>/`, the newest time of each table."""
    engines = set()
    for table in (run.home / "gx" / "uncommitted" / "validations" / "raw").iterdir():
        newest = max(table.glob("*/*/*.json"), key=lambda path: path.parent.name)
        engines.add(json.loads(newest.read_text())["meta"]["engine"])
    return engines
