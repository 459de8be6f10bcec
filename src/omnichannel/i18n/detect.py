"""Which language a shopper writes: py3langid (its model ships in the wheel) on the words,
with the conversation's language so far, then channel hints, for messages too short to tell.

Only the shop's languages are considered. Order numbers, emails, links, digits and postcodes
are taken out first: they are the same in every language and only add noise.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from omnichannel.i18n import DEFAULT, SHIPPED, normalize

# A message is read on its own words from this many letters (and this sure), else the
# conversation's language stands.
MIN_LETTERS = 12
MIN_PROBABILITY = 0.8
_NOISE = re.compile(r"https?://\S+|\S+@\S+|#?\b[A-Z]{0,3}\d[\w-]*|\b\w*\d\w*\b")
# Calling codes and the language a shopper there most likely writes (a weak hint).
_PHONE = (("+34", "es"), ("+52", "es"), ("+54", "es"), ("+57", "es"), ("+56", "es"),
          ("+51", "es"), ("+49", "de"), ("+43", "de"), ("+41", "de"), ("+33", "fr"),
          ("+32", "nl"), ("+31", "nl"), ("+351", "pt"), ("+55", "pt"), ("+39", "it"),
          ("+44", "en"), ("+1", "en"), ("+61", "en"), ("+353", "en"))

# Short first messages ("hola", "merci", "danke!") have too few letters for the model: a
# word list per language decides when every word belongs to one language only.
_SHORT = {
    "en": "hi hello hey thanks thank you yes bye please help",  # not "ok", "no": universal
    "es": "hola gracias buenas buenos días dias adiós adios sí vale perfecto favor ayuda",
    "de": "hallo danke servus moin guten tag tschüss ja nein bitte hilfe",
    "fr": "bonjour salut merci oui non bonsoir svp aide",
    "pt": "olá ola obrigado obrigada oi sim não nao bom dia tchau ajuda",
    "it": "ciao grazie buongiorno salve sì prego aiuto",
    "nl": "hoi dank bedankt nee goedemorgen doei alsjeblieft hulp",
}
_SHORT_WORDS = {lang: frozenset(words.split()) for lang, words in _SHORT.items()}
# Function words, the surest sign of a language in a short message: a message whose words
# vote clearly for one language is read as it before the statistical model is asked.
_FUNCTION = {
    "en": "i my me you your the a an is are was it this that to of and or in on for with "
          "what where when how why can could would do does did not have has want need please "
          "there order",
    "es": "yo mi mis me tu su el la los las un una es son está esta estoy de del y o en por "
          "para con qué que dónde donde cuándo cuando cómo como puedo quiero necesito tengo "
          "no sí pedido hola gracias hay tenéis tienen aceptáis aceptais podéis podeis puedes "
          "vuestro vuestra vuestros nuestro he ha has lo le les al muy pero también tambien "
          "favor cuenta envío envio",
    "de": "ich mein meine mir mich du sie der die das ein eine ist sind war es und oder in "
          "auf für mit was wo wann wie warum kann könnte möchte will nicht habe hat bitte "
          "bestellung danke ihr euch eure ihre gibt dem den des auch aber noch schon ich's "
          "kein keine konto versand",
    "fr": "je mon ma mes moi vous votre le la les un une est sont était ce c'est de du des et "
          "ou en sur pour avec quoi où quand comment pourquoi puis peux voudrais veux pas ne "
          "ai commande merci j'ai je suis au aux nous vos acceptez avez pouvez est-ce qu'il "
          "mais aussi compte livraison",
    "pt": "eu meu minha meus me você seu sua o a os as um uma é são está estou de do da e ou "
          "em no na por para com que onde quando como posso quero preciso tenho não sim "
          "pedido obrigado obrigada vocês voces aceitam têm tem podem pode minha meu nossa "
          "ao aos mas também tambem conta envio encomenda",
    "it": "io mio mia miei mi tu tuo il lo la gli le un una è sono era di del della e o in su "
          "per con che cosa dove quando come perché posso vorrei voglio non ho ha ordine "
          "grazie accettate avete potete c'è ci sono nel nella al alla ma anche account "
          "spedizione",
    "nl": "ik mijn me mij jij je u uw de het een is zijn was dat dit en of in op voor met wat "
          "waar wanneer hoe waarom kan kun wil niet heb heeft alsjeblieft bestelling bedankt "
          "jullie accepteren hebben kunnen mag graag maar ook nog er geen account "
          "verzending",
}
_FUNCTION_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION.items()}


# Letters and marks only some languages write: each one found is a vote for them.
_MARKS = {"es": "¿¡ñ", "de": "ßäöü", "fr": "çèêëœàâîïûù", "pt": "ãõç", "it": "èìòù", "nl": ""}


def _votes(text: str, allowed: Sequence[str]) -> tuple[str | None, int, int]:
    """The language whose function words (and own letters) the message uses most, its count
    and the runner-up's."""
    low = text.lower()
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", low)
    counts = sorted(((sum(w in _FUNCTION_WORDS.get(lang, frozenset()) for w in words)
                      + 2 * any(c in low for c in _MARKS.get(lang, "")), lang)
                     for lang in allowed), reverse=True)
    if not counts:
        return None, 0, 0
    best, lang = counts[0]
    second = counts[1][0] if len(counts) > 1 else 0
    return (lang if best else None), best, second
_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid import langid

            _identifier = langid._load_identifier(norm_probs=True)  # noqa: SLF001
        return _identifier


def warm() -> None:
    """Load the model in the background (the daemon calls this at start-up)."""
    threading.Thread(target=_model, name="langid", daemon=True).start()


def guess(text: str, allowed: Sequence[str] = SHIPPED) -> tuple[str | None, float]:
    """The language of `text` among `allowed`, and how sure; (None, 0) when too short.
    Blocking the first time (the model loads in about a second): call it from a thread."""
    words = _NOISE.sub(" ", text)
    if sum(c.isalpha() for c in words) < MIN_LETTERS:
        return None, 0.0
    langs = [c for c in allowed if c in SHIPPED] or [DEFAULT]
    if len(langs) == 1:
        return langs[0], 1.0
    model = _model()
    with _lock:  # set_languages changes the shared model
        model.set_languages(langs)
        lang, probability = model.classify(words)
    return str(lang), float(probability)


def _short(text: str, allowed: Sequence[str]) -> str | None:
    words = set(re.findall(r"[^\W\d_]+", text.lower()))
    if not words:
        return None
    fits = [lang for lang in allowed if words <= _SHORT_WORDS.get(lang, frozenset())]
    return fits[0] if len(fits) == 1 else None


def phone_language(phone: str | None) -> str | None:
    """The language most spoken where a phone number is registered (a weak hint)."""
    if not phone:
        return None
    digits = "+" + re.sub(r"\D", "", phone)
    for prefix, lang in sorted(_PHONE, key=lambda p: -len(p[0])):
        if digits.startswith(prefix):
            return lang
    return None


def choose(text: str, *, previous: str | None, hints: Iterable[str | None] = (),
           allowed: Sequence[str] = SHIPPED, default: str = DEFAULT) -> str:
    """The conversation's language after this message: the message's own when it is long
    and clear enough (a shopper who switches is followed), else the language so far, else
    the first channel hint the shop offers, else the shop's default."""
    voted, best, second = _votes(text, allowed)
    # Clear function-word evidence wins: two more than any other language (and three words
    # at least to switch away from the conversation's language).
    if voted is not None and best - second >= 2 and (previous in (None, voted) or best >= 3):
        return voted
    lang, probability = guess(text, allowed)
    if lang is not None and probability >= MIN_PROBABILITY and (
            voted in (None, lang) or best - second < 2):
        return lang
    # The model and the words agree, less surely: enough to start, not to switch.
    if lang is not None and lang == voted and probability >= 0.5 and previous in (None, lang):
        return lang
    if previous is None and (short := _short(text, allowed)) is not None:
        return short
    for candidate in (previous, *hints):
        code = normalize(candidate)
        if code is not None and code in allowed:
            return code
    return default if default in allowed else (allowed[0] if allowed else DEFAULT)
