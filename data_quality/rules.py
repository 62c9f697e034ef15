"""The data-quality rules of every raw Salesforce object, as Great Expectations expectations.

Row-level rules (a negative amount, an orphan owner, a future date) send the rows that break them
to quarantine; table-level rules (unique Ids) can only hold the run back. Foreign keys are checked
on helper columns `_fk_<column>` (true when the referenced record exists, NULL when the key is
empty) that the validation query joins in, so no expectation carries a million-value set. Row
conditions are GE's own condition objects (`Column(...)`), which its pandas, SQL and Spark engines
all read, so a suite means the same on every engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from data_quality.as_of import as_of_cutoff
from data_quality.sql import quote_ident
from orchestration.salesforce.objects import OBJECTS_BY_NAME, Field

SALESFORCE_ID_REGEX = r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$"
FORECAST_CATEGORIES = ["Omitted", "Pipeline", "BestCase", "MostLikely", "Forecast", "Closed"]
CALL_TYPES = ["Internal", "Inbound", "Outbound"]  # Task.CallType's fixed picklist
EARLIEST_DATE = dt.date(1990, 1, 1)  # CRM data older than this is a data-entry error


@dataclass(frozen=True)
class RuleContext:
    """What the rules of one run depend on: the org's configuration and the as-of date."""

    as_of: dt.date
    stages: tuple[str, ...]
    currencies: tuple[str, ...]  # the org's CurrencyType codes; empty in a single-currency org
    lead_statuses: tuple[str, ...]

    @property
    def cutoff(self) -> dt.datetime:
        return as_of_cutoff(self.as_of)


@dataclass(frozen=True)
class Rule:
    name: str
    build: Callable[[RuleContext], gxe.Expectation | None]  # None: not applicable to this org
    row_level: bool = True  # failing rows go to quarantine
    orphan: bool = False  # judged against the orphan tolerance, not the quarantine threshold


@dataclass(frozen=True)
class ForeignKey:
    column: str
    parent_table: str  # the raw table holding the referenced Ids


def _record_rules() -> list[Rule]:
    return [
        # the loader names what it could not read in `_parse_error` (file, line, column, rule)
        Rule("record_parses", lambda c: gxe.ExpectColumnValuesToBeNull(column="_parse_error")),
        Rule("id_not_null", lambda c: gxe.ExpectColumnValuesToNotBeNull(column="id")),
        Rule("id_shaped_like_a_salesforce_id",
             lambda c: gxe.ExpectColumnValuesToMatchRegex(column="id", regex=SALESFORCE_ID_REGEX)),
        Rule("id_unique", lambda c: gxe.ExpectColumnValuesToBeUnique(column="id"), row_level=False),
    ]


def _required(field: Field) -> Rule:
    """A field the KPIs need, empty: the record goes to quarantine, and the gate's sample names the
    file and line the loader found it on (`_source_location`), so no dbt test is the first to see it."""
    # A value the loader could not parse is NULL too, but record_parses already names it and why.
    return Rule(f"{field.column}_required", lambda c: gxe.ExpectColumnValuesToNotBeNull(
        column=field.column, row_condition=Column("_parse_error").is_null()))


def _exists(fk: ForeignKey) -> Rule:
    return Rule(f"{fk.column}_exists",
                lambda c: gxe.ExpectColumnValuesToBeInSet(column=f"_fk_{fk.column}", value_set=[True]),
                orphan=True)


def _not_future(column: str) -> Rule:
    return Rule(f"{column}_not_after_as_of",
                lambda c: gxe.ExpectColumnValuesToBeBetween(column=column, max_value=c.cutoff, strict_max=True))


def _not_negative(column: str) -> Rule:
    return Rule(f"{column}_not_negative", lambda c: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))


def _currency_known(column: str = "currency_iso_code") -> Rule:
    return Rule(f"{column}_in_currency_type", lambda c: gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=list(c.currencies)) if c.currencies else None)


@dataclass(frozen=True)
class ObjectRules:
    foreign_keys: tuple[ForeignKey, ...] = ()
    rules: tuple[Rule, ...] = ()

    def all_rules(self, object_name: str) -> list[Rule]:
        required = [_required(f) for f in OBJECTS_BY_NAME[object_name].fields if f.must_have_value]
        return _record_rules() + required + [_exists(fk) for fk in self.foreign_keys] + list(self.rules)


_OWNER = ForeignKey("owner_id", "user")
_FORECAST_CATEGORY_KNOWN = Rule("forecast_category_known", lambda c: gxe.ExpectColumnValuesToBeInSet(
    column="forecast_category", value_set=FORECAST_CATEGORIES))

OBJECT_RULES: dict[str, ObjectRules] = {
    "User": ObjectRules(),
    "UserRole": ObjectRules(),
    "Account": ObjectRules((_OWNER,), (_not_future("created_date"),)),
    "Contact": ObjectRules((ForeignKey("account_id", "account"),), (_not_future("created_date"),)),
    "Lead": ObjectRules((_OWNER,), (
        _not_future("created_date"),
        Rule("status_known", lambda c: gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(c.lead_statuses))),
        Rule("converted_lead_has_converted_date", lambda c: gxe.ExpectColumnValuesToNotBeNull(
            column="converted_date", row_condition=Column("is_converted") == True)),  # noqa: E712
    )),
    "Opportunity": ObjectRules((_OWNER, ForeignKey("account_id", "account")), (
        _not_negative("amount"),
        Rule("probability_between_0_and_100", lambda c: gxe.ExpectColumnValuesToBeBetween(
            column="probability", min_value=0, max_value=100)),
        Rule("stage_name_configured", lambda c: gxe.ExpectColumnValuesToBeInSet(
            column="stage_name", value_set=list(c.stages))),
        _FORECAST_CATEGORY_KNOWN,
        _currency_known(),
        _not_future("created_date"),
        # bounds as datetimes: the column arrives in pandas as timestamps, which do not compare with dates
        Rule("close_date_within_a_sane_window", lambda c: gxe.ExpectColumnValuesToBeBetween(
            column="close_date", min_value=dt.datetime.combine(EARLIEST_DATE, dt.time()),
            max_value=dt.datetime.combine(c.as_of.replace(year=c.as_of.year + 10), dt.time()))),
        Rule("is_won_implies_is_closed", lambda c: gxe.ExpectColumnValuesToBeInSet(
            column="is_closed", value_set=[True], row_condition=Column("is_won") == True)),  # noqa: E712
    )),
    "OpportunityHistory": ObjectRules((ForeignKey("opportunity_id", "opportunity"),), (
        _not_future("created_date"), _not_negative("amount"), _FORECAST_CATEGORY_KNOWN)),
    "Task": ObjectRules((_OWNER,), (
        _not_future("created_date"),
        Rule("call_type_known", lambda c: gxe.ExpectColumnValuesToBeInSet(column="call_type", value_set=CALL_TYPES)),
    )),
    "Event": ObjectRules((_OWNER,), (_not_future("created_date"),)),
    "Campaign": ObjectRules((), (_not_negative("actual_cost"), _not_negative("budgeted_cost"))),
    "CampaignMember": ObjectRules((ForeignKey("campaign_id", "campaign"),)),
    "ForecastingQuota": ObjectRules((ForeignKey("quota_owner_id", "user"),), (
        _not_negative("quota_amount"), _currency_known())),
    "CurrencyType": ObjectRules((), (
        Rule("conversion_rate_positive", lambda c: gxe.ExpectColumnValuesToBeBetween(
            column="conversion_rate", min_value=0, strict_min=True)),
        Rule("iso_code_unique", lambda c: gxe.ExpectColumnValuesToBeUnique(column="iso_code"), row_level=False),
    )),
    "EmailMessage": ObjectRules((), (_not_future("created_date"),)),
    "ContentDistribution": ObjectRules((ForeignKey("owner_id", "user"),)),
    "Survey_Response__c": ObjectRules((), (
        Rule("csat_between_1_and_5", lambda c: gxe.ExpectColumnValuesToBeBetween(column="csat_c", min_value=1, max_value=5)),
        Rule("nps_between_0_and_10", lambda c: gxe.ExpectColumnValuesToBeBetween(column="nps_c", min_value=0, max_value=10)),
    )),
}


def build_suite(object_name: str, table: str, context: RuleContext) -> tuple[gx.ExpectationSuite, dict[str, Rule]]:
    """The object's suite for this run, and its rules by name (each expectation's meta names its rule)."""
    rules: dict[str, Rule] = {}
    expectations = []
    for rule in OBJECT_RULES[object_name].all_rules(object_name):
        expectation = rule.build(context)
        if expectation is None:
            continue
        expectation.meta = {"rule": rule.name}
        expectations.append(expectation)
        rules[rule.name] = rule
    return gx.ExpectationSuite(name=f"raw.{table}", expectations=expectations), rules



def validation_tables(object_name: str, table: str, changed_since: dt.datetime | None = None) -> list[tuple[str, str]]:
    """The (schema, table) pairs `validation_query` reads: the raw table, its parents', and with
    `changed_since` its quarantine. An engine that runs the query elsewhere must hold them."""
    parents = sorted({fk.parent_table for fk in OBJECT_RULES[object_name].foreign_keys} - {table})
    read = [("raw", table), *(("raw", parent) for parent in parents)]
    return read + [("quarantine", table)] if changed_since is not None else read


def validation_query(object_name: str, table: str, changed_since: dt.datetime | None = None) -> str:
    """The rows to validate: the raw table with one `_fk_<column>` helper per foreign key; with
    `changed_since`, only the rows loaded after it and the rows in quarantine (see validation_scope)."""
    keys = OBJECT_RULES[object_name].foreign_keys
    helpers = "".join(
        f", case when t.{fk.column} is null then null else p{i}.id is not null end as _fk_{fk.column}"
        for i, fk in enumerate(keys)
    )
    joins = "".join(
        f" left join (select distinct id from raw.{quote_ident(fk.parent_table)}) as p{i} on p{i}.id = t.{fk.column}"
        for i, fk in enumerate(keys)
    )
    where = ""
    if changed_since is not None:
        # a datetime the pipeline stored itself, written as a typed literal (never input text)
        where = (f" where t._loaded_at > timestamp '{changed_since.isoformat(sep=' ')}'"
                 f" or t._row_number in (select _row_number from quarantine.{quote_ident(table)})")
    return f"select t.*{helpers} from raw.{quote_ident(table)} as t{joins}{where}"
