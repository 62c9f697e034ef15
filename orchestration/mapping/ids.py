"""Deterministic Salesforce-shaped record Ids for CRMs that key records by name or number.

HubSpot, Pipedrive and spreadsheet exports identify an account by its name and a deal by its own
number. The pipeline's rules want Salesforce Ids: 15 base-62 characters that start with the object's
3-character key prefix, plus Salesforce's 3-character case-safe checksum. `salesforce_id` derives one
from a hash of the key, so the same key always gives the same Id (across runs and machines), two
different keys practically never collide, and a reference (Opportunity.AccountId) computed from the
same key as the record's own Id (Account.Id) matches it.
"""

from __future__ import annotations

import hashlib
import re

import duckdb
from duckdb.sqltypes import VARCHAR

from orchestration.salesforce.ids import checksum

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PREFIX = re.compile(r"^[0-9A-Za-z]{3}$")
# Joins the parts of a composite key; a unit separator cannot occur in ordinary CRM text, so
# ('a b', 'c') and ('a', 'b c') stay different keys.
KEY_SEPARATOR = "\x1f"
# The name the expressions' `salesforce_id(...)` calls are compiled to. Users cannot call it
# directly: only `salesforce_id` is on the expression whitelist.
SQL_FUNCTION = "__crm_mapping_salesforce_id"


def is_key_prefix(prefix: object) -> bool:
    return isinstance(prefix, str) and bool(_PREFIX.match(prefix))


def salesforce_id(prefix: str, *key_parts: object) -> str | None:
    """The 18-character Id of the record keyed by `key_parts`, e.g. `salesforce_id('006', 'AB12')`.

    None when any part is None (an empty reference stays empty). Parts are compared as text.
    """
    if not is_key_prefix(prefix):
        raise ValueError(f"a key prefix is 3 letters or digits, like '006', not {prefix!r}")
    if not key_parts or any(part is None for part in key_parts):
        return None
    key = KEY_SEPARATOR.join(str(part) for part in key_parts)
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:16], "big")
    body = ""
    for _ in range(12):  # 62**12 ≈ 3e21 distinct bodies per prefix
        number, digit = divmod(number, 62)
        body += BASE62[digit]
    id15 = prefix + body
    return id15 + checksum(id15)


def _sql_salesforce_id(prefix: str | None, parts: list[str | None] | None) -> str | None:
    if prefix is None or parts is None:
        return None
    return salesforce_id(prefix, *parts)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make the compiled `salesforce_id` calls callable on `con`."""
    con.create_function(
        SQL_FUNCTION, _sql_salesforce_id, [VARCHAR, duckdb.list_type(VARCHAR)], VARCHAR,
        null_handling="special", side_effects=False,
    )
