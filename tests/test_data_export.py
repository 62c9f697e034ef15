"""A Salesforce Data Export (its .zip, and so the folder it unpacks to) of a partial
single-currency org publishes the KPIs an independent computation gives."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.cli import main
from orchestration.kpi_catalog import load_catalog, unmeasured_kpis
from orchestration.salesforce.export import unpack_zip
from orchestration.salesforce.objects import OBJECTS_BY_NAME
from tests.data_export_support import MISSING, write_partial_org
from tests.demo_org_support import PIPELINE_AS_OF
from tests.kpi_reference import reference_kpis
from tests.test_pipeline import _assert_frames_match, _mart


@pytest.fixture(scope="module")
def data_export(published, tmp_path_factory):
    root = tmp_path_factory.mktemp("data_export")
    write_partial_org(published["export"], root / "canonical", root / "export")
    shutil.make_archive(str(root / "WE_00D000000000001_1"), "zip", root / "export")
    return {"canonical": root / "canonical", "folder": root / "export", "zip": root / "WE_00D000000000001_1.zip",
            "root": root}


def test_the_zip_unpacks_to_the_export_folder_file_for_file(data_export, tmp_path):
    folder = unpack_zip(data_export["zip"], tmp_path / "unpacked")
    files = sorted(p.name for p in data_export["folder"].iterdir())
    assert sorted(p.name for p in folder.iterdir()) == files
    assert all((folder / name).read_bytes() == (data_export["folder"] / name).read_bytes() for name in files)


@pytest.mark.e2e
def test_a_partial_org_data_export_zip_publishes_the_kpis_of_an_independent_computation(data_export, capsys):
    # The .zip is unpacked into a folder and loaded as one (the test above): one run covers both.
    home = data_export["root"] / "home"
    code = main(["run", "--source", str(data_export["zip"]), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert code == 0, out

    reps, company = reference_kpis(data_export["canonical"], PIPELINE_AS_OF)
    # The canonical twin has the MISSING objects as empty files (0); the Data Export has no file
    # for them, so what only they measure is "not measured": NULL (the catalog's measured_from).
    missing = {OBJECTS_BY_NAME[name].table for name in MISSING}
    db = home / "published" / "crm_kpis.duckdb"
    for expected, mart, keys in ((company, "kpi_company_monthly", ["month"]),
                                 (reps, "kpi_rep_monthly", ["month", "owner_id"])):
        unmeasured = sorted(unmeasured_kpis(load_catalog(), mart, missing))
        assert {"leads_contacted", "rate_of_contact", "quota_amount"} <= set(unmeasured)
        published = _mart(db, mart)
        assert published[unmeasured].isna().all().all(), mart
        _assert_frames_match(published.drop(columns=unmeasured), expected, keys)
    assert company["bookings_amount"].sum() > 0 and company["leads_created"].sum() > 0

    # one warning per missing object, and a notice for the files of objects not modelled
    warned = sorted(line.split("/")[1].split(" ")[0] for line in out.splitlines() if "· in_export" in line)
    assert warned == sorted(OBJECTS_BY_NAME[name].table for name in MISSING)
    assert "Ignored 2 file(s) of objects the pipeline does not model: Attachment.csv, Note.csv." in out
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        # the custom field is kept; 15-character owner Ids joined their 18-character users
        assert con.execute("select count(*) from raw.opportunity where region_c = 'EMEA'").fetchall()[0][0] > 0
        assert con.execute("select count(*) from raw.opportunity where length(owner_id) <> 18").fetchall() == [(0,)]
        assert con.execute("select count(*) from quarantine.opportunity").fetchall() == [(0,)]
