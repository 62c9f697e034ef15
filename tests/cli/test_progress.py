"""The progress line of `crm-kpi run` on a terminal."""

from __future__ import annotations

import dagster as dg

from orchestration.cli.progress import Progress


def test_the_progress_line_counts_each_stage_against_its_total_and_names_the_last_object_loaded():
    progress = Progress({"ingest": 16, "quality": 16, "transform": 46, "checks": 478, "publish": 23})
    progress.add("ingest", dg.AssetKey(["raw", "account"]), 1_484)
    progress.add("ingest", dg.AssetKey(["raw", "opportunity"]), 1_480)
    progress.add("transform", dg.AssetKey(["marts", "fct_leads"]))
    progress.add(None)
    assert progress.line() == ("ingest 2/16 (opportunity: 1,480 rows) · validated 0/16 · dbt models 1/46 · "
                               "checks 1/478 · published 0/23")


def test_a_new_run_shows_every_stage_at_zero():
    assert Progress({"ingest": 2}).line() == (
        "ingest 0/2 · validated 0/0 · dbt models 0/0 · checks 0/0 · published 0/0")
