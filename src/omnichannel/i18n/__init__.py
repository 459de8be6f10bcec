"""Languages: which one a turn speaks, message catalogs, and locale formatting.

Every shopper-facing string is written in English in the code, wrapped by a domain's
translator, and translated in `locale/<lang>/LC_MESSAGES/<domain>.po` (gettext catalogs, read
with Babel; no compile step):

    _ = translator("orders")
    _("Cancel order {order_id}?").format(order_id=oid)

The language is the turn's (`using(lang)` around a turn; a context variable, so each
conversation's lane has its own). Placeholders are named so a translation may reorder them.
A leaf package: it imports nothing of the gateway.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

# Written by us, complete in every catalog (tests/test_i18n.py checks it).
SHIPPED = ("en", "es", "de", "fr", "pt", "it", "nl")
DEFAULT = "en"
NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français",
         "pt": "Português", "it": "Italiano", "nl": "Nederlands"}
ENGLISH_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French",
                 "pt": "Portuguese", "it": "Italian", "nl": "Dutch"}
LOCALE_DIR = Path(__file__).parent / "locale"
# Babel locales for formatting (a country for currency and date conventions).
_LOCALES = {"en": "en_US", "es": "es_ES", "de": "de_DE", "fr": "fr_FR", "pt": "pt_PT",
            "it": "it_IT", "nl": "nl_NL"}

_current: ContextVar[str] = ContextVar("omnichannel_language", default=DEFAULT)


def current() -> str:
    """The language of the turn in progress (the shop's default outside one)."""
    return _current.get()


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Speak `lang` inside the block (an unshipped or empty one: English)."""
    code = normalize(lang) or DEFAULT
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def normalize(lang: str | None) -> str | None:
    """A shipped language code from "es", "es-MX", "pt_BR", "DE"; None when not shipped."""
    if not lang:
        return None
    code = lang.strip().replace("_", "-").split("-")[0].lower()
    return code if code in SHIPPED else None


@cache
def _catalog(domain: str, lang: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation (plural forms as a tuple) for one domain and language."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if lang == DEFAULT or not path.is_file():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    out: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if isinstance(message.string, tuple | list):
            if all(message.string):
                out[key] = tuple(message.string)
        elif message.string:
            out[key] = message.string
    return out


def translator(domain: str) -> Callable[[str], str]:
    """`_` for one domain: the English text in the turn's language."""

    def _(text: str) -> str:
        lang = _current.get()
        if lang == DEFAULT:
            return text
        found = _catalog(domain, lang).get(text)
        return found if isinstance(found, str) else text

    return _


def plural_translator(domain: str) -> Callable[[str, str, int], str]:
    """`ngettext` for one domain: the form for `n` by the language's plural rule."""

    def ngettext(singular: str, plural: str, n: int) -> str:
        lang = _current.get()
        forms = _catalog(domain, lang).get(singular) if lang != DEFAULT else None
        if isinstance(forms, tuple):
            return forms[min(_plural_index(lang, n), len(forms) - 1)]
        return singular if n == 1 else plural

    return ngettext


def _plural_index(lang: str, n: int) -> int:
    # The seven shipped languages: one form for 1, another for the rest (French: 0 and 1).
    if lang == "fr":
        return 0 if n in (0, 1) else 1
    return 0 if n == 1 else 1


def locale_of(lang: str | None = None) -> str:
    return _LOCALES.get(lang or _current.get(), "en_US")


def money(amount: float, currency: str = "USD", lang: str | None = None) -> str:
    """$1,234.50 / 1.234,50 € / 1 234,50 € ..., in the turn's language."""
    from babel.numbers import format_currency

    return format_currency(amount, currency, locale=locale_of(lang))


def number(value: float, lang: str | None = None, decimals: int | None = None) -> str:
    """1,234.5 / 1.234,5; with `decimals`, exactly that many (12,50)."""
    from babel.numbers import format_decimal

    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_of(lang))


def day(value: date | datetime, lang: str | None = None) -> str:
    """A date as people write it in the language: "May 3, 2026", "3 de mayo de 2026"."""
    from babel.dates import format_date

    return format_date(value, format="long", locale=locale_of(lang))


def weekday_time(value: datetime, lang: str | None = None) -> str:
    """ "Monday 9:00", "lunes 9:00"."""
    from babel.dates import format_datetime

    return format_datetime(value, "EEEE H:mm", locale=locale_of(lang))
