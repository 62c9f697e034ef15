"""An independent computation of the contract KPIs, with pandas, straight from the export files.

It shares no code with the dbt models: it reads the CSVs itself and follows the KPI contract's
words, so a disagreement with the published marts is a bug in one of the two.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

EMPTY_LOOKUP = "000000000000000AAA"  # how Data Export writes an empty lookup (tests/fixtures/salesforce_data_export/README.md)


def _read(export: Path, name: str) -> pd.DataFrame:
    """The object's file, its name in any case (Data Export writes `user.csv` as well as `User.csv`)."""
    path = next((p for p in export.iterdir() if p.name.lower() == f"{name.lower()}.csv"), None)
    if path is None:
        raise FileNotFoundError(f"{export} has no {name}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)


def _rates(export: Path) -> pd.Series:
    """Conversion rates by ISO code; none in a single-currency org, which exports no CurrencyType."""
    try:
        return _read(export, "CurrencyType").set_index("IsoCode")["ConversionRate"].astype(float)
    except FileNotFoundError:
        return pd.Series(dtype=float)


def _rate(frame: pd.DataFrame, rates: pd.Series) -> pd.Series:
    """Each record's rate to the corporate currency: 1 without a currency (a single-currency org's
    records have no CurrencyIsoCode column at all)."""
    if "CurrencyIsoCode" not in frame:
        return pd.Series(1.0, index=frame.index)
    return frame["CurrencyIsoCode"].map(rates).where(frame["CurrencyIsoCode"].notna(), 1.0).astype(float)


def _bool(series: pd.Series) -> pd.Series:
    return series.fillna("false").str.lower().isin(["true", "1"])


def _ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_localize(None)


def _month(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.to_timestamp().dt.date


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).astype(float)


def reference_kpis(export: Path, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rep mart, company mart) as the contract defines them, for the export and as-of date."""
    cutoff = pd.Timestamp(as_of + dt.timedelta(days=1))
    rates = _rates(export)

    opps = _read(export, "Opportunity")
    opps = opps[~_bool(opps["IsDeleted"])].copy()
    opps["amount"] = opps["Amount"].astype(float)
    opps["amount_corp"] = opps["amount"] / _rate(opps, rates)
    opps["created"] = _ts(opps["CreatedDate"])
    opps["close"] = pd.to_datetime(opps["CloseDate"])
    opps["won"] = _bool(opps["IsWon"])
    opps["lost"] = _bool(opps["IsClosed"]) & ~opps["won"]
    opps["cycle"] = (opps["close"] - opps["created"].dt.normalize()).dt.days

    created = opps[opps["created"] < cutoff]
    created = created.assign(month=_month(created["created"]), owner_id=created["OwnerId"])
    closed = opps[(opps["won"] | opps["lost"]) & (opps["close"] <= pd.Timestamp(as_of))]
    closed = closed.assign(
        month=_month(closed["close"]),
        owner_id=closed["OwnerId"],
        bookings=np.where(closed["won"], closed["amount_corp"].fillna(0), 0.0),
        won_with_amount=closed["won"] & closed["amount"].notna(),
        won_cycle=closed["cycle"].where(closed["won"]),
    )

    leads = _read(export, "Lead")
    leads = leads[~_bool(leads["IsDeleted"])].copy()
    leads["created"] = _ts(leads["CreatedDate"])
    leads = leads[leads["created"] < cutoff]
    tasks = _read(export, "Task")
    tasks = tasks[~_bool(tasks["IsDeleted"]) & (tasks["Status"] == "Completed")]
    events = _read(export, "Event")
    events = events[~_bool(events["IsDeleted"])]
    acts = pd.concat([
        pd.DataFrame({"Id": tasks["WhoId"], "at": _ts(tasks["CreatedDate"])}),
        pd.DataFrame({"Id": events["WhoId"], "at": _ts(events["StartDateTime"])}),
    ])
    acts = acts.merge(leads[["Id", "created"]], on="Id")
    acts = acts[(acts["at"] >= acts["created"]) & (acts["at"] < cutoff)]
    per_lead = acts.groupby("Id").agg(n=("at", "size"), first=("at", "min"))
    leads = leads.merge(per_lead, left_on="Id", right_index=True, how="left")
    leads["n"] = leads["n"].fillna(0)
    leads["hours"] = (leads["first"] - leads["created"]).dt.total_seconds() / 3600
    leads = leads.assign(
        month=_month(leads["created"]), converted=_bool(leads["IsConverted"]),
        contacted=leads["n"] >= 1, followed=leads["n"] >= 2,
    )

    quotas = _read(export, "ForecastingQuota")
    quotas["start"] = pd.to_datetime(quotas["StartDate"])
    quotas = quotas[quotas["start"] <= pd.Timestamp(as_of)]
    quotas = quotas.assign(month=_month(quotas["start"]),
                           quota=quotas["QuotaAmount"].astype(float) / _rate(quotas, rates))

    def assemble(keys: list[str]) -> pd.DataFrame:
        lead_m = leads.assign(owner_id=leads["OwnerId"]).groupby(keys).agg(
            leads_created=("Id", "size"), leads_converted=("converted", "sum"),
            leads_contacted=("contacted", "sum"), followed=("followed", "sum"),
            median_lead_response_hours=("hours", "median"),
        )
        created_m = created.groupby(keys).agg(
            opportunities_created=("Id", "size"),
            pipeline_created_amount=("amount_corp", lambda s: s.fillna(0).sum()),
        )
        closed_m = closed.groupby(keys).agg(
            opportunities_won=("won", "sum"), opportunities_lost=("lost", "sum"),
            bookings_amount=("bookings", "sum"), won_with_amount=("won_with_amount", "sum"),
            avg_sales_cycle_days=("won_cycle", "mean"),
        )
        quota_m = quotas.assign(owner_id=quotas["QuotaOwnerId"]).groupby(keys).agg(quota_amount=("quota", "sum"))
        out = lead_m.join([created_m, closed_m, quota_m], how="outer")
        if keys == ["month"]:
            months = pd.period_range(min(out.index), as_of, freq="M").to_timestamp().date
            out = out.reindex(pd.Index(months, name="month"))
        counts = ["leads_created", "leads_converted", "leads_contacted", "followed", "opportunities_created",
                  "opportunities_won", "opportunities_lost", "won_with_amount"]
        amounts = ["pipeline_created_amount", "bookings_amount", "quota_amount"]
        out[counts] = out[counts].fillna(0).astype("int64")
        out[amounts] = out[amounts].fillna(0.0).astype(float)
        out["lead_conversion_rate"] = _ratio(out["leads_converted"], out["leads_created"])
        out["rate_of_contact"] = _ratio(out["leads_contacted"], out["leads_created"])
        out["rate_of_follow_up"] = _ratio(out["followed"], out["leads_contacted"])
        out["win_rate"] = _ratio(out["opportunities_won"], out["opportunities_won"] + out["opportunities_lost"])
        out["avg_deal_size"] = _ratio(out["bookings_amount"], out["won_with_amount"])
        out["quota_attainment"] = _ratio(out["bookings_amount"], out["quota_amount"])
        if keys != ["month"]:
            nonzero = out[counts].sum(axis=1) > 0
            out = out[nonzero | (out["quota_amount"] != 0)]
        return out.drop(columns=["followed", "won_with_amount"]).reset_index()

    reps = assemble(["month", "owner_id"])
    # A rep's team is led by their manager; a rep with no manager, or not in User, is a team of their own.
    users = _read(export, "User")
    managers = users.set_index("Id")["ManagerId"].replace(EMPTY_LOOKUP, "").fillna("")
    manager = reps["owner_id"].map(managers).fillna("")
    reps.insert(2, "team_id", manager.where(manager != "", reps["owner_id"]))
    return reps, assemble(["month"])
