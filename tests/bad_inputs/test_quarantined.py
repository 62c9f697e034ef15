"""Bad inputs whose run goes on (tests/support/bad_input_cases.py): rows quarantined while the rest
publishes, odd values stored as data, inputs refused before a run starts, and the corpus itself.

The runs a bad file holds back are in test_held_back.py.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter

import duckdb
import pytest

from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OPPORTUNITY
from tests.support.bad_input_cases import CASES, HeldBack, Loaded, Quarantined, Stored
from tests.support.bad_input_runs import (
    assert_held_back,
    assert_loaded,
    assert_quarantined,
    assert_safe,
    assert_stored,
    cases_of,
    failing_rules_by_engine,
    params,
    quarantined_row,
    run_once,
)

RUNS = ("quarantine", "not_an_export", "path_does_not_exist")


@pytest.fixture(scope="module")
def corpus_run(published, tmp_path_factory):
    return run_once(published, tmp_path_factory)


@pytest.mark.e2e
@pytest.mark.parametrize("case", params(RUNS, Quarantined))
def test_a_row_that_breaks_a_rule_is_quarantined_with_that_rule_and_kept_out_of_the_published_marts(
    corpus_run, case
):
    assert_quarantined(corpus_run(case.run), case)


@pytest.mark.e2e
def test_the_quarantine_holds_the_row_of_every_case_and_no_other_row(corpus_run):
    run = corpus_run("quarantine")
    assert run.exit_code == 0, run.output
    cases = [case for case in cases_of("quarantine") if isinstance(case.outcome, Quarantined)]
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'quarantine'").fetchall()]
        counts = {table: con.execute(f"select count(*) from quarantine.{table}").fetchall()[0][0] for table in tables}
        found = {case.id: quarantined_row(con, run.source, case)[0] for case in cases}
    assert all(len(rows) == 1 for rows in found.values()), found  # each case's row, counted once
    expected = Counter(case.outcome.table for case in cases)
    assert {table: rows for table, rows in counts.items() if rows} == dict(expected)


@pytest.mark.e2e
def test_the_suites_compiled_to_sql_find_in_the_corpus_exactly_what_great_expectations_finds(corpus_run):
    run = corpus_run("quarantine")
    failing = failing_rules_by_engine(run)
    cases = [case.outcome for case in cases_of("quarantine") if isinstance(case.outcome, Quarantined)]
    for case in cases:  # the comparison saw every rule the corpus breaks
        assert set(case.rule.split(", ")) <= failing[case.table], (case, failing[case.table])


@pytest.mark.e2e
@pytest.mark.parametrize("case", params(RUNS, Stored))
def test_odd_values_and_column_names_are_stored_verbatim_as_data_and_the_run_publishes(corpus_run, case):
    assert_stored(corpus_run(case.run), case)


@pytest.mark.e2e
@pytest.mark.parametrize("case", params(RUNS, Loaded))
def test_an_export_in_a_folder_named_by_sql_is_read_from_it_and_a_stray_file_is_ignored(corpus_run, case):
    assert_loaded(corpus_run(case.run), case)


@pytest.mark.e2e
def test_the_sql_in_values_reaches_the_published_marts_as_data(corpus_run):
    run = corpus_run("quarantine")
    assert_safe(run)
    values = next(case.outcome.values["name"] for case in CASES if case.id == "sql_in_values")
    with duckdb.connect(str(run.home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
        names = {row[0] for row in con.execute("select opportunity_name from fct_opportunities").fetchall()}
    assert set(values) <= names


@pytest.mark.e2e
@pytest.mark.parametrize("case", params(RUNS, HeldBack))
def test_an_input_that_is_no_export_is_refused_before_a_run_starts_naming_the_path(corpus_run, case):
    assert_held_back(corpus_run(case.id), case)


def test_the_corpus_has_at_least_25_cases_each_with_a_unique_id_and_one_outcome():
    ids = [case.id for case in CASES]
    assert len(ids) >= 25 and len(set(ids)) == len(ids)
    assert all(isinstance(case.outcome, (Quarantined, Stored, Loaded, HeldBack)) for case in CASES)


@pytest.mark.parametrize("case", [case for case in CASES if case.covered_by], ids=lambda case: case.id)
def test_a_case_run_by_another_test_names_a_test_that_exists(case):
    path, name = case.covered_by.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name))


def _opportunity_lines(records: int) -> list[str]:
    """An Opportunity file's header and `records` plain records, as lines."""
    return ["Id,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate"] + [
        f"006{i:015d},005A,Prospecting,{i},2025-01-01,0,0,2025-01-01T00:00:00Z" for i in range(records)]


def test_a_bad_line_past_the_sample_the_csv_sniffer_reads_is_quarantined_with_its_line(tmp_path):
    """The sniffer reads the first 20,480 lines; a line past them is rejected when the rows are read."""
    lines = _opportunity_lines(30_000)
    lines[25_001] += ",an extra field"  # line 25,002
    path = tmp_path / "Opportunity.csv"
    path.write_text("\n".join(lines))
    con = duckdb.connect()
    result = load_object(con, OPPORTUNITY, path, dt.datetime(2026, 11, 20))
    assert (result.rows, result.unparsed_rows) == (30_000, 1)
    (error,), = con.execute("select _parse_error from raw.opportunity where _parse_error is not null").fetchall()
    assert error.startswith("Opportunity.csv line 25002: Expected Number of Columns: 8 Found: 9")
    assert error.endswith(f"the record: {lines[25_001]}")


def test_a_windows_1252_line_past_the_sample_is_read_right(tmp_path):
    lines = _opportunity_lines(30_000)
    path = tmp_path / "Opportunity.csv"
    path.write_bytes(b"\n".join(  # line 25,002 names its stage in Windows-1252, like the rest of the file
        line.replace("Prospecting", "Qualifié").encode("cp1252") if number == 25_001 else line.encode()
        for number, line in enumerate(lines)))
    con = duckdb.connect()
    load_object(con, OPPORTUNITY, path, dt.datetime(2026, 11, 20))
    assert con.execute("select stage_name from raw.opportunity where _row_number = 25001").fetchall() == [("Qualifié",)]
