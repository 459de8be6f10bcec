"""Understanding in every shipped language: yes/no, requests for a person, red flags, names
and postcodes, cancellation reasons, options, asking how or asking to do, thanks and goodbyes,
and the classifier's intent for first messages. Read in the turn's language (`i18n.using`).

Utterances here are ours, written for these tests (not the training data, not the external
corpus).
"""

from __future__ import annotations

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent import cues, intents, slots
from omnichannel.agent.turn import HandoffReason
from omnichannel.agent.understanding import entities, read, segment
from omnichannel.agent.understanding.confirm import Answer, decide
from omnichannel.agent.understanding.tone import assess
from omnichannel.commerce import Variant

LANGS = ("es", "de", "fr", "pt", "it", "nl")

YES = {
    "es": ["sí, adelante", "vale", "sí por favor", "claro que sí", "correcto"],
    "de": ["ja bitte", "ja, mach das", "genau", "passt", "in Ordnung"],
    "fr": ["oui vas-y", "d'accord", "oui merci", "c'est bon", "parfait"],
    "pt": ["sim, pode avançar", "claro", "sim por favor", "está bem", "confirmo"],
    "it": ["sì grazie", "va bene", "certo", "sì, procedi", "confermo"],
    "nl": ["ja graag", "prima", "klopt", "ja, doe maar", "akkoord"],
}
NO = {
    "es": ["no", "no gracias", "mejor no", "olvídalo"],
    "de": ["nein, doch nicht", "nein danke", "lieber nicht", "vergiss es"],
    "fr": ["non", "non merci", "laisse tomber", "finalement non"],
    "pt": ["não", "não, obrigado", "esquece", "mudei de ideia"],
    "it": ["no", "no grazie", "lascia stare", "ho cambiato idea"],
    "nl": ["nee", "nee bedankt", "laat maar", "liever niet"],
}
UNCLEAR = {
    "es": ["no, espera", "sí pero cambia la talla", "vale, pero ¿cuánto cuesta?", "no sé"],
    "de": ["nein, warte", "ja, aber in Blau", "ja? was kostet das", "vielleicht"],
    "fr": ["non, attends", "oui mais en rouge", "oui, mais c'est combien ?", "peut-être"],
    "pt": ["não, espera", "sim mas muda o tamanho", "sim? quanto custa", "talvez"],
    "it": ["no, aspetta", "sì ma cambia la taglia", "sì, ma quanto costa?", "forse"],
    "nl": ["nee wacht", "ja maar in het rood", "ja? wat kost het", "misschien"],
}
PERSON = {
    "es": ["quiero hablar con una persona", "pásame con un agente humano"],
    "de": ["ich will mit einem Menschen sprechen", "bitte einen echten Mitarbeiter"],
    "fr": ["je veux parler à quelqu'un de réel", "passez-moi un conseiller"],
    "pt": ["quero falar com uma pessoa", "preciso de um atendente humano"],
    "it": ["voglio parlare con un operatore", "posso avere una persona vera?"],
    "nl": ["ik wil een medewerker spreken", "kan ik met iemand praten?"],
}
NOT_PERSON = {
    "es": "¿dónde está mi pedido?", "de": "wo ist meine Bestellung?",
    "fr": "où est ma commande ?", "pt": "onde está a minha encomenda?",
    "it": "dov'è il mio ordine?", "nl": "waar is mijn bestelling?",
}
# (text, reason): legal threats, self-harm, abuse, anger, in the language's own words.
SAFETY = {
    "es": [("voy a hablar con mi abogado", HandoffReason.LEGAL),
           ("ya no puedo más, quiero morir", HandoffReason.SELF_HARM),
           ("sois unos gilipollas", HandoffReason.ABUSE),
           ("es inaceptable, estoy furioso", HandoffReason.ANGER)],
    "de": [("ich schalte einen Anwalt ein", HandoffReason.LEGAL),
           ("ich will mich umbringen", HandoffReason.SELF_HARM),
           ("ihr Idioten", HandoffReason.ABUSE),
           ("das ist eine Frechheit, ich bin stinksauer", HandoffReason.ANGER)],
    "fr": [("je vais porter plainte", HandoffReason.LEGAL),
           ("j'ai envie de mourir", HandoffReason.SELF_HARM),
           ("bande de connards", HandoffReason.ABUSE),
           ("c'est inadmissible, je suis furieux", HandoffReason.ANGER)],
    "pt": [("vou falar com o meu advogado", HandoffReason.LEGAL),
           ("quero morrer", HandoffReason.SELF_HARM),
           ("vocês são uns idiotas", HandoffReason.ABUSE),
           ("isto é inaceitável, estou farto", HandoffReason.ANGER)],
    "it": [("mi rivolgerò a un avvocato", HandoffReason.LEGAL),
           ("voglio togliermi la vita", HandoffReason.SELF_HARM),
           ("siete degli stronzi", HandoffReason.ABUSE),
           ("è una truffa, sono furioso", HandoffReason.ANGER)],
    "nl": [("ik schakel een advocaat in", HandoffReason.LEGAL),
           ("ik wil er een eind aan maken", HandoffReason.SELF_HARM),
           ("stelletje klootzakken", HandoffReason.ABUSE),
           ("dit is schandalig, ik ben woedend", HandoffReason.ANGER)],
}
CALM = {
    "es": "¿tenéis esta chaqueta en azul?", "de": "habt ihr die Jacke auch in Blau?",
    "fr": "avez-vous cette veste en bleu ?", "pt": "têm este casaco em azul?",
    "it": "avete questa giacca in blu?", "nl": "hebben jullie deze jas ook in blauw?",
}
# (text, first, last, postcode)
IDENTITY = {
    "es": [("me llamo Ana García, 28013", "Ana", "García", "28013"),
           ("Soy Lucía Fernández y mi código postal es 41001", "Lucía", "Fernández", "41001")],
    "de": [("ich heiße Jonas Weber, PLZ 10115", "Jonas", "Weber", "10115"),
           ("Mein Name ist Anna Müller, 80331", "Anna", "Müller", "80331")],
    "fr": [("je m'appelle Éloïse Dubois, 75011", "Éloïse", "Dubois", "75011"),
           ("Marc Lefèvre, code postal 69002", "Marc", "Lefèvre", "69002")],
    "pt": [("chamo-me João Silva, 1000-001", "João", "Silva", "1000-001"),
           ("o meu nome é Maria da Costa, código postal 4050-123", "Maria", "da Costa",
            "4050-123")],
    "it": [("mi chiamo Giulia Rossi, CAP 20121", "Giulia", "Rossi", "20121"),
           ("Sono Marco Bianchi, 00184", "Marco", "Bianchi", "00184")],
    "nl": [("ik heet Sanne de Vries, 1012 AB", "Sanne", "de Vries", "1012 AB"),
           ("Daan Jansen 3511 CE", "Daan", "Jansen", "3511 CE")],
}
NAME_ONLY = {"es": ("me llamo Ana García", "Ana", "García"),
             "de": ("ich heiße Jonas Weber", "Jonas", "Weber"),
             "fr": ("je m'appelle Chloé Martin", "Chloé", "Martin"),
             "pt": ("me chamo Beatriz Santos", "Beatriz", "Santos"),
             "it": ("mi chiamo Luca Ferrari", "Luca", "Ferrari"),
             "nl": ("mijn naam is Emma Bakker", "Emma", "Bakker")}
MISTAKE, NOT_NEEDED = "ordered by mistake", "no longer needed"
REASONS = {
    "es": [("lo pedí por error", MISTAKE), ("ya no lo necesito", NOT_NEEDED),
           ("lo encontré más barato en otra tienda", NOT_NEEDED), ("¿dónde está?", None)],
    "de": [("aus Versehen bestellt", MISTAKE), ("ich brauche es nicht mehr", NOT_NEEDED),
           ("habe meine Meinung geändert", NOT_NEEDED), ("wo ist das Paket?", None)],
    "fr": [("commandé par erreur", MISTAKE), ("je ne le veux plus", NOT_NEEDED),
           ("j'ai changé d'avis", NOT_NEEDED), ("où est le colis ?", None)],
    "pt": [("encomendei por engano", MISTAKE), ("já não preciso", NOT_NEEDED),
           ("mudei de ideia", NOT_NEEDED), ("onde está o pacote?", None)],
    "it": [("l'ho ordinato per sbaglio", MISTAKE), ("non mi serve più", NOT_NEEDED),
           ("ho cambiato idea", NOT_NEEDED), ("dov'è il pacco?", None)],
    "nl": [("per ongeluk besteld", MISTAKE), ("ik heb het niet meer nodig", NOT_NEEDED),
           ("ik ben van gedachten veranderd", NOT_NEEDED), ("waar is het pakket?", None)],
}
_SHIRTS = [Variant(f"{c}-{s}", (("color", c), ("size", s)), True, 20.0)
           for c in ("red", "blue", "black") for s in ("S", "M", "L")]
_SHOES = [Variant(f"shoe-{n}", (("size", n),), True, 60.0) for n in ("41", "42", "43")]
_NOW = (("color", "blue"), ("size", "S"))
# (phrase, variants, current, expected options)
OPTIONS = {
    "es": [("talla M", _SHIRTS, _NOW, (("color", "blue"), ("size", "M"))),
           ("en rojo", _SHIRTS, _NOW, (("color", "red"), ("size", "S")))],
    "de": [("Größe L", _SHIRTS, _NOW, (("color", "blue"), ("size", "L"))),
           ("in Schwarz", _SHIRTS, _NOW, (("color", "black"), ("size", "S")))],
    "fr": [("en rouge", _SHIRTS, _NOW, (("color", "red"), ("size", "S"))),
           ("taille L", _SHIRTS, _NOW, (("color", "blue"), ("size", "L")))],
    "pt": [("tamanho 42", _SHOES, (), (("size", "42"),)),
           ("em preto, tamanho M", _SHIRTS, _NOW, (("color", "black"), ("size", "M")))],
    "it": [("taglia M", _SHIRTS, _NOW, (("color", "blue"), ("size", "M"))),
           ("numero 43", _SHOES, (), (("size", "43"),))],
    "nl": [("maat L", _SHIRTS, _NOW, (("color", "blue"), ("size", "L"))),
           ("in het rood", _SHIRTS, _NOW, (("color", "red"), ("size", "S")))],
}
# (a general question about a task, a request to do it on the shopper's order)
HOW_OR_DO = {
    "es": ("¿cómo devuelvo un artículo?", "quiero devolver mi pedido"),
    "de": ("Wie kann ich einen Artikel zurückschicken?", "Ich möchte meine Bestellung stornieren"),
    "fr": ("Comment retourner un article ?", "Je veux annuler ma commande"),
    "pt": ("Como posso devolver um artigo?", "Quero devolver a minha encomenda"),
    "it": ("Come si restituisce un articolo?", "Voglio restituire il mio ordine"),
    "nl": ("Hoe kan ik iets retourneren?", "Ik wil mijn bestelling annuleren"),
}
THANKS = {"es": ["muchas gracias", "vale, gracias"], "de": ["danke schön", "super, danke"],
          "fr": ["merci beaucoup", "parfait, merci"], "pt": ["obrigado", "ótimo, obrigada"],
          "it": ["grazie mille", "perfetto, grazie"], "nl": ["bedankt", "top, dank je wel"]}
BYE = {"es": ["adiós", "eso es todo"], "de": ["tschüss", "das war's"],
       "fr": ["au revoir", "c'est tout"], "pt": ["tchau", "é tudo"],
       "it": ["arrivederci", "è tutto"], "nl": ["doei", "dat was het"]}
GREETING = {"es": "¡hola!", "de": "Guten Morgen", "fr": "bonjour", "pt": "olá",
            "it": "buongiorno", "nl": "hallo"}

FIRSTS = {
    "es": [
        ("hola, ¿me decís por dónde va mi paquete?", "order_status"),
        ("necesito anular el pedido que hice anoche", "cancel_order"),
        ("las zapatillas me quedan pequeñas y quiero mandarlas de vuelta", "return_items"),
        ("¿cuántos días tengo para devolver algo?", "return_policy"),
        ("¿hacéis envíos a Suiza?", "shipping_countries"),
        ("prefiero que me atienda una persona, por favor", "human_agent"),
        ("mil gracias por la ayuda", "thanks"),
        ("¿se puede pagar con Bizum o solo con tarjeta?", "payment_methods"),
        ("¿en cuántos días llega un pedido a Sevilla?", "delivery_time"),
        ("el cupón de descuento me dice que no es válido", "promo_code"),
    ],
    "de": [
        ("Hallo, wo bleibt eigentlich mein Paket?", "order_status"),
        ("bitte die Bestellung von gestern stornieren", "cancel_order"),
        ("die Jacke passt nicht, ich will sie zurückschicken", "return_items"),
        ("wie lange habe ich Zeit für eine Rücksendung?", "return_policy"),
        ("liefert ihr auch nach Norwegen?", "shipping_countries"),
        ("kann ich bitte mit einem echten Mitarbeiter reden", "human_agent"),
        ("super, vielen Dank für die Hilfe!", "thanks"),
        ("kann man bei euch per Rechnung oder Klarna zahlen?", "payment_methods"),
        ("wie viele Tage dauert die Lieferung nach München?", "delivery_time"),
        ("mein Rabattcode wird an der Kasse nicht angenommen", "promo_code"),
    ],
    "fr": [
        ("bonjour, où en est mon colis ?", "order_status"),
        ("je souhaite annuler la commande passée ce matin", "cancel_order"),
        ("la robe ne me va pas, je voudrais la renvoyer", "return_items"),
        ("combien de jours ai-je pour retourner un article ?", "return_policy"),
        ("est-ce que vous livrez en Belgique ?", "shipping_countries"),
        ("je préfère parler à un conseiller humain", "human_agent"),
        ("merci beaucoup, c'est très gentil", "thanks"),
        ("est-ce qu'on peut payer avec PayPal ?", "payment_methods"),
        ("en combien de temps la livraison arrive à Lyon ?", "delivery_time"),
        ("mon code promo ne fonctionne pas au paiement", "promo_code"),
    ],
    "pt": [
        ("olá, onde anda a minha encomenda?", "order_status"),
        ("quero anular a encomenda que fiz ontem", "cancel_order"),
        ("os ténis ficaram pequenos, quero devolvê-los", "return_items"),
        ("quantos dias tenho para fazer uma devolução?", "return_policy"),
        ("vocês enviam para a Suíça?", "shipping_countries"),
        ("queria falar com uma pessoa a sério, por favor", "human_agent"),
        ("muito obrigada pela ajuda!", "thanks"),
        ("posso pagar com MB Way?", "payment_methods"),
        ("quanto tempo demora a entrega para o Porto?", "delivery_time"),
        ("o código de desconto diz que é inválido", "promo_code"),
    ],
    "it": [
        ("ciao, dov'è finito il mio pacco?", "order_status"),
        ("vorrei annullare l'ordine fatto ieri sera", "cancel_order"),
        ("le scarpe sono strette, voglio restituirle", "return_items"),
        ("quanti giorni ho per fare un reso?", "return_policy"),
        ("spedite anche in Svizzera?", "shipping_countries"),
        ("posso parlare con un operatore in carne e ossa?", "human_agent"),
        ("grazie mille, gentilissimi", "thanks"),
        ("si può pagare con PayPal?", "payment_methods"),
        ("quanto ci mette la consegna a Milano?", "delivery_time"),
        ("il codice sconto non funziona al checkout", "promo_code"),
    ],
    "nl": [
        ("hoi, waar blijft mijn pakketje?", "order_status"),
        ("ik wil de bestelling van gisteren annuleren", "cancel_order"),
        ("de schoenen zijn te klein, ik wil ze terugsturen", "return_items"),
        ("hoeveel dagen heb ik om iets te retourneren?", "return_policy"),
        ("leveren jullie ook in Duitsland?", "shipping_countries"),
        ("kan ik een echte medewerker spreken?", "human_agent"),
        ("top, heel erg bedankt!", "thanks"),
        ("kan ik betalen met iDEAL?", "payment_methods"),
        ("hoe lang duurt de bezorging naar Utrecht?", "delivery_time"),
        ("mijn kortingscode werkt niet bij het afrekenen", "promo_code"),
    ],
}
# Several requests in one message: (text, number of parts).
SEVERAL = {
    "es": "¿cuánto cuesta el envío? y también quiero devolver mi pedido",
    "de": "Wie lange dauert der Versand und wie kann ich etwas zurückschicken",
    "fr": "combien coûte la livraison et comment retourner un article",
    "pt": "quanto custa o envio e como posso devolver um artigo",
    "it": "quanto costa la spedizione e come posso fare un reso",
    "nl": "hoe lang duurt de levering en hoe kan ik iets retourneren",
}


def _each(table: dict[str, list]) -> list[tuple[str, object]]:
    return [(lang, row) for lang in LANGS for row in table[lang]]


@pytest.mark.parametrize(("lang", "text"), _each(YES))
def test_a_clear_yes(lang: str, text: str) -> None:
    with i18n.using(lang):
        assert decide(text, read(text).whole) is Answer.YES
        assert decide(text, None) is Answer.YES


@pytest.mark.parametrize(("lang", "text"), _each(NO))
def test_no_means_no(lang: str, text: str) -> None:
    with i18n.using(lang):
        assert decide(text, read(text).whole) is Answer.NO


@pytest.mark.parametrize(("lang", "text"), _each(UNCLEAR))
def test_a_correction_or_a_hedge_is_not_a_yes(lang: str, text: str) -> None:
    with i18n.using(lang):
        assert decide(text, read(text).whole) is Answer.UNCLEAR


@pytest.mark.parametrize(("lang", "text"), _each(PERSON))
def test_asking_for_a_person(lang: str, text: str) -> None:
    with i18n.using(lang):
        assert intents.wants_person(text)
        assert not intents.wants_person(NOT_PERSON[lang])


@pytest.mark.parametrize(("lang", "case"), _each(SAFETY))
def test_red_flags(lang: str, case: tuple[str, HandoffReason]) -> None:
    text, reason = case
    with i18n.using(lang):
        flag = intents.red_flag(text)
        assert flag is not None and flag.reason is reason, (text, flag)
        assert intents.red_flag(CALM[lang]) is None
        assert intents.red_flag("4111 1111 1111 1111").reason is HandoffReason.CARD_NUMBER


@pytest.mark.parametrize("lang", LANGS)
def test_anger_builds_up_in_the_language(lang: str) -> None:
    with i18n.using(lang):
        angry = SAFETY[lang][-1][0]
        assert assess(angry).angry
        assert not assess(CALM[lang]).frustrated


@pytest.mark.parametrize(("lang", "case"), _each(IDENTITY))
def test_names_and_postcodes(lang: str, case: tuple[str, str, str, str]) -> None:
    text, first, last, code = case
    with i18n.using(lang):
        guesses = entities.name_and_postcode(text)
        assert guesses and guesses[0] == (first, last, code), guesses
        assert entities.without_identity(text) in ("", text)


@pytest.mark.parametrize("lang", LANGS)
def test_a_name_after_its_cue(lang: str) -> None:
    text, first, last = NAME_ONLY[lang]
    with i18n.using(lang):
        assert entities.names(text)[0] == (first, last)


@pytest.mark.parametrize(("lang", "case"), _each(REASONS))
def test_cancellation_reasons(lang: str, case: tuple[str, str | None]) -> None:
    text, reason = case
    with i18n.using(lang):
        assert entities.cancel_reason(text) == reason


@pytest.mark.parametrize(("lang", "case"), _each(OPTIONS))
def test_options_in_the_language(lang: str, case: tuple) -> None:
    phrase, variants, current, expected = case
    with i18n.using(lang):
        found = slots.match_variant(phrase, variants, current)
        assert found is not None and found.options == expected, (phrase, found)
        assert slots.option_words(phrase)


def _general_question(text: str) -> bool:
    # As the engine tells a question about a task from a request (builtin.py).
    return not cues.PERSONAL.search(text) and bool(cues.HOW_TO.search(text))


def _request(text: str) -> bool:
    return bool(cues.REQUEST.search(text) and not cues.HOW_TO.search(text)) or bool(
        cues.CAN_I_DO.search(text) and cues.PERSONAL.search(text))


@pytest.mark.parametrize("lang", LANGS)
def test_asking_how_or_asking_to_do(lang: str) -> None:
    how, do = HOW_OR_DO[lang]
    with i18n.using(lang):
        assert _general_question(how) and not _request(how)
        assert _request(do) and not _general_question(do)
        assert read(how).intent == "return_policy"
        assert read(do).intent in ("return_items", "cancel_order")


@pytest.mark.parametrize("lang", LANGS)
def test_thanks_goodbye_and_hello(lang: str) -> None:
    with i18n.using(lang):
        for text in THANKS[lang]:
            assert intents.is_thanks(text), text
        for text in BYE[lang]:
            assert intents.is_goodbye(text), text
        assert intents.is_greeting(GREETING[lang])
        assert not intents.is_thanks(NOT_PERSON[lang])
        assert not intents.is_goodbye(NOT_PERSON[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_several_requests_are_split(lang: str) -> None:
    with i18n.using(lang):
        assert len(segment.parts(SEVERAL[lang])) == 2


@pytest.mark.parametrize(("lang", "case"), _each(FIRSTS))
def test_first_messages_read_in_their_language(lang: str, case: tuple[str, str]) -> None:
    text, intent = case
    reading = read(text, lang)
    assert reading.intent == intent, reading.whole
    assert reading.confidence >= 0.5


def test_english_rules_are_read_when_the_turn_is_english() -> None:
    # The English tables stay the default: a Spanish word is not read as a yes in English.
    assert decide("vale", None) is Answer.UNCLEAR
    with i18n.using("es"):
        assert decide("vale", None) is Answer.YES
        assert intents.wants_person("can I talk to a human")  # mixed in: still read
