"""What the dbt manifest says the pipeline publishes."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

# Seeds BI users need beside the marts: what each KPI means.
PUBLISHED_SEEDS = ("kpi_catalog",)


@lru_cache(maxsize=4)
def load_manifest(manifest_path: Path) -> dict:
    """The parsed manifest, read once per process: several definitions modules need it at import."""
    return json.loads(Path(manifest_path).read_text())


def published_relations(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, name) of every mart model and published seed, sorted: the tables BI tools read."""
    manifest = load_manifest(manifest_path)
    relations = set()
    for node in manifest["nodes"].values():
        schema = node["config"].get("schema")
        if node["resource_type"] == "model" and schema == "marts":
            relations.add((schema, node["name"]))
        elif node["resource_type"] == "seed" and node["name"] in PUBLISHED_SEEDS:
            relations.add((schema, node["name"]))
    return sorted(relations)
