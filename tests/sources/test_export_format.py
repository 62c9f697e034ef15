"""Salesforce Data Export files as they come: 15- and 18-character Ids, the empty-lookup sentinel,
and the encodings real files are saved in."""

from __future__ import annotations

import datetime as dt
import gzip

import duckdb
import pytest

from orchestration.salesforce.export import ExportError
from orchestration.salesforce.ids import checksum
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS_BY_NAME

LOADED = dt.datetime(2026, 11, 20, 6, 0)
HEADER = "Id,Name,OwnerId,CreatedDate,SystemModstamp\n"


def _load_accounts(tmp_path, body: bytes, name: str = "Account.csv"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    con = duckdb.connect()
    load_object(con, OBJECTS_BY_NAME["Account"], path, LOADED)
    return con.execute("select id, name, owner_id from raw.account order by _row_number").fetchall()


def test_salesforce_checksum_matches_the_documented_example():
    # Salesforce's own example: 001A0000006Vm9r -> 001A0000006Vm9rIAC
    assert checksum("001A0000006Vm9r") == "IAC"


def test_a_15_character_id_becomes_its_18_character_twin_and_the_zero_id_is_empty(tmp_path):
    rows = _load_accounts(tmp_path, (
        HEADER
        + "001A0000006Vm9r,Acme,005000000000001AAA,2026-01-01 10:00:00,2026-01-01 10:00:00\n"
        + "001A0000006Vm9rIAC,Acme twin,000000000000000AAA,2026-01-01,2026-01-01\n"
        + "001000000000002AAA,Beta,000000000000000,2026-01-01,2026-01-01\n"
    ).encode())
    assert rows == [("001A0000006Vm9rIAC", "Acme", "005000000000001AAA"),
                    ("001A0000006Vm9rIAC", "Acme twin", None),
                    ("001000000000002AAA", "Beta", None)]


@pytest.mark.parametrize("encoding,name", [
    ("utf-8", "Account.csv"), ("utf-8-sig", "Account.csv"), ("cp1252", "Account.csv"), ("cp1252", "account.csv.gz"),
], ids=["utf-8", "utf-8 with a byte-order mark", "windows-1252", "windows-1252, gzip"])
def test_text_reads_the_same_in_every_encoding_an_export_comes_in(tmp_path, encoding, name):
    # Windows line endings, and a quoted field with a comma and typographic quotes
    body = (HEADER.replace("\n", "\r\n")
            + '001000000000001AAA,"Müller & Söhne, GmbH – “Köln”",005000000000001AAA,2026-01-01,2026-01-01\r\n')
    rows = _load_accounts(tmp_path, body.encode(encoding), name)
    assert rows == [("001000000000001AAA", "Müller & Söhne, GmbH – “Köln”", "005000000000001AAA")]


def test_a_file_that_mixes_utf8_and_windows_1252_is_refused_naming_its_line(tmp_path):
    body = (HEADER + "001000000000001AAA,Zoë,,2026-01-01,2026-01-01\n").encode() + \
        "001000000000002AAA,Müller,,2026-01-01,2026-01-01\n".encode("cp1252")
    with pytest.raises(ExportError, match=r"Account.csv: line 3 is not UTF-8 but earlier lines are"):
        _load_accounts(tmp_path, body)


def test_bytes_no_text_encoding_reads_are_refused(tmp_path):
    with pytest.raises(ExportError, match=r"Account.csv: is neither UTF-8 nor Windows-1252 text \(byte 0x81"):
        _load_accounts(tmp_path, HEADER.encode() + b"001000000000001AAA,\x81\x8d,,2026-01-01,2026-01-01\n")
