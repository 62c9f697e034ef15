"""Streaming an org's objects into export files, batch by batch, on a background thread.

A large org is generated territory by territory; each territory's batch of every object is appended
to that object's file as soon as it is built, so memory holds a batch or two, never a whole object.
Parquet batches go through `pyarrow.parquet.ParquetWriter` (one row group per batch, small batches
pooled); CSV batches are written by DuckDB in Salesforce's export format and appended. Writing
(encoding, compressing) runs on a thread of its own while the next territory is generated: numpy,
Arrow and DuckDB release the GIL, so both cores work. Batches are written in the order they are
submitted, so the files are the same bytes on every run.
"""

from __future__ import annotations

import queue
import shutil
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from data_quality.sql import quote_ident
from demo_org.writer import arrow_type, to_arrow
from orchestration.salesforce.objects import OBJECTS_BY_NAME, SObject

# Salesforce's export format: ISO-8601 UTC with milliseconds, plain ISO dates.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"
DATE_FORMAT = "%Y-%m-%d"
MIN_ROW_GROUP = 100_000  # smaller batches are pooled into one row group
_QUEUED_BATCHES = 24  # about two territories: bounds how far generation runs ahead of writing


def empty_table(obj: SObject) -> pa.Table:
    return pa.table({f.api_name: pa.array([], type=arrow_type(f)) for f in obj.fields})


class ParquetSink:
    """One object's Parquet file, written a row group at a time."""

    def __init__(self, path: Path, obj: SObject):
        self.path, self.obj = path, obj
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.Table] = []
        self.pending_rows = 0

    def write(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.pending_rows += table.num_rows
        if self.pending_rows >= MIN_ROW_GROUP:
            self._flush()

    def close(self) -> None:
        if self.pending or self.writer is None:
            self._flush()
        self.writer.close()

    def _flush(self) -> None:
        table = pa.concat_tables(self.pending) if self.pending else empty_table(self.obj)
        if len(self.pending) > 1:
            # One dictionary per column per row group (Parquet has one dictionary page per chunk).
            table = table.unify_dictionaries().combine_chunks()
        if self.writer is None:
            dictionary = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
            # Min/max statistics where readers prune on them (times, dates, numbers, the Id); on
            # other text they would cost a quarter of the writing time.
            stats = [f.name for f in table.schema if f.name == "Id" or not is_text(f.type)]
            # No Arrow schema in the file: every reader sees plain strings, dictionary-encoded or not.
            self.writer = pq.ParquetWriter(self.path, table.schema, use_dictionary=dictionary or False,
                                           write_statistics=stats or False, store_schema=False,
                                           compression="snappy")
        elif not table.schema.equals(self.writer.schema):
            table = table.cast(self.writer.schema)
        self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.pending, self.pending_rows = [], 0


def is_text(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_dictionary(type_)


class CsvSink:
    """One object's CSV file: the header once, then every batch appended in Salesforce's format."""

    def __init__(self, path: Path, obj: SObject, con: duckdb.DuckDBPyConnection):
        self.path, self.obj, self.con = path, obj, con
        self.started = False

    def write(self, table: pa.Table) -> None:
        if not self.started:
            self._copy(table, self.path, header=True)
            self.started = True
            return
        part = self.path.with_name(self.path.name + ".part")
        self._copy(table, part, header=False)
        with open(self.path, "ab") as out, open(part, "rb") as src:
            shutil.copyfileobj(src, out)
        part.unlink()

    def close(self) -> None:
        if not self.started:
            self.write(empty_table(self.obj))

    def _copy(self, table: pa.Table, path: Path, header: bool) -> None:
        self.con.register("demo_batch", table)
        try:
            # Casting to the warehouse types gives the same text the loader parses back.
            select = ", ".join(f"CAST({quote_ident(f.api_name)} AS {f.duckdb_type}) AS {quote_ident(f.api_name)}"
                               for f in self.obj.fields)
            target = str(path).replace("'", "''")
            options = f"FORMAT csv, HEADER {str(header).lower()}, TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}', " \
                      f"DATEFORMAT '{DATE_FORMAT}'"
            self.con.execute(f"COPY (SELECT {select} FROM demo_batch) TO '{target}' ({options})")
        finally:
            self.con.unregister("demo_batch")


class OrgWriter:
    """Writes submitted batches of objects into `<out_dir>/<Object>.<fmt>` on a background thread.

    Use as a context manager; `counts` holds the rows written per object once it has closed.
    """

    def __init__(self, out_dir: Path, fmt: str):
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"unknown export format {fmt!r}; use 'csv' or 'parquet'")
        self.out_dir, self.fmt = Path(out_dir), fmt
        self.counts: dict[str, int] = {}
        self._queue: queue.Queue = queue.Queue(maxsize=_QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-org-writer", daemon=True)

    def __enter__(self) -> OrgWriter:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def write(self, name: str, columns: dict) -> None:
        """Queue one batch of an object (columns as the builders return them)."""
        if self._error is not None:
            raise RuntimeError("writing the demo org failed") from self._error
        self._queue.put((name, columns))

    def __exit__(self, exc_type, exc, tb) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise RuntimeError("writing the demo org failed") from self._error

    def _run(self) -> None:
        sinks: dict[str, ParquetSink | CsvSink] = {}
        con = duckdb.connect() if self.fmt == "csv" else None
        try:
            if con is not None:
                con.execute("SET enable_progress_bar = false")  # a library call should not draw on the terminal
            while (item := self._queue.get()) is not None:
                if self._error is not None:
                    continue  # drain, so the producer never blocks on a dead writer
                name, columns = item
                try:
                    obj = OBJECTS_BY_NAME[name]
                    if name not in sinks:
                        path = self.out_dir / f"{name}.{self.fmt}"
                        sinks[name] = ParquetSink(path, obj) if con is None else CsvSink(path, obj, con)
                    table = to_arrow(obj, columns)
                    sinks[name].write(table)
                    self.counts[name] = self.counts.get(name, 0) + table.num_rows
                except BaseException as error:  # reported to the producer, which re-raises
                    self._error = error
            if self._error is None:
                for sink in sinks.values():
                    sink.close()
        except BaseException as error:
            self._error = error
        finally:
            if con is not None:
                con.close()
