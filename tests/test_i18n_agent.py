"""The built-in engine's own words in the shopper's language (the agent catalog)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent import answers, builtin, catalog
from omnichannel.agent.engine import Deps
from omnichannel.agent.turn import HandoffReason
from omnichannel.agent.understanding import Prediction, Reading
from omnichannel.agent.voice import Voice
from omnichannel.commerce import Promo
from omnichannel.conversation import Conversation, Message, Role
from omnichannel.knowledge.model import Passage

PASSAGE = Passage(title="Shipping", heading="Costs",
                  body="Standard shipping is free on orders over $50. Express costs $15.",
                  source="shipping.md", score=1.0, language="en")


class _NoKnowledge:
    async def search(self, text: str, limit: int = 3) -> list[Passage]:
        return []


def _conversation() -> Conversation:
    return Conversation(id=1, channel="loopback", account="", chat_id="c", identity_id=1,
                        contact_id=1)


def _turn(text: str, intent: str) -> builtin._Turn:
    deps = Deps(knowledge=_NoKnowledge(), voice=Voice(), max_failures=5)
    burst = [Message(id=1, conversation_id=1, role=Role.CUSTOMER, text=text)]
    return builtin._Turn(_conversation(), deps, burst, Reading(text, Prediction(intent, 1.0), ()),
                         text, None)


async def _respond(text: str) -> str:
    engine = builtin.BuiltinEngine.__new__(builtin.BuiltinEngine)  # no classifier needed
    deps = Deps(knowledge=_NoKnowledge(), voice=Voice())
    history = [Message(id=1, conversation_id=1, role=Role.CUSTOMER, text=text)]
    return (await engine.respond(_conversation(), history, deps)).text


@pytest.mark.parametrize(("lang", "word"), [("es", "¡Hola!"), ("de", "Hallo!"),
                                             ("fr", "Bonjour"), ("pt", "Olá!"),
                                             ("it", "Ciao!"), ("nl", "Hoi!")])
async def test_greeting_and_topic_buttons_in_the_shoppers_language(lang: str, word: str) -> None:
    with i18n.using(lang):
        turn = await _turn("hi", "greeting")._single("greeting", 1.0)
    assert turn.text.startswith(word) and "Juno" in turn.text and "Juniper & Pine" in turn.text
    assert turn.buttons[0].label != "Shipping"
    assert turn.buttons[0].value != "How much is shipping?"


async def test_the_bot_introduces_itself_in_the_shoppers_language() -> None:
    with i18n.using("fr"):
        text = await _respond("are you a bot?")
    assert text.startswith("Je suis Juno, l'assistant automatique de Juniper & Pine.")


async def test_a_card_number_gets_the_safety_text_in_the_shoppers_language() -> None:
    with i18n.using("de"):
        text = await _respond("my card is 4111 1111 1111 1111")
    assert text.startswith("Zu deiner Sicherheit")


def test_the_self_harm_text_keeps_the_us_line_in_every_language() -> None:
    for lang in i18n.SHIPPED:
        with i18n.using(lang):
            text = builtin._safety(HandoffReason.SELF_HARM)
        assert "988" in text and "Suicide & Crisis Lifeline" in text
        assert (lang == "en") == text.startswith("I'm really sorry")


async def test_the_unknown_question_reply_in_the_shoppers_language() -> None:
    with i18n.using("it"):
        turn = _turn("bicicletta", "unknown")._unsure()
    assert turn.text.startswith("Su questo non sono sicuro")
    assert [b.label for b in turn.buttons][:2] == ["Spedizioni", "Resi"]


def test_an_english_article_says_so_in_one_sentence() -> None:
    with i18n.using("es"):
        text = answers.compose("how much is shipping", PASSAGE)
    assert text.startswith("Standard shipping is free")
    assert text.endswith("Este artículo solo está disponible en inglés. "
                         "(De nuestro centro de ayuda: Shipping)")
    with i18n.using("nl"):
        assert "alleen beschikbaar in het Engels" in answers.compose("shipping", PASSAGE)


def test_an_article_in_the_shoppers_language_needs_no_note() -> None:
    assert answers.compose("how much is shipping", PASSAGE).endswith(
        "\n\n(From our help center: Shipping)")
    spanish = Passage(title="Envíos", heading="Costes", body="El envío estándar es gratis.",
                      source="es/envios.md", score=1.0, language="es")
    with i18n.using("es"):
        assert answers.compose("envío", spanish).endswith(
            "gratis.\n\n(De nuestro centro de ayuda: Envíos)")


def test_a_hedge_in_the_shoppers_language() -> None:
    with i18n.using("pt"):
        text = answers.compose("can I pay with Klarna?", PASSAGE, ["Klarna"])
    assert text.startswith("O nosso centro de ajuda não menciona Klarna")


def test_a_promo_code_answer_in_the_shoppers_language() -> None:
    promo = Promo(code="SAVE20", description="", percent_off=20, min_subtotal=50,
                  expires_at=datetime(2030, 5, 3, tzinfo=UTC), once_per_customer=True)
    english = catalog.describe_promo(promo, lambda a: i18n.money(a, "EUR"))
    assert english == ("Code SAVE20: 20% off on orders of €50.00 or more, once per customer. "
                       "It's valid until May 3, 2030; enter it at checkout (one per order).")
    with i18n.using("de"):
        text = catalog.describe_promo(promo, lambda a: i18n.money(a, "EUR"))
    assert text == ("Code SAVE20: 20 % Rabatt bei Bestellungen ab 50,00\xa0€, einmal pro Kunde. "
                    "Er gilt bis zum 3. Mai 2030; gib ihn an der Kasse ein (einer pro Bestellung).")
    with i18n.using("fr"):
        assert catalog.describe_promo(Promo(code="OLD", description="", percent_off=5,
                                            active=False)).endswith("il n'est plus actif.")


def test_every_agent_message_is_translated_in_every_language() -> None:
    from babel.messages.pofile import read_po

    for lang in i18n.SHIPPED[1:]:
        path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "agent.po"
        with path.open("rb") as fh:
            messages = [m for m in read_po(fh, locale=lang) if m.id]
        assert messages and all(m.string for m in messages), lang


def test_the_button_offering_a_task_in_the_shoppers_language() -> None:
    assert builtin._offer_label("Start a return", "return") == "Start a return"
    with i18n.using("es"):
        assert builtin._offer_label("Start a return", "return") == "Iniciar una devolución"
