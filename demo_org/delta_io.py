"""Reading an org folder with DuckDB, and writing a delta and the upserted org back to files.

A Parquet org is never loaded whole: DuckDB queries the files (typed views, one per object) for the
few rows a day's changes touch, and the upsert streams each file row group by row group. A CSV org
is small (CSV is for small orgs), so it is read into DuckDB tables once and each file is rewritten by
one statement on one thread, which keeps the row order, and so the bytes, the same on every run.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_quality.sql import quote_ident
from demo_org.ids import parse_counter
from demo_org.sinks import DATE_FORMAT, TIMESTAMP_FORMAT, CsvSink, ParquetSink, is_text
from demo_org.writer import arrow_type, to_arrow
from orchestration.salesforce.objects import OBJECTS, OBJECTS_BY_NAME, SObject


def canonical_schema(obj: SObject) -> pa.Schema:
    """The Arrow schema of a delta batch: the object's fields, text as plain strings."""
    return pa.schema([(f.api_name, arrow_type(f)) for f in obj.fields])


def as_table(obj: SObject, columns: dict) -> pa.Table:
    """New rows (generator-style columns) as a table in the canonical schema."""
    return to_arrow(obj, columns).cast(canonical_schema(obj))


class OrgFiles:
    """An export folder written by `generate_org`, queried through one DuckDB view per object."""

    def __init__(self, org_dir: Path):
        self.dir = Path(org_dir)
        found = [fmt for fmt in ("parquet", "csv") if (self.dir / f"Opportunity.{fmt}").is_file()]
        if len(found) != 1:
            raise ValueError(f"{self.dir}: expected an org written by generate_org (Opportunity.csv or .parquet)")
        self.fmt = found[0]
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        for obj in OBJECTS:
            # A CSV org is small, and parsing its text once beats parsing it for every query.
            kind = "VIEW" if self.fmt == "parquet" else "TABLE"
            self.con.execute(f"CREATE {kind} {quote_ident(obj.api_name)} AS {self._scan(obj)}")

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.{self.fmt}"

    def _scan(self, obj: SObject) -> str:
        path = str(self.path(obj.api_name)).replace("'", "''")
        if self.fmt == "parquet":
            return f"SELECT * FROM read_parquet('{path}')"
        casts = ", ".join(f"CAST(NULLIF({quote_ident(f.api_name)}, '') AS {f.duckdb_type}) AS {quote_ident(f.api_name)}"
                          for f in obj.fields)
        # The header is known, so DuckDB need not sniff the file (which costs more than reading it).
        columns = ", ".join(f"'{f.api_name}': 'VARCHAR'" for f in obj.fields)
        return (f"SELECT {casts} FROM read_csv('{path}', header = true, auto_detect = false, "
                f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"')")

    def query(self, sql: str, *params, keys=None) -> dict[str, np.ndarray]:
        """The result's columns as numpy arrays (strings as object arrays).

        `keys` (Ids or numbers) are the table `keys(k)` the query can join or filter on with
        `IN (SELECT k FROM keys)`: a hash join, where a list parameter would be scanned per row.
        """
        if keys is None:
            return self.con.execute(sql, list(params)).fetchnumpy()
        values = np.asarray(keys)
        array = pa.array(values.astype(str) if values.dtype.kind in "OUS" else values.astype(np.int64))
        self.con.register("keys", pa.table({"k": array}))
        try:
            return self.con.execute(sql, list(params)).fetchnumpy()
        finally:
            self.con.unregister("keys")

    def scalar(self, sql: str, *params):
        return self.con.execute(sql, list(params)).fetchone()[0]

    def next_counter(self, name: str) -> int:
        """The first Id counter after every existing record of the object."""
        largest = self.scalar(f"SELECT max(Id) FROM {quote_ident(name)}")  # base62 sorts as text
        return 1 if largest is None else int(parse_counter([largest])[0]) + 1

    def rows(self, name: str, ids) -> pa.Table:
        """The full rows of these records (in Id order), in the canonical schema."""
        obj = OBJECTS_BY_NAME[name]
        selected = pa.table({"Id": pa.array(sorted(set(ids)), type=pa.string())})
        self.con.register("selected_ids", selected)
        try:
            table = self.con.execute(
                f"SELECT o.* FROM {quote_ident(name)} o JOIN selected_ids s USING (Id) ORDER BY o.Id"
            ).to_arrow_table()
        finally:
            self.con.unregister("selected_ids")
        return table.cast(canonical_schema(obj))

    def close(self) -> None:
        self.con.close()


def with_values(table: pa.Table, obj: SObject, values: dict) -> pa.Table:
    """`table` with some columns replaced (numpy arrays or generator-style columns)."""
    for name, column in values.items():
        field = obj.field(name)
        array = to_arrow(_one_field(obj, name), {name: column}).column(0).cast(arrow_type(field))
        table = table.set_column(table.schema.get_field_index(name), name, array)
    return table


def _one_field(obj: SObject, name: str) -> SObject:
    return SObject(obj.api_name, (obj.field(name),))


def write_delta(delta_dir: Path, fmt: str, tables: dict[str, pa.Table]) -> None:
    """One file per object, empty where the day changed nothing."""
    delta_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect() if fmt == "csv" else None
    try:
        for obj in OBJECTS:
            path = delta_dir / f"{obj.api_name}.{fmt}"
            sink = ParquetSink(path, obj) if con is None else CsvSink(path, obj, con)
            sink.write(tables.get(obj.api_name, canonical_schema(obj).empty_table()))
            sink.close()
    finally:
        if con is not None:
            con.close()


def upsert_org(org: OrgFiles, tables: dict[str, pa.Table]) -> None:
    """Rewrite each changed object's file: rows the delta does not touch, then the delta's rows."""
    changed = [name for name in tables if tables[name].num_rows]
    if org.fmt == "csv":
        org.con.execute("SET threads = 1")  # single-threaded plans keep file order (see module doc)
        for name in changed:
            _upsert_csv(org, name, tables[name])
        return
    # Files are independent and Arrow releases the GIL while it decodes and encodes; the largest go
    # first so the two threads finish together.
    changed.sort(key=lambda name: -org.path(name).stat().st_size)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda name: _upsert_parquet(org.path(name), OBJECTS_BY_NAME[name], tables[name]), changed))


def _upsert_parquet(path: Path, obj: SObject, delta: pa.Table) -> None:
    source = pq.ParquetFile(path)
    first = source.metadata.row_group(0) if source.num_row_groups else None
    # Read text columns in the encoding they were written in (dictionary or plain), so they are
    # written back without re-encoding.
    dictionary = [] if first is None else [
        first.column(i).path_in_schema for i in range(first.num_columns) if first.column(i).has_dictionary_page]
    source = pq.ParquetFile(path, read_dictionary=dictionary)
    schema = source.schema_arrow if first is not None else delta.schema
    stats = [f.name for f in schema if f.name == "Id" or not is_text(f.type)]
    replaced = delta.column("Id")
    tmp = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(tmp, schema, use_dictionary=dictionary or False, write_statistics=stats or False,
                          store_schema=False, compression="snappy") as writer:
        for i in range(source.num_row_groups):
            batch = source.read_row_group(i)
            batch = batch.filter(pc.invert(pc.is_in(batch.column("Id"), value_set=replaced)))
            writer.write_table(batch, row_group_size=max(batch.num_rows, 1))
        writer.write_table(delta.cast(schema), row_group_size=max(delta.num_rows, 1))
    os.replace(tmp, path)


def _upsert_csv(org: OrgFiles, name: str, delta: pa.Table) -> None:
    path = org.path(name)
    tmp = path.with_name(path.name + ".tmp")
    org.con.register("delta_rows", delta)
    try:
        target = str(tmp).replace("'", "''")
        org.con.execute(
            f"COPY (SELECT * FROM {quote_ident(name)} WHERE Id NOT IN (SELECT Id FROM delta_rows) "
            f"UNION ALL SELECT * FROM delta_rows) TO '{target}' "
            f"(FORMAT csv, HEADER, TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}', DATEFORMAT '{DATE_FORMAT}')")
    finally:
        org.con.unregister("delta_rows")
    os.replace(tmp, path)
