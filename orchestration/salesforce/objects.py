"""The Salesforce objects the pipeline models, with the fields it reads and their types.

This is the one place that says what a raw table looks like. The ingest step uses it to type and
validate export files, the demo generator to write them, and the tests to build fixtures. Fields are
named by their Salesforce API names; raw tables use Fivetran's snake_case names (see `snake_case`), so
the dbt project also runs on a Fivetran-synced schema.

Only the fields a KPI, a check or a join needs are `required`; every other column of an export (custom
`__c` fields included) is still loaded, as text, so analysts can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["id", "string", "boolean", "datetime", "date", "currency", "number", "integer"]

# DuckDB types of the raw tables. Datetimes are UTC wall-clock TIMESTAMPs: Salesforce stores UTC and a
# naive UTC timestamp keeps every reader (dbt, BI tools, pandas) free of session-timezone surprises.
DUCKDB_TYPES: dict[FieldType, str] = {
    "id": "VARCHAR",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "date": "DATE",
    "currency": "DECIMAL(18,2)",
    "number": "DOUBLE",
    "integer": "BIGINT",
}


@dataclass(frozen=True)
class Field:
    api_name: str
    type: FieldType
    required: bool = False  # a KPI, a check or a join needs it: the file must have the column
    # May a required field be empty? Only where Salesforce allows it and the KPIs say what an empty
    # value means; every other required field is checked not-null at validation.
    nullable: bool = False

    @property
    def must_have_value(self) -> bool:
        """Records with this field empty go to quarantine (rule `<column>_required`)."""
        return self.required and not self.nullable and self.api_name != "Id"  # Ids: `id_not_null`

    @property
    def column(self) -> str:
        """The raw-table column name (Fivetran style)."""
        return snake_case(self.api_name)

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class SObject:
    api_name: str
    fields: tuple[Field, ...]
    required: bool = False  # must the export contain this object at all?
    id_prefix: str | None = None  # the 3-character key prefix of its record Ids
    # Has the compound person name (User, Contact, Lead): `Name` is composed of `NAME_PARTS`, and
    # Data Export writes the parts only, so the loader composes Name when a file has none.
    person_name: bool = False

    @property
    def table(self) -> str:
        """The raw-table name (Fivetran style): `OpportunityHistory` -> `opportunity_history`."""
        return snake_case(self.api_name)

    @property
    def required_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    def field(self, api_name: str) -> Field:
        return next(f for f in self.fields if f.api_name == api_name)


# The parts of a person's compound `Name`, in the order Salesforce joins them (with one space,
# skipping empty parts): the Object Reference defines Contact's and Lead's Name as "Concatenation
# of FirstName, MiddleName, LastName, and Suffix", so a Salutation is not part of it. MiddleName
# and Suffix exist only where the org enables them.
NAME_PARTS = ("FirstName", "MiddleName", "LastName", "Suffix")


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """Fivetran's column naming: `SystemModstamp` -> `system_modstamp`, `NPS__c` -> `nps_c`.

    Already snake_case names pass through unchanged, so both header styles map to one column.
    """
    name = name.strip()
    name = _CAMEL_BOUNDARY.sub("_", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    return re.sub(r"_+", "_", name).strip("_").lower()


def _f(api_name: str, type_: FieldType = "string", required: bool = False, nullable: bool = False) -> Field:
    return Field(api_name, type_, required, nullable)


# Audit fields most objects carry. SystemModstamp changes on every write (including deletes), so it
# is the watermark and the freshness clock.
_AUDIT = (
    _f("IsDeleted", "boolean"),
    _f("CreatedDate", "datetime"),
    _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
)

USER = SObject("User", (
    _f("Id", "id", True), _f("Username"), _f("Name", required=True), _f("FirstName"), _f("LastName"),
    _f("Email"), _f("Title"), _f("Department"), _f("UserRoleId", "id"), _f("ManagerId", "id"),
    _f("IsActive", "boolean"), _f("UserType"), _f("CreatedDate", "datetime"),
    _f("LastModifiedDate", "datetime"), _f("SystemModstamp", "datetime"),
), required=True, id_prefix="005", person_name=True)

USER_ROLE = SObject("UserRole", (
    _f("Id", "id", True), _f("Name", required=True), _f("DeveloperName"), _f("ParentRoleId", "id"),
    _f("LastModifiedDate", "datetime"), _f("SystemModstamp", "datetime"),
), id_prefix="00E")

ACCOUNT = SObject("Account", (
    _f("Id", "id", True), _f("Name", required=True), _f("Type"), _f("Industry"),
    _f("BillingCountry"), _f("BillingState"), _f("AnnualRevenue", "currency"),
    _f("NumberOfEmployees", "integer"), _f("OwnerId", "id"), _f("ParentId", "id"),
    _f("CurrencyIsoCode"), *_AUDIT,
), id_prefix="001")

CONTACT = SObject("Contact", (
    _f("Id", "id", True), _f("AccountId", "id"), _f("FirstName"), _f("LastName"), _f("Name"),
    _f("Email"), _f("Title"), _f("LeadSource"), _f("OwnerId", "id"), *_AUDIT,
), id_prefix="003", person_name=True)

LEAD = SObject("Lead", (
    _f("Id", "id", True), _f("FirstName"), _f("LastName"), _f("Name"), _f("Company"), _f("Email"),
    _f("Status", required=True), _f("LeadSource"), _f("Industry"), _f("OwnerId", "id", True),
    _f("IsConverted", "boolean", True), _f("ConvertedDate", "date"), _f("ConvertedAccountId", "id"),
    _f("ConvertedContactId", "id"), _f("ConvertedOpportunityId", "id"),
    _f("IsDeleted", "boolean"), _f("CreatedDate", "datetime", True),
    _f("LastModifiedDate", "datetime"), _f("SystemModstamp", "datetime"),
), id_prefix="00Q", person_name=True)

OPPORTUNITY = SObject("Opportunity", (
    _f("Id", "id", True), _f("Name"), _f("AccountId", "id"), _f("OwnerId", "id", True),
    _f("StageName", required=True),
    # Salesforce does not require an Amount: a deal without one still counts, value KPIs skip it.
    _f("Amount", "currency", True, nullable=True), _f("Probability", "number"),
    _f("CloseDate", "date", True), _f("Type"), _f("LeadSource"), _f("ForecastCategory"),
    _f("ForecastCategoryName"), _f("IsClosed", "boolean", True), _f("IsWon", "boolean", True),
    _f("CampaignId", "id"), _f("CurrencyIsoCode"), _f("IsDeleted", "boolean"),
    _f("CreatedDate", "datetime", True), _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
), required=True, id_prefix="006")

OPPORTUNITY_HISTORY = SObject("OpportunityHistory", (
    _f("Id", "id", True), _f("OpportunityId", "id", True), _f("StageName", required=True),
    _f("Amount", "currency"), _f("Probability", "number"), _f("CloseDate", "date"),
    _f("ExpectedRevenue", "currency"), _f("ForecastCategory"), _f("CreatedById", "id"),
    _f("IsDeleted", "boolean"), _f("CreatedDate", "datetime", True), _f("SystemModstamp", "datetime"),
), id_prefix="008")

TASK = SObject("Task", (
    _f("Id", "id", True), _f("WhoId", "id"), _f("WhatId", "id"), _f("OwnerId", "id", True),
    _f("Subject"), _f("Status"), _f("Priority"), _f("ActivityDate", "date"), _f("Type"),
    _f("TaskSubtype"), _f("CallType"), _f("CallDurationInSeconds", "integer"),
    _f("IsClosed", "boolean"), _f("IsDeleted", "boolean"), _f("CreatedDate", "datetime", True),
    _f("LastModifiedDate", "datetime"), _f("SystemModstamp", "datetime"),
), id_prefix="00T")

EVENT = SObject("Event", (
    _f("Id", "id", True), _f("WhoId", "id"), _f("WhatId", "id"), _f("OwnerId", "id", True),
    _f("Subject"), _f("Type"), _f("EventSubtype"), _f("StartDateTime", "datetime", True),
    _f("EndDateTime", "datetime"), _f("DurationInMinutes", "integer"), _f("ActivityDate", "date"),
    *_AUDIT,
), id_prefix="00U")

CAMPAIGN = SObject("Campaign", (
    _f("Id", "id", True), _f("Name", required=True), _f("Type"), _f("Status"),
    _f("StartDate", "date"), _f("EndDate", "date"), _f("BudgetedCost", "currency"),
    _f("ActualCost", "currency"), _f("ExpectedRevenue", "currency"), _f("IsActive", "boolean"),
    _f("ParentId", "id"), _f("OwnerId", "id"), *_AUDIT,
), id_prefix="701")

CAMPAIGN_MEMBER = SObject("CampaignMember", (
    _f("Id", "id", True), _f("CampaignId", "id", True), _f("LeadId", "id"), _f("ContactId", "id"),
    _f("Status"), _f("HasResponded", "boolean", True), _f("FirstRespondedDate", "date"),
    *_AUDIT,
), id_prefix="00v")

FORECASTING_QUOTA = SObject("ForecastingQuota", (
    _f("Id", "id", True), _f("QuotaOwnerId", "id", True), _f("StartDate", "date", True),
    _f("QuotaAmount", "currency", True), _f("QuotaQuantity", "number"), _f("ForecastingTypeId", "id"),
    _f("CurrencyIsoCode"), _f("IsAmount", "boolean"), _f("IsQuantity", "boolean"),
    _f("CreatedDate", "datetime"), _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
), id_prefix="0J9")

CURRENCY_TYPE = SObject("CurrencyType", (
    _f("Id", "id", True), _f("IsoCode", required=True), _f("ConversionRate", "number", True),
    _f("DecimalPlaces", "integer"), _f("IsActive", "boolean"), _f("IsCorporate", "boolean", True),
    _f("CreatedDate", "datetime"), _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
), id_prefix="01L")

# Engagement: sales e-mails with their open/click tracking, shared sales content, and customer
# surveys (CSAT/NPS). ParentId of an EmailMessage is the Case of Email-to-Case; ClickCount is not
# a standard field but one most e-mail tracking tools add, so it is declared like one.
EMAIL_MESSAGE = SObject("EmailMessage", (
    _f("Id", "id", True), _f("ParentId", "id"), _f("ActivityId", "id"), _f("RelatedToId", "id"),
    _f("Subject"), _f("FromAddress"), _f("ToAddress"), _f("Incoming", "boolean"), _f("Status"),
    _f("MessageDate", "datetime"), _f("IsTracked", "boolean"), _f("IsOpened", "boolean"),
    _f("FirstOpenedDate", "datetime"), _f("LastOpenedDate", "datetime"), _f("IsBounced", "boolean"),
    _f("ClickCount", "integer"), _f("CreatedById", "id"), _f("IsDeleted", "boolean"),
    _f("CreatedDate", "datetime", True), _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
), id_prefix="02s")

# ContentDistribution has no IsDeleted: a deleted link simply disappears from the export.
CONTENT_DISTRIBUTION = SObject("ContentDistribution", (
    _f("Id", "id", True), _f("Name"), _f("ContentVersionId", "id"),
    _f("RelatedRecordId", "id", True), _f("OwnerId", "id"), _f("ViewCount", "integer"),
    _f("FirstViewDate", "datetime"), _f("LastViewDate", "datetime"),
    _f("CreatedDate", "datetime", True), _f("LastModifiedDate", "datetime"),
    _f("SystemModstamp", "datetime"),
), id_prefix="05D")

# A custom object, as most orgs capture CSAT/NPS; its key prefix is org-specific.
SURVEY_RESPONSE = SObject("Survey_Response__c", (
    _f("Id", "id", True), _f("Name"), _f("Account__c", "id"), _f("Opportunity__c", "id"),
    _f("Contact__c", "id"), _f("Survey_Type__c"), _f("CSAT__c", "integer"), _f("NPS__c", "integer"),
    _f("Responded_At__c", "datetime", True), _f("Comment__c"), _f("OwnerId", "id"), *_AUDIT,
), id_prefix="a0S")

OBJECTS: tuple[SObject, ...] = (
    USER, USER_ROLE, ACCOUNT, CONTACT, LEAD, OPPORTUNITY, OPPORTUNITY_HISTORY, TASK, EVENT,
    CAMPAIGN, CAMPAIGN_MEMBER, FORECASTING_QUOTA, CURRENCY_TYPE,
    EMAIL_MESSAGE, CONTENT_DISTRIBUTION, SURVEY_RESPONSE,
)
OBJECTS_BY_NAME: dict[str, SObject] = {o.api_name: o for o in OBJECTS}

# Salesforce's default opportunity stages with their default probability (0-100, as Salesforce
# stores it), ForecastCategory API value (the label of "Forecast" is "Commit") and closed/won flags. Orgs with custom stages configure their own.
DEFAULT_STAGES: tuple[tuple[str, int, str, bool, bool], ...] = (
    ("Prospecting", 10, "Pipeline", False, False),
    ("Qualification", 10, "Pipeline", False, False),
    ("Needs Analysis", 20, "Pipeline", False, False),
    ("Value Proposition", 50, "Pipeline", False, False),
    ("Id. Decision Makers", 60, "Pipeline", False, False),
    ("Perception Analysis", 70, "Pipeline", False, False),
    ("Proposal/Price Quote", 75, "Pipeline", False, False),
    ("Negotiation/Review", 90, "Forecast", False, False),
    ("Closed Won", 100, "Closed", True, True),
    ("Closed Lost", 0, "Omitted", True, False),
)
