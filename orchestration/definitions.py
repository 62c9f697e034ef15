"""The Dagster code location: everything under `orchestration/defs/`, loaded by folder."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.runtime.sqlite_commits import commit_without_fsync

if os.environ.get("DAGSTER_HOME"):  # a run launched in Dagster writes its events from this process
    commit_without_fsync(Path(os.environ["DAGSTER_HOME"]))


def build_defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


@dg.definitions
def defs() -> dg.Definitions:
    return build_defs()
