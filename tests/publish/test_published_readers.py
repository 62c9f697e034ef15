"""A BI tool reading the published database while runs publish sees no error and only whole,
consistent snapshots.

The published files change only in the publish step, so this drives the publish step of ten runs
back to back (the real `publish_tables`, as the publish asset calls it) while another process
queries the published database in a loop, as a BI tool would. Every run's marts carry its run id,
so a reader can tell whether the marts it read belong to the `_publish_log` entry it read.
"""

from __future__ import annotations

import multiprocessing
import time

import duckdb
import pytest

from orchestration.defs.publish.swap import PublishEntry, publish_tables

RUNS = 10
ROWS = 300_000  # enough that a publish takes a while, so the reader meets it mid-way


def _warehouse(folder, run_id: str):
    """A state directory's warehouse, and beside it the marts database dbt builds."""
    folder.mkdir()
    duckdb.connect(str(folder / "warehouse.duckdb")).close()
    with duckdb.connect(str(folder / "marts.duckdb")) as con:
        con.execute("create table kpi_runs as select $run as run_id, range as n from range($rows)",
                    {"run": run_id, "rows": ROWS})
        con.execute("create table kpi_totals as select $run as run_id, sum(range) as total from range($rows)",
                    {"run": run_id, "rows": ROWS})
    return folder / "warehouse.duckdb"


def _read_in_a_loop(target: str, stop, results) -> None:
    """A BI-style reader: connect read-only, read the newest publish and the marts, disconnect."""
    reads, errors, mismatches, seen = 0, [], [], set()
    while not stop.is_set():
        try:
            with duckdb.connect(target, read_only=True) as con:
                logged = con.execute("select run_id from _publish_log order by published_at desc, run_id desc "
                                     "limit 1").fetchall()[0][0]
                in_marts = {r[0] for r in con.execute("select distinct run_id from kpi_runs").fetchall()}
                in_totals = con.execute("select run_id, total from kpi_totals").fetchall()
            if in_marts != {logged} or in_totals != [(logged, ROWS * (ROWS - 1) // 2)]:
                mismatches.append((logged, sorted(in_marts), in_totals))
            seen.add(logged)
            reads += 1
        except Exception as exc:  # every error counts, whatever its kind
            errors.append(repr(exc))
    results.put({"reads": reads, "errors": errors, "mismatches": mismatches, "seen": sorted(seen)})


@pytest.mark.slow
def test_a_reader_querying_during_ten_publishes_sees_only_whole_consistent_snapshots(tmp_path):
    target = tmp_path / "published" / "crm_kpis.duckdb"
    tables = [("marts", "kpi_runs"), ("marts", "kpi_totals")]
    publish_tables(_warehouse(tmp_path / "wh-0", "run-00"), target, tables, "run-00",
                   PublishEntry("2026-11-23T00:00:00", "2026-11-22", "run-00", {}, {}))

    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    reader = context.Process(target=_read_in_a_loop, args=(str(target), stop, results))
    reader.start()
    time.sleep(1.0)  # let the reader get going on the first snapshot
    for run in range(1, RUNS + 1):
        run_id = f"run-{run:02d}"
        publish_tables(_warehouse(tmp_path / f"wh-{run}", run_id), target, tables, run_id,
                       PublishEntry(f"2026-11-23T00:{run:02d}:00", "2026-11-22", run_id, {}, {}))
    time.sleep(0.5)
    stop.set()
    outcome = results.get(timeout=60)
    reader.join(timeout=60)

    assert outcome["errors"] == []
    assert outcome["mismatches"] == []
    assert outcome["reads"] > RUNS
    assert len(outcome["seen"]) >= 3 and outcome["seen"][-1] == f"run-{RUNS:02d}"
