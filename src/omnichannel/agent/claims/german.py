"""The German words the claim checker reads.

Auxiliary and participle stand apart ("ich habe Ihre Bestellung storniert"), so the reader
looks back through the clause for the auxiliary (`bracket`). Infinitives and the present of
"ich" and "wir" read as futures: "wir erstatten Ihnen den Betrag", "ich werde ... stornieren".
"""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words


def _forms(ed: str, fut: str) -> str:
    """German forms: participles and, as futures, infinitives and present tenses."""
    return f"//{ed}//{fut}"


_DE_VERBS = (
    Verb("refund", Role.ACT, _forms(
        "erstattet|zurückerstattet|rückerstattet|gutgeschrieben|zurückgebucht|zurückgezahlt"
        "|zurücküberwiesen",
        "erstatten|erstatte|zurückerstatten|rückerstatten|gutschreiben|zurückbuchen"
        "|zurückzahlen|zurücküberweisen")),
    Verb("cancel", Role.ACT, _forms("storniert|annulliert",
                                    "stornieren|storniere|annullieren|annulliere")),
    Verb("exchange", Role.ACT, _forms("umgetauscht|ausgetauscht|getauscht",
                                      "umtauschen|austauschen|tauschen")),
    Verb("replacement", Role.ACT, _forms("nachgeliefert|ersetzt|neu verschickt",
                                         "nachliefern|ersetzen|ersetze"), ("label", "email")),
    Verb("ship", Role.ACT, _forms("versandt|versendet|verschickt|losgeschickt",
                                  "versenden|versende|verschicken|verschicke"),
         ("replacement", "label"), itself=True),
    Verb("payment", Role.ACT, _forms("abgebucht|belastet|berechnet",
                                     "abbuchen|belasten|berechnen")),
    Verb("items", Role.ACT, _forms(
        "geändert|aktualisiert|angepasst|korrigiert|hinzugefügt|entfernt|angewendet",
        "ändern|ändere|aktualisieren|aktualisiere|anpassen|korrigieren|korrigiere"
        "|hinzufügen|entfernen|anwenden"),
        ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _forms(
        "veranlasst|bearbeitet|eingeleitet|angestoßen|ausgelöst|erstellt|ausgestellt"
        "|gesendet|geschickt|zugeschickt|zugesandt|angelegt|registriert|beantragt|genehmigt"
        "|freigegeben|erledigt|abgeschlossen|vorgenommen|durchgeführt|gemailt|gemacht",
        "veranlassen|veranlasse|bearbeiten|bearbeite|einleiten|erstellen|erstelle|ausstellen"
        "|senden|sende|schicken|schicke|zuschicken|anlegen|registrieren|beantragen"
        "|genehmigen|freigeben|erledigen|erledige|abschließen|vornehmen|durchführen"
        "|kümmere mich|kümmern uns")),
    Verb(None, Role.ACT, "//bestätigt", passive_only=True),
    Verb("handoff", Role.ACT, _forms(
        "weitergeleitet|weitergegeben|übergeben|eskaliert|verbunden|übertragen",
        "weiterleiten|weitergeben|übergeben|übergebe|eskalieren|eskaliere|verbinden|verbinde"
        "|leite (?:sie|dich|ihre anfrage|ihr anliegen|das) (?:\\w+ ){0,4}?weiter"
        "|gebe (?:sie|dich|ihre anfrage|ihr anliegen|das) (?:\\w+ ){0,4}?weiter")),
    Verb("handoff", Role.CONTACT, _forms(
        "gemeldet|kontaktiert|geschrieben|informiert|benachrichtigt",
        "melden|melde mich|melden uns|meldet sich|melden sich|kontaktieren|kontaktiere"
        "|schreiben|schreibe|informieren|informiere|benachrichtigen|benachrichtige"
        "|in verbindung setzen|setzt sich (?:\\w+ ){0,3}?in verbindung"
        "|setzen sich (?:\\w+ ){0,3}?in verbindung|bescheid geben|gebe (?:ihnen |dir )?bescheid"
        "|geben (?:ihnen |dir )?bescheid|auf (?:sie|dich) zukommen"
        "|kommt (?:\\w+ ){0,3}?auf (?:sie|dich) zu|kommen (?:\\w+ ){0,3}?auf (?:sie|dich) zu")),
    Verb("callback", Role.CONTACT, _forms(
        "angerufen|zurückgerufen",
        "anrufen|zurückrufen|rufe (?:sie|dich) (?:\\w+ )?(?:an|zurück)"
        "|rufen (?:sie|dich) (?:\\w+ )?(?:an|zurück)|ruft (?:sie|dich) (?:\\w+ )?(?:an|zurück)")),
    Verb("handoff", Role.PERSON, _forms(
        "geantwortet|beantwortet|geprüft|überprüft|angesehen|übernommen|angeschaut",
        "antworten|antwortet|beantworten|beantwortet|prüfen|prüft|überprüfen|überprüft"
        "|ansehen|anschauen|kümmern|kümmert sich|helfen|hilft|übernehmen|übernimmt"
        "|sieht sich (?:\\w+ ){0,3}?an|schaut sich (?:\\w+ ){0,3}?an")),
    Verb("handoff", Role.RECEIVE, _forms(
        "", "hören (?:\\w+ ){0,3}?von uns|von uns hören|hörst (?:\\w+ ){0,3}?von uns")),
    Verb(None, Role.RECEIVE, _forms("bekommen", "erhalten|erhältst|erhält|bekommen|bekommst"
                                                "|bekommt|sehen|finden")),
    Verb(None, Role.ARRIVE, "///unterwegs|auf dem weg|in ihrem posteingang|in deinem posteingang"
         "/ankommen|kommt (?:\\w+ ){0,3}?an|eintreffen|trifft (?:\\w+ ){0,3}?ein|eingehen"
         "|geht (?:\\w+ ){0,3}?ein|erscheinen|erscheint"),
)

_DE_CUES = (
    ("label", r"etikett|rücksendeschein|label"),
    ("replacement", r"\bersatz\w*|\bnachliefer\w*"),
    ("discount", r"\brabatt\w*|\bgutschein\w*|\bpromo\w*|\bkostenlos\w*|\bgratis\b"
     r"|\bentschädigung\w*|\bkulanz\w*|\bgebühr\w*|\bpreis\w*|\bnachlass\w*"),
    ("callback", r"\banruf\w*|\brückruf\w*|\btelefon\w*"),
    ("credit", r"\bguthaben\w*|\bgutschrift\w*|\bgeschenkkarte\w*"),
    ("email", r"\be-?mail\w*|\bmail\b|\banleitung\w*|\banweisungen\b|\bbestätigung\w*"
     r"|\bposteingang\b"),
    ("refund", r"\berstatt\w*|\brückerstatt\w*|\brückzahlung\w*|\bgeld\b|\bbetrag\w*"
     r"|\bsumme\b|€\s?\d|\d\s?€"),
    ("exchange", r"\bumtausch\w*|\baustausch\w*|\btausch\w*"),
    ("return", r"\brücksendung\w*|\bretoure\w*|\brückgabe\w*"),
    ("cancel", r"\bstorn\w*"),
    ("handoff", r"\bteam\w*|\bkolleg\w*|\bspezialist\w*|\bmitarbeiter\w*|\bmensch\w*"
     r"|\bperson\b|\bberater\w*|\bsupervisor\b|\bvorgesetzte\w*|\bticket\w*|\bjemand\w*"
     r"|\blager\b|\babteilung\b|\bantwort\b|\bkundenservice\b|\bkundendienst\b|\bsupport\b"),
    ("address", r"\b\w*adresse\w*|\banschrift\b"),
    ("payment", r"\bzahlung\w*|\b\w*karte\b|\babbuch\w*|\bbelast\w*|\bpaypal\b|\brechnung\w*"),
    ("items", r"\bartikel\w*|\bgröße\w*|\bfarbe\w*|\bvariante\w*|\bmenge\w*|\bprodukt\w*"),
    ("ship", r"\bbestellung\w*|\bpaket\w*|\bsendung\w*|\blieferung\w*|\bversand\w*"
     r"|\bversendet\b|\bverschickt\b"),
)

_DE_AUX = aux_words({
    Aux.FUT: "werde|werden|wird|wirst|werdet",
    Aux.OFFER: "kann|können|könnte|könnten|kannst|muss|müssen|müsste|müssten|sollte|sollten"
               "|soll|sollen|möchte|möchten|möchtest|würde|würden|darf|dürfen|zu|um|gern|gerne"
               "|wollen|will|willst",
    Aux.NEG: "nicht|kein|keine|keinen|keiner|nie|niemals|noch nicht|nicht mehr",
    (Aux.ABLE, Aux.WAS): "konnte|konnten",
    Aux.BE: "bin|sind|ist|bist|seid",
    Aux.WAS: "wurde|wurden|war|waren|wurdest",
    Aux.BEEN: "worden|gewesen",
    Aux.HAVE: "habe|haben|hat|hast|habt|hatte|hatten",
    Aux.FILL: "bereits|schon|soeben|gerade|jetzt|nun|eben|auch|sofort|umgehend|heute|direkt"
              "|gleich|persönlich|automatisch|erfolgreich|vollständig|hiermit",
})

GERMAN = Language(
    verbs=_DE_VERBS,
    cues=_DE_CUES,
    aux=_DE_AUX,
    pronouns={"ich": Who.SELF, "wir": Who.WE, "sie": Who.SHOPPER, "du": Who.SHOPPER,
              "ihr": Who.SHOPPER, "es": Who.THING, "das": Who.THING, "dies": Who.THING,
              "alles": Who.THING, "er": Who.PERSON, "jemand": Who.PERSON,
              "nichts": Who.NOBODY, "niemand": Who.NOBODY, "man": Who.GENERIC},
    people=frozenset("team teams kollege kollegin kollegen kolleginnen mitarbeiter "
                     "mitarbeiterin mitarbeitende spezialist spezialistin berater beraterin "
                     "mensch person supervisor vorgesetzter support kundenservice kundendienst "
                     "jemand ansprechpartner ansprechpartnerin serviceteam supportteam".split()),
    agents=frozenset("lager shop system abteilung firma unternehmen versandabteilung logistik "
                     "buchhaltung".split()),
    determiners=frozenset("der die das den dem des ihre ihr ihren ihrem ihres deine dein "
                          "deinen unser unsere unseren dieser diese dieses ein eine einen "
                          "einem einer bestellung".split()),
    indefinite=frozenset({"ein", "eine", "einen", "einem", "einer"}),
    generic=frozenset("alle jede jeder jedes manche viele erstattungen rückerstattungen "
                      "rücksendungen bestellungen stornierungen retouren lieferungen "
                      "sendungen rückzahlungen umtausche".split()),
    nobody=frozenset("kein keine keinen keiner nichts niemand nie".split()),
    joins=frozenset({",", "und", "oder", "sowie", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|aber|also|denn|weil|da|während|dass|sodass|jedoch"
                     "|außerdem|sondern|damit|wobei|sowohl".split("|")),
    conditions=frozenset("wenn|falls|sobald|nachdem|bevor|bis|sofern|ob|solange"
                         "|vorausgesetzt".split("|")),
    openers=frozenset("soll sollen möchten möchtest wollen willst kann können darf dürfen "
                      "haben hast sind ist was wann wo wie welche welcher warum gibt brauchen "
                      "benötigen wünschen hätten".split()),
    objects=frozenset("ihre ihr ihren die den das alles es sie".split()),
    prepositions=frozenset("mit ohne für an auf von zu bei aus in nach über per "
                           "inklusive".split()),
    tag=r"^\W*(?:ok(?:ay)?|einverstanden|in ordnung|passt das|ist das (?:ok(?:ay)?|in ordnung"
        r"|recht)|richtig|ja|soll ich|passt es|geht das|darf ich)\W*$",
    conditional=r"\b(?:wenn|falls|sobald|nachdem|bevor|sofern|vorausgesetzt"
                r"|mit ihrer (?:zustimmung|bestätigung|freigabe|erlaubnis))\b"
                r"|^\W*(?:bitte )?(?:bestätigen|antworten|schreiben|tippen|klicken|drücken)\b"
                r".*\bund\b",
    timeframe=r"\b(?:innerhalb|in (?:\d|einem |einer |wenigen |den nächsten |kürze)|binnen"
              r"|bis (?:morgen|zum|spätestens)|morgen|bald|demnächst|heute|nächst|umgehend"
              r"|zeitnah)",
    destination=r"\b\w*adresse\b|\banschrift\b|\ban (?:die |ihre )?neue\b",
    routine=r"\bsendungsverfolgung\b|\btracking\w*|\bversandbestätigung\b"
            r"|\bbestellbestätigung\b|\bsobald (?:ihre |die )?bestellung versandt\b",
    record=r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)\b"
           r"|\b\d{1,2}\.\s?(?:januar|februar|märz|april|mai|juni|juli|august|september"
           r"|oktober|november|dezember)\b|\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?|\b\d{4}-\d{2}-\d{2}\b"
           r"|\bgestern\b|\bletzte woche\b|\bletzten monat\b|\bvor \d+ (?:tagen|wochen"
           r"|monaten|stunden)\b|\blaut\b|\bstatus\b|\bzeigt\b|\bvermerkt\b|\bmarkiert\b",
    by_person=r"\b(?:von (?:einem |einer |unserem |unserer |dem |der |jemandem )|vom )",
    finished=r"^\W*(?:(?:alles )?erledigt|fertig|geschafft|abgeschlossen)\b\s*(?:[:!.,-]|$)",
    coming=r"\b(?:ihr|ihre|der|die|das) (?:neue[rsn]?|ersatz\w*|umtausch\w*)\b[\w\s-]{0,60}?"
           r"\b(?:ist|sind|wird|werden) (?:bereits |schon )?(?:unterwegs|auf dem weg"
           r"|verschickt|versandt)\b",
    bracket=True,
    ordinals=True,
)
