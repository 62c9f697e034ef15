"""Freshness, volume and schema-drift checks, on a warehouse built by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data_quality.config import load_quality_config
from data_quality.load_audit import freshness, record_good_run, record_load, schema_drift, volume

AS_OF = dt.date(2026, 11, 20)
AS_OF_TIME = dt.datetime(2026, 11, 21)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.opportunity (id varchar, system_modstamp timestamp, _loaded_at timestamp)")
    return con


def _load(con, run: str, rows: int, columns=("id", "amount")) -> None:
    record_load(con, run, "Opportunity", rows, list(columns), "Opportunity.csv", AS_OF_TIME, AS_OF)


def test_an_export_older_than_its_maximum_age_is_stale_and_says_how_old(con):
    con.execute("insert into raw.opportunity values ('006A', '2026-11-19 18:00:00', '2026-11-23')")
    outcome = freshness(con, "raw.opportunity", "Opportunity", AS_OF_TIME, max_age_hours=24)
    assert not outcome.passed
    assert outcome.metadata["age_hours"] == 30.0
    assert "30.0 h old" in outcome.description and "over the 24 h allowed" in outcome.description


def test_a_recent_change_is_fresh_and_no_maximum_age_means_not_checked(con):
    con.execute("insert into raw.opportunity values ('006A', '2026-11-20 22:00:00', '2026-11-23')")
    assert freshness(con, "raw.opportunity", "Opportunity", AS_OF_TIME, max_age_hours=24).passed
    outcome = freshness(con, "raw.opportunity", "Opportunity", AS_OF_TIME, max_age_hours=None)
    assert outcome.passed and "not checked" in outcome.description


def test_a_drop_beyond_the_threshold_against_the_last_good_load_fails(con):
    _load(con, "good", 1000)
    record_good_run(con, "good", dt.datetime(2026, 11, 20))
    _load(con, "bad", 400)  # a load that never published is not a baseline
    _load(con, "now", 450)
    outcome = volume(con, "now", "Opportunity", drop_threshold=0.5)
    assert not outcome.passed
    assert outcome.metadata["previous_good_rows"] == 1000 and outcome.metadata["drop"] == 0.55
    assert "55% fewer than the 1,000 of the last good load (run good)" in outcome.description


def test_a_small_drop_or_a_first_load_passes(con):
    assert volume(con, "first", "Opportunity", 0.5).passed
    _load(con, "good", 1000)
    record_good_run(con, "good", dt.datetime(2026, 11, 20))
    _load(con, "now", 900)
    assert volume(con, "now", "Opportunity", 0.5).passed


def test_an_object_missing_from_the_export_passes_volume_and_drift_saying_so(con):
    _load(con, "good", 1000)
    record_good_run(con, "good", dt.datetime(2026, 11, 20))
    record_load(con, "now", "Opportunity", 0, [], None, AS_OF_TIME, AS_OF)
    outcome = volume(con, "now", "Opportunity", 0.5)
    assert outcome.passed and "not in this export" in outcome.description
    assert schema_drift(con, "now", "Opportunity").passed


def test_new_and_missing_columns_are_reported(con):
    _load(con, "good", 10, ("id", "amount", "probability"))
    record_good_run(con, "good", dt.datetime(2026, 11, 20))
    _load(con, "now", 10, ("id", "amount", "region_c"))
    outcome = schema_drift(con, "now", "Opportunity")
    assert not outcome.passed
    assert outcome.metadata["new_columns"] == ["region_c"]
    assert outcome.metadata["missing_columns"] == ["probability"]


def test_the_quality_config_merges_overrides_into_the_defaults(tmp_path):
    path = tmp_path / "quality.yml"
    path.write_text("max_age_hours: {Opportunity: 6, Task: null}\nvolume_drop_threshold: 0.2\n")
    config = load_quality_config(path)
    assert config.max_age_for("Opportunity") == 6
    assert config.max_age_for("Task") is None and config.max_age_for("Lead") == 24
    assert config.volume_drop_threshold == 0.2


def test_a_broken_quality_config_is_a_clear_error(tmp_path):
    path = tmp_path / "quality.yml"
    path.write_text("volume_drop_threshold: [")
    with pytest.raises(ValueError, match="quality.yml: cannot read the quality config"):
        load_quality_config(path)
