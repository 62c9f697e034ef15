"""The comparison the engine tests rest on (tests/support/mart_equality.py) tells apart what it must."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.mart_equality import assert_same_mart


def test_two_marts_are_the_same_only_to_the_cent_in_money_and_to_1e_9_elsewhere():
    units = {"bookings_amount": "currency", "win_rate": "ratio"}
    duck = pd.DataFrame({"owner_id": ["005A", "005B"], "bookings_amount": [100.0, 0.0], "win_rate": [0.5, None]})
    assert_same_mart("m", duck, duck.iloc[::-1].assign(bookings_amount=[0.004, 100.004]), units)  # row order is free
    with pytest.raises(AssertionError, match="m.bookings_amount"):
        assert_same_mart("m", duck, duck.assign(bookings_amount=[100.01, 0.0]), units)
    with pytest.raises(AssertionError, match="m.win_rate"):
        assert_same_mart("m", duck, duck.assign(win_rate=[0.5 + 1e-8, None]), units)
    with pytest.raises(AssertionError, match="m.win_rate"):
        assert_same_mart("m", duck, duck.assign(win_rate=[0.5, 0.0]), units)  # NULL is not 0
    with pytest.raises(AssertionError, match="m.owner_id"):
        assert_same_mart("m", duck, duck.assign(owner_id=["005A", "005C"]), units)
