"""Reading export files: the dialect, the records the reader rejects, and the line each record is on."""

from __future__ import annotations

import gzip

import duckdb
import pytest

from orchestration.salesforce.export import ExportError
from orchestration.salesforce.reader import Rejected, read_into, record_lines, sniff_dialect

# Lines 2-3 hold one record (a quoted newline), lines 5-7 another (two), line 8 is cut short,
# and line 10 opens a quote it never closes.
MESSY = (
    "Id,Name,Note\n"
    '1,a,"multi\nline"\n'
    "2,b,plain\n"
    '3,c,"two\n\nnewlines"\n'
    "4,short\n"
    "5,e,after\n"
    '6,f,"unterminated\n'
)


def _read(tmp_path, text: str, name: str = "Account.csv"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    con = duckdb.connect()
    return con, read_into(con, path, path, "_src")


def _lines(con, file_read) -> dict[str, int]:
    table = record_lines(con, "_src", file_read.rejected)
    return dict(con.execute(f"select _src.Id, line from _src join {table} on record = _src.rowid + 1").fetchall())


@pytest.mark.parametrize("name", ["Account.csv", "Account.csv.gz"])
def test_records_that_do_not_fit_the_header_are_rejected_with_the_line_they_start_on(tmp_path, name):
    con, file_read = _read(tmp_path, MESSY, name)
    assert con.execute("select Id, Note from _src").fetchall() == [
        ("1", "multi\nline"), ("2", "plain"), ("3", "two\n\nnewlines"), ("5", "after")]
    assert file_read.rejected == [
        Rejected(8, "Expected Number of Columns: 3 Found: 2", "4,short"),
        Rejected(10, "Value with unterminated quote found", '6,f,"unterminated'),
    ]


def test_each_kept_record_is_numbered_by_the_physical_line_it_starts_on(tmp_path):
    con, file_read = _read(tmp_path, MESSY)
    assert _lines(con, file_read) == {"1": 2, "2": 4, "3": 5, "5": 9}


def test_a_rejected_record_spanning_lines_moves_the_records_after_it_by_all_its_lines(tmp_path):
    text = 'Id,Name,Note\n1,a,b\n2,"x\ny",c,extra\n3,c,d\n'  # record 2 has a field too many, over 2 lines
    con, file_read = _read(tmp_path, text)
    assert [(r.line, r.text) for r in file_read.rejected] == [(3, '2,"x\ny",c,extra')]
    assert _lines(con, file_read) == {"1": 2, "3": 5}


def test_a_quote_first_seen_past_the_sniffers_sample_is_still_read_as_a_quote(tmp_path):
    rows = [f"{i},name {i},note" for i in range(25_000)] + ['25000,"Smith, Jane","say ""hi"""']
    con, file_read = _read(tmp_path, "Id,Name,Note\n" + "\n".join(rows) + "\n")
    assert file_read.rejected == []
    assert con.execute("select Name, Note from _src where Id = '25000'").fetchall() == [("Smith, Jane", 'say "hi"')]


def test_a_semicolon_separated_file_is_read_in_its_own_dialect(tmp_path):
    con, file_read = _read(tmp_path, 'Id;Name;Amount\n1;"Müller; Söhne";1200,50\n')
    assert [name for name, _ in file_read.columns] == ["Id", "Name", "Amount"]
    assert con.execute("select * from _src").fetchall() == [("1", "Müller; Söhne", "1200,50")]


def test_a_ragged_file_the_sniffer_reads_as_one_column_falls_back_to_its_comma_header(tmp_path):
    con = duckdb.connect()
    path = tmp_path / "Account.csv"
    path.write_text('Id,Name,Note\n1,a,"x"\n2,b\n3,c,"never closed\n')
    assert sniff_dialect(con, path, path).columns == ("Id", "Name", "Note")


def test_a_header_naming_a_column_twice_in_a_ragged_file_is_refused(tmp_path):
    path = tmp_path / "Account.csv"
    path.write_text("Id,Name,Name\n1,a\n")
    with pytest.raises(ExportError, match=r"Account.csv: the header names a column twice"):
        sniff_dialect(duckdb.connect(), path, path)


def test_an_empty_file_is_refused_naming_the_file(tmp_path):
    with pytest.raises(ExportError, match=r"Account.csv: the file is empty"):
        _read(tmp_path, "")
