"""A large org's Data Export as Salesforce delivers it: several .zip files (WE_<org>_1.ZIP, …), each
holding some objects, loaded as one export; an object in two of them is refused, naming both."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from orchestration.cli.main import build_parser
from orchestration.defs.ingest.sources import SourceError, prepare_source
from orchestration.salesforce.export import ExportError, export_folder
from orchestration.settings import state_paths

AS_OF = dt.date(2025, 3, 31)


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return path


def test_a_folder_of_data_export_zips_unpacks_into_one_export(tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    _zip(download / "WE_00D000000000001_1.ZIP", {"User.csv": "Id\n", "Account.csv": "Id\n"})
    _zip(download / "WE_00D000000000001_2.ZIP", {"Opportunity.csv": "Id\n"})
    folder = export_folder(download, tmp_path / "unpacked")
    assert sorted(p.name for p in folder.iterdir()) == ["Account.csv", "Opportunity.csv", "User.csv"]


def test_several_zips_given_as_a_list_are_one_export(tmp_path):
    first = _zip(tmp_path / "WE_1.ZIP", {"user.csv": "Id\n"})
    second = _zip(tmp_path / "WE_2.ZIP", {"opportunity.csv": "Id\n"})
    folder = export_folder([first, second], tmp_path / "unpacked")
    assert sorted(p.name for p in folder.iterdir()) == ["opportunity.csv", "user.csv"]


def test_an_object_in_two_zips_is_refused_naming_both_zips_and_files(tmp_path):
    first = _zip(tmp_path / "WE_1.ZIP", {"Opportunity.csv": "Id\n"})
    second = _zip(tmp_path / "WE_2.ZIP", {"opportunity.csv": "Id\n"})
    with pytest.raises(ExportError) as caught:
        export_folder([first, second], tmp_path / "unpacked")
    message = str(caught.value)
    assert "WE_1.ZIP" in message and "WE_2.ZIP" in message
    assert "Opportunity.csv" in message and "opportunity.csv" in message


def test_a_folder_of_export_files_is_loaded_as_it_is(tmp_path):
    (tmp_path / "User.csv").write_text("Id\n")
    assert export_folder(tmp_path, tmp_path / "unpacked") == tmp_path


def test_run_takes_a_data_exports_zips_as_several_sources(tmp_path):
    first = _zip(tmp_path / "WE_00D000000000001_1.ZIP", {"User.csv": "Id\n"})
    second = _zip(tmp_path / "WE_00D000000000001_2.ZIP", {"Opportunity.csv": "Id\n"})
    args = build_parser().parse_args(["run", "--source", str(first), str(second), "--home", str(tmp_path / "home")])
    prepared = prepare_source("export", state_paths(args.home), AS_OF, sources=[Path(p) for p in args.source])
    folder = prepared.folder
    assert folder == tmp_path / "home" / "unpacked_export"
    assert sorted(p.name for p in folder.iterdir()) == ["Opportunity.csv", "User.csv"]
    assert prepared.notes == [f"Unpacked {first}, {second} into {folder}."]


def test_run_refuses_an_export_folder_given_with_another_source_in_one_line(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "User.csv").write_text("Id\n")
    zipped = _zip(tmp_path / "WE_1.ZIP", {"Opportunity.csv": "Id\n"})
    args = build_parser().parse_args(["run", "--source", str(tmp_path / "export"), str(zipped)])
    with pytest.raises(SourceError, match=r"^several sources \(") as refused:
        prepare_source("export", state_paths(tmp_path / "home"), AS_OF, sources=[Path(p) for p in args.source])
    assert "only .zip files of one Data Export" in str(refused.value)
