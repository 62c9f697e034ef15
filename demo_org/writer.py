"""Turning one object's columns into a typed Arrow table, in the schema's field order.

Columns arrive as numpy arrays (masked arrays for NULLs), `Text` codes or `Ref` Id counters, with
datetimes as epoch seconds and dates as epoch days. They are typed by the object's schema in
`objects.py` (the raw tables' DuckDB types: TIMESTAMP, DATE, DECIMAL(18,2), ...) and put in its
field order, so a file always has exactly the fields the loader expects, named by their API names.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo_org.columns import Ref, Text
from demo_org.ids import id_matrix
from orchestration.salesforce.objects import Field, SObject

_CENTS = 100  # DECIMAL(18,2)
CURRENCY_TYPE = pa.decimal128(18, 2)
_NUMPY_TYPES = {"boolean": (bool, pa.bool_()), "number": (float, pa.float64()), "integer": (np.int64, pa.int64())}
# A Text with more categories than this is written with just the values its batch uses.
_SMALL_CATEGORIES = 4_096


def to_arrow(obj: SObject, columns: dict) -> pa.Table:
    """The columns as an Arrow table in the schema's field order; refuses missing or extra fields."""
    names = [f.api_name for f in obj.fields]
    missing, extra = set(names) - set(columns), set(columns) - set(names)
    if missing or extra:
        raise ValueError(
            f"{obj.api_name}: columns missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    return pa.table([_array(f, columns[f.api_name]) for f in obj.fields], names=names)


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow type a field is written as (text fields may also come as dictionaries of it)."""
    if field.type == "datetime":
        return pa.timestamp("us")
    if field.type == "date":
        return pa.date32()
    if field.type == "currency":
        return CURRENCY_TYPE
    if field.type in _NUMPY_TYPES:
        return _NUMPY_TYPES[field.type][1]
    return pa.string()


def _array(field: Field, values) -> pa.Array:
    if isinstance(values, Text):
        return _text_array(values)
    if isinstance(values, Ref):
        return _ref_array(values)
    mask = np.ma.getmaskarray(values) if isinstance(values, np.ma.MaskedArray) else None
    mask = mask if mask is not None and mask.any() else None
    data = np.ma.getdata(values)
    if field.type == "datetime":
        return pa.array(data.astype(np.int64) * 1_000_000, type=pa.int64(), mask=mask).view(pa.timestamp("us"))
    if field.type == "date":
        return pa.array(data.astype(np.int32), type=pa.int32(), mask=mask).view(pa.date32())
    if field.type == "currency":
        return _decimal_array(data.astype(float), mask)
    if field.type in _NUMPY_TYPES:
        return pa.array(data.astype(_NUMPY_TYPES[field.type][0]), mask=mask)
    return pa.array(data.astype(str), type=pa.string(), mask=mask)


def _decimal_array(amounts: np.ndarray, mask: np.ndarray | None) -> pa.Array:
    """DECIMAL(18,2) from float amounts: 128-bit little-endian cents (high word the sign)."""
    cents = np.rint(np.nan_to_num(amounts) * _CENTS).astype(np.int64)
    words = np.empty((cents.size, 2), np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(CURRENCY_TYPE, cents.size, [_validity(mask), pa.py_buffer(words)])


def _text_array(col: Text) -> pa.DictionaryArray:
    """Dictionary-encoded: each distinct value is spelled out (and compressed) once per batch."""
    codes = col.codes
    if callable(col.categories) or len(col.categories) > _SMALL_CATEGORIES:
        # Only the values this batch uses: a dictionary of the batch's distinct codes.
        used = codes if col.null is None else codes[~col.null]
        uniq, inverse = np.unique(used, return_inverse=True)
        if col.null is None:
            codes = inverse
        else:
            codes = np.zeros(codes.size, np.int64)
            codes[~col.null] = inverse
        if callable(col.categories):  # one-to-one by contract: already distinct
            indices = pa.array(codes.astype(np.int32), type=pa.int32(), mask=_mask(col.null))
            return pa.DictionaryArray.from_arrays(indices, col.categories(uniq))
        values = np.asarray(col.categories)[uniq]
    else:
        values = np.asarray(col.categories)
    # Distinct dictionary entries (a category list may repeat a value, e.g. forecast categories).
    distinct, position = np.unique(values, return_inverse=True)
    indices = pa.array(position[codes].astype(np.int32), type=pa.int32(), mask=_mask(col.null))
    return pa.DictionaryArray.from_arrays(indices, pa.array(distinct, type=pa.string()))


def _ref_array(col: Ref) -> pa.StringArray:
    """18-character Ids straight from their byte matrix: no per-row string objects."""
    n = len(col)
    data = id_matrix(col.counter, col.prefix)
    offsets = np.arange(0, 18 * (n + 1), 18, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), _validity(_mask(col.null)))


def _mask(null: np.ndarray | None) -> np.ndarray | None:
    return null if null is not None and null.any() else None


def _validity(mask: np.ndarray | None):
    if mask is None:
        return None
    return pa.py_buffer(np.packbits(~mask, bitorder="little"))
