"""Salesforce-shaped record Ids: 15-character Ids and their 18-character case-safe form.

A Salesforce Id is case-sensitive in its 15-character form; the 18-character form appends a
3-character checksum of where the uppercase letters are, so tools that ignore case can still tell
two Ids apart. Exports (and Fivetran) use the 18-character form, so the demo org does too.

The generator keeps Ids as integer counters (key prefix + pod + base62 counter) and only spells them
out when a batch is written, as an (n, 18) byte matrix that becomes an Arrow string array without a
per-row Python or unicode step.
"""

from __future__ import annotations

import numpy as np

from orchestration.salesforce.ids import CHECKSUM_ALPHABET, checksum
from orchestration.salesforce.objects import OBJECTS

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = CHECKSUM_ALPHABET
POD = "5"
COUNTER_DIGITS = 11  # 15 characters: 3 prefix + 1 pod + 11 counter digits
MAX_COUNTER = 62**COUNTER_DIGITS

# Every key prefix the demo org writes: its objects', the content library's (068, ContentVersion)
# and the forecast type's (0Db). Per-row prefixes of polymorphic fields index into this tuple.
PREFIXES: tuple[str, ...] = tuple(o.id_prefix for o in OBJECTS if o.id_prefix) + ("068", "0Db")

_BASE62_CODES = np.frombuffer(BASE62.encode(), dtype=np.uint8)
_SUFFIX_CODES = np.frombuffer(_SUFFIX.encode(), dtype=np.uint8)
_PREFIX_CODES = np.frombuffer("".join(PREFIXES).encode(), dtype=np.uint8).reshape(-1, 3)


def prefix_index(prefix: str) -> int:
    """The position of a key prefix in PREFIXES (what per-row prefix arrays hold)."""
    return PREFIXES.index(prefix)


def to_18(record_id: str) -> str:
    """The 18-character form of an Id; an 18-character Id gets its checksum recomputed."""
    if len(record_id) not in (15, 18):
        raise ValueError(f"a Salesforce Id has 15 or 18 characters, got {record_id!r}")
    id15 = record_id[:15]
    return id15 + checksum(id15)


def id_matrix(counter: np.ndarray, prefix: str | np.ndarray) -> np.ndarray:
    """The 18 ASCII bytes of each Id, as an (n, 18) uint8 matrix.

    `prefix` is one key prefix for all rows, or per row an index into PREFIXES.
    """
    counter = np.asarray(counter, dtype=np.int64)
    n = counter.size
    if n and (counter.min() < 0 or counter.max() >= MAX_COUNTER):
        raise ValueError(f"Id counters must lie in 0..{MAX_COUNTER - 1}")
    codes = np.empty((n, 18), dtype=np.uint8)
    if isinstance(prefix, str):
        if len(prefix) != 3:
            raise ValueError("an Id prefix has 3 characters")
        codes[:, :3] = np.frombuffer(prefix.encode(), dtype=np.uint8)
        prefix_bits = np.uint8(_upper_bits(prefix))
    else:
        codes[:, :3] = _PREFIX_CODES[prefix]
        prefix_bits = _PREFIX_BITS[prefix]
    codes[:, 3] = ord(POD)
    if n == 0:
        return codes
    # An Id's last three digits come from a table of all 238,328 triples; its leading eight digits
    # from a table of the few values they take in this batch (a column's counters lie in a few
    # narrow blocks), so most of the work is table look-ups rather than base62 arithmetic.
    high = counter // _LOW_SPAN
    low = counter - high * _LOW_SPAN
    first = int(high.min())
    span = int(high.max()) - first + 1
    if span > max(n, 65_536):  # counters spread too widely for a table: plain arithmetic
        return _by_division(codes, counter, prefix_bits)
    lead = _leading_digits(np.arange(first, first + span, dtype=np.int64))
    row = high - first
    codes[:, 4:12] = lead["bytes"][row].view(np.uint8).reshape(n, 8)
    tail = _LOW_TABLE[low]
    codes[:, 12:15] = tail[:, :3]
    codes[:, 15] = _SUFFIX_CODES[lead["bits0"][row] | prefix_bits]
    codes[:, 16] = _SUFFIX_CODES[lead["bits1"][row]]
    codes[:, 17] = _SUFFIX_CODES[lead["bits2"][row] | (tail[:, 3] << 2)]
    return codes


def _upper_bits(chars: str) -> int:
    return sum(1 << i for i, ch in enumerate(chars) if "A" <= ch <= "Z")


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((values.size, width), np.int64)
    rest = values.copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = rest % 62
        rest //= 62
    return out


def _leading_digits(high: np.ndarray) -> dict[str, np.ndarray]:
    """For each value of counter // 62**3: its 8 digit bytes (Id characters 5-12, as one uint64)
    and the uppercase bits they contribute to each of the three checksum characters."""
    digits = _digits(high, 8)
    upper = ((digits >= 10) & (digits < 36)).astype(np.uint8)
    return {
        "bytes": np.ascontiguousarray(_BASE62_CODES[digits]).view(np.uint64).ravel(),
        "bits0": upper[:, 0] << 4,  # character 5 closes the first chunk (characters 1-5)
        "bits1": upper[:, 1] | upper[:, 2] << 1 | upper[:, 3] << 2 | upper[:, 4] << 3 | upper[:, 5] << 4,
        "bits2": upper[:, 6] | upper[:, 7] << 1,  # characters 11-12 open the third chunk
    }


def _by_division(codes: np.ndarray, counter: np.ndarray, prefix_bits) -> np.ndarray:
    n = counter.size
    digits = _digits(counter, COUNTER_DIGITS)
    codes[:, 4:15] = _BASE62_CODES[digits]
    upper = ((digits >= 10) & (digits < 36)).astype(np.uint8)
    bits = [np.zeros(n, np.uint8) + prefix_bits, np.zeros(n, np.uint8), np.zeros(n, np.uint8)]
    for i in range(COUNTER_DIGITS):
        pos = 4 + i
        bits[pos // 5] |= upper[:, i] << (pos % 5)
    for chunk in range(3):
        codes[:, 15 + chunk] = _SUFFIX_CODES[bits[chunk]]
    return codes


def _low_table() -> np.ndarray:
    """Every 3-digit base62 tail: its 3 digit bytes and, in a 4th byte, which of them are uppercase."""
    digits = _digits(np.arange(_LOW_SPAN, dtype=np.int64), 3)
    upper = ((digits >= 10) & (digits < 36)).astype(np.uint8)
    table = np.empty((_LOW_SPAN, 4), np.uint8)
    table[:, :3] = _BASE62_CODES[digits]
    table[:, 3] = upper[:, 0] | upper[:, 1] << 1 | upper[:, 2] << 2
    return table


_LOW_SPAN = 62**3
_LOW_TABLE = _low_table()
_PREFIX_BITS = np.array([_upper_bits(p) for p in PREFIXES], np.uint8)


def make_ids(prefix: str, n: int, *, start: int = 1, pod: str = POD) -> np.ndarray:
    """`n` consecutive 18-character Ids: prefix + pod char + base62 counter, plus checksum.

    `start` is the first counter value; Ids sort in counter order within the 15-character part.
    """
    if len(prefix) != 3 or pod != POD:
        raise ValueError(f"an Id prefix has 3 characters and the pod is {POD!r}")
    if start < 0 or start + n > MAX_COUNTER:
        raise ValueError(f"counter range {start}..{start + n} does not fit {COUNTER_DIGITS} base62 digits")
    return id_matrix(np.arange(start, start + n, dtype=np.int64), prefix).view("S18").ravel().astype("U18")


def parse_counter(record_ids) -> np.ndarray:
    """The base62 counters of generated Ids (characters 5-15), e.g. to continue after the largest."""
    raw = np.asarray(record_ids, dtype="S18").view(np.uint8).reshape(-1, 18)[:, 4:15]
    digit = np.full(256, -1, np.int64)
    digit[_BASE62_CODES] = np.arange(62)
    values = digit[raw]
    if (values < 0).any():
        raise ValueError("not a base62 Id")
    counter = np.zeros(raw.shape[0], np.int64)
    for i in range(COUNTER_DIGITS):
        counter = counter * 62 + values[:, i]
    return counter


# Each territory of a large org numbers its records in its own block of counters, so territories
# can be generated independently and their Ids never collide.
ID_BLOCK = 1_000_000_000


def id_start(base: int, block: int) -> int:
    """The first Id counter of an object (whose counters start at `base`) in territory `block`."""
    return base + block * ID_BLOCK
