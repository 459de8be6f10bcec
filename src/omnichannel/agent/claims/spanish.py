"""The Spanish words the claim checker reads."""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words

_CLITIC = "(?:lo|la|los|las|te|le|les|se|me|nos)?"


def _ar(*stems: str, first: bool = True) -> str:
    """The forms of regular -ar verbs: base, gerund, participle, "will", future, preterite."""
    base = "|".join(f"{s}ar{_CLITIC}|{s}a|{s}an" for s in stems)
    ing = "|".join(f"{s}ando|{s}ándo\\w+" for s in stems)
    ed = "|".join(f"{s}ad[oa]s?" for s in stems)
    fut = "|".join(f"{s}ar[eé]|{s}aremos|{s}ar[aá]|{s}ar[aá]n" + (f"|{s}o" if first else "")
                   for s in stems)
    did = "|".join(f"{_soft(s)}[eé]" for s in stems)
    return f"{base}/{ing}/{ed}//{fut}/{did}"


def _soft(stem: str) -> str:
    """The preterite stem: "modific" -> "modifiqu", "actualiz" -> "actualic"."""
    if stem.endswith("c"):
        return stem[:-1] + "qu"
    if stem.endswith("z"):
        return stem[:-1] + "c"
    if stem.endswith("g"):
        return stem + "u"
    return stem


_ES_VERBS = (
    Verb("refund", Role.ACT, _ar("reembols", first=False)),
    Verb("cancel", Role.ACT, _ar("cancel", "anul")),
    Verb("return", Role.ACT, "devolver\\w*|devuelve|devuelven/devolviendo|devolviéndo\\w+"
         "/devuelt[oa]s?//devolver[eé]|devolveremos|devolver[aá]|devolver[aá]n|devuelvo"
         "/devolv[ií]", ("refund",)),
    Verb("replacement", Role.ACT, _ar("reenvi", "reemplaz", first=False), ("label", "email")),
    Verb("ship", Role.ACT, _ar("despach", "expedi"), ("replacement", "label"), itself=True),
    Verb("payment", Role.ACT, _ar("cobr", "carg", first=False)),
    Verb("items", Role.ACT, _ar("cambi", "modific", "actualiz", "aplic", "ajust", "a[ñn]ad",
                                 "quit", "elimin", first=False)
         + "|corregir\\w*/corrigiendo/corregid[oa]s?//corregir[eé]|corregiremos|corregir[aá]"
           "/correg[ií]", ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _ar("proces", "tramit", "gestion", "gener", "cre", "realiz", "inici",
                             "solicit", "prepar", "registr", "envi", "mand", "complet",
                             "aprob", "autoriz", "emit")),
    Verb(None, Role.ACT, "emitir\\w*|emite|emiten/emitiendo/emitid[oa]s?|hech[oa]s?|resuelt[oa]s?"
         "//emitir[eé]|emitiremos|emitir[aá]|emito|envío/emit[ií]|hice|hicimos"),
    Verb(None, Role.ACT, "//confirmad[oa]s?", passive_only=True),
    Verb("handoff", Role.ACT, "transferir\\w*|escalar\\w*|derivar\\w*|pasar(?:te|le)? con"
         "/transfiriendo|transfiriéndo\\w+|escalando|derivando|pasándo(?:te|le) con"
         "/transferid[oa]s?|escalad[oa]s?|derivad[oa]s?|pasad[oa] (?:con|a)"
         "//transfiero|transferir[eé]|transferiremos|transferir[aá]|escalo|escalar[eé]"
         "|escalaremos|derivo|derivar[eé]|derivaremos|paso con|pasar[eé] con|pasamos con"
         "|pasaremos con/transfer[ií]|escal[eé]|deriv[eé]|pas[eé] con"),
    Verb("handoff", Role.CONTACT, "poner(?:me|nos|se)? en contacto|contactar(?:te|le|la)?"
         "|escribir(?:te|le)|avisar(?:te|le)"
         "/poniéndo(?:me|nos|se) en contacto|contactando|escribiéndo(?:te|le)"
         "/puesto en contacto|contactad[oa]|escrito"
         "//pondr[eé] en contacto|pondremos en contacto|pondr[aá]n? en contacto|contactar[eé]"
         "|contactaremos|contactar[aá]n?|escribir[eé]|escribiremos|escribir[aá]n?|avisar[eé]"
         "|avisaremos|avisar[aá]n?/contact[eé]|escrib[ií]|avis[eé]"),
    Verb("callback", Role.CONTACT, "llamar(?:te|le|la)?/llamando/llamad[oa]"
         "//llamar[eé]|llamaremos|llamar[aá]n?/llam[eé]"),
    Verb("handoff", Role.PERSON, "responder(?:te|le)?|revisar(?:lo|la)?|ayudar(?:te|le)?"
         "|atender(?:te|le)?|encargar(?:se)?|ocupar(?:se)?|contestar(?:te|le)?"
         "/respondiendo|revisando|ayudando|atendiendo|encargándose|ocupándose"
         "/respondid[oa]|revisad[oa]s?|atendid[oa]|ayudad[oa]"
         "//responder[aá]n?|revisar[aá]n?|ayudar[aá]n?|atender[aá]n?|encargar[aá]n?"
         "|ocupar[aá]n?|contestar[aá]n?"),
    Verb("handoff", Role.RECEIVE, "////tendr[aá]s noticias|tendr[aá]n? noticias"
         "|tendréis noticias|sabr[aá]s de nosotros", second=True),
    Verb(None, Role.RECEIVE, "recibir|recibes|recibe/recibiendo/recibid[oa]s?"
         "//recibir[aá]s|recibir[aá]n?|recibiréis|ver[aá]s", second=True),
    Verb(None, Role.ARRIVE, "llegar|llega|llegan|reflejar(?:se)?/llegando|reflejándose"
         "/llegad[oa]s?|reflejad[oa]s?/en camino|de camino|en tu bandeja|en su bandeja"
         "/llegar[aá]n?|aparecer[aá]n?|reflejar[aá]n?"),
)

_ES_CUES = (
    ("label", r"\betiquetas?\b"),
    ("replacement", r"\breemplazo\w*|\breenv[ií]\w*|\bproducto nuevo\b"),
    ("discount", r"\bdescuento\w*|\bcup[oó]n\w*|\bc[oó]digos? promocional\w*|\bgratis\b"
     r"|\bgratuit\w*|\bcompensaci[oó]n\b|\bsin (?:coste|costo|cargo)\b|\bcomisi[oó]n\b"
     r"|\bprecio\b"),
    ("callback", r"\bllamadas?\b|\bllamar\w*"),
    ("credit", r"\bsaldo\b|\bcr[eé]dito\b(?! de tarjeta)|\b(?:tarjeta|vale|cheque)s? regalo\b"),
    ("email", r"\bcorreos?\b|\be-?mails?\b|\binstrucciones\b|\bconfirmaci[oó]n\b|\bbandeja\b"),
    ("refund", r"\breembols\w*|\bdinero\b|\bimporte\b|€\s?\d|\d\s?€|\$\s?\d"),
    ("exchange", r"\bcambio\b|\bintercambi\w*"),
    ("return", r"\bdevoluci[oó]n\w*|\bdevuelt\w*|\bdevolv\w*"),
    ("cancel", r"\bcancel\w*|\banul\w*"),
    ("handoff", r"\bequipo\b|\bcompañer[oa]s?\b|\bespecialistas?\b|\bagentes?\b|\bhuman[oa]s?\b"
     r"|\bpersonas?\b|\bsupervisor\w*|\bresponsables?\b|\bencargad[oa]s?\b|\basesor\w*"
     r"|\btickets?\b|\bincidencias?\b|\balguien\b|\balmac[eé]n\b|\bdepartamento\b"
     r"|\brespuesta\b"),
    ("address", r"\bdirecci[oó]n(?:es)?\b"),
    ("payment", r"\bpagos?\b|\btarjetas?\b(?! regalo)|\bcobr\w*|\bfacturaci[oó]n\b|\bpaypal\b"),
    ("items", r"\bart[ií]culos?\b|\btallas?\b|\bcolor(?:es)?\b|\bvariantes?\b"
     r"|\bcantidad(?:es)?\b|\bproductos?\b"),
    ("ship", r"\bpedidos?\b|\bpaquetes?\b|\benv[ií]os?\b|\bentrega\w*|\benviad[oa]s?\b"),
)


_ES_AUX = aux_words({
    Aux.FUT: "voy a|vamos a|va a|van a|iba a|íbamos a|está previsto|tengo previsto",
    (Aux.FUT, Aux.BE): "será|serán|estará|estarán|quedará|quedarán",
    Aux.OFFER: "puedo|podemos|puede|pueden|puedes|podría|podríamos|podrías|debo|debemos|debe"
               "|debes|deberá|tengo que|tenemos que|tiene que|tienes que|hay que|quieres"
               "|quiere|prefieres|prefiere|desea|deseas|me gustaría|nos gustaría|necesito"
               "|necesitamos|necesitas|necesita|para|sin|suele|suelen|intentaré"
               "|intentaremos|puedo intentar|encantado de|encantada de|vas a poder",
    Aux.NEG: "no|nunca|jamás|tampoco|todavía no|aún no|ya no|no he podido|no hemos podido",
    Aux.ABLE: "he podido|hemos podido|pude|pudimos",
    Aux.BE: "estoy|estamos|está|están|estás|es|son|queda|quedan|se encuentra",
    Aux.WAS: "fue|fueron|estaba|estaban|estuvo|quedó|quedaron",
    Aux.BEEN: "sido|estado",
    Aux.BEING: "siendo",
    Aux.HAVE: "he|hemos|ha|han|has|había|habíamos|acabo de|acabamos de|acaba de",
    (Aux.HAVE, Aux.BEEN): "se ha|se han|se había|se habían",
    (Aux.WAS,): "se hizo",
    Aux.FILL: "ya|ahora|ahora mismo|también|justo|se|te|le|les|lo|la|los|las|me|nos|os"
              "|correctamente|automáticamente|personalmente|enseguida|hoy|mismo|todo"
              "|finalmente|directamente|procedo a|he procedido a|hemos procedido a"
              "|ha procedido a|procederé a|procederemos a",
})

SPANISH = Language(
    verbs=_ES_VERBS,
    cues=_ES_CUES,
    aux=_ES_AUX,
    pronouns={"yo": Who.SELF, "nosotros": Who.WE, "nosotras": Who.WE, "tú": Who.SHOPPER,
              "usted": Who.SHOPPER, "ustedes": Who.SHOPPER, "vosotros": Who.SHOPPER,
              "esto": Who.THING, "eso": Who.THING, "todo": Who.THING, "él": Who.PERSON,
              "ella": Who.PERSON, "ellos": Who.PERSON, "ellas": Who.PERSON,
              "alguien": Who.PERSON, "nada": Who.NOBODY, "nadie": Who.NOBODY,
              "ninguno": Who.NOBODY},
    people=frozenset("equipo equipos compañero compañera compañeros compañeras agente agentes "
                     "persona personas especialista especialistas responsable responsables "
                     "supervisor supervisora encargado encargada asesor asesora asesores "
                     "soporte atención humano alguien gestor gestora miembro".split()),
    agents=frozenset("almacén tienda sistema departamento empresa logística "
                     "transportista".split()),
    determiners=frozenset("el la los las tu tus su sus mi mis nuestro nuestra nuestros "
                          "nuestras este esta estos estas ese esa un una otro otra "
                          "pedido".split()),
    indefinite=frozenset({"un", "una", "otro", "otra"}),
    generic=frozenset("cualquier cualquiera todos todas cada algunos algunas muchos "
                      "muchas".split()),
    nobody=frozenset("ningún ninguna ninguno nada nadie nunca".split()),
    joins=frozenset({",", "y", "e", "o", "u", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|¿|¡|pero|así que|porque|ya que|mientras|cual|quien"
                     "|donde|como|aunque|sin embargo|que|por eso|además".split("|")),
    conditions=frozenset("si|cuando|en cuanto|una vez|antes de|después de|hasta que"
                         "|salvo que|a menos que|siempre que|en caso de que|tan pronto como"
                         "|mientras no".split("|")),
    openers=frozenset("quieres quiere desea deseas prefieres prefiere puedo puedes podemos "
                      "podría debo qué cuál cuándo dónde cómo hay te le necesitas necesita "
                      "algo has ha".split()),
    objects=frozenset("tu su el la los las todo".split()),
    prepositions=frozenset("con sin para por de en a al del desde sobre hacia según "
                           "incluido".split()),
    tag=r"^\W*(?:vale|de acuerdo|ok(?:ay)?|te parece(?: bien)?|le parece(?: bien)?|sí"
        r"|correcto|está bien|lo hago|procedo|sigo(?: adelante)?|confirmas|confirma)\W*$",
    conditional=r"\b(?:si|cuando|en cuanto|una vez|tan pronto como|después de|antes de"
                r"|hasta que|a menos que|siempre que|con tu (?:ok|visto bueno|confirmación"
                r"|permiso|aprobación)|con su (?:visto bueno|confirmación|permiso"
                r"|aprobación))\b|^\W*(?:por favor,? )?(?:confirma|responde|di|escribe|pulsa"
                r"|contesta|confírma\w*)\b.*\by\b",
    timeframe=r"\b(?:en (?:\d|un |una |unos |unas |pocos |pocas |los próximos |las próximas )"
              r"|dentro de|mañana|pronto|enseguida|hoy|próxim|plazo|a lo largo de)",
    destination=r"\bdirecci[oó]n\b|\ba \d+ \w+",
    routine=r"\bseguimiento\b|\bconfirmaci[oó]n del? (?:pedido|envío)\b"
            r"|\bcuando (?:se envíe|salga) (?:tu|el|su) pedido\b",
    record=r"\b(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b"
           r"|\b\d{1,2} de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
           r"|setiembre|octubre|noviembre|diciembre)\b|\b\d{4}-\d{2}-\d{2}\b"
           r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bayer\b|\bla semana pasada\b"
           r"|\bel mes pasado\b|\bhace \d+ (?:días?|semanas?|meses|horas?)\b|\bfigura\b"
           r"|\bconsta\b|\baparece como\b|\bmarcad[oa]\b|\bel estado\b|\bsegún\b",
    by_person=r"\bpor (?:un |una |el |la |nuestro |nuestra |alguien|uno de |una de )",
    finished=r"^\W*(?:(?:todo )?(?:listo|hecho)|completado|resuelto|terminado)\b\s*"
             r"(?:[:!.,-]|$)",
    coming=r"\b(?:tus?|el|los|sus?) (?:nuev[oa]s?|reemplazos?|productos? de (?:cambio"
           r"|reemplazo))\b[\w\s-]{0,60}?\b(?:está|están|estará|estarán|va|van) (?:en camino"
           r"|de camino)\b",
)
