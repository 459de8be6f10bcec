"""Amounts as shoppers read them, in the shop's currency: "$49.99", "CA$12.00", "12.00 CHF";
in another language as that language writes them ("1.234,50 $" in German)."""

from __future__ import annotations

import omnichannel.i18n as i18n

# Symbols an English-speaking shopper recognises without doubt; every other currency is
# written with its ISO 4217 code after the number, which no one misreads.
SYMBOLS = {
    "USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "AUD": "A$", "NZD": "NZ$",
    "MXN": "MX$", "HKD": "HK$", "TWD": "NT$", "BRL": "R$", "JPY": "¥", "CNY": "CN¥",
    "INR": "₹", "KRW": "₩", "ILS": "₪", "PHP": "₱", "VND": "₫", "XCD": "EC$",
}
# ISO 4217 minor units where they are not 2.
DECIMALS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(),
                    0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}


def money(amount: float, currency: str) -> str:
    """`amount` in `currency` (an ISO 4217 code): "$1,049.99", "-€5.00", "12.00 XYZ"."""
    code = currency.strip().upper()
    places = DECIMALS.get(code, 2)
    if i18n.current() != i18n.DEFAULT:
        return i18n.money(round(amount, places) or 0.0, code)  # never "-0,00"
    number = f"{abs(amount):,.{places}f}"
    sign = "-" if round(amount, places) < 0 else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"
