"""A Salesforce Data Export (its .zip, and so the folder it unpacks to) of a partial
single-currency org publishes the KPIs an independent computation gives."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.cli import main
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
    db = home / "published" / "crm_kpis.duckdb"
    _assert_frames_match(_mart(db, "kpi_company_monthly"), company, ["month"])
    _assert_frames_match(_mart(db, "kpi_rep_monthly"), reps, ["month", "owner_id"])
    assert company["bookings_amount"].sum() > 0 and company["leads_contacted"].sum() == 0  # no Task, no Event

    # one warning per missing object, and a notice for the files of objects not modelled
    warned = sorted(line.split("/")[1].split(" ")[0] for line in out.splitlines() if "· in_export" in line)
    assert warned == sorted(OBJECTS_BY_NAME[name].table for name in MISSING)
    assert "Ignored 2 file(s) of objects the pipeline does not model: Attachment.csv, Note.csv." in out
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        # the custom field is kept; 15-character owner Ids joined their 18-character users
        assert con.execute("select count(*) from raw.opportunity where region_c = 'EMEA'").fetchall()[0][0] > 0
        assert con.execute("select count(*) from raw.opportunity where length(owner_id) <> 18").fetchall() == [(0,)]
        assert con.execute("select count(*) from quarantine.opportunity").fetchall() == [(0,)]
