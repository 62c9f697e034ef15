"""The KPI catalog: one seed file that defines every KPI once, and the dbt doc blocks made from it.

`dbt_project/seeds/kpi_catalog.csv` is the source. Its definitions become the `kpi_<name>` doc
blocks in `dbt_project/models/docs/kpi_catalog.md`, which the mart columns reference, so dbt docs,
the scorecard and BI tools all read the same words. Run `python -m orchestration.kpi_catalog` (the
build step does) after editing the seed; a test fails while the two disagree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

CATALOG_CSV = DBT_PROJECT_DIR / "seeds" / "kpi_catalog.csv"
DOC_BLOCKS = DBT_PROJECT_DIR / "models" / "docs" / "kpi_catalog.md"


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

    def doc_block(self) -> str:
        direction = "higher" if self.higher_is_better else "lower"
        return (
            f"{{% docs kpi_{self.name} %}}\n"
            f"**{self.label}** ({self.indicator_type} indicator, {self.unit}; {direction} is better). "
            f"{self.definition} Formula: `{self.formula}`.\n"
            f"{{% enddocs %}}\n"
        )


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
            )
            for row in csv.DictReader(handle)
        ]


def render_doc_blocks(catalog: list[Kpi]) -> str:
    header = (
        "{# Generated from seeds/kpi_catalog.csv by `python -m orchestration.kpi_catalog`: "
        "edit the seed, not this file. #}\n\n"
    )
    return header + "\n".join(kpi.doc_block() for kpi in catalog)


def main() -> None:
    DOC_BLOCKS.write_text(render_doc_blocks(load_catalog()))
    print(f"wrote {DOC_BLOCKS}")


if __name__ == "__main__":
    main()
