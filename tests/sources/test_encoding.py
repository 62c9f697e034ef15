"""Export files saved as Excel's "Unicode Text" (UTF-16 with a byte-order mark, TAB-separated) are
read as such; files in encodings we do not read are refused as the encoding problem they are."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import shutil

import duckdb
import pandas as pd
import pytest

from orchestration.cli.main import main
from orchestration.salesforce.export import ExportError
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import OBJECTS_BY_NAME
from tests.support.demo import PIPELINE_AS_OF

LOADED = dt.datetime(2026, 11, 20, 6, 0)
COLUMNS = ["Id", "Name", "OwnerId", "CreatedDate", "SystemModstamp"]
# A comma, typographic quotes, a character outside the BMP (a surrogate pair in UTF-16) and a TAB
# inside a quoted value: what Excel's "Unicode Text" writes for a cell holding a TAB.
NAMES = ["Müller & Söhne, GmbH – “Köln”", "Zoë 🚀 Labs", "Tab\there Ltd"]


def _unicode_text(rows: list[list[str]]) -> str:
    """Rows as Excel's "Unicode Text" writes them: TAB-separated, CRLF, a cell with a TAB quoted."""
    def cell(value: str) -> str:
        return f'"{value}"' if "\t" in value or '"' in value else value
    return "".join("\t".join(cell(v) for v in row) + "\r\n" for row in [COLUMNS, *rows])


def _accounts(names: list[str], created: str = "2026-01-01") -> list[list[str]]:
    return [[f"00100000000000{i}AAA", name, "005000000000001AAA", created, "2026-01-01"]
            for i, name in enumerate(names, start=1)]


def _load(tmp_path, body: bytes, name: str = "Account.csv") -> list[tuple]:
    path = tmp_path / name
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    con = duckdb.connect()
    load_object(con, OBJECTS_BY_NAME["Account"], path, LOADED)
    return con.execute("select id, name, _parse_error from raw.account order by _row_number").fetchall()


def _refusal(tmp_path, body: bytes) -> str:
    with pytest.raises(ExportError) as caught:
        _load(tmp_path, body)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "Account.csv") + ": ")
    assert "missing" not in message  # never taken for a file without its columns
    return message


@pytest.mark.parametrize("bom,codec,name", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "Account.csv"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "Account.csv"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "account.csv.gz"),
], ids=["little-endian", "big-endian", "little-endian, gzip"])
def test_a_utf16_file_with_a_byte_order_mark_and_tabs_reads_every_name_right(tmp_path, bom, codec, name):
    rows = _load(tmp_path, bom + _unicode_text(_accounts(NAMES)).encode(codec), name)
    assert [(r[1], r[2]) for r in rows] == [(n, None) for n in NAMES]
    assert rows[0][0] == "001000000000001AAA"


def test_a_bad_value_in_a_utf16_file_is_quarantined_naming_its_line_in_the_file(tmp_path):
    rows = _accounts(["Acme", "Beta", "Gamma"])
    rows[2][3] = "someday"
    loaded = _load(tmp_path, codecs.BOM_UTF16_LE + _unicode_text(rows).encode("utf-16-le"))
    assert [r[2] for r in loaded] == [None, None, "Account.csv line 4: column CreatedDate: 'someday' breaks "
                                      "the rule 'CreatedDate must be an ISO-8601 datetime'"]


def test_a_utf16_file_longer_than_a_read_chunk_keeps_characters_split_across_chunks(tmp_path):
    # 30,000 records of 2-byte and 4-byte characters: chunk boundaries fall inside characters
    names = [f"Zoë 🚀 {i}" for i in range(30_000)]
    rows = _load(tmp_path, codecs.BOM_UTF16_LE + _unicode_text(_accounts(names)).encode("utf-16-le"))
    assert len(rows) == 30_000 and [r[1] for r in rows[-2:]] == names[-2:]


def test_a_utf16_file_that_breaks_off_mid_way_is_refused_naming_the_line(tmp_path):
    body = codecs.BOM_UTF16_LE + _unicode_text(_accounts(["Acme", "Beta"])).encode("utf-16-le")
    lone_surrogate = b"\x00\xdc"
    message = _refusal(tmp_path, body + lone_surrogate + "Gamma\r\n".encode("utf-16-le"))
    assert "starts with the UTF-16 LE byte-order mark, but line 4 is not UTF-16 text" in message


@pytest.mark.parametrize("codec,mark", [("utf-32-le", "FF FE 00 00"), ("utf-32-be", "00 00 FE FF")])
def test_a_utf32_file_is_refused_as_utf32_naming_its_byte_order_mark(tmp_path, codec, mark):
    bom = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    message = _refusal(tmp_path, bom + _unicode_text(_accounts(["Acme"])).encode(codec))
    assert f"is UTF-32 {codec[-2:].upper()} text (it starts with the UTF-32 byte-order mark {mark})" in message
    assert "rule: export files are UTF-8, UTF-16 with a byte-order mark, or Windows-1252 text" in message


@pytest.mark.parametrize("codec,which", [("utf-16-le", "second"), ("utf-16-be", "first")])
def test_utf16_without_a_byte_order_mark_is_told_by_its_nul_bytes_and_refused(tmp_path, codec, which):
    message = _refusal(tmp_path, _unicode_text(_accounts(NAMES)).encode(codec))
    assert f"is {codec[:6].upper()} {codec[-2:].upper()} text without a byte-order mark (the {which} byte of" in message


def test_utf32_without_a_byte_order_mark_is_told_by_its_nul_bytes_and_refused(tmp_path):
    message = _refusal(tmp_path, _unicode_text(_accounts(["Acme"])).encode("utf-32-le"))
    assert "is UTF-32 LE text without a byte-order mark (two bytes in every four are NUL)" in message


def test_an_excel_workbook_saved_under_a_csv_name_is_refused_as_a_workbook(tmp_path):
    message = _refusal(tmp_path, b"PK\x03\x04\x14\x00\x06\x00" + bytes(200))
    assert "is a zip archive, such as an Excel workbook (.xlsx), not CSV text" in message


def test_a_few_nul_bytes_in_binary_data_are_still_refused_as_no_text_encoding(tmp_path):
    # binary data has a NUL now and then, but in no pattern an encoding makes (0x0a ends line 2)
    message = _refusal(tmp_path, b"Id,Name\n" + bytes(range(256)) * 16)
    assert "is neither UTF-8 nor Windows-1252 text (byte 0x81 on line 3 cannot be read)" in message


# --- end to end -----------------------------------------------------------------------------------


def _resave_as_unicode_text(path) -> None:
    """The file as Excel saves it as "Unicode Text": UTF-16 LE with a byte-order mark, TABs, CRLF."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


def _published(db, table: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select * from {table} order by all").df()


@pytest.mark.e2e
def test_an_export_with_utf16_files_publishes_the_same_kpis_as_its_utf8_twin(published, tmp_path):
    export, home = tmp_path / "export", tmp_path / "home"
    shutil.copytree(published["export"], export)
    for name in ("Opportunity.csv", "User.csv"):
        _resave_as_unicode_text(export / name)
    assert (export / "Opportunity.csv").read_bytes()[:6] == codecs.BOM_UTF16_LE + "Id".encode("utf-16-le")

    assert published["exit"] == 0
    assert main(["run", "--source", str(export), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()]) == 0

    for table in ("kpi_company_monthly", "kpi_rep_monthly"):
        pd.testing.assert_frame_equal(_published(home / "published" / "crm_kpis.duckdb", table),
                                      _published(published["db"], table))

