"""Reading export files: the dialect, the records the reader rejects, and the line each record is on."""

from __future__ import annotations

import gzip

import duckdb
import pytest

from orchestration.salesforce.export import ExportError
from orchestration.salesforce.reader import Rejected, read_into, record_lines, sniff_dialect

# Lines 2-3 hold one record (a quoted newline), lines 5-7 another (two), line 8 is cut short,
# and line 10 has a field too many.
MESSY = (
    "Id,Name,Note\n"
    '1,a,"multi\nline"\n'
    "2,b,plain\n"
    '3,c,"two\n\nnewlines"\n'
    "4,short\n"
    "5,e,after\n"
    "6,f,one,too many\n"
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
        Rejected(10, "Expected Number of Columns: 3 Found: 4", "6,f,one,too many"),
    ]


def test_each_kept_record_is_numbered_by_the_physical_line_it_starts_on(tmp_path):
    con, file_read = _read(tmp_path, MESSY)
    assert _lines(con, file_read) == {"1": 2, "2": 4, "3": 5, "5": 9}


def test_a_rejected_record_spanning_lines_refuses_the_file_as_its_quotes_cannot_be_trusted(tmp_path):
    with pytest.raises(ExportError, match=r"Account.csv: line 3: a record that does not fit the header"):
        _read(tmp_path, 'Id,Name,Note\n1,a,b\n2,"x\ny",c,extra\n3,c,d\n')


def test_records_rejected_one_after_another_each_move_the_records_after_them(tmp_path):
    con, file_read = _read(tmp_path, "Id,Name,Note\n1,a,b\n2,short\n3,short\n4,d,e\n")
    assert [r.line for r in file_read.rejected] == [3, 4]
    assert _lines(con, file_read) == {"1": 2, "4": 5}


@pytest.mark.parametrize("text, line", [
    ('Id,Name,Note\n1,a,b\n2,b,"never closed\n', 3),  # a download cut inside a quoted value
    ('Id,Name,Note\n1,a,b\n2,"oops,x\n3,c,d\n4,d,e\n5,"e",f\n', 3),  # a stray quote swallows lines
])
def test_a_quote_never_closed_refuses_the_file_naming_its_line_instead_of_swallowing_records(tmp_path, text, line):
    with pytest.raises(ExportError, match=rf"Account.csv: line {line}: a record that does not fit the header .* never closes"):
        _read(tmp_path, text)


def test_an_old_mac_file_with_bare_carriage_returns_is_read_by_its_header(tmp_path):
    con, file_read = _read(tmp_path, "Id,Name\r1,a\r2,b\r")
    assert [name for name, _ in file_read.columns] == ["Id", "Name"]


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
