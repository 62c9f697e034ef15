"""What the dbt manifest says: what the pipeline publishes, and how to select its nodes."""

from __future__ import annotations

import fnmatch
import json
import os
from functools import lru_cache
from pathlib import Path

from orchestration.settings import MARTS_DATABASE

# Seeds BI users need beside the marts: what each KPI means.
PUBLISHED_SEEDS = ("kpi_catalog",)


def layer(node: dict) -> str:
    """The layer a dbt node is built in, as the pipeline names it (and keys its asset): `marts`
    for the models of the marts database, else the node's schema (`staging`, `config`, ...)."""
    if node["config"].get("database") == MARTS_DATABASE:
        return MARTS_DATABASE
    return node["config"].get("schema") or "main"


@lru_cache(maxsize=4)
def load_manifest(manifest_path: Path) -> dict:
    """The parsed manifest, read once per process: several definitions modules need it at import."""
    return json.loads(Path(manifest_path).read_text())


def published_relations(manifest_path: Path) -> list[tuple[str, str]]:
    """(layer, name) of every mart model and published seed, sorted: the tables BI tools read."""
    manifest = load_manifest(manifest_path)
    relations = set()
    for node in manifest["nodes"].values():
        if (node["resource_type"] == "model" and layer(node) == MARTS_DATABASE) or \
                (node["resource_type"] == "seed" and node["name"] in PUBLISHED_SEEDS):
            relations.add((layer(node), node["name"]))
    return sorted(relations)


def selectors_for(manifest: dict, names: set[str] | frozenset[str]) -> list[str]:
    """dbt node selectors that select exactly the nodes named `names`: one `<common prefix>*` per
    model and test kind where that prefix names no other node, the bare name otherwise. dbt tries
    each selector against every node, several times a build: 269 bare names cost a run about
    two seconds before its first model, a few dozen prefixes a fraction of that."""
    leaves = {node["name"] for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]}
    groups: dict[tuple[str, str], list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node["name"] in names:
            kind = node.get("test_metadata", {}).get("name", "")
            groups.setdefault((kind, node.get("attached_node") or ""), []).append(node["name"])
    if unknown := set(names) - {name for group in groups.values() for name in group}:
        raise ValueError(f"not tests of this dbt project: {', '.join(sorted(unknown))}")
    selectors = []
    for group in groups.values():
        pattern = os.path.commonprefix(group) + "*"
        # a bare wildcard is matched against each node's name (dbt's is_selected_node)
        if len(group) > 1 and {leaf for leaf in leaves if fnmatch.fnmatchcase(leaf, pattern)} == set(group):
            selectors.append(pattern)
        else:
            selectors.extend(group)
    return sorted(selectors)
