"""money(): amounts in the shop's currency; [brand] currency takes ISO 4217 codes only."""

from __future__ import annotations

import pytest

from omnichannel.agent.money import money
from omnichannel.config import ConfigError, parse


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (49.99, "USD", "$49.99"),
    (12, "CAD", "CA$12.00"),
    (5, "EUR", "€5.00"),
    (3.5, "GBP", "£3.50"),
    (12, "XYZ", "12.00 XYZ"),
    (12, "CHF", "12.00 CHF"),
    (1049.5, "USD", "$1,049.50"),
    (-5, "EUR", "-€5.00"),
    (-0.001, "USD", "$0.00"),
    (1200, "JPY", "¥1,200"),
    (1.5, "KWD", "1.500 KWD"),
    (7.25, "usd", "$7.25"),
    (0, "AUD", "A$0.00"),
])
def test_money(amount: float, currency: str, text: str) -> None:
    assert money(amount, currency) == text


def test_brand_currency_defaults_and_validates() -> None:
    assert parse("", "t").brand.currency == "USD"
    assert parse("[brand]\ncurrency = 'cad'\n", "t").brand.currency == "CAD"
    for bad in ("XYZ", "dollars", "US", ""):
        with pytest.raises(ConfigError) as err:
            parse(f"[brand]\ncurrency = '{bad}'\n", "t")
        assert "brand.currency" in err.value.render() and "ISO 4217" in err.value.render()
