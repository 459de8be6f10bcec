"""Whole conversations in every shipped language, through the loopback channel and the
built-in engine on the demo shop: every reply in the shopper's language."""

from __future__ import annotations

import re

import pytest

from omnichannel.commerce.demo.scenarios import ScenarioKind, scenarios
from omnichannel.conversation import Owner, Role
from omnichannel.i18n.detect import choose

# What a shopper of each language writes (ours). {name} {zip} {order} are the demo shopper's.
SAYS = {
    "en": {"policy": "How do returns work at your shop?",
           "status": "Hi, I'm {name}, zip {zip}. Where is my order {order}?",
           "return": "I would like to return my order {order}",
           "person": "I want to talk to a person please"},
    "es": {"policy": "¿Cómo funcionan las devoluciones en vuestra tienda?",
           "status": "Hola, soy {name}, código postal {zip}. ¿Dónde está mi pedido {order}?",
           "return": "Quiero devolver mi pedido {order}",
           "person": "Quiero hablar con una persona, por favor"},
    "de": {"policy": "Wie funktionieren Rücksendungen bei euch?",
           "status": "Hallo, ich bin {name}, PLZ {zip}. Wo ist meine Bestellung {order}?",
           "return": "Ich möchte meine Bestellung {order} zurückschicken",
           "person": "Ich möchte bitte mit einem Menschen sprechen"},
    "fr": {"policy": "Comment fonctionnent les retours dans votre boutique ?",
           "status": "Bonjour, je suis {name}, code postal {zip}. Où est ma commande {order} ?",
           "return": "Je voudrais retourner ma commande {order}",
           "person": "Je voudrais parler à une personne, s'il vous plaît"},
    "pt": {"policy": "Como funcionam as devoluções na vossa loja?",
           "status": "Olá, sou {name}, código postal {zip}. Onde está o meu pedido {order}?",
           "return": "Quero devolver o meu pedido {order}",
           "person": "Quero falar com uma pessoa, por favor"},
    "it": {"policy": "Come funzionano i resi nel vostro negozio?",
           "status": "Ciao, sono {name}, CAP {zip}. Dov'è il mio ordine {order}?",
           "return": "Vorrei restituire il mio ordine {order}",
           "person": "Vorrei parlare con una persona, per favore"},
    "nl": {"policy": "Hoe werkt retourneren bij jullie winkel?",
           "status": "Hoi, ik ben {name}, postcode {zip}. Waar is mijn bestelling {order}?",
           "return": "Ik wil mijn bestelling {order} terugsturen",
           "person": "Ik wil graag met een persoon praten"},
}


@pytest.fixture
async def shop(gateway_factory):  # type: ignore[no-untyped-def]
    gw = await gateway_factory('[commerce]\nbackend = "demo"', engine="builtin")
    await gw.rt.router.commerce.list_products()  # the shop file exists from here on
    return gw


def _scenario(gw, kind: ScenarioKind):  # type: ignore[no-untyped-def]
    return {s.kind: s for s in scenarios(gw.rt.router.commerce.path)}[kind]


async def _turn(gw, chat: str, text: str, value: str | None = None) -> list:  # type: ignore[no-untyped-def,type-arg]
    await gw.loopback.say(text, chat_id=chat, button_value=value)
    out = [await gw.loopback.reply(chat, timeout=20)]
    while True:
        try:
            out.append(await gw.loopback.reply(chat, timeout=0.4))
        except TimeoutError:
            return out


def _in(lang: str, replies: list) -> None:  # type: ignore[type-arg]
    """Each reply reads as `lang` (its own words, without names, ids and amounts)."""
    for r in replies:
        words = re.sub(r"#\w+|\S+@\S+|\$?\d[\d.,]*|\(.*?\)", " ", r.text)
        assert choose(words, previous=None, default="en") == lang, (lang, r.text)


@pytest.mark.parametrize("lang", list(SAYS))
async def test_a_conversation_in_each_language(shop, lang: str) -> None:  # type: ignore[no-untyped-def]
    says = SAYS[lang]
    s = _scenario(shop, ScenarioKind.RETURN)
    facts = {"name": s.name, "zip": s.zip, "order": s.order_id}
    chat = f"c-{lang}"
    policy = await _turn(shop, chat, says["policy"])
    _in(lang, policy)
    assert not any(re.search(r"zip|postal|PLZ|CAP|postcode", r.text, re.I) for r in policy)
    status = await _turn(shop, chat, says["status"].format(**facts))
    _in(lang, status)
    assert any(s.order_id in r.text for r in status)
    steps = await _turn(shop, chat, says["return"].format(**facts))
    for _ in range(4):  # pick the offered options until the confirmation is asked
        buttons = [b.value for r in steps for b in r.buttons]
        if "yes" in buttons:
            break
        assert buttons, [r.text for r in steps]
        steps = await _turn(shop, chat, buttons[0], buttons[0])
    _in(lang, steps)
    done = await _turn(shop, chat, "✓", "yes")
    _in(lang, done)
    order = await shop.rt.router.commerce.get_order(s.order_id)
    assert order.status.value == "return requested"
    person = await _turn(shop, chat, says["person"])
    _in(lang, person)
    conv = await shop.store.conversation((await shop.store.list_conversations())[0].id)
    assert conv.owner == Owner.STAFF and conv.language == lang
    assert person[-1].role is Role.SYSTEM


async def test_a_shopper_who_switches_language_is_followed(shop) -> None:  # type: ignore[no-untyped-def]
    first = await _turn(shop, "switch", "How long does shipping take?")
    _in("en", first)
    second = await _turn(shop, "switch", "Perdón, ¿podemos seguir en español? ¿Cuánto tarda el "
                                         "envío a Madrid?")
    _in("es", second)
    conv = await shop.store.conversation((await shop.store.list_conversations())[0].id)
    assert conv.language == "es"
