"""Accounts and contacts: those already in the org, and those created by converting leads.

A converted lead becomes an account, a contact and an opportunity in one transaction, so those three
records share the conversion timestamp and the lead's owner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_org import money, names
from demo_org.clock import (
    Timeline,
    audit_stamps,
    between,
    business_time,
    in_creation_order,
    pick_rows,
)
from demo_org.columns import Ref, Text, ref, text
from demo_org.ids import id_start
from demo_org.leads import Leads
from demo_org.team import Team
from orchestration.salesforce.objects import ACCOUNT, CONTACT

# Wide enough that (account, time) pairs sort as one int64 key.
_TIME_SPAN = 1 << 34
ACCOUNT_TYPES = ("Customer - Channel", "Customer - Direct", "Prospect",
                 "Channel Partner / Reseller", "Technology Partner", "Other")
_OTHER_TYPES = ACCOUNT_TYPES[3:]
COUNTRIES = tuple(c for code in money.CURRENCY_CODES for c in names.COUNTRIES_BY_CURRENCY[code])


@dataclass
class Accounts:
    id_start: int  # account i's Id counter is id_start + i
    created: np.ndarray
    owner: np.ndarray  # rep index
    currency: np.ndarray  # index into money.CURRENCY_CODES
    name: np.ndarray  # company name code (names.company_names)
    domain: np.ndarray  # company base code (names.DOMAINS)
    deleted: np.ndarray
    of_lead: np.ndarray  # account index of each converted lead (-1 for the others)
    columns: dict  # descriptive columns, finished into the table once deals are known

    @property
    def size(self) -> int:
        return self.created.size

    def refs(self, index: np.ndarray) -> Ref:
        return ref(ACCOUNT.id_prefix, self.id_start, index)


@dataclass
class Contacts:
    id_start: int
    created: np.ndarray
    account: np.ndarray
    deleted: np.ndarray
    of_lead: np.ndarray  # contact index of each converted lead (-1 for the others)
    email: np.ndarray  # address code (names.email_decoder)
    table: dict

    @property
    def size(self) -> int:
        return self.created.size

    def refs(self, index: np.ndarray) -> Ref:
        return ref(CONTACT.id_prefix, self.id_start, index)

    def pick(self, rng: np.random.Generator, account: np.ndarray, times: np.ndarray) -> np.ndarray:
        """A live contact of each account that existed at each time; -1 where there is none."""
        live = np.flatnonzero(~self.deleted)
        key = self.account[live] * _TIME_SPAN + self.created[live]
        order = np.argsort(key, kind="stable")
        live, key = live[order], key[order]
        # Contacts sorted by (account, created): those of an account created by a time are a range.
        first = np.searchsorted(key, account * _TIME_SPAN, side="left")
        count = np.searchsorted(key, account * _TIME_SPAN + times, side="right") - first
        chosen = first + (rng.random(account.size) * count).astype(np.int64)
        return np.where(count > 0, live[np.minimum(chosen, live.size - 1)], -1)


def build_accounts(
    rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads, scale: float, block: int = 0
) -> Accounts:
    target = round(1_500 * scale)
    conv = np.flatnonzero(leads.converted)
    n_base = max(target - conv.size, round(0.3 * target))
    # A third of the existing accounts came in with the org's initial data migration.
    migrated = rng.random(n_base) < 0.33
    base_days = np.where(
        migrated, tl.first_day + rng.integers(0, 3, n_base), tl.sample_days(rng, n_base, 0.3)
    )
    base_created = tl.clip(business_time(rng, base_days))
    company, domain = names.companies(rng, n_base)
    industry = names.pick(rng, names.INDUSTRIES, n_base, names.INDUSTRY_WEIGHTS)

    order, of_conv = in_creation_order(base_created, leads.converted_at[conv])
    created = np.concatenate([base_created, leads.converted_at[conv]])[order]
    owner = np.concatenate([team.pick_reps(rng, tl, base_created), leads.owner[conv]])[order]
    name = np.concatenate([company, leads.company[conv]])[order]
    domain = np.concatenate([domain, leads.domain[conv]])[order]
    industry = np.concatenate([industry, leads.industry[conv]])[order]
    n = created.size
    from_lead = np.zeros(n, bool)
    from_lead[of_conv] = True
    of_lead = np.full(leads.size, -1)
    of_lead[conv] = of_conv

    currency = money.pick_currencies(rng, n)
    country, state = billing(rng, currency)
    revenue_usd = rng.lognormal(np.log(20e6), 1.3, n)
    employees = np.maximum(1, revenue_usd / rng.uniform(150e3, 400e3, n)).astype(np.int64)
    revenue = np.round(revenue_usd * money.CONVERSION_RATES[currency], -3)
    # Accounts entered as duplicates get deleted; those are never the result of a conversion.
    deleted = pick_rows(rng, 0.03, ~from_lead)
    # Subsidiaries point at an older, live parent account.
    parent = (np.arange(n) * rng.random(n)).astype(np.int64)
    has_parent = (rng.random(n) < 0.05) & (np.arange(n) > 0) & ~deleted[parent]
    columns = {
        "Name": Text(name, names.company_names),
        "Industry": text(industry, names.INDUSTRIES),
        "BillingCountry": text(country, COUNTRIES),
        "BillingState": state,
        "AnnualRevenue": np.ma.array(revenue, mask=rng.random(n) < 0.1),
        "NumberOfEmployees": employees,
        "ParentId": np.ma.array(parent, mask=~has_parent),  # an index until the Ids are known
        "CurrencyIsoCode": money.codes(currency),
    }
    start = id_start(52_000_000, block)
    return Accounts(start, created, owner, currency, name, domain, deleted, of_lead, columns)


def billing(rng: np.random.Generator, currency: np.ndarray) -> tuple[np.ndarray, Text]:
    """A billing country (code into COUNTRIES) that fits the currency, and a state for US accounts."""
    n = currency.size
    country = np.empty(n, dtype=np.int64)
    offset = 0
    for i, code in enumerate(money.CURRENCY_CODES):  # four currencies, not rows
        rows = currency == i
        options = names.COUNTRIES_BY_CURRENCY[code]
        country[rows] = offset + names.pick(rng, options, int(rows.sum()))
        offset += len(options)
    state = names.pick(rng, names.US_STATES, n)
    return country, text(state, names.US_STATES, null=country != COUNTRIES.index("United States"))


def account_table(
    rng: np.random.Generator,
    tl: Timeline,
    team: Team,
    accounts: Accounts,
    has_won: np.ndarray,
    has_deal: np.ndarray,
    last_win: np.ndarray,
) -> dict:
    """The Account table; Type follows from the account's deals (customers have won one)."""
    n = accounts.size
    channel = rng.random(n) < 0.2
    account_type = np.select(
        [has_won & channel, has_won, has_deal | (rng.random(n) < 0.85)],
        [0, 1, 2],
        3 + names.pick(rng, _OTHER_TYPES, n),
    )
    cols = accounts.columns
    parent = cols["ParentId"]
    # Winning a deal makes the account a customer, which is an edit to the account.
    modified, modstamp = audit_stamps(
        rng, tl, accounts.created, floor=last_win, deleted=accounts.deleted
    )
    return {
        "Id": accounts.refs(np.arange(n)),
        "Name": cols["Name"],
        "Type": text(account_type, ACCOUNT_TYPES),
        "Industry": cols["Industry"],
        "BillingCountry": cols["BillingCountry"],
        "BillingState": cols["BillingState"],
        "AnnualRevenue": cols["AnnualRevenue"],
        "NumberOfEmployees": cols["NumberOfEmployees"],
        "OwnerId": team.rep_ref(accounts.owner),
        "ParentId": accounts.refs(parent.filled(0)).with_null(np.ma.getmaskarray(parent)),
        "CurrencyIsoCode": cols["CurrencyIsoCode"],
        "IsDeleted": accounts.deleted,
        "CreatedDate": accounts.created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }


def build_contacts(rng: np.random.Generator, tl: Timeline, team: Team, leads: Leads, accounts: Accounts,
                   scale: float, block: int = 0) -> Contacts:
    target = round(3_000 * scale)
    conv = np.flatnonzero(leads.converted)
    n_other = max(target - conv.size, round(0.3 * target))
    other_account = rng.integers(0, accounts.size, n_other)
    # Contacts are added over the account's life, mostly early on.
    acct_created = accounts.created[other_account]
    added_by = acct_created + (tl.latest - acct_created) * rng.random(n_other)
    other_created = between(rng, acct_created, added_by)
    first_o, last_o = names.person_names(rng, n_other)
    email_o = names.emails(first_o, last_o, accounts.domain[other_account])
    source_o = names.pick(rng, names.LEAD_SOURCES, n_other, names.LEAD_SOURCE_WEIGHTS)

    order, of_conv = in_creation_order(other_created, leads.converted_at[conv])
    created = np.concatenate([other_created, leads.converted_at[conv]])[order]
    account = np.concatenate([other_account, accounts.of_lead[conv]])[order]
    first = np.concatenate([first_o, leads.first[conv]])[order]
    last = np.concatenate([last_o, leads.last[conv]])[order]
    email = np.concatenate([email_o, leads.email[conv]])[order]
    source = np.concatenate([source_o, leads.source[conv]])[order]
    n = created.size
    from_lead = np.zeros(n, bool)
    from_lead[of_conv] = True
    of_lead = np.full(leads.size, -1)
    of_lead[conv] = of_conv
    # Deleting an account deletes its contacts; a few more are deleted on their own.
    deleted = accounts.deleted[account] | pick_rows(rng, 0.008, ~from_lead)
    modified, modstamp = audit_stamps(rng, tl, created, deleted=deleted)
    start = id_start(88_000_000, block)
    table = {
        "Id": ref(CONTACT.id_prefix, start, np.arange(n)),
        "AccountId": accounts.refs(account),
        "FirstName": text(first, names.FIRST_NAMES),
        "LastName": text(last, names.LAST_NAMES),
        "Name": names.full_names(first, last),
        "Email": Text(email, names.PERSON_EMAIL),
        "Title": text(names.pick(rng, names.CONTACT_TITLES, n), names.CONTACT_TITLES),
        "LeadSource": text(source, names.LEAD_SOURCES),
        "OwnerId": team.rep_ref(accounts.owner[account]),
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return Contacts(start, created, account, deleted, of_lead, email, table)
