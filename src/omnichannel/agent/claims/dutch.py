"""The Dutch words the claim checker reads.

As in German, auxiliary and participle stand apart ("ik heb uw bestelling geannuleerd"), so
the reader looks back for the auxiliary (`bracket`); infinitives and the present of "ik" and
"wij" read as futures ("ik annuleer uw bestelling", "we gaan ... terugbetalen").
"""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words


def _forms(ed: str, fut: str) -> str:
    """Dutch forms: participles and, as futures, infinitives and present tenses."""
    return f"//{ed}//{fut}"


_NL_VERBS = (
    Verb("refund", Role.ACT, _forms(
        "terugbetaald|teruggestort|gecrediteerd|vergoed",
        "terugbetalen|terugstorten|crediteren|vergoeden|vergoed"
        "|betaal (?:\\w+ ){0,4}?terug|betalen (?:\\w+ ){0,4}?terug|stort (?:\\w+ ){0,4}?terug"
        "|storten (?:\\w+ ){0,4}?terug")),
    Verb("cancel", Role.ACT, _forms("geannuleerd", "annuleren|annuleer")),
    Verb("exchange", Role.ACT, _forms("geruild|omgeruild", "ruilen|ruil|omruilen")),
    Verb("replacement", Role.ACT, _forms("vervangen|nagestuurd", "vervang|nasturen"),
         ("label", "email")),
    Verb("ship", Role.ACT, _forms("verzonden|opgestuurd", "verzenden|verzend|opsturen"),
         ("replacement", "label"), itself=True),
    Verb("payment", Role.ACT, _forms("afgeschreven|in rekening gebracht",
                                     "afschrijven|in rekening brengen")),
    Verb("items", Role.ACT, _forms(
        "gewijzigd|aangepast|bijgewerkt|gecorrigeerd|toegevoegd|verwijderd|toegepast",
        "wijzigen|wijzig|aanpassen|bijwerken|corrigeren|corrigeer|toevoegen|verwijderen"
        "|toepassen"), ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _forms(
        "verwerkt|afgehandeld|geregeld|aangemaakt|gemaakt|verstuurd|gestuurd|toegestuurd"
        "|gemaild|ingediend|aangevraagd|goedgekeurd|gestart|in gang gezet|klaargezet|gedaan"
        "|uitgevoerd|opgesteld|aangemeld",
        "verwerken|verwerk|afhandelen|regelen|regel|aanmaken|versturen|verstuur|sturen|stuur"
        "|toesturen|indienen|aanvragen|goedkeuren|starten|start|uitvoeren|klaarzetten")),
    Verb(None, Role.ACT, "//bevestigd", passive_only=True),
    Verb("handoff", Role.ACT, _forms(
        "doorgestuurd|doorverbonden|overgedragen|geëscaleerd|doorgezet|doorgegeven",
        "doorsturen|doorverbinden|overdragen|escaleren|escaleer|doorzetten|doorgeven"
        "|verbind (?:je|u) (?:\\w+ ){0,4}?door|stuur (?:\\w+ ){0,4}?door"
        "|zet (?:\\w+ ){0,4}?door|geef (?:\\w+ ){0,4}?door|draag (?:\\w+ ){0,4}?over")),
    Verb("handoff", Role.CONTACT, _forms(
        "contact (?:met (?:je|u|jou) )?opgenomen|gecontacteerd|gemaild|laten weten"
        "|geïnformeerd|teruggekomen",
        "contact (?:met (?:je|u|jou) )?opnemen"
        "|neemt (?:\\w+ ){0,3}?contact (?:met (?:je|u|jou) )?op"
        "|nemen (?:\\w+ ){0,3}?contact (?:met (?:je|u|jou) )?op"
        "|neem (?:\\w+ ){0,3}?contact (?:met (?:je|u|jou) )?op|contacteren|contacteer"
        "|laten weten|laat (?:je|u|het je|het u) (?:\\w+ )?weten|mailen|mail (?:je|u)"
        "|informeren|informeer|terugkomen|kom (?:\\w+ ){0,3}?terug|komt (?:\\w+ ){0,3}?terug"
        "|komen (?:\\w+ ){0,3}?terug|op de hoogte houden|houd (?:je|u) op de hoogte"
        "|houden (?:je|u) op de hoogte")),
    Verb("callback", Role.CONTACT, _forms(
        "gebeld|teruggebeld",
        "bellen|terugbellen|bel (?:je|u)(?: \\w+){0,3}? terug|bel (?:je|u)"
        "|belt (?:je|u)(?: \\w+){0,3}? terug|belt (?:je|u)")),
    Verb("handoff", Role.PERSON, _forms(
        "geantwoord|gereageerd|bekeken|beoordeeld|geholpen|opgepakt|behandeld|overgenomen",
        "antwoorden|antwoordt|reageren|reageert|beantwoorden|beantwoordt|bekijken|bekijkt"
        "|beoordelen|beoordeelt|helpen|helpt|oppakken|pakt (?:\\w+ ){0,4}?op|behandelen"
        "|behandelt|overnemen|neemt (?:\\w+ ){0,4}?over|kijkt (?:\\w+ ){0,4}?naar|ernaar kijken"
        "|ernaar kijkt")),
    Verb("handoff", Role.RECEIVE, _forms(
        "", "hoort (?:\\w+ ){0,4}?van ons|hoor je (?:\\w+ ){0,4}?van ons|van ons horen")),
    Verb(None, Role.RECEIVE, _forms("gekregen", "ontvangen|ontvang|ontvangt|krijgen|krijg"
                                                "|krijgt|zien|ziet")),
    Verb(None, Role.ARRIVE, "///onderweg|op weg|in je inbox|in uw inbox"
         "/aankomen|komt (?:\\w+ ){0,3}?aan|arriveren|arriveert|binnenkomen"
         "|komt (?:\\w+ ){0,3}?binnen|verschijnen|verschijnt"),
)

_NL_CUES = (
    ("label", r"label|retourbon"),
    ("replacement", r"\bvervang\w*|\bnieuw exemplaar\b"),
    ("discount", r"korting\w*|\bcoupon\w*|\bgratis\b|\bkosteloos\b|\bcompensatie\b"
     r"|\bkosten\b|\bprijs\b"),
    ("callback", r"\bbel\w*|\btelefo\w*|\bterugbel\w*"),
    ("credit", r"\btegoed\w*|\bcadeaukaart\w*|\bcadeaubon\w*|\bcreditering\b"),
    ("email", r"\be-?mail\w*|\bmail\b|\binstructies\b|bevestiging\w*|\binbox\b"),
    ("refund", r"terugbeta\w*|terugstort\w*|\bgeld\b|\bbedrag\w*|€\s?\d|\d\s?€|\brestitutie\b"),
    ("exchange", r"\bruil\w*|\bomruil\w*"),
    ("return", r"retour\w*|\bterugstur\w*|\bteruggestuurd\b"),
    ("cancel", r"\bannul\w*"),
    ("handoff", r"\bteam\w*|\bcollega\w*|\bmedewerker\w*|\bspecialist\w*|\bmens(?:en)?\b"
     r"|\bpersoon\b|\biemand\b|\bklantenservice\b|\bsupervisor\b|\bleidinggevende\b"
     r"|\btickets?\b|\bmagazijn\b|\bafdeling\b|\bantwoord\b|\breactie\b"),
    ("address", r"adres\w*"),
    ("payment", r"\bbetaling\w*|\bbetaalmethode\w*|\bkaart\b|\bcreditcard\b|\bafschrij\w*"
     r"|\bideal\b|\bpaypal\b|\bfactu\w*"),
    ("items", r"\bartikel\w*|\bmaat\b|\bmaten\b|\bkleur\w*|\bvariant\w*|\baantal\w*"
     r"|\bproduct\w*"),
    ("ship", r"\bbestelling\w*|\bpakket\w*|\bzending\w*|\blevering\w*|\bverzend\w*"
     r"|\bverzonden\b|\bverstuurd\b"),
)

_NL_AUX = aux_words({
    Aux.FUT: "zal|zullen|zult|zul|ga|gaan|gaat",
    Aux.OFFER: "kan|kunnen|kunt|kun|zou|zouden|moet|moeten|mag|mogen|wil|willen|wilt|te|om"
               "|graag",
    Aux.NEG: "niet|geen|nooit|nog niet|niet meer",
    (Aux.ABLE, Aux.WAS): "kon|konden",
    Aux.BE: "ben|is|zijn|bent",
    Aux.WAS: "werd|werden|was|waren",
    Aux.BEEN: "geweest",
    Aux.BEING: "wordt|worden",
    Aux.HAVE: "heb|hebben|heeft|hebt|had|hadden",
    Aux.FILL: "al|nu|net|zojuist|ook|direct|meteen|vandaag|zo|inmiddels|persoonlijk"
              "|automatisch|succesvol|volledig|hierbij|zonet",
})

DUTCH = Language(
    verbs=_NL_VERBS,
    cues=_NL_CUES,
    aux=_NL_AUX,
    pronouns={"ik": Who.SELF, "wij": Who.WE, "we": Who.WE, "u": Who.SHOPPER, "je": Who.SHOPPER,
              "jij": Who.SHOPPER, "jullie": Who.SHOPPER, "het": Who.THING, "dit": Who.THING,
              "dat": Who.THING, "alles": Who.THING, "hij": Who.PERSON, "zij": Who.PERSON,
              "ze": Who.PERSON, "iemand": Who.PERSON, "niets": Who.NOBODY,
              "niemand": Who.NOBODY, "men": Who.GENERIC},
    people=frozenset("team collega collega's medewerker medewerkers specialist specialisten "
                     "iemand mens persoon klantenservice support supervisor leidinggevende "
                     "adviseur servicedesk".split()),
    agents=frozenset("magazijn winkel systeem afdeling bedrijf webshop "
                     "administratie".split()),
    determiners=frozenset("de het een uw je jouw ons onze deze dit die dat "
                          "bestelling".split()),
    indefinite=frozenset({"een"}),
    generic=frozenset("alle elke ieder iedere sommige veel terugbetalingen retouren "
                      "bestellingen annuleringen zendingen leveringen retourzendingen".split()),
    nobody=frozenset("geen niets niemand nooit".split()),
    joins=frozenset({",", "en", "of", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|maar|dus|want|omdat|terwijl|zodat|echter|daarnaast"
                     "|hoewel|dat".split("|")),
    conditions=frozenset("als|zodra|wanneer|nadat|voordat|totdat|tenzij|mits|indien".split("|")),
    openers=frozenset("zal wil wilt kan kunt mag moet wat wanneer waar hoe welke waarom heeft "
                      "hebt heb is zijn wenst zullen".split()),
    objects=frozenset("uw je de het alles".split()),
    prepositions=frozenset("met zonder voor aan op van naar bij uit in over per "
                           "inclusief".split()),
    tag=r"^\W*(?:ok(?:é)?|akkoord|goed|prima|klopt dat|is dat (?:goed|oké|ok)|zal ik|ja"
        r"|in orde|mag ik)\W*$",
    conditional=r"\b(?:als|zodra|wanneer|nadat|voordat|totdat|tenzij|mits|indien"
                r"|met (?:uw|je|jouw) (?:akkoord|bevestiging|toestemming|goedkeuring))\b"
                r"|^\W*(?:graag )?(?:bevestig|antwoord|typ|klik|druk)\b.*\ben\b",
    timeframe=r"\b(?:binnen|over (?:\d|een |enkele |een paar )|morgen|snel|binnenkort"
              r"|spoedig|vandaag|volgende|zo snel mogelijk|uiterlijk)",
    destination=r"adres\b|\bnaar \d+",
    routine=r"\btrack\w*|\bverzendbevestiging\b|\borderbevestiging\b|\bbestelbevestiging\b"
            r"|\bzodra (?:uw |je |de )?bestelling (?:is )?verzonden\b",
    record=r"\b(?:maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)\b"
           r"|\b\d{1,2} (?:januari|februari|maart|april|mei|juni|juli|augustus|september"
           r"|oktober|november|december)\b|\b\d{1,2}-\d{1,2}(?:-\d{2,4})?\b"
           r"|\b\d{4}-\d{2}-\d{2}\b|\bgisteren\b|\bvorige (?:week|maand)\b|\b\d+ (?:dagen"
           r"|weken|maanden|uur) geleden\b|\bvolgens\b|\bstatus\b|\bstaat als\b"
           r"|\bgemarkeerd\b",
    by_person=r"\bdoor (?:een |onze |ons |de |het |iemand)",
    finished=r"^\W*(?:klaar|geregeld|gedaan|voltooid|(?:alles is )?geregeld)\b\s*(?:[:!.,-]|$)",
    coming=r"\b(?:uw|je|de|het) (?:nieuwe|vervangende|omgeruilde)\b[\w\s-]{0,60}?\b(?:is|zijn"
           r"|wordt|worden) (?:al )?(?:onderweg|verzonden|verstuurd)\b",
    bracket=True,
)
