"""Column values the generator keeps as integers until a batch is written: picklists and Ids.

A million-row org cannot afford a Python string, or even a numpy unicode string, per value: they are
slow to build, to reorder and to hand to Arrow. So a text column is a `Text` (integer codes into a
list of values, or into a function that spells out the codes a batch uses) and a reference is a
`Ref` (the Id counters, with the key prefix once or per row). The writer turns both into Arrow
arrays in one vectorized step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demo_org.ids import id_matrix, prefix_index

Decode = Callable[[np.ndarray], pa.Array]  # sorted distinct codes -> their strings


@dataclass
class Text:
    """A text column: `categories[codes]`, NULL where `null` is set.

    `categories` is an array of strings, or a function from sorted distinct codes to an Arrow string
    array for value spaces too large to list (e-mail addresses); the writer only spells out the
    codes a batch uses. Such a function must be one-to-one: its values become the batch dictionary.
    """

    codes: np.ndarray
    categories: np.ndarray | Decode
    null: np.ndarray | None = None

    def __len__(self) -> int:
        return self.codes.size

    def __getitem__(self, rows) -> Text:
        return Text(self.codes[rows], self.categories, None if self.null is None else self.null[rows])

    def strings(self) -> np.ndarray:
        """The values as a numpy string array ('' where NULL), for small tables and tests."""
        if callable(self.categories):
            uniq, inverse = np.unique(self.codes, return_inverse=True)
            values = np.asarray(self.categories(uniq).to_pylist(), dtype=str)[inverse]
        else:
            values = np.asarray(self.categories)[self.codes]
        return values if self.null is None else np.where(self.null, "", values)

    def with_null(self, null: np.ndarray) -> Text:
        return Text(self.codes, self.categories, null if self.null is None else self.null | null)


def text(codes: np.ndarray, categories, null: np.ndarray | None = None) -> Text:
    """A Text over fixed categories (a tuple or array of strings)."""
    return Text(np.asarray(codes, dtype=np.int64), np.asarray(categories), null)


def choose(values, conditions: list[np.ndarray], choices: list[str], default: str) -> np.ndarray:
    """np.select over the positions of strings in `values`: the codes of the chosen strings."""
    pos = {v: i for i, v in enumerate(values)}
    return np.select(conditions, [pos[c] for c in choices], pos[default])


@dataclass
class Ref:
    """Record Ids: key prefix + counter. `prefix` is one prefix, or per row an index into PREFIXES."""

    counter: np.ndarray
    prefix: str | np.ndarray
    null: np.ndarray | None = None

    def __len__(self) -> int:
        return self.counter.size

    def __getitem__(self, rows) -> Ref:
        prefix = self.prefix if isinstance(self.prefix, str) else self.prefix[rows]
        return Ref(self.counter[rows], prefix, None if self.null is None else self.null[rows])

    def strings(self) -> np.ndarray:
        """The Ids as a numpy string array ('' where NULL), for small tables and tests."""
        ids = id_matrix(self.counter, self.prefix).view("S18").ravel().astype(str)
        return ids if self.null is None else np.where(self.null, "", ids)

    def prefix_indices(self) -> np.ndarray:
        if isinstance(self.prefix, str):
            return np.full(self.counter.size, prefix_index(self.prefix), np.uint8)
        return self.prefix

    def with_null(self, null: np.ndarray) -> Ref:
        return Ref(self.counter, self.prefix, null if self.null is None else self.null | null)


def ref(prefix: str, start: int, index: np.ndarray, null: np.ndarray | None = None) -> Ref:
    """The Ids of records `index` of an object whose Ids count up from `start`."""
    return Ref(start + np.asarray(index, dtype=np.int64), prefix, null)


def either(use_first: np.ndarray, first: Ref, second: Ref) -> Ref:
    """Per row, the Id from `first` where `use_first`, else from `second` (a polymorphic field)."""
    null = np.where(use_first, _null(first), _null(second))
    return Ref(np.where(use_first, first.counter, second.counter),
               np.where(use_first, first.prefix_indices(), second.prefix_indices()).astype(np.uint8),
               null if null.any() else None)


def stack(first, second):
    """Rows of `second` after those of `first`, for numpy arrays, masked arrays, Text and Ref."""
    if isinstance(first, Text):
        if first.categories is not second.categories:
            raise ValueError("stacked Text columns must share their categories")
        null = np.concatenate([_null(first), _null(second)])
        return Text(np.concatenate([first.codes, second.codes]), first.categories, null if null.any() else None)
    if isinstance(first, Ref):
        null = np.concatenate([_null(first), _null(second)])
        same = isinstance(first.prefix, str) and first.prefix == second.prefix
        prefix = first.prefix if same else np.concatenate([first.prefix_indices(), second.prefix_indices()])
        return Ref(np.concatenate([first.counter, second.counter]), prefix, null if null.any() else None)
    if isinstance(first, np.ma.MaskedArray) or isinstance(second, np.ma.MaskedArray):
        return np.ma.concatenate([first, second])
    return np.concatenate([first, second])


def _null(col: Text | Ref) -> np.ndarray:
    return np.zeros(len(col), bool) if col.null is None else col.null
