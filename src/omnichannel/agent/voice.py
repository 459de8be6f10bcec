"""The brand's voice: names and fixed phrases the engines use, in the turn's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import omnichannel.i18n as i18n

_ = i18n.translator("gateway")

# Our defaults, English msgids of the "gateway" catalog (English outside a turn).
GREETING = _("Hi! I'm Juno. Ask me about shipping, returns, sizing or your order.")
PERSON_LABEL = _("Talk to a person")


@dataclass(frozen=True, slots=True)
class Words:
    """A merchant's texts for one language; None where they gave none."""

    greeting: str | None = None
    sign_off: str | None = None
    person_label: str | None = None


@dataclass(frozen=True, slots=True, init=False)
class Voice:
    """`greeting`, `sign_off` and `person_label` are read in the turn's language: the
    merchant's text for it (`translations`), else our translation of a default they kept,
    else their own text as written (docs/languages.md, Merchant texts)."""

    shop_name: str
    assistant_name: str
    own_greeting: str
    own_sign_off: str
    own_person_label: str
    translations: Mapping[str, Words]

    def __init__(self, shop_name: str = "Juniper & Pine", assistant_name: str = "Juno",
                 greeting: str = GREETING, sign_off: str = "",
                 person_label: str = PERSON_LABEL,
                 translations: Mapping[str, Words] | None = None) -> None:
        set_ = object.__setattr__  # frozen: fields are set once, here
        set_(self, "shop_name", shop_name)
        set_(self, "assistant_name", assistant_name)
        set_(self, "own_greeting", greeting)
        set_(self, "own_sign_off", sign_off)
        set_(self, "own_person_label", person_label)
        set_(self, "translations", dict(translations or {}))

    @property
    def greeting(self) -> str:
        return self._text("greeting", self.own_greeting, GREETING)

    @property
    def sign_off(self) -> str:
        return self._text("sign_off", self.own_sign_off, "")

    @property
    def person_label(self) -> str:
        return self._text("person_label", self.own_person_label, PERSON_LABEL)

    def _text(self, name: str, own: str, default: str) -> str:
        words = self.translations.get(i18n.current())
        given: str | None = getattr(words, name) if words is not None else None
        if given is not None:
            return given
        return _(own) if own and own == default else own

    def sign(self, text: str) -> str:
        sign_off = self.sign_off
        return f"{text}\n\n{sign_off}" if sign_off else text
