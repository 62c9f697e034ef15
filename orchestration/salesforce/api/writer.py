"""Writing an object's records to `<ApiName>.parquet` page by page, so memory stays bounded.

Every column is a string column named by the field's API name: the loader reads text and casts it
by the object's schema, exactly as for a CSV export. The file is written under a temporary name and
renamed when complete, so a failed extract never leaves half a file for the loader to pick up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# Pages (2,000 records on REST) are gathered up to this many rows per Parquet row group: fewer,
# larger row groups read faster, and the buffer stays a few MB.
ROW_GROUP_ROWS = 50_000


class ParquetPages:
    """A context manager: `write()` column-major pages, committed on a clean exit."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.rows = 0
        self._tmp = path.with_name(path.name + ".partial")  # no loader suffix: never taken for data
        self._schema = pa.schema([(name, pa.string()) for name in columns])
        self._buffer: list[list[str | None]] = [[] for _ in columns]
        self._buffered = 0
        self._writer = pq.ParquetWriter(self._tmp, self._schema)

    def write(self, columns: list[list[str | None]]) -> None:
        for target, values in zip(self._buffer, columns):
            target.extend(values)
        count = len(columns[0]) if columns else 0
        self._buffered += count
        self.rows += count
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffered:
            return
        arrays = [pa.array(values, type=pa.string()) for values in self._buffer]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._buffer = [[] for _ in self._buffer]
        self._buffered = 0

    def __enter__(self) -> ParquetPages:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._flush()
            self._writer.close()
            os.replace(self._tmp, self.path)
        else:
            self._writer.close()
            self._tmp.unlink(missing_ok=True)
