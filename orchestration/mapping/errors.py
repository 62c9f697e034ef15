"""The one error a mapping raises, listing every problem found, each with where it is and the rule."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class MappingError(Exception):
    """A mapping that cannot be applied, or data it cannot convert.

    The message starts with the mapping file and names, for each problem, the place in the mapping
    (`Opportunity.Amount`, `files.pipeline`, `User[2].where`) and the rule that was broken.
    `problems` holds the same lines one by one.
    """

    def __init__(self, mapping_path: Path | str, problems: list[str]):
        self.mapping_path = str(mapping_path)
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{self.mapping_path}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{self.mapping_path}: {len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class Problems:
    """Collects problems so one validation reports all of them, not just the first."""

    def __init__(self, mapping_path: Path | str):
        self.mapping_path = mapping_path
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise MappingError(self.mapping_path, self.items)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'X'?)' for a near miss, else ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        close = [lowered[name.lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""
