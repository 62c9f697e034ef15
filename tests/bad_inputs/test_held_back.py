"""Bad files, each run as a whole export (tests/support/bad_input_cases.py): a file that holds the run
back gets one message naming the file, the column and the rule; an export in mixed encodings
publishes with every name read right.

The runs that quarantine rows and publish are in test_quarantined.py.
"""

from __future__ import annotations

import pytest

from tests.support.bad_input_cases import HeldBack, Stored
from tests.support.bad_input_runs import (
    assert_held_back,
    assert_stored,
    failing_rules_by_engine,
    params,
    run_once,
)

pytestmark = pytest.mark.e2e

RUNS = ("broken_files", "whole_files", "mixed_encodings_across_files")


@pytest.fixture(scope="module")
def corpus_run(published, tmp_path_factory):
    return run_once(published, tmp_path_factory)


@pytest.mark.parametrize("case", params(RUNS, HeldBack))
def test_a_bad_file_holds_the_run_back_with_one_line_naming_the_file_the_column_and_the_rule(corpus_run, case):
    assert_held_back(corpus_run(case.run or case.id), case)


@pytest.mark.parametrize("case", params(RUNS, Stored))
def test_an_export_in_mixed_encodings_publishes_with_every_name_read_right(corpus_run, case):
    assert_stored(corpus_run(case.run or case.id), case)


@pytest.mark.parametrize(("run", "table", "rule"), [
    ("broken_files", "opportunity", "close_date_required"),  # every tenth CloseDate empty
    ("whole_files", "lead", "id_unique"),  # three Lead records twice
])
def test_the_suites_compiled_to_sql_find_in_the_held_back_runs_what_great_expectations_finds(
    corpus_run, run, table, rule
):
    assert rule in failing_rules_by_engine(corpus_run(run))[table]
