"""After a merge load only the rows it changed, and the rows in quarantine, are validated, and the
outcome is the one a validation of the whole table gives."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from data_quality.config import QualityConfig
from data_quality.raw_validation import validate_raw
from data_quality.rules import RuleContext
from data_quality.validation_scope import ValidationState, changed_since, rules_fingerprint
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS_BY_NAME

AS_OF = dt.date(2026, 11, 20)
CONTEXT = RuleContext(as_of=AS_OF, stages=("Prospecting", "Closed Won"), currencies=(), lead_statuses=())
LOADED = dt.datetime(2026, 11, 20, 6, 0)
MERGED = dt.datetime(2026, 11, 21, 6, 0)
PASSED = ValidationState("fp", AS_OF, LOADED, passed=True)
LENIENT = QualityConfig(quarantine_threshold=0.5, orphan_tolerance=0.5)


def _since(previous=PASSED, load_mode="merge", fingerprint="fp", as_of=AS_OF, has_quarantine=True):
    return changed_since(previous, load_mode=load_mode, fingerprint=fingerprint, as_of=as_of,
                         has_quarantine=has_quarantine)


def test_a_merge_after_a_passed_validation_checks_only_rows_loaded_since():
    assert _since() == LOADED
    assert _since(as_of=AS_OF + dt.timedelta(days=1)) == LOADED  # date rules only get looser


@pytest.mark.parametrize("change", [
    {"previous": None},
    {"load_mode": "replace"},
    {"previous": ValidationState("fp", AS_OF, LOADED, passed=False)},
    {"fingerprint": "other rules"},
    {"as_of": AS_OF - dt.timedelta(days=1)},
    {"previous": ValidationState("fp", AS_OF, None, passed=True)},
    {"has_quarantine": False},
], ids=["first validation", "full export", "last one held the run back", "rules changed",
        "as-of moved back", "table was empty", "quarantine table missing"])
def test_anything_but_a_clean_merge_validates_the_whole_table(change):
    assert _since(**change) is None


def test_the_rules_fingerprint_ignores_the_as_of_date_but_not_the_configuration():
    later = RuleContext(as_of=AS_OF + dt.timedelta(days=30), stages=CONTEXT.stages, currencies=(), lead_statuses=())
    other_stages = RuleContext(as_of=AS_OF, stages=("Prospecting",), currencies=(), lead_statuses=())
    assert rules_fingerprint("Opportunity", "opportunity", CONTEXT) == rules_fingerprint("Opportunity", "opportunity", later)
    assert rules_fingerprint("Opportunity", "opportunity", CONTEXT) != rules_fingerprint(
        "Opportunity", "opportunity", other_stages)


def _member(id_: str, campaign: str, stamp: str) -> dict:
    return {"Id": id_, "CampaignId": campaign, "HasResponded": "true", "SystemModstamp": stamp}


def _load(con, tmp_path, name: str, rows: list[dict], loaded_at: dt.datetime, mode: str) -> None:
    path = tmp_path / f"{name}_{mode}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    load_object(con, OBJECTS_BY_NAME[name], path, loaded_at, mode=mode)


def _validate(con, mode: str):
    return validate_raw(con, "CampaignMember", "campaign_member", CONTEXT, mode, LENIENT, LOADED)


def _quarantine(con) -> list[tuple]:
    return con.execute("select id, _quarantine_rules from quarantine.campaign_member order by id").fetchall()


def test_a_merge_validates_changed_and_quarantined_rows_and_matches_a_whole_table_validation(tmp_path):
    con = duckdb.connect()
    stamp, later = "2026-11-19T10:00:00Z", "2026-11-20T10:00:00Z"
    campaign = {"Id": "701000000000001AAA", "Name": "Launch", "SystemModstamp": stamp}
    _load(con, tmp_path, "Campaign", [campaign], LOADED, "replace")
    _load(con, tmp_path, "CampaignMember", [
        _member("00v000000000001AAA", "701000000000001AAA", stamp),
        _member("00v000000000002AAA", "701000000000002AAA", stamp),  # its campaign is not there yet
        _member("00v000000000003AAA", "701000000000001AAA", stamp),
        _member("00v000000000004AAA", "701000000000001AAA", stamp),
    ], LOADED, "replace")
    first = _validate(con, "replace")
    assert (first.changed_since, first.outcome.rows, first.quarantined) == (None, 4, 1)

    # The missing campaign arrives; a member changes; a new member points at an unknown campaign.
    _load(con, tmp_path, "Campaign", [{**campaign, "Id": "701000000000002AAA", "SystemModstamp": later}],
          MERGED, "merge")
    _load(con, tmp_path, "CampaignMember", [
        _member("00v000000000003AAA", "701000000000001AAA", later),
        _member("00v000000000005AAA", "701000000000009AAA", later),
    ], MERGED, "merge")
    merged = _validate(con, "merge")
    assert merged.changed_since == LOADED
    assert merged.outcome.rows == 3  # 00v…3 and 00v…5, loaded since, and 00v…2 from quarantine
    assert merged.table_rows == 5
    assert _quarantine(con) == [("00v000000000005AAA", "campaign_id_exists")]

    whole = _validate(con, "replace")
    assert whole.outcome.rows == 5
    assert _quarantine(con) == [("00v000000000005AAA", "campaign_id_exists")]
    assert (merged.quarantined, merged.verdict.passed) == (whole.quarantined, whole.verdict.passed) == (1, True)
    failing = {o.rule: o.unexpected_count for o in merged.outcome.outcomes}
    assert failing == {o.rule: o.unexpected_count for o in whole.outcome.outcomes}


def test_shares_in_the_verdict_are_of_the_whole_table_not_of_the_rows_validated(tmp_path):
    con = duckdb.connect()
    stamp = "2026-11-19T10:00:00Z"
    _load(con, tmp_path, "Campaign", [{"Id": "701000000000001AAA", "Name": "Launch", "SystemModstamp": stamp}],
          LOADED, "replace")
    members = [_member(f"00v0000000000{i:02d}AAA", "701000000000001AAA", stamp) for i in range(10)]
    _load(con, tmp_path, "CampaignMember", members, LOADED, "replace")
    assert _validate(con, "replace").quarantined == 0
    _load(con, tmp_path, "CampaignMember", [_member("00v000000000099AAA", "701000000000009AAA",
                                                    "2026-11-20T10:00:00Z")], MERGED, "merge")
    merged = _validate(con, "merge")
    # one orphan of 11 rows (9%) is within the 50% tolerance, though it is the only row validated
    assert (merged.outcome.rows, merged.quarantined, merged.verdict.passed) == (1, 1, True)
    assert merged.verdict.metadata["failed_rules"]["campaign_id_exists"]["share"] == round(1 / 11, 4)
