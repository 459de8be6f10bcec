"""The French words the claim checker reads."""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words


def _er(*stems: str, first: bool = False) -> str:
    """Regular -er verbs: base, "en train de", participle, "will", future (present of "je")."""
    base = "|".join(f"{s}er|{s}ent" + ("" if first else f"|{s}e") for s in stems)
    ing = "|".join(f"en train de {s}er" for s in stems)
    ed = "|".join(f"{s}é(?:es?|s)?" for s in stems)
    fut = "|".join(f"{s}erai|{s}erons|{s}era|{s}eront" + (f"|{s}e" if first else "")
                   for s in stems)
    return f"{base}/{ing}/{ed}//{fut}"


_FR_VERBS = (
    Verb("refund", Role.ACT, _er("rembours", "recrédit", "crédit")),
    Verb("cancel", Role.ACT, _er("annul")),
    Verb("return", Role.ACT, _er("retourn"), ("refund",)),
    Verb("exchange", Role.ACT, _er("échang")),
    Verb("replacement", Role.ACT, _er("remplac", "réexpédi"), ("label", "email")),
    Verb("ship", Role.ACT, _er("expédi"), ("replacement", "label"), itself=True),
    Verb("payment", Role.ACT, _er("factur", "débit", "prélev")),
    Verb("items", Role.ACT, _er("modifi", "chang", "corrig", "ajust", "appliqu", "ajout",
                                "supprim", "actualis")
         + "|mettre à jour/en train de mettre à jour/mis(?:e|es)? à jour"
           "//mettrai à jour|mettrons à jour|mettra à jour",
         ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _er("trait", "effectu", "procéd", "cré", "génér", "lanc", "initi",
                             "enregistr", "prépar", "valid", "approuv", "autoris", "demand",
                             "envoy", "transmett", "régl", "finalis")),
    Verb(None, Role.ACT, "envoyer|envoie|envoient|émettre|émet|faire/en train d'envoyer"
         "|en train de traiter/émis(?:e|es)?|fait(?:e|es|s)?|pris(?:e|es)? en charge"
         "|transmis(?:e|es)?|terminé(?:e|es|s)?"
         "//enverrai|enverrons|enverra|enverront|émettrai|émettrons|émettra|transmettrai"
         "|transmettrons|transmettra|prendrai en charge|prendrons en charge|m'en occupe"
         "|nous en occupons|ferai|ferons"),
    Verb(None, Role.ACT, "//confirmé(?:e|es|s)?", passive_only=True),
    Verb("handoff", Role.ACT, "transférer|transfèrent|mettre en relation|passer la main"
         "/en train de (?:vous )?transférer/transféré(?:e|es|s)?|mis(?:e)? en relation"
         "//transférerai|transférerons|transférera|transfère|transmets|mets en relation"
         "|mettrai en relation|mettrons en relation|passe la main|passerai la main"),
    Verb("handoff", Role.CONTACT, "contacter|recontacter|revenir vers vous|reprendre contact"
         "|écrire|tenir au courant|informer"
         "/en train de (?:vous )?contacter/contacté(?:e|es|s)?|recontacté(?:e|es|s)?|écrit"
         "|tenu(?:e|s)? au courant|informé(?:e|es|s)?"
         "//contacterai|contacterons|contactera|contacteront|recontacterai|recontacterons"
         "|recontactera|recontacteront|reviendrai vers vous|reviendrons vers vous"
         "|reviendra vers vous|reviendront vers vous|écrirai|écrirons|écrira|écriront"
         "|tiendrai au courant|tiendrons au courant|tiendra au courant|informerai"
         "|informerons|informera|informeront|reprendra contact|reprendrons contact"),
    Verb("callback", Role.CONTACT, "appeler|rappeler/en train de (?:vous )?(?:r)?appeler"
         "/appelé(?:e|s)?|rappelé(?:e|s)?//appellerai|appellerons|appellera|rappellerai"
         "|rappellerons|rappellera|rappelleront"),
    Verb("handoff", Role.PERSON, "répondre|examiner|étudier|vérifier|aider|occuper"
         "|prendre le relais/en train d'examiner|en train d'étudier"
         "/répondu|examiné(?:e|es|s)?|étudié(?:e|es|s)?"
         "//répondra|répondront|examinera|examineront|étudiera|étudieront|vérifiera"
         "|vérifieront|aidera|aideront|occupera|occuperont|prendra le relais"
         "|prendront le relais"),
    Verb("handoff", Role.RECEIVE, "////aurez des nouvelles|aurez une réponse|aura des nouvelles"
         "|recevrez une réponse|recevrez des nouvelles", second=True),
    Verb(None, Role.RECEIVE, "recevoir|reçoit|reçoivent/en train de recevoir/reçu(?:e|es|s)?"
         "//recevrez|recevra|recevras|recevront|verrez|verra", second=True),
    Verb(None, Role.ARRIVE, "arriver|arrive|arrivent|apparaître/en train d'arriver"
         "/arrivé(?:e|es|s)?/en route|en chemin|dans votre boîte de réception"
         "/arrivera|arriveront|apparaîtra|apparaîtront"),
)

_FR_CUES = (
    ("label", r"\bétiquettes?\b|\bbons? de retour\b"),
    ("replacement", r"\bremplacement\w*|\bréexpédi\w*|\bproduit de remplacement\b"),
    ("discount", r"\bréduction\w*|\bremises?\b|\bcodes? promo\w*|\bbons? d'achat\b"
     r"|\bcoupons?\b|\bgratuit\w*|\boffert\w*|\bcompensation\b|\bgeste commercial\b"
     r"|\bsans frais\b|\bfrais\b|\bprix\b"),
    ("callback", r"\bappels?\b|\brappel\w*|\bappeler\b|\btéléphon\w*"),
    ("credit", r"\bun avoir\b|\bcrédit\b(?! de)|\bcartes? cadeaux?\b|\bbons? cadeaux?\b"),
    ("email", r"\be-?mails?\b|\bcourriels?\b|\bmail\b|\binstructions\b|\bconfirmation\b"
     r"|\bboîte de réception\b"),
    ("refund", r"\brembours\w*|\bargent\b|\bmontant\b|\bsomme\b|€\s?\d|\d\s?€"),
    ("exchange", r"\béchang\w*"),
    ("return", r"\bretours?\b|\brenvo\w*"),
    ("cancel", r"\bannul\w*"),
    ("handoff", r"\béquipes?\b|\bcollègues?\b|\bconseill\w*|\bagents?\b|\bhumains?\b"
     r"|\bune personne\b|\bspécialistes?\b|\bsuperviseur\w*|\bresponsables?\b"
     r"|\bservice client\b|\btickets?\b|\bquelqu'un\b|\bentrepôt\b|\bservice\b|\bréponse\b"),
    ("address", r"\badresses?\b"),
    ("payment", r"\bpaiements?\b|\bcartes?\b(?! cadeau)|\bcartes bancaires\b|\bprélève\w*"
     r"|\bfactur\w*|\bpaypal\b|\bdébit\w*"),
    ("items", r"\barticles?\b|\btailles?\b|\bcouleurs?\b|\bvariantes?\b|\bquantités?\b"
     r"|\bproduits?\b|\bpointures?\b"),
    ("ship", r"\bcommandes?\b|\bcolis\b|\bpaquets?\b|\bexpédi\w*|\blivraisons?\b|\benvois?\b"),
)

_FR_AUX = aux_words({
    Aux.FUT: "vais|allons|va|vont|vas|allez|suis sur le point de|est prévu",
    (Aux.FUT, Aux.BE): "sera|seront",
    (Aux.FUT, Aux.HAVE): "aurai|aurons|aura|auront",
    Aux.OFFER: "peux|pouvons|peut|peuvent|pourrais|pourrions|pourrait|pouvez|dois|devons|doit"
               "|doivent|devez|faut|il faut|voulez|veux|voulez-vous|souhaitez|souhaitez-vous"
               "|préférez|aimeriez|pour|sans|propose de|proposer de|me permets de"
               "|ravi de|ravie de|heureux de|heureuse de|essayer de|essaierai de",
    Aux.NEG: "ne|n'|pas|jamais|plus|pas encore|ne pas|guère",
    (Aux.ABLE, Aux.HAVE): "ai pu|avons pu|a pu",
    Aux.BE: "suis|sommes|est|sont|es|êtes",
    Aux.WAS: "était|étaient|fut|furent",
    Aux.BEEN: "été",
    Aux.HAVE: "ai|avons|a|ont|as|avez|avais|avions|avait|viens de|venons de|vient de",
    Aux.FILL: "déjà|maintenant|bien|aussi|également|vous|te|t'|lui|leur|l'|le|la|les|me|m'|se"
              "|s'|en|y|personnellement|automatiquement|correctement|immédiatement"
              "|aujourd'hui|tout de suite|désormais|enfin|directement|officiellement"
              "|procédé à|tout",
})

FRENCH = Language(
    verbs=_FR_VERBS,
    cues=_FR_CUES,
    aux=_FR_AUX,
    pronouns={"je": Who.SELF, "j'": Who.SELF, "moi": Who.SELF, "nous": Who.WE, "on": Who.WE,
              "tu": Who.SHOPPER, "ceci": Who.THING, "cela": Who.THING, "ça": Who.THING,
              "tout": Who.THING, "il": Who.PERSON, "elle": Who.PERSON, "ils": Who.PERSON,
              "elles": Who.PERSON, "quelqu'un": Who.PERSON, "rien": Who.NOBODY,
              "personne": Who.NOBODY, "aucun": Who.NOBODY},
    people=frozenset("équipe équipes collègue collègues conseiller conseillère conseillers "
                     "agent agents spécialiste spécialistes responsable responsables "
                     "superviseur superviseuse humain humains service membre quelqu'un "
                     "interlocuteur interlocutrice".split()),
    agents=frozenset("entrepôt boutique magasin système département entreprise transporteur "
                     "logistique comptabilité".split()),
    determiners=frozenset("le la les l' votre vos ton ta tes mon ma mes notre nos ce cet cette "
                          "ces un une d' commande".split()),
    indefinite=frozenset({"un", "une"}),
    generic=frozenset("tout toute tous toutes chaque certains certaines remboursements retours "
                      "commandes annulations échanges".split()),
    nobody=frozenset("aucun aucune rien personne jamais nul nulle".split()),
    joins=frozenset({",", "et", "ou", "puis", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|mais|donc|car|parce que|puisque|tandis que|qui|que|qu'"
                     "|où|comme|bien que|cependant|toutefois|sinon|de plus|afin que"
                     "|pour que".split("|")),
    conditions=frozenset("si|s'|quand|lorsque|lorsqu'|dès que|une fois que|après|avant de"
                         "|jusqu'à ce que|à moins que|pourvu que|au cas où".split("|")),
    openers=frozenset("voulez-vous souhaitez-vous voulez souhaitez puis-je dois-je pouvez-vous "
                      "avez-vous est-ce quel quelle quels quand où comment que qu' faut-il "
                      "préférez-vous désirez-vous aimeriez-vous".split()),
    objects=frozenset("le la les l' votre vos tout".split()),
    prepositions=frozenset("avec sans pour de à au aux dans sur par en chez vers selon depuis "
                           "du des".split()),
    tag=r"^\W*(?:d'accord|ok|ça vous va|cela vous convient|c'est bon|c'est correct"
        r"|je continue|je m'en occupe|vous confirmez|oui|on y va|je lance)\W*$",
    conditional=r"\b(?:si|s'(?=il)|quand|lorsque|lorsqu'|dès que|une fois que|après|avant de"
                r"|jusqu'à ce que|à moins que|avec votre (?:accord|confirmation|feu vert"
                r"|autorisation))|^\W*(?:merci de |veuillez )?(?:confirme[rz]?|répondez"
                r"|répondre|dites|tapez|cliquez|appuyez)\b.*\bet\b",
    timeframe=r"\b(?:sous \d|sous (?:un |une |quelques )|dans (?:\d|un |une |les |quelques )"
              r"|d'ici|demain|bientôt|prochainement|aujourd'hui|prochain|rapidement)",
    destination=r"\badresse\b|\bà \d+ \w+",
    routine=r"\bsuivi\b|\bnuméro de suivi\b|\bconfirmation de (?:commande|l'expédition"
            r"|livraison)\b|\bquand (?:votre |la )commande sera expédiée\b",
    record=r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"
           r"|\b\d{1,2}(?:er)? (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre"
           r"|octobre|novembre|décembre)\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
           r"|\bhier\b|\bla semaine dernière\b|\ble mois dernier\b|\bil y a \d+ (?:jours?"
           r"|semaines?|mois|heures?)\b|\bindiqu\w*|\baffich\w*|\ble statut\b|\bselon\b"
           r"|\bd'après\b",
    by_person=r"\bpar (?:un |une |le |la |l'|notre |nos |quelqu'un|l'un de )",
    finished=r"^\W*(?:(?:c'est )?(?:fait|réglé)|(?:tout est )?(?:fait|réglé|terminé|en ordre)"
             r"|terminé)\b\s*(?:[:!.,-]|$)",
    coming=r"\b(?:votre|vos|le|la|les) (?:nouveau|nouvelle|nouveaux|nouvelles"
           r"|articles? de remplacement|remplacement)\b[\w\s'-]{0,60}?\b(?:est|sont|sera"
           r"|seront) (?:déjà )?(?:en route|en chemin|en cours d'expédition"
           r"|en cours de livraison)\b",
    elision=True,
)
