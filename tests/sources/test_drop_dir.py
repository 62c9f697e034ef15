"""Which dropped exports are ready to load, and the runs the sensor asks for."""

from __future__ import annotations

import datetime as dt
import os

from orchestration.defs.automation.drop_dir import settled_exports

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


def _touch(path, minutes_ago: float) -> None:
    stamp = (NOW - dt.timedelta(minutes=minutes_ago)).timestamp()
    os.utime(path, (stamp, stamp))


def test_a_zip_unchanged_for_the_settle_time_is_ready_and_a_fresh_one_is_not(tmp_path):
    (tmp_path / "old.zip").write_bytes(b"PK")
    (tmp_path / "new.zip").write_bytes(b"PK")
    _touch(tmp_path / "old.zip", 5)
    _touch(tmp_path / "new.zip", 0.1)
    assert [e.path.name for e in settled_exports(tmp_path, NOW)] == ["old.zip"]


def test_a_folder_is_ready_only_when_nothing_inside_it_changed_lately(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "User.csv").write_text("Id\n")
    (folder / "Opportunity.csv").write_text("Id\n")
    _touch(folder / "User.csv", 10)
    _touch(folder, 10)
    _touch(folder / "Opportunity.csv", 0.2)  # still being copied
    assert settled_exports(tmp_path, NOW) == []
    _touch(folder / "Opportunity.csv", 2)
    assert [(e.path.name, e.modified) for e in settled_exports(tmp_path, NOW)] == [
        ("export", (NOW - dt.timedelta(minutes=2)).replace(tzinfo=None))]


def test_partial_downloads_hidden_files_and_other_files_are_never_taken(tmp_path):
    for name in ("export.zip.part", "export.zip.crdownload", ".export.zip", "notes.txt"):
        (tmp_path / name).write_text("x")
        _touch(tmp_path / name, 60)
    assert settled_exports(tmp_path, NOW) == []


def test_the_same_export_changed_gets_a_new_run_key(tmp_path):
    (tmp_path / "export.zip").write_bytes(b"PK")
    _touch(tmp_path / "export.zip", 60)
    first = settled_exports(tmp_path, NOW)[0].run_key
    _touch(tmp_path / "export.zip", 30)
    assert settled_exports(tmp_path, NOW)[0].run_key != first
    assert first.startswith("export.zip@")
