"""The row rules' expectation suites in chunks, their samples, and Data Docs (the KPI marts'
suites are tested in test_mart_suites.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from data_quality import data_docs
from data_quality.rules import RuleContext, build_suite
from data_quality.validate import validate_query

RULES = RuleContext(as_of=dt.date(2026, 11, 20), stages=("Prospecting", "Closed Won"), currencies=("USD",),
                    lead_statuses=("Open",))


def _tasks(con, rows: int, bad_owner_every: int) -> str:
    """A Task table of `rows` rows where every `bad_owner_every`-th owner does not exist."""
    con.execute(f"""
        create or replace table task as
        select printf('00T%012dAAA', i) as id, i as _row_number,
               printf('005%012dAAA', i % 7) as owner_id, i % {bad_owner_every} <> 0 as _fk_owner_id,
               timestamp '2026-01-01' as created_date, 'Outbound' as call_type, null::varchar as _parse_error
        from range(1, {rows + 1}) as r(i)
    """)
    return "select * from task"


def test_a_table_validated_in_chunks_counts_the_same_failures_as_in_one_piece():
    con = duckdb.connect()
    query = _tasks(con, rows=1_000, bad_owner_every=10)
    suite, _ = build_suite("Task", "task", RULES)

    whole = validate_query(con, query, suite, engine="great_expectations")
    chunked = validate_query(con, query, suite, chunk_rows=150, engine="great_expectations")

    assert chunked.chunks == 7 and whole.chunks == 1
    owner = {o.rule: o for o in chunked.outcomes}["owner_id_exists"]
    assert owner.unexpected_count == 100
    assert sorted(owner.failing_rows) == list(range(10, 1_001, 10))
    merged = {r.expectation_config.meta["rule"]: r.result for r in chunked.result.results}
    assert merged["owner_id_exists"]["element_count"] == 1_000
    assert merged["owner_id_exists"]["unexpected_count"] == 100
    assert merged["owner_id_exists"]["unexpected_percent"] == pytest.approx(10.0)
    assert chunked.result.statistics["unsuccessful_expectations"] == 1
    assert [r.result["unexpected_count"] for r in whole.result.results] == \
        [r.result["unexpected_count"] for r in chunked.result.results]


@pytest.mark.parametrize("engine", ["duckdb", "great_expectations"])
def test_a_rules_sample_is_the_failing_values_of_the_first_rows_of_the_file_whatever_the_chunks(engine):
    con = duckdb.connect()
    _tasks(con, rows=1_000, bad_owner_every=1_001)
    con.execute("update task set _parse_error = 'line ' || (_row_number + 1) where _row_number % 7 = 0")
    suite, _ = build_suite("Task", "task", RULES)

    parses = {o.rule: o for o in validate_query(con, "select * from task", suite, chunk_rows=150,
                                                 engine=engine).outcomes}["record_parses"]

    assert parses.unexpected_count == 142
    assert parses.sample == ["line 8", "line 15", "line 22", "line 29", "line 36"]
    assert [row for row, _ in parses.sampled] == [7, 14, 21, 28, 35]


def test_data_docs_render_a_runs_pages_when_it_ends_and_keep_only_the_newest_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(data_docs, "KEEP_RUNS", 2)
    con = duckdb.connect()
    suite, _ = build_suite("Task", "task", RULES)
    outcome = validate_query(con, _tasks(con, rows=50, bad_owner_every=10), suite)
    site, stores = tmp_path / "data_docs", tmp_path / "gx"

    first = data_docs.store_result(site, stores, suite, outcome.result, run_name="run-0", batch="raw.task")
    assert not first.exists()  # stored only: rendered when the run ends
    assert data_docs.build_site(site, stores) == site / "index.html"
    assert first.exists()
    pages = [first, *(data_docs.store_result(site, stores, suite, outcome.result, run_name=f"run-{n}",
                                             batch="raw.task") for n in (1, 2))]
    assert data_docs.build_site(site, stores) == site / "index.html"

    assert all(page.is_relative_to(site) for page in pages)
    html = pages[2].read_text()
    assert "owner_id_exists" in html or "_fk_owner_id" in html
    assert not pages[0].exists() and pages[1].exists()  # the build drops pruned runs' pages
    index = (site / "index.html").read_text()
    assert "run-2" in index and "run-1" in index and "run-0" not in index
    assert (site / "expectations" / "raw" / "task.html").exists()


@pytest.mark.e2e
def test_a_run_builds_data_docs_for_every_object_and_mart_linked_from_its_checks(published, monkeypatch):
    site = published["home"] / "data_docs"
    with duckdb.connect(str(published["db"]), read_only=True) as con:
        run_id = con.execute("select run_id from _publish_log order by published_at desc limit 1").fetchall()[0][0]
    monkeypatch.setenv("DAGSTER_HOME", str(published["home"] / "dagster"))
    instance = dg.DagsterInstance.get()
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    links = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == "expectations":
            links[evaluation.asset_key.to_user_string()] = evaluation.metadata["data_docs"].value

    assert {"validated/opportunity", "validated/lead", "marts/kpi_company_monthly", "marts/kpi_rep_monthly"} <= set(links)
    for url in links.values():
        page = Path(url.removeprefix("file://"))
        assert page.is_relative_to(site) and page.exists() and run_id in page.parts
    assert (site / "index.html").exists()


@pytest.mark.e2e
def test_a_run_launched_in_dagster_has_its_data_docs_pages_and_index_rendered_when_it_ends(published, monkeypatch):
    from orchestration.defs.automation.data_docs_index import data_docs_after_success

    index = published["home"] / "data_docs" / "index.html"
    pages = sorted((published["home"] / "data_docs" / "validations").rglob("*.html"))
    index.unlink()
    pages[0].unlink()  # as when a validation has only stored its result
    monkeypatch.setenv("DAGSTER_HOME", str(published["home"] / "dagster"))
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1)[0]
    (ended,) = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records
    context = dg.build_run_status_sensor_context(
        sensor_name=data_docs_after_success.name, dagster_instance=instance, dagster_run=run,
        dagster_event=ended.event_log_entry.dagster_event)
    data_docs_after_success(context)
    assert run.run_id in index.read_text()
    assert pages[0].exists()


def test_a_rule_that_cannot_be_evaluated_fails_instead_of_passing():
    con = duckdb.connect()
    con.execute("create table t as select 1 as id, 1::bigint as _row_number, date '2026-01-01' as d")
    # the column reaches pandas as timestamps, which GE cannot compare with a date bound: it raises
    broken = gxe.ExpectColumnValuesToBeBetween(column="d", min_value=dt.date(2030, 1, 1))
    broken.meta = {"rule": "d_in_range"}
    outcome = validate_query(con, "select * from t", gx.ExpectationSuite(name="t", expectations=[broken]))
    (rule,) = outcome.outcomes
    assert not rule.success and rule.unexpected_count == 0
    assert rule.error
    assert "could not be evaluated" in rule.describe()


@pytest.mark.parametrize("engine", ["duckdb", "great_expectations"])
def test_an_empty_required_date_is_sampled_as_the_file_and_line_it_was_found_on(engine):
    con = duckdb.connect()
    _tasks(con, rows=20, bad_owner_every=1_001)
    con.execute("alter table task add column _source_location varchar")
    con.execute("update task set created_date = null, _source_location = 'Task.csv line ' || (_row_number + 1) "
                "where _row_number in (3, 9)")
    suite, _ = build_suite("Task", "task", RULES)

    outcomes = validate_query(con, "select * from task", suite, engine=engine).outcomes
    outcome = {o.rule: o for o in outcomes}["created_date_required"]

    assert outcome.unexpected_count == 2
    assert outcome.sample == ["Task.csv line 4: created_date is empty", "Task.csv line 10: created_date is empty"]


@pytest.mark.parametrize("engine", ["duckdb", "great_expectations"])
def test_a_value_that_did_not_parse_breaks_record_parses_and_not_also_the_required_rule(engine):
    con = duckdb.connect()
    _tasks(con, rows=20, bad_owner_every=1_001)
    con.execute("update task set created_date = null, _parse_error = 'Task.csv line 6: column CreatedDate: ...' "
                "where _row_number = 5")
    suite, _ = build_suite("Task", "task", RULES)

    outcomes = {o.rule: o for o in validate_query(con, "select * from task", suite, engine=engine).outcomes}

    assert outcomes["record_parses"].unexpected_count == 1
    assert outcomes["created_date_required"].unexpected_count == 0
