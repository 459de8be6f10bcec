"""The brand's voice: names and fixed phrases the engines use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Voice:
    shop_name: str = "Juniper & Pine"
    assistant_name: str = "Juno"
    greeting: str = "Hi! I'm Juno. Ask me about shipping, returns, sizing or your order."
    sign_off: str = ""
    person_label: str = "Talk to a person"

    def sign(self, text: str) -> str:
        return f"{text}\n\n{self.sign_off}" if self.sign_off else text
