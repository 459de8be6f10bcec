"""Translations for staff over the routine model: a shopper's message into the shop's own
language, a staff reply into the shopper's. It returns text and never sends anything; a
failed call raises TranslationFailed, so a caller that was asked to translate sends nothing."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import omnichannel.i18n as i18n
from omnichannel.agent.modelclient import ModelClient, ModelSpec, ModelsUnavailable
from omnichannel.agent.turn import ModelFailure
from omnichannel.i18n import detect

log = logging.getLogger(__name__)
CACHE_SIZE = 512
PROMPT = ("You translate messages between an online shop's support staff and its customers. "
          "Translate the user's message from {source} into {target}. Keep order numbers, "
          "emails, links, names, prices, dates and line breaks exactly as they are, and keep "
          "the tone. Reply with the translation only: no quotes, notes or explanations.")


class TranslationFailed(Exception):
    """The model could not translate the text (the caller must not send it untranslated)."""


class Secret(Protocol):
    def get_secret_value(self) -> str: ...


class RoutineModel(Protocol):
    """What chain_for reads of `[models.routine]` (config.ModelConfig)."""

    @property
    def model(self) -> str: ...
    @property
    def api_base(self) -> str: ...
    @property
    def api_key(self) -> Secret | None: ...
    @property
    def fallbacks(self) -> list[str]: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def input_cost_per_token(self) -> float | None: ...
    @property
    def output_cost_per_token(self) -> float | None: ...
    @property
    def free(self) -> bool: ...


def chain_for(m: RoutineModel) -> list[ModelSpec]:
    """The model and its fallbacks, as the LLM engine builds them (app.engine_for)."""
    key = m.api_key.get_secret_value() if m.api_key else None
    first = ModelSpec(m.model, api_base=m.api_base or None, api_key=key, timeout=m.timeout,
                      max_tokens=m.max_tokens, input_cost_per_token=m.input_cost_per_token,
                      output_cost_per_token=m.output_cost_per_token, free=m.free)
    return [first] + [ModelSpec(f, api_base=m.api_base or None, api_key=key,
                                timeout=m.timeout, max_tokens=m.max_tokens, free=m.free)
                      for f in m.fallbacks]


def name(code: str | None) -> str:
    """ "Spanish" for "es": prompts and staff read language names in English."""
    return i18n.ENGLISH_NAMES.get(code or "", code or "?")


@dataclass
class Translator:
    """Translation through a chain of models, with a small cache (pages are reloaded)."""

    chain: Sequence[ModelSpec]
    staff_language: str = "en"
    client: ModelClient = field(default_factory=ModelClient)
    _cache: OrderedDict[tuple[str, str, str], str] = field(default_factory=OrderedDict)

    async def translate(self, text: str, source: str | None, target: str) -> str:
        """`text` in `target`; TranslationFailed when no model of the chain answers."""
        key = (source or "", target, text)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        system = PROMPT.format(source=name(source) if source else "its language",
                               target=name(target))
        messages = [{"role": "system", "content": system}, {"role": "user", "content": text}]
        failed: list[ModelFailure] = []
        try:
            done = await self.client.complete(self.chain, messages, [], failed)
        except ModelsUnavailable as exc:
            raise TranslationFailed(f"no model answered: {exc}") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # litellm missing or broken: the same answer for staff
            raise TranslationFailed(f"{type(exc).__name__}: {exc}"[:300]) from None
        out = done.text.strip()
        if len(out) >= 2 and out[0] == out[-1] and out[0] in "\"'“”«»" and not (
                len(text) >= 2 and text[0] == text[-1] == out[0]):
            out = out[1:-1].strip()
        if done.tool_calls or not out:
            raise TranslationFailed("the model returned no translation")
        self._cache[key] = out
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        log.info("translated", extra={"model": done.model, "cost_usd": done.cost,
                                      "source": source, "target": target})
        return out

    async def language_of(self, text: str, conversation_language: str | None) -> str:
        """The language a shopper's message is in (short ones: the conversation's)."""
        return await asyncio.to_thread(detect.choose, text, previous=conversation_language,
                                       default=conversation_language or self.staff_language)

    async def for_staff(self, text: str, conversation_language: str | None) -> str | None:
        """A shopper's message in the staff's language; None when it is in it already."""
        source = await self.language_of(text, conversation_language)
        if source == self.staff_language:
            return None
        return await self.translate(text, source, self.staff_language)

    def needed_for(self, conversation_language: str | None) -> bool:
        """Whether a staff reply to this conversation would be translated at all."""
        return bool(conversation_language) and conversation_language != self.staff_language

    async def for_shopper(self, text: str, conversation_language: str | None) -> str:
        """A staff reply in the shopper's language (as written when they share the staff's)."""
        if not self.needed_for(conversation_language):
            return text
        return await self.translate(text, self.staff_language, str(conversation_language))


def translator_for(routine: RoutineModel | None, staff_language: str) -> Translator | None:
    """A translator over `[models.routine]`; None without one (or without the llm extra)."""
    from omnichannel.agent.llmsetup import missing_llm_extra

    if routine is None or missing_llm_extra() is not None:
        return None
    return Translator(chain_for(routine), staff_language)


def original_note(text: str, source: str, target: str, author: str = "") -> str:
    """The transcript's note beside a translated staff reply: what staff wrote, and that the
    message sent was a translation."""
    who = f"{author} " if author else ""
    return (f"Staff reply translated from {name(source)} into {name(target)} before sending "
            f"(the shopper received the translation). {who}wrote: {text}")
