"""Salesforce's own Data Export publishes the KPIs an independent computation gives.

The export is tests/fixtures/salesforce_data_export/, written by hand from Salesforce's documented
columns, never from our generator: its README names where each object's column list comes from
(the Object Reference for the Salesforce Platform). It has what Data Export writes and our
generator does not: no `Name` on User, Contact and Lead (FirstName, MiddleName, LastName, Suffix
and, on Contact and Lead, Salutation instead), booleans as 0/1, empty lookups as 000000000000000AAA, lowercase file
names next to capitalised ones, a file of an object the pipeline does not model (Attachment), and
no file at all for objects a single-currency org without surveys does not export.

It runs twice: as the folder a Data Export unpacks to, and as a large org receives it, several
zips (WE_<org>_1.ZIP, WE_<org>_2.ZIP) downloaded into one folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.main import main
from orchestration.kpi_catalog import load_catalog, unmeasured_kpis
from orchestration.salesforce.export import unpack_zip
from orchestration.salesforce.objects import OBJECTS
from tests.support import DATA_EXPORT as EXPORT
from tests.support import DATA_EXPORT_AS_OF as AS_OF
from tests.support.kpi_reference import reference_kpis
from tests.support.published import assert_frames_match, read_mart

ORG = "WE_00D5g000004NwRtEAK"
SENTINEL = "000000000000000AAA"


def _files() -> dict[str, Path]:
    return {path.stem.lower(): path for path in EXPORT.glob("*.csv")}


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _zips(folder: Path) -> Path:
    """The export as a large org downloads it: its files spread over two zips in one folder."""
    folder.mkdir()
    files = sorted(EXPORT.glob("*.csv"))
    for number, part in enumerate((files[: len(files) // 2], files[len(files) // 2:]), start=1):
        with zipfile.ZipFile(folder / f"{ORG}_{number}.ZIP", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in part:
                archive.write(path, path.name)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One run on the folder, one on the folder of zips; each: (exit code, home, what it printed)."""
    root = tmp_path_factory.mktemp("data_export")
    results = {}
    for name, source in (("folder", EXPORT), ("zips", _zips(root / "download"))):
        home, printed = root / name, io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = main(["run", "--source", str(source), "--home", str(home), "--as-of", AS_OF.isoformat()])
        results[name] = (code, home, printed.getvalue())
    return results


def test_the_fixture_has_data_exports_form_not_our_generators():
    files = _files()
    for person in ("user", "contact", "lead"):
        header = _header(files[person])
        assert "Name" not in header and {"FirstName", "LastName"} <= set(header), person
    assert {"user", "contact", "opportunity", "task"} <= {p.stem for p in EXPORT.glob("*.csv")}  # lowercase
    values = [value for path in files.values() for row in _rows(path) for value in row.values()]
    assert SENTINEL in values
    booleans = [row[column] for row in _rows(files["opportunity"]) for column in ("IsWon", "IsClosed", "IsDeleted")]
    assert set(booleans) == {"0", "1"}
    created = [row["CreatedDate"] for path in files.values() for row in _rows(path) if "CreatedDate" in row]
    assert created and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value) for value in created)
    assert "currencytype" not in files and all("CurrencyIsoCode" not in _header(p) for p in files.values())


def test_the_zips_unpack_to_the_export_file_for_file(tmp_path):
    download = _zips(tmp_path / "download")
    unpacked = {}
    for archive in sorted(download.iterdir()):
        folder = unpack_zip(archive, tmp_path / archive.stem)
        unpacked.update({path.name: path.read_bytes() for path in folder.iterdir()})
    assert unpacked == {path.name: path.read_bytes() for path in EXPORT.glob("*.csv")}


@pytest.mark.e2e
@pytest.mark.parametrize("delivered", ["folder", "zips"])
def test_a_data_export_publishes_the_kpis_of_an_independent_computation(runs, delivered):
    code, home, out = runs[delivered]
    assert code == 0, out

    reps, company = reference_kpis(EXPORT, AS_OF)
    exported = set(_files())
    missing = {obj.table for obj in OBJECTS if obj.api_name.lower() not in exported}
    assert {"currency_type", "survey_response_c"} <= missing and "task" not in missing
    db = home / "published" / "crm_kpis.duckdb"
    for expected, mart, keys in ((company, "kpi_company_monthly", ["month"]),
                                 (reps, "kpi_rep_monthly", ["month", "owner_id"])):
        # the objects this org does not export measure none of the contract KPIs
        assert unmeasured_kpis(load_catalog(), mart, missing) == frozenset(), mart
        assert_frames_match(read_mart(db, mart), expected, keys)
    assert company["bookings_amount"].sum() > 0 and company["rate_of_contact"].notna().all()
    # what only the unexported objects measure (email engagement, CSAT and NPS) is NULL, not 0
    unmeasured = sorted(unmeasured_kpis(load_catalog(), "kpi_sales_monthly", missing))
    assert {"emails_sent", "nps"} <= set(unmeasured)
    assert read_mart(db, "kpi_sales_monthly")[unmeasured].isna().all().all()


@pytest.mark.e2e
def test_person_names_are_composed_as_salesforce_composes_them(runs):
    code, home, out = runs["folder"]
    assert code == 0, out
    with duckdb.connect(str(home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
        users = dict(con.execute("select user_id, user_name from dim_users").fetchall())
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        leads = dict(con.execute("select id, name from raw.lead").fetchall())
        contacts = dict(con.execute("select id, name from raw.contact").fetchall())
        sentinels = con.execute(f"select count(*) from raw.opportunity where campaign_id = '{SENTINEL}'").fetchall()
    # The Object Reference: Name is the "Concatenation of FirstName, MiddleName, LastName, and
    # Suffix" (one space, the empty ones skipped); a Salutation is not part of it
    assert users["0055g0000Mq7OyLAQU"] == "Marcus J. Oyelaran"  # a middle name
    assert users["0055g0000Th9HrJAQU"] == "Tomás Herrera Jr."  # a suffix
    assert users["0055g0000In1TgRAQU"] == "Integration"  # no first name: the last name alone
    assert leads["00Q5g0000Ld01MkEQI"] == "Jonas Berg"  # Salutation "Mr." left out
    assert contacts["0035g0000Co04QwAQI"] == "Peter Lindqvist III"
    assert sentinels == [(0,)]  # the empty-lookup sentinel is read as no lookup


@pytest.mark.e2e
def test_the_objects_not_exported_are_warned_of_and_the_file_of_an_unmodelled_object_is_named(runs):
    code, _, out = runs["zips"]
    assert code == 0, out
    warned = sorted(line.split("/")[1].split(" ")[0] for line in out.splitlines() if "· in_export" in line)
    assert warned == sorted(obj.table for obj in OBJECTS if obj.api_name.lower() not in _files())
    assert "Ignored 1 file(s) of objects the pipeline does not model: Attachment.csv." in out
