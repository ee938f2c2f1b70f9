"""One formatting module: percent, money, score, half up in the places asked."""

from decimal import Decimal

import pytest

from core import formatting


@pytest.mark.parametrize(
    ("ratio", "places", "shown"),
    [
        (Decimal("0.9576"), 2, "95.76%"),
        (Decimal("0.95765"), 2, "95.77%"),  # half up, never banker's rounding
        (Decimal("0.95765"), 1, "95.8%"),
        (Decimal("0.9"), 0, "90%"),
        ("0.5", 2, "50.00%"),
        (None, 2, "无数据"),
        ("", 2, "无数据"),
    ],
)
def test_percent(ratio, places, shown):
    assert formatting.percent(ratio, places) == shown


def test_money_and_score():
    assert formatting.money(Decimal("1793.345")) == "1793.35万元"
    assert formatting.money(None) == "无数据"
    assert formatting.score(Decimal("87.5"), 1) == "87.5"
    assert formatting.score(Decimal("87.5")) == "87.50"
    assert formatting.fixed(Decimal("2.5"), 0) == "3"
