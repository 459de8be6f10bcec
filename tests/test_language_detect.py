"""Which language a shopper writes: their words, else the conversation's, else hints."""

from __future__ import annotations

import pytest

from omnichannel.i18n.detect import choose, phone_language

FIRST = {
    "en": ["my zipper is broken", "where is my order?", "Can I pay with PayPal?",
           "the tent pole snapped on the first night", "how do I return an item?"],
    "es": ["hola, ¿dónde está mi pedido?", "quiero cancelar mi pedido",
           "¿puedo pagar con PayPal?", "la cremallera se rompió el primer día",
           "¿cómo devuelvo un artículo?"],
    "de": ["Wo ist meine Bestellung?", "ich möchte meine Bestellung stornieren",
           "kann ich mit PayPal bezahlen?", "der Reißverschluss ist kaputt gegangen",
           "wie kann ich einen Artikel zurückschicken?"],
    "fr": ["Bonjour, où est ma commande ?", "je voudrais annuler ma commande",
           "est-ce que je peux payer avec PayPal ?", "la fermeture éclair est cassée",
           "comment retourner un article ?"],
    "pt": ["olá, onde está o meu pedido?", "quero cancelar o meu pedido",
           "posso pagar com PayPal?", "o fecho partiu-se no primeiro dia",
           "como posso devolver um artigo?"],
    "it": ["ciao, dov'è il mio ordine?", "vorrei annullare il mio ordine",
           "posso pagare con PayPal?", "la cerniera si è rotta subito",
           "come posso restituire un articolo?"],
    "nl": ["hoi, waar is mijn bestelling?", "ik wil mijn bestelling annuleren",
           "kan ik met PayPal betalen?", "de rits is kapot gegaan",
           "hoe kan ik een artikel terugsturen?"],
}


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in FIRST.items() for t in ts])
def test_a_first_message_is_read_in_its_language(lang: str, text: str) -> None:
    assert choose(text, previous=None) == lang


def test_short_messages_keep_the_conversations_language_then_hints_then_the_shop() -> None:
    assert choose("ok", previous="de") == "de"
    assert choose("#W1234567", previous="fr") == "fr"
    assert choose("ok", previous=None, hints=("es-MX", None)) == "es"
    assert choose("ok", previous=None, hints=(None, "pt")) == "pt"
    assert choose("ok", previous=None, default="it", allowed=("en", "it")) == "it"
    assert choose("hola", previous=None) == "es"  # a greeting alone is enough to start
    assert choose("sí", previous="en") == "en"  # but not to switch


def test_a_shopper_who_switches_is_followed_and_the_shops_languages_limit_it() -> None:
    assert choose("actually, quiero hablar en español por favor", previous="en") == "es"
    assert choose("Entschuldigung, können wir auf Deutsch weitermachen?", previous="en") == "de"
    assert choose("ich möchte meine Bestellung stornieren", previous="en",
                  allowed=("en", "fr")) == "en"  # German is not offered


def test_phone_country_is_a_weak_hint() -> None:
    assert phone_language("+34 612 345 678") == "es"
    assert phone_language("+351 912 345 678") == "pt"
    assert phone_language("+1 415 555 0134") == "en"
    assert phone_language("") is None
