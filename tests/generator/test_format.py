"""The demo Salesforce org: Ids, file format, determinism and dates."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pyarrow.parquet as pq
import pytest

from demo_org import generate_org
from demo_org.ids import checksum, make_ids, to_18
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS
from tests.support.demo import AS_OF, CUTOFF
from tests.support.demo import none as _none
from tests.support.demo import one as _one

# --- Ids -------------------------------------------------------------------------------------


def test_checksum_of_a_real_salesforce_id_matches_salesforce():
    assert to_18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"


def test_checksum_sets_one_bit_per_uppercase_letter_in_each_chunk():
    assert checksum("001000000000001") == "AAA"
    assert checksum("A0000B00000000Z") == "BBQ"  # bit 0, bit 0, bit 4 (16 -> Q)
    assert checksum("AAAAAaaaaa00000") == "5AA"  # all five bits: 31 -> '5'


def test_to_18_recomputes_the_suffix_of_an_18_character_id_and_rejects_other_lengths():
    assert to_18("0015000000Gv7qJxxx") == "0015000000Gv7qJAAR"
    with pytest.raises(ValueError):
        to_18("0015000000Gv7q")


def test_generated_ids_count_in_base62_and_carry_the_scalar_checksum():
    ids = make_ids("006", 200, start=61)
    assert ids[0][:15] == "0065" + "0" * 10 + "z"  # 61 is the last base62 digit
    assert ids[1][:15] == "0065" + "0" * 9 + "10"
    assert len(set(ids)) == 200 and all(len(i) == 18 and to_18(i[:15]) == i for i in ids)


# --- Files and format ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_writes_identical_files(tmp_path, fmt):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_org(a, as_of=AS_OF, seed=7, scale=0.05, fmt=fmt)
    generate_org(b, as_of=AS_OF, seed=7, scale=0.05, fmt=fmt)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and len(names) == len(OBJECTS)
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def test_a_different_seed_writes_different_data(tmp_path):
    generate_org(tmp_path / "a", as_of=AS_OF, seed=1, scale=0.05)
    generate_org(tmp_path / "b", as_of=AS_OF, seed=2, scale=0.05)
    for name in ("Opportunity.csv", "Lead.csv", "Task.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_every_object_file_exists_with_exactly_the_schema_headers_in_order(org):
    for obj in OBJECTS:
        header = (org["dir"] / f"{obj.api_name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == [f.api_name for f in obj.fields], obj.api_name


def test_returned_counts_are_the_rows_in_each_file(org):
    assert set(org["counts"]) == {o.api_name for o in OBJECTS}
    for name, count in org["counts"].items():
        assert _one(org, f'select count(*) from "{name}"') == count > 0, name


_TEXT_FORMATS = {
    "boolean": re.compile(r"^(true|false)$"),
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "id": re.compile(r"^[0-9A-Za-z]{18}$"),
}


def test_booleans_datetimes_dates_and_ids_are_written_as_salesforce_exports_them(org):
    con = duckdb.connect()
    for obj in OBJECTS:
        path = org["dir"] / f"{obj.api_name}.csv"
        rows = con.execute(f"select * from read_csv('{path}', header = true, all_varchar = true)").fetchall()
        for i, field in enumerate(obj.fields):
            if pattern := _TEXT_FORMATS.get(field.type):
                bad = [r[i] for r in rows if r[i] is not None and not pattern.match(r[i])]
                assert not bad, f"{obj.api_name}.{field.api_name}: {bad[:3]}"
        ids = [r[0] for r in rows]
        assert len(set(ids)) == len(ids) and all(i.startswith(obj.id_prefix) and to_18(i) == i for i in ids)


def test_the_pipeline_loader_accepts_every_file(org):
    con = duckdb.connect()
    for obj in OBJECTS:
        result = load_object(con, obj, org["dir"] / f"{obj.api_name}.csv", CUTOFF)
        assert result.rows == org["counts"][obj.api_name]
        assert result.missing_optional_columns == [] and result.extra_columns == []


def test_parquet_output_round_trips_with_the_same_row_counts_and_typed_columns(tmp_path):
    counts = generate_org(tmp_path, as_of=AS_OF, seed=3, scale=0.05, fmt="parquet")
    for obj in OBJECTS:
        table = pq.read_table(tmp_path / f"{obj.api_name}.parquet")
        assert table.num_rows == counts[obj.api_name]
        assert table.column_names == [f.api_name for f in obj.fields]
    schema = pq.read_schema(tmp_path / "Opportunity.parquet")
    assert str(schema.field("CreatedDate").type).startswith("timestamp")
    assert str(schema.field("CloseDate").type) == "date32[day]"
    assert str(schema.field("IsWon").type) == "bool"
    assert str(schema.field("Amount").type) == "decimal128(18, 2)"


# --- Time ------------------------------------------------------------------------------------

# The documented exceptions: an open deal's CloseDate is its expected close, and the quotas of the
# current quarter's remaining months are set in advance.
_MAY_BE_FUTURE = {("Opportunity", "CloseDate"), ("OpportunityHistory", "CloseDate"),
                  ("ForecastingQuota", "StartDate")}


def test_nothing_is_dated_after_the_as_of_day_but_expected_closes_and_this_quarters_quotas(org):
    for obj in OBJECTS:
        for f in obj.fields:
            if f.type in ("datetime", "date") and (obj.api_name, f.api_name) not in _MAY_BE_FUTURE:
                limit = CUTOFF if f.type == "datetime" else AS_OF + dt.timedelta(days=1)
                _none(org, obj.api_name, f'"{f.api_name}" >= ?', limit)
    _none(org, "Opportunity", "IsClosed and CloseDate > ?", AS_OF)
    assert _one(org, "select max(CloseDate) from Opportunity") <= AS_OF + dt.timedelta(days=190)
    last_quota_month = dt.date(AS_OF.year, (AS_OF.month - 1) // 3 * 3 + 3, 1)
    assert _one(org, "select max(StartDate) from ForecastingQuota") == last_quota_month


def test_history_starts_about_two_years_before_as_of(org):
    two_years_before = CUTOFF - dt.timedelta(days=731)
    for obj in ("Account", "Lead", "Opportunity"):
        first = _one(org, f"select min(CreatedDate) from {obj}")
        assert dt.timedelta(0) <= first - two_years_before < dt.timedelta(days=14), obj


def test_the_newest_system_modstamp_of_every_object_is_on_the_as_of_day(org):
    for obj in OBJECTS:
        if "SystemModstamp" in {f.api_name for f in obj.fields}:
            newest = _one(org, f'select max(SystemModstamp) from "{obj.api_name}"')
            assert CUTOFF - dt.timedelta(hours=24) <= newest < CUTOFF, obj.api_name


def test_modification_stamps_never_precede_creation(org):
    for obj in OBJECTS:
        if {"CreatedDate", "LastModifiedDate"} <= {f.api_name for f in obj.fields}:
            _none(org, obj.api_name, "LastModifiedDate < CreatedDate or SystemModstamp < LastModifiedDate")
    _none(org, "OpportunityHistory", "SystemModstamp < CreatedDate")
