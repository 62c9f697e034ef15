"""An independent pandas computation of extended company KPIs (kpi_sales_monthly, company rows).

Like kpi_reference.py it reads the export CSVs itself and follows the catalog's words, sharing no
code with dbt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from tests.support.kpi_reference import _bool, _month, _read, _ts


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~_bool(frame["IsDeleted"])] if "IsDeleted" in frame else frame


def reference_company_extended(export: Path, as_of: dt.date) -> pd.DataFrame:
    """Company KPIs by month: activity channels, email engagement, collateral, wins by amount,
    new customers, campaign responses, CSAT and NPS."""
    cutoff = pd.Timestamp(as_of + dt.timedelta(days=1))
    parts = []

    tasks = _live(_read(export, "Task"))
    tasks = tasks.assign(at=_ts(tasks["CreatedDate"]))
    tasks = tasks[(tasks["Status"] == "Completed") & (tasks["at"] < cutoff)]
    kind = tasks["Type"].fillna("").str.lower()
    subtype = tasks["TaskSubtype"].fillna("")
    social = (kind == "social") | tasks["Subject"].fillna("").str.lower().str.startswith("linkedin")
    calls = ~social & ((subtype == "Call") | (tasks["Type"] == "Call"))
    meetings = ~social & ~calls & ~((subtype == "Email") | (tasks["Type"] == "Email")) & (tasks["Type"] == "Meeting")
    events = _live(_read(export, "Event"))
    events = events.assign(at=_ts(events["StartDateTime"]))
    events = events[events["at"] < cutoff]
    parts.append(pd.DataFrame({"month": _month(tasks["at"]), "calls": calls.astype(int),
                               "meetings": meetings.astype(int), "social_touches": social.astype(int)}))
    parts.append(pd.DataFrame({"month": _month(events["at"]), "meetings": 1}))

    emails = _live(_read(export, "EmailMessage"))
    emails = emails.assign(at=_ts(emails["MessageDate"]), opened_at=_ts(emails["FirstOpenedDate"]))
    emails = emails[~_bool(emails["Incoming"]) & (emails["at"] < cutoff)]
    tracked = _bool(emails["IsTracked"])
    parts.append(pd.DataFrame({
        "month": _month(emails["at"]), "emails_sent": 1, "emails_tracked": tracked.astype(int),
        "emails_opened": (tracked & _bool(emails["IsOpened"]) & (emails["opened_at"] < cutoff)).astype(int),
        "emails_clicked": (tracked & (emails["ClickCount"].astype(float).fillna(0) > 0)).astype(int),
    }))

    rates = _read(export, "CurrencyType").set_index("IsoCode")["ConversionRate"].astype(float)
    opps = _live(_read(export, "Opportunity"))
    rate = opps["CurrencyIsoCode"].map(rates).where(opps["CurrencyIsoCode"].notna(), 1.0)
    opps = opps.assign(amount=opps["Amount"].astype(float).fillna(0) / rate, created=_ts(opps["CreatedDate"]),
                       close=pd.to_datetime(opps["CloseDate"]), won=_bool(opps["IsWon"]),
                       closed=_bool(opps["IsClosed"]))
    links = _read(export, "ContentDistribution")
    linked = set(links.loc[_ts(links["CreatedDate"]) < cutoff, "RelatedRecordId"])
    created = opps[opps["created"] < cutoff]
    parts.append(pd.DataFrame({"month": _month(created["created"]), "opportunities_created": 1,
                               "opportunities_with_collateral": created["Id"].isin(linked).astype(int)}))
    closed = opps[opps["closed"] & (opps["close"] <= pd.Timestamp(as_of))]
    parts.append(pd.DataFrame({"month": _month(closed["close"]),
                               "bookings_amount": closed["amount"].where(closed["won"], 0.0),
                               "lost_amount": closed["amount"].where(~closed["won"], 0.0)}))
    wins = closed[closed["won"] & closed["AccountId"].notna()].sort_values(["close", "created", "Id"])
    first = wins.drop_duplicates("AccountId")
    parts.append(pd.DataFrame({"month": _month(first["close"]), "new_customers": 1}))

    members = _live(_read(export, "CampaignMember"))
    responded = members[_bool(members["HasResponded"])]
    responded = responded[pd.to_datetime(responded["FirstRespondedDate"]) <= pd.Timestamp(as_of)]
    parts.append(pd.DataFrame({"month": _month(pd.to_datetime(responded["FirstRespondedDate"])),
                               "campaign_responses": 1}))

    surveys = _live(_read(export, "Survey_Response__c"))
    surveys = surveys.assign(at=_ts(surveys["Responded_At__c"]))
    surveys = surveys[surveys["at"] < cutoff]
    csat, nps = surveys["CSAT__c"].astype(float), surveys["NPS__c"].astype(float)
    parts.append(pd.DataFrame({
        "month": _month(surveys["at"]), "csat_responses": csat.notna().astype(int), "csat_total": csat.fillna(0),
        "nps_responses": nps.notna().astype(int), "promoters": (nps >= 9).astype(int),
        "detractors": (nps <= 6).astype(int),
    }))

    totals = pd.concat(parts).fillna(0).groupby("month").sum()
    out = pd.DataFrame(index=totals.index)
    for column in ("calls", "meetings", "social_touches", "emails_sent", "emails_tracked", "emails_opened",
                   "emails_clicked", "opportunities_with_collateral", "new_customers", "campaign_responses",
                   "bookings_amount", "lost_amount"):
        out[column] = totals[column]
    out["email_open_rate"] = totals["emails_opened"] / totals["emails_tracked"].where(totals["emails_tracked"] > 0)
    out["collateral_usage_rate"] = totals["opportunities_with_collateral"] / totals["opportunities_created"].where(
        totals["opportunities_created"] > 0)
    closed_amount = totals["bookings_amount"] + totals["lost_amount"]
    out["win_rate_by_amount"] = totals["bookings_amount"] / closed_amount.where(closed_amount != 0)
    out["avg_csat"] = totals["csat_total"] / totals["csat_responses"].where(totals["csat_responses"] > 0)
    out["nps"] = 100 * (totals["promoters"] - totals["detractors"]) / totals["nps_responses"].where(
        totals["nps_responses"] > 0)
    return out.reset_index()
