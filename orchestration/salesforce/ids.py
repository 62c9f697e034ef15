"""Salesforce record Ids: the 18-character case-safe form, and the empty-lookup sentinel.

Salesforce Ids come in two forms: 15 characters, case-sensitive (reports, the UI, older tools) and
18 characters, the same 15 plus a checksum of where the upper-case letters are (the API, Data
Export). Exports mix them, so the loader turns every 15-character Id into its 18-character twin, so
that the two join. Data Export writes an empty lookup as the all-zero Id; that is read as NULL.
"""

from __future__ import annotations

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"  # a 5-bit number: A-Z for 0-25, 0-5 for 26-31
EMPTY_ID_SENTINELS = ("000000000000000AAA", "000000000000000")


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character Id (Salesforce's algorithm): for each
    5-character chunk, bit i is set when its i-th character is an upper-case letter."""
    if len(id15) != 15:
        raise ValueError(f"a 15-character Salesforce Id is expected, got {id15!r}")
    suffix = []
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if "A" <= ch <= "Z")
        suffix.append(CHECKSUM_ALPHABET[bits])
    return "".join(suffix)


def _checksum_sql(value: str) -> str:
    chars = []
    for start in (0, 5, 10):
        bits = " + ".join(
            f"(case when ascii(substr({value}, {start + i + 1}, 1)) between 65 and 90 then {1 << i} else 0 end)"
            for i in range(5)
        )
        chars.append(f"substr('{CHECKSUM_ALPHABET}', 1 + {bits}, 1)")
    return " || ".join(chars)


def normalized_id_sql(value: str) -> str:
    """SQL for the Id in text expression `value`: NULL for the empty-lookup sentinel, 18 characters
    for a well-formed 15-character Id, anything else unchanged (the quality rules judge it)."""
    sentinels = ", ".join(f"'{s}'" for s in EMPTY_ID_SENTINELS)
    return (
        f"case when {value} in ({sentinels}) then null "
        f"when regexp_full_match({value}, '[0-9A-Za-z]{{15}}') then {value} || {_checksum_sql(value)} "
        f"else {value} end"
    )
