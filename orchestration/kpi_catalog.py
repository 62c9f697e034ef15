"""The KPI catalog: one seed file that defines every KPI once, and the dbt doc blocks made from it.

`dbt_project/seeds/kpi_catalog.csv` is the source. Its definitions become the `kpi_<name>` doc
blocks in `dbt_project/models/docs/kpi_catalog.md`, which the mart columns reference, so dbt docs,
the scorecard and BI tools all read the same words. Its `measured_from` column becomes the dbt
macro `kpi_sources()` (`dbt_project/macros/kpi_sources.sql`), by which a mart makes a KPI NULL
("not measured") when the export holds none of the objects it is measured from; beside it,
`mart_columns()` lists each of those marts' columns as its yml does, for the engines that cannot
`select * replace` the unmeasured ones (macros/not_measured.sql). Run
`python -m orchestration.kpi_catalog` (the build step does) after editing the seed; a test fails
while they disagree.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.salesforce.objects import snake_case
from orchestration.settings import DBT_PROJECT_DIR

CATALOG_CSV = DBT_PROJECT_DIR / "seeds" / "kpi_catalog.csv"
DOC_BLOCKS = DBT_PROJECT_DIR / "models" / "docs" / "kpi_catalog.md"
SOURCES_MACRO = DBT_PROJECT_DIR / "macros" / "kpi_sources.sql"
GENERATED = "Generated from seeds/kpi_catalog.csv by `python -m orchestration.kpi_catalog`: edit the seed, not this file."


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    definition: str
    formula: str
    unit: str
    grains: str
    indicator_type: str  # leading or lagging
    higher_is_better: bool
    models: tuple[str, ...]  # the marts holding a column named `name`
    # Objects it is measured from: every group must be exported, each by one of its alternatives.
    measured_from: tuple[tuple[str, ...], ...] = ()

    def measured_from_text(self) -> str:
        return " + ".join(" or ".join(group) for group in self.measured_from)

    def doc_block(self) -> str:
        direction = "higher" if self.higher_is_better else "lower"
        return (
            f"{{% docs kpi_{self.name} %}}\n"
            f"**{self.label}** ({self.indicator_type} indicator, {self.unit}; {direction} is better). "
            f"{self.definition} Formula: `{self.formula}`. Measured from {self.measured_from_text()}: "
            f"NULL (not measured) when the export lacks them.\n"
            f"{{% enddocs %}}\n"
        )


def parse_measured_from(text: str) -> tuple[tuple[str, ...], ...]:
    """`Lead + Task|Event` -> (("Lead",), ("Task", "Event")): all groups, any object of each."""
    return tuple(tuple(name.strip() for name in group.split("|")) for group in text.split("+"))


def load_catalog(path: Path = CATALOG_CSV) -> list[Kpi]:
    with open(path, newline="") as handle:
        return [
            Kpi(
                name=row["kpi_name"],
                label=row["label"],
                definition=row["definition"],
                formula=row["formula"],
                unit=row["unit"],
                grains=row["grains"],
                indicator_type=row["indicator_type"],
                higher_is_better=row["higher_is_better"] == "true",
                models=tuple(row["models"].split()),
                measured_from=parse_measured_from(row["measured_from"]),
            )
            for row in csv.DictReader(handle)
        ]


def unmeasured_kpis(catalog: list[Kpi], mart: str, missing_tables: set[str]) -> frozenset[str]:
    """The KPIs of `mart` not measured when the raw tables in `missing_tables` were not exported: some
    group of their `measured_from` has none of its objects (the Python twin of the dbt macro)."""
    return frozenset(
        kpi.name for kpi in catalog if mart in kpi.models
        and any(all(snake_case(name) in missing_tables for name in group) for group in kpi.measured_from)
    )


def render_doc_blocks(catalog: list[Kpi]) -> str:
    return f"{{# {GENERATED} #}}\n\n" + "\n".join(kpi.doc_block() for kpi in catalog)


def mart_columns(marts: Iterable[str]) -> dict[str, list[str]]:
    """Each mart's columns, in order, as its `_<mart>.yml` beside it lists them."""
    columns = {}
    for mart in sorted(marts):
        [path] = DBT_PROJECT_DIR.glob(f"models/**/_{mart}.yml")
        model = next(model for model in yaml.safe_load(path.read_text())["models"] if model["name"] == mart)
        columns[mart] = [column["name"] for column in model["columns"]]
    return columns


def render_sources_macro(catalog: list[Kpi]) -> str:
    """Two dbt macros: `kpi_sources()`, per mart, each KPI's objects as raw tables
    (`{mart: {kpi: [[table]]}}`), and `mart_columns()`, the columns of each of those marts."""
    by_mart: dict[str, dict[str, list[list[str]]]] = {}
    for kpi in catalog:
        tables = [[snake_case(name) for name in group] for group in kpi.measured_from]
        for mart in kpi.models:
            by_mart.setdefault(mart, {})[kpi.name] = tables
    return (f"{{#- {GENERATED} Its columns: from each mart's yml. -#}}\n"
            f"{{% macro kpi_sources() -%}}\n    {{{{ return({json.dumps(by_mart, sort_keys=True)}) }}}}\n"
            f"{{%- endmacro %}}\n\n"
            f"{{% macro mart_columns() -%}}\n    {{{{ return({json.dumps(mart_columns(by_mart))}) }}}}\n"
            f"{{%- endmacro %}}\n")


def main() -> None:
    catalog = load_catalog()
    DOC_BLOCKS.write_text(render_doc_blocks(catalog))
    SOURCES_MACRO.write_text(render_sources_macro(catalog))
    print(f"wrote {DOC_BLOCKS} and {SOURCES_MACRO}")


if __name__ == "__main__":
    main()
