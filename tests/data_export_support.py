"""Turn a generated export into what Salesforce's Data Export service writes, for a partial,
single-currency org.

Data Export writes one CSV per object with every field, booleans as 1/0, datetimes as
`YYYY-MM-DD HH:MM:SS` (UTC, whole seconds), an empty lookup as the all-zero Id, and file names in
whatever case. Tools between the org and the pipeline add their own habits: 15-character Ids,
CRLF line endings, a byte-order mark. The canonical twin is the same org in the generator's own
format, which the independent KPI reference reads.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

from orchestration.salesforce.objects import OBJECTS_BY_NAME

MISSING = ("Task", "Event", "CampaignMember", "ForecastingQuota", "CurrencyType")  # an org that does not use them
FILE_NAMES = {"Account": "account.csv", "Opportunity": "OPPORTUNITY.csv", "OpportunityHistory": "OpportunityHistory.csv",
              "User": "user.csv", "Lead": "Lead.csv", "Contact": "contact.csv"}
_MILLIS = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$")


def _read(export: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(export / f"{name}.csv", dtype=str, keep_default_na=False)


def write_partial_org(generated: Path, canonical: Path, data_export: Path) -> None:
    """`canonical`: the org without the MISSING objects (header-only files), in one currency, at
    whole seconds. `data_export`: the same org as Data Export writes it, with those files absent."""
    shutil.copytree(generated, canonical)
    data_export.mkdir()
    for path in sorted(canonical.glob("*.csv")):
        name = path.stem
        frame = _read(canonical, name)
        if name in MISSING:
            frame.head(0).to_csv(path, index=False)
            continue
        if "CurrencyIsoCode" in frame:
            frame["CurrencyIsoCode"] = ""  # one currency: converts at rate 1
        fields = {f.api_name: f.type for f in OBJECTS_BY_NAME[name].fields}
        for column in frame.columns:
            if fields.get(column) == "datetime":
                frame[column] = frame[column].str.replace(_MILLIS, r"\1T\2Z", regex=True)
        frame.to_csv(path, index=False)
        _as_data_export(name, frame, fields).to_csv(
            data_export / FILE_NAMES.get(name, f"{name}.csv"), index=False, lineterminator="\r\n",
            encoding="utf-8-sig" if name == "Lead" else "utf-8")
    (data_export / "Attachment.csv").write_text("Id,ParentId,Name\r\n00P000000000001AAA,001000000000001AAA,a.pdf\r\n")
    (data_export / "Note.csv").write_text("Id,ParentId,Title\r\n002000000000001AAA,001000000000001AAA,call\r\n")


def _as_data_export(name: str, frame: pd.DataFrame, fields: dict[str, str]) -> pd.DataFrame:
    frame = frame.drop(columns=["CurrencyIsoCode"], errors="ignore").copy()
    for column in frame.columns:
        kind = fields.get(column)
        if kind == "boolean":
            frame[column] = frame[column].map({"true": "1", "false": "0", "": ""})
        elif kind == "datetime":
            frame[column] = frame[column].str.replace(_MILLIS, r"\1 \2", regex=True)
        elif kind == "id" and column != "Id":
            frame[column] = frame[column].replace("", "000000000000000AAA")
    if name == "Opportunity":
        frame["OwnerId"] = frame["OwnerId"].str[:15]  # from a report: 15 characters
        frame["Region__c"] = "EMEA"  # a custom field
    return frame
