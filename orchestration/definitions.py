"""The Dagster code location: everything under `orchestration/defs/`, loaded by folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


@dg.definitions
def defs() -> dg.Definitions:
    return build_defs()
