"""Extracting the records of each modelled object that changed since its watermark.

Per object: describe it (an object the org lacks is reported missing, not an error), then read
`SELECT <all describe fields> FROM <object> [WHERE SystemModstamp > <watermark>]` with queryAll, so
soft-deleted records arrive with IsDeleted = true and the merge can flag them. Small result sets go
through the REST API, following nextRecordsUrl page by page; large ones (more rows than
`bulk_threshold`, or objects named in `bulk_objects`) through a Bulk API 2.0 queryAll job, read by
Sforce-Locator pages. Either way each page is appended to `<out_dir>/<ApiName>.parquet` at once.

The result says how many rows were written and the next watermark: the newest SystemModstamp seen,
or the given watermark when nothing changed. Storing it is the caller's job, after the load.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceOperationError,
    SalesforceResourceNotFound,
)

from orchestration.salesforce.api.errors import SalesforceSourceError, describe_failure, redact
from orchestration.salesforce.api.fields import (
    MODSTAMP,
    ObjectSchema,
    parse_api_datetime,
    schema_from_describe,
    soql_datetime,
    to_text,
)
from orchestration.salesforce.api.writer import ParquetPages
from orchestration.salesforce.objects import SObject

logger = logging.getLogger(__name__)

Page = list[list[str | None]]  # column-major: one list of text values per selected field


@dataclass(frozen=True)
class ExtractResult:
    object: str
    rows: int  # records written to `path` (soft-deleted ones included)
    next_watermark: dt.datetime | None  # aware UTC; store it for the next run
    missing: bool = False  # the org has no such object (or it cannot be queried): no file written
    path: Path | None = None
    api: Literal["rest", "bulk"] | None = None
    # True when every record was read (first run, or the object has no SystemModstamp): the caller
    # may replace the table. False: a batch of changes to merge.
    full: bool = True


def extract_changes(
    client: Salesforce,
    objects: Iterable[SObject | str],
    watermarks: Mapping[str, dt.datetime | None],
    out_dir: Path,
    *,
    bulk_threshold: int | None = 200_000,
    bulk_objects: Iterable[str] = (),
    bulk_page_size: int = 50_000,
    bulk_poll_seconds: float = 5.0,
) -> dict[str, ExtractResult]:
    """Extract each object's changes since `watermarks[name]` (None or absent: everything).

    `bulk_threshold` is the row count above which Bulk API 2.0 is used (None: only `bulk_objects`).
    `out_dir` should be a folder of its own: a stale file of a now missing object is removed.
    Raises `SalesforceSourceError` naming the object on any API failure.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bulk_names = frozenset(bulk_objects)
    results: dict[str, ExtractResult] = {}
    for obj in objects:
        name = obj if isinstance(obj, str) else obj.api_name
        job = _Job(client, name, watermarks.get(name), out_dir / f"{name}.parquet")
        try:
            results[name] = job.run(bulk_threshold, name in bulk_names, bulk_page_size, bulk_poll_seconds)
        except (SalesforceError, SalesforceOperationError, requests.RequestException) as exc:
            attempts = getattr(getattr(client.session, "policy", None), "attempts", None)
            message = f"Salesforce extract of {name} failed: {describe_failure(exc, attempts=attempts)}"
            raise SalesforceSourceError(redact(message, [client.session_id])) from exc
    return results


class _Job:
    """The extract of one object."""

    def __init__(self, client: Salesforce, name: str, since: dt.datetime | None, path: Path) -> None:
        if since is not None and since.tzinfo is None:  # the warehouse keeps naive UTC timestamps
            since = since.replace(tzinfo=dt.timezone.utc)
        self.client, self.name, self.since, self.path = client, name, since, path

    def run(self, threshold: int | None, force_bulk: bool, page_size: int, poll: float) -> ExtractResult:
        schema = self._describe()
        if schema is None or not schema.queryable:
            self.path.unlink(missing_ok=True)  # no stale data from an earlier run may be loaded
            logger.warning("Salesforce %s: not in the org (or not queryable); skipped", self.name)
            return ExtractResult(self.name, 0, self.since, missing=True, full=False)
        incremental = self.since is not None and schema.has_modstamp
        where = f" WHERE {MODSTAMP} > {soql_datetime(self.since)}" if incremental else ""
        select = f"SELECT {', '.join(schema.names)} FROM {self.name}{where}"
        use_bulk = force_bulk or (threshold is not None and self._count(where) > threshold)
        if use_bulk:  # Bulk API 2.0 refuses ORDER BY; the watermark is a max, so order is not needed
            pages = self._bulk_pages(schema, select, page_size, poll)
        else:
            order = f" ORDER BY {MODSTAMP}" if schema.has_modstamp else ""
            pages = self._rest_pages(schema, select + order)
        stamps = schema.names.index(MODSTAMP) if schema.has_modstamp else None
        newest = ""  # the uniform `...000Z` text sorts like the time it stands for
        with ParquetPages(self.path, schema.names) as out:
            for page in pages:
                out.write(page)
                if stamps is not None:
                    newest = max(newest, *filter(None, page[stamps]), "")
        next_watermark = parse_api_datetime(newest) if newest else None
        if incremental:  # a record re-read from the watermark's own second must not move it back
            next_watermark = max(next_watermark or self.since, self.since)
        api = "bulk" if use_bulk else "rest"
        logger.info(
            "Salesforce %s: %d rows via %s queryAll (%s) -> %s",
            self.name, out.rows, api.upper() if api == "rest" else "Bulk API 2.0",
            f"changes since {soql_datetime(self.since)}" if incremental else "all records", self.path,
        )
        return ExtractResult(self.name, out.rows, next_watermark, path=self.path, api=api, full=not incremental)

    def _describe(self) -> ObjectSchema | None:
        try:
            return schema_from_describe(getattr(self.client, self.name).describe())
        except SalesforceResourceNotFound:  # 404 NOT_FOUND: the org has no such object
            return None

    def _count(self, where: str) -> int:
        result = self.client.query(f"SELECT COUNT() FROM {self.name}{where}", include_deleted=True)
        return int(result["totalSize"])

    def _rest_pages(self, schema: ObjectSchema, soql: str) -> Iterator[Page]:
        result = self.client.query(soql, include_deleted=True)
        while True:
            records = result["records"]
            yield [[to_text(r.get(f.name), f.type) for r in records] for f in schema.fields]
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                return
            result = self.client.query_more(result["nextRecordsUrl"], identifier_is_url=True)

    def _bulk_pages(self, schema: ObjectSchema, soql: str, page_size: int, poll: float) -> Iterator[Page]:
        bulk = getattr(self.client.bulk2, self.name)
        for text in bulk.query_all(soql, max_records=page_size, wait=poll):
            rows = csv.reader(io.StringIO(text))
            header = next(rows, None)
            if header is None:  # an empty result set has no header line
                continue
            position = {name.lower(): i for i, name in enumerate(header)}  # SOQL names are case-blind
            data = list(rows)
            columns: Page = []
            for f in schema.fields:
                i = position.get(f.name.lower())
                columns.append([None if i is None else to_text(row[i], f.type) for row in data])
            yield columns
