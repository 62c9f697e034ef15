"""Currencies of the multi-currency demo org and how amounts are expressed in them.

USD is the corporate currency. A record's amount is in its own CurrencyIsoCode; ConversionRate is
units of that currency per 1 USD, as Salesforce stores it in CurrencyType.
"""

from __future__ import annotations

import numpy as np

from demo_org.clock import DAY, Timeline, audit_stamps
from demo_org.columns import Text, text
from demo_org.ids import make_ids
from orchestration.salesforce.objects import CURRENCY_TYPE

CURRENCY_CODES = ("USD", "EUR", "GBP", "JPY")
CONVERSION_RATES = np.array([1.0, 0.92, 0.79, 151.25])
DECIMAL_PLACES = np.array([2, 2, 2, 0])
# Share of accounts (and so of deals) booked in each currency: mostly USD.
CURRENCY_WEIGHTS = np.array([0.72, 0.14, 0.09, 0.05])
# Deal amounts are quoted in round numbers of the local currency.
_ROUND_TO = np.array([100.0, 100.0, 100.0, 10_000.0])


def pick_currencies(rng: np.random.Generator, n: int) -> np.ndarray:
    """Indices into CURRENCY_CODES."""
    return rng.choice(len(CURRENCY_CODES), size=n, p=CURRENCY_WEIGHTS)


def codes(currency: np.ndarray) -> Text:
    return text(currency, CURRENCY_CODES)


def local_amount(usd: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """USD amounts restated in each row's currency, rounded the way a rep would quote them."""
    return round_local(usd * CONVERSION_RATES[currency], currency)


def round_local(amount: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """Amounts in their own currency rounded to a quotable step (never to zero)."""
    step = _ROUND_TO[currency]
    return np.round(np.maximum(np.round(amount / step), 1) * step, 2)


def currency_types(rng: np.random.Generator, tl: Timeline) -> dict[str, np.ndarray]:
    """The CurrencyType table: one active row per currency, USD corporate."""
    n = len(CURRENCY_CODES)
    created = np.full(n, tl.start + 9 * 3_600)
    # Rates are maintained by a daily job, so every rate was last written on the as_of day.
    refreshed = tl.last_day * DAY + 6 * 3_600 + np.arange(n) * 60
    modified, modstamp = audit_stamps(rng, tl, created, floor=np.minimum(refreshed, tl.latest))
    return {
        "Id": make_ids(CURRENCY_TYPE.id_prefix, n, start=1_000),
        "IsoCode": np.asarray(CURRENCY_CODES),
        "ConversionRate": CONVERSION_RATES.copy(),
        "DecimalPlaces": DECIMAL_PLACES.copy(),
        "IsActive": np.ones(n, bool),
        "IsCorporate": np.asarray(CURRENCY_CODES) == "USD",
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
