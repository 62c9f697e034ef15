"""Loading export files into typed raw tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from orchestration.salesforce.export import ExportError, find_object_file
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import CONTACT, LEAD, OPPORTUNITY, TASK, USER, snake_case

LOADED_AT = dt.datetime(2026, 11, 23, 12, 0, 0)

OPPORTUNITY_HEADER = "Id,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate"


def _load(tmp_path, text: str, name: str = "Opportunity.csv", obj=OPPORTUNITY):
    path = tmp_path / name
    path.write_text(text)
    con = duckdb.connect()
    result = load_object(con, obj, path, LOADED_AT)
    return con, result


def test_snake_case_maps_api_names_to_fivetran_columns():
    assert snake_case("SystemModstamp") == "system_modstamp"
    assert snake_case("CallDurationInSeconds") == "call_duration_in_seconds"
    assert snake_case("Region__c") == "region_c"
    assert snake_case("stage_name") == "stage_name"


def test_camel_case_headers_load_as_typed_snake_case_columns(tmp_path):
    con, result = _load(
        tmp_path,
        OPPORTUNITY_HEADER + "\n"
        "0061x00000AbCdEAAV,0051x000001ZzZzAAK,Closed Won,1200.50,2025-03-31,true,1,"
        "2025-03-05T14:22:10.000Z\n",
    )
    row = con.execute(
        "select id, amount, close_date, is_closed, is_won, created_date, _loaded_at from raw.opportunity"
    ).fetchall()
    assert result.rows == 1
    assert row == [(
        "0061x00000AbCdEAAV", Decimal("1200.50"), dt.date(2025, 3, 31), True, True,
        dt.datetime(2025, 3, 5, 14, 22, 10), LOADED_AT,
    )]


def test_every_row_knows_its_position_in_the_file(tmp_path):
    con, _ = _load(
        tmp_path,
        OPPORTUNITY_HEADER + "\n" + "".join(
            f"006{i},005A,Prospecting,{i},2025-01-01,0,0,2025-01-01T00:00:00Z\n" for i in range(5)),
    )
    assert con.execute("select id, _row_number from raw.opportunity order by _row_number").fetchall() == [
        (f"006{i}", i + 1) for i in range(5)
    ]


def test_snake_case_headers_are_accepted_too(tmp_path):
    con, _ = _load(
        tmp_path,
        "id,owner_id,stage_name,amount,close_date,is_closed,is_won,created_date\n"
        "006A,005A,Prospecting,10,2025-01-01,false,false,2024-12-01 08:00:00\n",
    )
    assert con.execute("select stage_name, created_date from raw.opportunity").fetchall() == [
        ("Prospecting", dt.datetime(2024, 12, 1, 8, 0, 0))
    ]


def test_a_person_file_without_a_name_column_names_each_person_as_salesforce_composes_the_name(tmp_path):
    # Data Export writes the parts of User, Contact and Lead names, not the compound Name; the Object
    # Reference: Name is the "Concatenation of FirstName, MiddleName, LastName, and Suffix"
    con, result = _load(tmp_path, "Id,Username,Salutation,FirstName,MiddleName,LastName,Suffix\n"
                        "005A,ada@x.com,Dr.,Ada,Augusta,Lovelace,Jr.\n"
                        "005B,grace@x.com,,Grace,,Hopper,\n"
                        "005C,ng@x.com,Ms., ,, Ng ,\n"  # no first name: the last name alone (a salutation is no part of Name)
                        "005D,cher@x.com,,,,Cher,\n", name="User.csv", obj=USER)
    assert "Name" not in result.missing_optional_columns
    assert con.execute("select id, name from raw.user order by id").fetchall() == [
        ("005A", "Ada Augusta Lovelace Jr."), ("005B", "Grace Hopper"), ("005C", "Ng"), ("005D", "Cher")]
    assert con.execute("select count(*) from raw.user where _source_location is not null").fetchall() == [(0,)]


def test_a_lead_or_contact_file_with_first_and_last_names_only_is_named_first_name_last_name(tmp_path):
    con, _ = _load(tmp_path, "Id,FirstName,LastName,Company,Status,OwnerId,IsConverted,CreatedDate\n"
                   "00QA,Alan,Turing,Bletchley,Open - Not Contacted,005A,0,2026-11-02 09:00:00\n"
                   "00QB,,Wu,Acme,Open - Not Contacted,005A,0,2026-11-02 09:00:00\n", name="lead.csv", obj=LEAD)
    assert con.execute("select id, name, first_name from raw.lead order by id").fetchall() == [
        ("00QA", "Alan Turing", "Alan"), ("00QB", "Wu", None)]


def test_a_name_in_the_file_is_kept_as_it_is_rather_than_composed(tmp_path):
    con, _ = _load(tmp_path, "Id,Salutation,FirstName,LastName,Name\n003A,Mr.,Tim,Barr,Timothy Barr\n003B,,Jo,Ng,\n",
                   name="Contact.csv", obj=CONTACT)
    assert con.execute("select id, name from raw.contact order by id").fetchall() == [("003A", "Timothy Barr"), ("003B", None)]


def test_a_user_without_any_name_part_goes_to_quarantine_located_by_its_line(tmp_path):
    con, _ = _load(tmp_path, "Id,FirstName,LastName\n005A,Ada,Lovelace\n005B,,\n", name="User.csv", obj=USER)
    assert con.execute("select id, name, _source_location from raw.user order by id").fetchall() == [
        ("005A", "Ada Lovelace", None), ("005B", None, "User.csv line 3")]


def test_a_user_file_with_neither_a_name_nor_its_parts_names_the_file_the_column_and_the_rule(tmp_path):
    with pytest.raises(ExportError, match=r"User\.csv: required column\(s\) Name missing \(rule: User needs Id, "
                                          r"Name; without a Name column, Name is composed of FirstName and LastName\)"):
        _load(tmp_path, "Id,Username,Email\n005A,ada@x.com,ada@x.com\n", name="User.csv", obj=USER)


def test_datetimes_with_offsets_are_converted_to_utc(tmp_path):
    con, _ = _load(
        tmp_path,
        OPPORTUNITY_HEADER + "\n006A,005A,Prospecting,,2025-01-01,0,0,2025-03-05T14:22:10+02:00\n",
    )
    assert con.execute("select created_date, amount from raw.opportunity").fetchall() == [
        (dt.datetime(2025, 3, 5, 12, 22, 10), None)
    ]


def test_missing_optional_columns_become_null_and_unknown_columns_are_kept(tmp_path):
    con, result = _load(
        tmp_path,
        OPPORTUNITY_HEADER + ",Region__c\n006A,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z,EMEA\n",
    )
    assert "Probability" in result.missing_optional_columns
    assert result.extra_columns == ["region_c"]
    assert con.execute("select probability, region_c from raw.opportunity").fetchall() == [(None, "EMEA")]


def test_a_missing_required_column_names_the_file_and_the_column(tmp_path):
    with pytest.raises(ExportError, match=r"Opportunity\.csv: required column\(s\) StageName missing"):
        _load(tmp_path, "Id,OwnerId,Amount,CloseDate,IsClosed,IsWon,CreatedDate\n")


def test_a_value_that_breaks_its_type_is_loaded_as_null_with_the_file_line_column_and_rule(tmp_path):
    con, result = _load(tmp_path, OPPORTUNITY_HEADER + "\n"
                        "006A,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z\n"
                        "006B,005A,Prospecting,7,abc,0,maybe,2025-01-01T00:00:00Z\n")
    assert result.rows == 2 and result.unparsed_rows == 1
    rows = con.execute("select id, amount, close_date, is_won, _parse_error from raw.opportunity order by id").fetchall()
    assert rows[0] == ("006A", Decimal("5.00"), dt.date(2025, 1, 1), False, None)
    assert rows[1][:4] == ("006B", Decimal("7.00"), None, None)
    assert rows[1][4] == (
        "Opportunity.csv line 3: column CloseDate: 'abc' breaks the rule 'CloseDate must be a date (YYYY-MM-DD)'; "
        "column IsWon: 'maybe' breaks the rule 'IsWon must be true/false or 1/0'")


def test_a_typed_parquet_value_that_does_not_fit_its_field_is_named_by_its_row(tmp_path):
    path = tmp_path / "Opportunity.parquet"
    duckdb.sql(f"""copy (select * from (values
                   ('006A', '005A', 'Prospecting', 5.0, '2025-01-01', false, false, '2025-01-01T00:00:00Z'),
                   ('006B', '005A', 'Prospecting', 1e20, '2025-01-01', false, false, '2025-01-01T00:00:00Z'))
                   as t(Id, OwnerId, StageName, Amount, CloseDate, IsClosed, IsWon, CreatedDate))
                   to '{path}' (format parquet)""")
    con = duckdb.connect()
    result = load_object(con, OPPORTUNITY, path, LOADED_AT)
    assert result.unparsed_rows == 1
    assert con.execute("select id, amount, _parse_error from raw.opportunity where _parse_error is not null"
                       ).fetchall() == [("006B", None, "Opportunity.parquet row 2: column Amount: '1e+20' breaks the rule "
                                         "'Amount must be a number with at most 16 digits before the decimal point'")]


def test_nan_or_infinity_in_a_number_field_is_no_measurement_and_its_record_goes_to_quarantine(tmp_path):
    # pandas would take NaN as missing and a SQL engine as a value: no engine may see it at all
    header = OPPORTUNITY_HEADER + ",Probability"
    rows = ["006A,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z,NaN",
            "006B,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z,-inf",
            "006C,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z,12.5"]
    con, result = _load(tmp_path, "\n".join([header, *rows]) + "\n")
    assert result.unparsed_rows == 2
    assert con.execute("select id, probability, _parse_error from raw.opportunity order by id").fetchall() == [
        ("006A", None, "Opportunity.csv line 2: column Probability: 'NaN' breaks the rule "
                       "'Probability must be a finite number'"),
        ("006B", None, "Opportunity.csv line 3: column Probability: '-inf' breaks the rule "
                       "'Probability must be a finite number'"),
        ("006C", 12.5, None)]


def test_nan_in_a_typed_parquet_number_is_named_by_its_row(tmp_path):
    path = tmp_path / "Opportunity.parquet"
    duckdb.sql(f"""copy (select * from (values
                   ('006A', '005A', 'Prospecting', 5.0, '2025-01-01', false, false, '2025-01-01T00:00:00Z', 'nan'::double),
                   ('006B', '005A', 'Prospecting', 5.0, '2025-01-01', false, false, '2025-01-01T00:00:00Z', 10.0))
                   as t(Id, OwnerId, StageName, Amount, CloseDate, IsClosed, IsWon, CreatedDate, Probability))
                   to '{path}' (format parquet)""")
    con = duckdb.connect()
    result = load_object(con, OPPORTUNITY, path, LOADED_AT)
    assert result.unparsed_rows == 1
    assert con.execute("select id, probability, _parse_error from raw.opportunity order by id").fetchall() == [
        ("006A", None, "Opportunity.parquet row 1: column Probability: 'nan' breaks the rule "
                       "'Probability must be a finite number'"), ("006B", 10.0, None)]


def test_a_record_cut_short_is_loaded_as_an_empty_row_holding_its_line_reason_and_text(tmp_path):
    con, result = _load(tmp_path, OPPORTUNITY_HEADER + "\n"
                        "006A,005A,Prospecting,5,2025-01-01,0,0,2025-01-01T00:00:00Z\n006B,005A,Prosp")
    assert result.rows == 2 and result.unparsed_rows == 1
    assert con.execute("select id, _row_number, _parse_error from raw.opportunity where id is null").fetchall() == [
        (None, 2, "Opportunity.csv line 3: Expected Number of Columns: 8 Found: 3 (rule: a record has as many "
                  "fields as the header and closes every quote it opens); the record: 006B,005A,Prosp")]


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    (tmp_path / "Opportunity.csv").write_bytes(b"\x00\x01\x02\xff" * 100)
    with pytest.raises(ExportError, match="Opportunity.csv"):
        load_object(duckdb.connect(), OPPORTUNITY, tmp_path / "Opportunity.csv", LOADED_AT)


def test_a_missing_object_loads_as_an_empty_table_with_its_full_schema():
    con = duckdb.connect()
    result = load_object(con, TASK, None, LOADED_AT)
    columns = [r[0] for r in con.execute("describe raw.task").fetchall()]
    assert result.rows == 0
    assert columns == [f.column for f in TASK.fields] + ["_loaded_at", "_row_number", "_parse_error", "_source_location"]


def test_export_files_are_found_case_insensitively(tmp_path):
    (tmp_path / "opportunity.csv").write_text("x")
    (tmp_path / "OpportunityHistory.csv.gz").write_bytes(b"")
    assert find_object_file(tmp_path, OPPORTUNITY).name == "opportunity.csv"
    assert find_object_file(tmp_path, TASK) is None


def test_two_files_for_one_object_are_refused(tmp_path):
    (tmp_path / "Opportunity.csv").write_text("x")
    (tmp_path / "opportunity.parquet").write_text("x")
    with pytest.raises(ExportError, match="several files hold Opportunity"):
        find_object_file(tmp_path, OPPORTUNITY)


def test_a_merged_version_that_cannot_be_read_whole_keeps_the_version_loaded_before(tmp_path):
    con, _ = _load(tmp_path, OPPORTUNITY_HEADER + ",SystemModstamp\n"
                   "006A,005A,Prospecting,500,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n")
    batch = tmp_path / "changes" / "Opportunity.csv"
    batch.parent.mkdir()
    batch.write_text(OPPORTUNITY_HEADER + ",SystemModstamp\n"
                     "006A,005A,Prospecting,12.5.0,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\n"
                     "006B,005A,Prospecting,abc,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\n")
    result = load_object(con, OPPORTUNITY, batch, LOADED_AT, mode="merge")
    rows = con.execute("select id, amount, _parse_error from raw.opportunity order by _row_number").fetchall()
    assert rows[0] == ("006A", Decimal("500.00"), None)  # the good version stays
    assert rows[1][:2] == (None, None) and rows[1][2].endswith("(Id 006A not merged: the version loaded before is kept)")
    assert rows[2][:2] == ("006B", None) and "column Amount: 'abc'" in rows[2][2]  # new: merged, to quarantine
    assert (result.merged.inserted, result.merged.updated) == (2, 0)


def test_a_new_record_that_cannot_be_read_whole_is_merged_when_raw_holds_a_record_without_an_id(tmp_path):
    con, _ = _load(tmp_path, OPPORTUNITY_HEADER + ",SystemModstamp\n"
                   "006A,005A,Prospecting,500,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n"
                   ",005A,Prospecting,700,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n")
    batch = tmp_path / "changes" / "Opportunity.csv"
    batch.parent.mkdir()
    batch.write_text(OPPORTUNITY_HEADER + ",SystemModstamp\n"
                     "006B,005A,Prospecting,abc,2025-01-01,0,0,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\n")
    result = load_object(con, OPPORTUNITY, batch, LOADED_AT, mode="merge")
    rows = con.execute("select id, _parse_error from raw.opportunity order by _row_number").fetchall()
    # raw's record without an Id made "is 006B in raw?" unknown rather than no: 006B was dropped
    assert [row[0] for row in rows] == ["006A", None, "006B"] and "column Amount: 'abc'" in rows[2][1]
    assert (result.merged.inserted, result.merged.updated) == (1, 0)


def test_headers_match_their_fields_in_any_case(tmp_path):
    con, _ = _load(tmp_path, OPPORTUNITY_HEADER.upper() + "\n"
                   "006000000000001AAA,005000000000001AAA,Closed Won,100.50,2026-01-31,true,true,2026-01-02T00:00:00Z\n")
    assert con.execute("select owner_id, stage_name, amount from raw.opportunity").fetchall() == [
        ("005000000000001AAA", "Closed Won", Decimal("100.50"))]


def test_on_the_warehouses_settings_a_big_csv_keeps_each_records_place_and_line(tmp_path):
    """The warehouse's connections let DuckDB write rows in any order and in parallel; a CSV's
    records must still be numbered, and a bad value located, by their place in the file."""
    from orchestration.settings import duckdb_settings

    rows = 300_000  # several of DuckDB's row groups, read by several threads
    lines = [OPPORTUNITY_HEADER] + [f"006{i:015d},005A,Prospecting,{i},2025-01-01,0,0,2025-01-01T00:00:00Z"
                                    for i in range(rows)]
    lines[250_001] = lines[250_001].replace("2025-01-01,0,0", "someday,0,0")  # record 250,001, on line 250,002
    (tmp_path / "Opportunity.csv").write_text("\n".join(lines) + "\n")
    config = {**duckdb_settings(tmp_path), "threads": "4"}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=config) as con:
        load_object(con, OPPORTUNITY, tmp_path / "Opportunity.csv", LOADED_AT)
        misplaced = con.execute("select count(*) from raw.opportunity where _row_number <> amount + 1").fetchall()
        located = con.execute("select _row_number, _source_location from raw.opportunity "
                              "where _parse_error is not null").fetchall()
    assert misplaced == [(0,)]
    assert located == [(250_001, "Opportunity.csv line 250002")]


def test_a_load_a_killed_run_left_unfinished_is_dropped_by_the_next_load(tmp_path):
    con = duckdb.connect()
    con.execute("create schema raw; create table raw._loading_task as select 1 as half_written")
    load_object(con, OPPORTUNITY, None, LOADED_AT)  # any object's load, even of a file not exported
    assert con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall() == [
        ("opportunity",)]
