"""A small Salesforce org behind a local HTTPS endpoint that answers like the real APIs do.

It serves what simple-salesforce calls: the SOAP login (`/services/Soap/u/<ver>`, with Salesforce's
login response or its LoginFault), the REST resource list, `sobjects/<Object>/describe` (404
NOT_FOUND for objects the org lacks), `query` / `queryAll` with nextRecordsUrl paging, and Bulk API
2.0 query jobs (create, poll, CSV results paged by Sforce-Locator). SOQL is evaluated honestly for
the shapes the extractor sends: fields are checked against describe, `WHERE SystemModstamp > <literal>`
filters (only SOQL's documented literal forms are accepted), `query` hides soft-deleted rows and
`queryAll` returns them, and Bulk refuses what Bulk API 2.0 refuses (ORDER BY, COUNT(), compound
fields). Faults can be injected per path; every request is logged for the tests to inspect.
One file, a little over 300 lines: the org, its HTTP handler and the API shapes belong together.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from orchestration.salesforce.objects import OBJECTS

TYPE_NAMES = {"number": "double", "integer": "int"}  # objects.py types -> describe types
SOQL = re.compile(
    r"^SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<obj>\w+)(?:\s+WHERE\s+SystemModstamp\s*>\s*(?P<since>\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+ASC)?)?\s*$", re.I | re.S)
SOQL_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""  # noqa: E501
SOAP_LOGIN = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{ver}/00D000000000001</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{base}/services/Soap/u/{ver}/00D000000000001</serverUrl><sessionId>{sid}</sessionId><userId>{uid}</userId></result></loginResponse></soapenv:Body></soapenv:Envelope>"""  # noqa: E501


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.body = [{"errorCode": code, "message": message}]


@dataclass
class FakeObject:
    fields: list[dict]  # describe field entries: name, type, custom
    records: list[dict] = field(default_factory=list)  # typed Python values by API name

    def field_names(self) -> dict[str, str]:
        return {f["name"].lower(): f["name"] for f in self.fields}


@dataclass
class Fault:
    path: str  # a substring of the request path
    status: int
    times: int | None = 1  # None: every time
    body: object = field(default_factory=lambda: [{"errorCode": "UNKNOWN_EXCEPTION", "message": "boom"}])
    headers: dict = field(default_factory=dict)


@dataclass
class FakeOrg:
    objects: dict[str, FakeObject]
    users: dict[str, tuple[str, str]]  # username -> (password, security token)
    api_versions: tuple[str, ...] = ("58.0", "59.0", "62.0")

    @classmethod
    def from_model(cls, missing: tuple[str, ...] = ("Survey_Response__c",)) -> FakeOrg:
        """Every modelled object as describe shows it, empty, except those the org lacks."""
        objects = {
            o.api_name: FakeObject([{"name": f.api_name, "type": TYPE_NAMES.get(f.type, f.type),
                                     "custom": f.api_name.endswith("__c")} for f in o.fields])
            for o in OBJECTS if o.api_name not in missing
        }
        return cls(objects, {})

    @classmethod
    def from_export(cls, export: Path) -> FakeOrg:
        """Every modelled object, holding the records of an export folder's CSV files."""
        org = cls.from_model(missing=())
        for obj in OBJECTS:
            with open(export / f"{obj.api_name}.csv", newline="", encoding="utf-8") as handle:
                types = {f.api_name: f.type for f in obj.fields}
                org.objects[obj.api_name].records = [{name: _typed(value, types[name]) for name, value in row.items()}
                                                     for row in csv.DictReader(handle)]
        return org


def _typed(value: str, type_: str) -> object:
    """A CSV value of an export as the API serves it (the fake org holds Python values)."""
    if value == "":
        return None
    if type_ == "datetime":
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    if type_ == "date":
        return dt.date.fromisoformat(value)
    if type_ == "boolean":
        return value == "true"
    if type_ in ("currency", "number"):
        return float(value)
    return int(value) if type_ == "integer" else value


def _json_value(value: object) -> object:
    if isinstance(value, dt.datetime):  # the REST API's form
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    return value.isoformat() if isinstance(value, dt.date) else value


def _csv_value(value: object) -> str:
    if isinstance(value, dt.datetime):  # Bulk API 2.0's form
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


class FakeSalesforce:
    """The org served over HTTPS on 127.0.0.1; use as a context manager."""

    def __init__(self, org: FakeOrg, ca, page_size: int = 2000) -> None:
        self.org, self.page_size = org, page_size
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, str]] = []  # (method, Host header, path with query)
        self.sessions: set[str] = set()
        self._cursors: dict[str, list[dict]] = {}
        self._jobs: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "login.salesforce.com", "test.salesforce.com").configure_cert(context)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSalesforce:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def new_session(self) -> str:
        sid = f"00D000000000001!AQ{next(self._ids):04d}fakeSessionToken"
        self.sessions.add(sid)
        return sid

    def paths(self, fragment: str) -> list[str]:
        return [path for _, _, path in self.requests if fragment in path]

    # --- SOQL -------------------------------------------------------------------------------

    def run_soql(self, soql: str, include_deleted: bool, bulk: bool = False) -> tuple[list[str] | None, list[dict]]:
        """(selected field names, or None for COUNT(); matching records) or SoqlError."""
        m = SOQL.match(soql.strip())
        if not m:
            raise SoqlError("MALFORMED_QUERY", f"unexpected SOQL: {soql[:80]}")
        obj = self.org.objects.get(m["obj"])
        if obj is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{m['obj']}' is not supported.")
        known, types = obj.field_names(), {f["name"]: f["type"] for f in obj.fields}
        count = m["select"].strip().upper() == "COUNT()"
        names = None if count else [known.get(n.strip().lower()) or n.strip() for n in m["select"].split(",")]
        for n in names or []:
            if n not in types:
                raise SoqlError("INVALID_FIELD", f"No such column '{n}' on entity '{m['obj']}'.")
            if bulk and types[n] in ("address", "location"):
                raise SoqlError("API_ERROR", "compound fields are not supported in Bulk API 2.0")
        if bulk and (count or m["order"]):
            raise SoqlError("API_ERROR", "Bulk API 2.0 does not support COUNT() or ORDER BY")
        rows = [r for r in obj.records if include_deleted or not r.get("IsDeleted")]
        if m["since"]:
            if not SOQL_DATETIME.match(m["since"]):
                raise SoqlError("MALFORMED_QUERY", f"value of filter criterion is not a datetime: {m['since']}")
            since = dt.datetime.fromisoformat(m["since"].replace("Z", "+00:00")).replace(tzinfo=None)
            rows = [r for r in rows if r.get("SystemModstamp") and r["SystemModstamp"] > since]
        if m["order"]:
            rows.sort(key=lambda r: (r.get(known.get(m["order"].lower(), m["order"])) is None,
                                     r.get(known.get(m["order"].lower(), m["order"])) or 0))
        return names, rows

    def rest_page(self, ver: str, kind: str, obj: str, names: list[str], rows: list[dict], total: int) -> dict:
        page, rest = rows[: self.page_size], rows[self.page_size:]
        records = [{"attributes": {"type": obj, "url": f"/services/data/v{ver}/sobjects/{obj}/{r['Id']}"},
                    **{n: _json_value(r.get(n)) for n in names}} for r in page]
        body = {"totalSize": total, "done": not rest, "records": records}
        if rest:
            cursor = f"01g{next(self._ids):015d}-{total - len(rest)}"
            self._cursors[cursor] = [ver, kind, obj, names, rest, total]
            body["nextRecordsUrl"] = f"/services/data/v{ver}/{kind}/{cursor}"
        return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: object, content_type="application/json", headers=None) -> None:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake: FakeSalesforce = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urlparse(self.path)
        fake.requests.append((method, self.headers.get("Host", ""), self.path))
        for fault in fake.faults:
            if fault.path in url.path and fault.times != 0:
                fault.times = None if fault.times is None else fault.times - 1
                return self._send(fault.status, fault.body, headers=fault.headers)
        if m := re.fullmatch(r"/services/Soap/u/([\d.]+)", url.path):
            return self._login(fake, m[1], body)
        m = re.fullmatch(r"/services/data/v([\d.]+)/(.*)", url.path)
        if not m or m[1] not in fake.org.api_versions:
            return self._send(404, NOT_FOUND)
        if self.headers.get("Authorization", "").removeprefix("Bearer ") not in fake.sessions:
            return self._send(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        try:
            self._api(fake, method, m[1], m[2].rstrip("/"), parse_qs(url.query), body)
        except SoqlError as exc:
            self._send(400, exc.body)

    def _login(self, fake: FakeSalesforce, ver: str, body: str) -> None:
        def element(name):
            found = re.search(rf"<n1:{name}>(.*?)</n1:{name}>", body, re.S)
            return html.unescape(found[1]) if found else ""
        username, secret = element("username"), element("password")
        password, token = fake.org.users.get(username, (None, None))
        if password is not None and secret == password + token:
            base = f"https://127.0.0.1:{fake.port}"
            sid = fake.new_session()
            return self._send(200, SOAP_LOGIN.format(base=base, ver=ver, sid=sid, uid="005000000000001AAA"),
                              "text/xml")
        code, message = ("LOGIN_MUST_USE_SECURITY_TOKEN", "Invalid username, password, security token; or user "
                         "locked out. Are you at a new location?") if password is not None and token and \
            secret == password else ("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
        self._send(500, SOAP_FAULT.format(code=code, message=html.escape(message)), "text/xml")

    def _api(self, fake: FakeSalesforce, method: str, ver: str, rest: str, params: dict, body: str) -> None:
        if rest == "":
            return self._send(200, {"sobjects": f"/services/data/v{ver}/sobjects", "query": f"/services/data/v{ver}/query",
                                    "jobs": f"/services/data/v{ver}/jobs"})
        if m := re.fullmatch(r"sobjects/(\w+)/describe", rest):
            obj = fake.org.objects.get(m[1])
            if obj is None:
                return self._send(404, NOT_FOUND)
            return self._send(200, {"name": m[1], "queryable": True, "fields": obj.fields})
        if m := re.fullmatch(r"(query|queryAll)(?:/([\w-]+))?", rest):
            if m[2]:
                state = fake._cursors.pop(m[2], None)
                if state is None:
                    return self._send(400, [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid query locator"}])
                return self._send(200, fake.rest_page(*state))
            soql = params.get("q", [""])[0]
            names, rows = fake.run_soql(soql, include_deleted=m[1] == "queryAll")
            if names is None:
                return self._send(200, {"totalSize": len(rows), "done": True, "records": []})
            return self._send(200, fake.rest_page(ver, m[1], SOQL.match(soql.strip())["obj"], names, rows, len(rows)))
        if rest == "jobs/query" and method == "POST":
            spec = json.loads(body)
            names, rows = fake.run_soql(spec["query"], spec["operation"] == "queryAll", bulk=True)
            job = {"id": f"750{next(fake._ids):012d}AAA", "operation": spec["operation"], "state": "UploadComplete",
                   "object": SOQL.match(spec["query"].strip())["obj"], "contentType": "CSV", "apiVersion": float(ver),
                   "lineEnding": "LF", "columnDelimiter": "COMMA", "polls": 0, "names": names, "rows": rows}
            fake._jobs[job["id"]] = job
            return self._send(200, {k: v for k, v in job.items() if k not in ("polls", "names", "rows")})
        if m := re.fullmatch(r"jobs/query/(\w+)(/results)?", rest):
            job = fake._jobs.get(m[1])
            if job is None:
                return self._send(404, NOT_FOUND)
            if not m[2]:  # the first poll finds the job still running, as a real job would be
                job["polls"] += 1
                job["state"] = "InProgress" if job["polls"] == 1 else "JobComplete"
                return self._send(200, {k: v for k, v in job.items() if k not in ("polls", "names", "rows")})
            start = int(params.get("locator", ["0"])[0] or 0)
            size = int(params.get("maxRecords", ["50000"])[0])
            page = job["rows"][start:start + size]
            out = io.StringIO()
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(job["names"])
            writer.writerows([[_csv_value(r.get(n)) for n in job["names"]] for r in page])
            more = start + size < len(job["rows"])
            return self._send(200, out.getvalue(), "text/csv", {
                "Sforce-Locator": str(start + size) if more else "null", "Sforce-NumberOfRecords": str(len(page))})
        self._send(404, NOT_FOUND)
