"""The Portuguese words the claim checker reads (European and Brazilian forms)."""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words

_CLITIC = "(?:-(?:lo|la|los|las|lhe|lhes|te|o|a|os|as|me|nos))?"


def _ar(*stems: str, first: bool = True) -> str:
    """Regular -ar verbs: base, gerund ("a processar" too), participle, "will", future, past."""
    base = "|".join(f"{s}ar{_CLITIC}|{s}á-l[oa]s?|{s}a|{s}am" for s in stems)
    ing = "|".join(f"{s}ando|a {s}ar{_CLITIC}" for s in stems)
    ed = "|".join(f"{s}ad[oa]s?" for s in stems)
    fut = "|".join(f"{s}arei|{s}aremos|{s}ará|{s}arão" + (f"|{s}o" if first else "")
                   for s in stems)
    did = "|".join(f"{_soft(s)}ei|{s}ámos" for s in stems)
    return f"{base}/{ing}/{ed}//{fut}/{did}"


def _soft(stem: str) -> str:
    """The stem before -ei: "modific" -> "modifiqu", "pag" -> "pagu"."""
    if stem.endswith("c"):
        return stem[:-1] + "qu"
    if stem.endswith("g"):
        return stem + "u"
    return stem


_PT_VERBS = (
    Verb("refund", Role.ACT, _ar("reembols", first=False)),
    Verb("cancel", Role.ACT, _ar("cancel", "anul")),
    Verb("return", Role.ACT, "devolver\\w*|devolve|devolvem/devolvendo|a devolver"
         "/devolvid[oa]s?//devolverei|devolveremos|devolverá|devolverão|devolvo/devolvi",
         ("refund",)),
    Verb("replacement", Role.ACT, _ar("reenvi", first=False), ("label", "email")),
    Verb("ship", Role.ACT, _ar("expedi", "despach"), ("replacement", "label"), itself=True),
    Verb("payment", Role.ACT, _ar("cobr", first=False)),
    Verb("items", Role.ACT, _ar("troc", "alter", "modific", "atualiz", "actualiz", "aplic",
                                 "ajust", "acrescent", "retir", first=False),
         ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _ar("process", "trat", "ger", "cri", "realiz", "inici", "solicit",
                             "prepar", "registr", "envi", "mand", "complet", "aprov",
                             "autoriz", "efetu", "efectu")),
    Verb(None, Role.ACT, "emitir\\w*|emite|emitem/emitindo|a emitir/emitid[oa]s?|feit[oa]s?"
         "|resolvid[oa]s?|concluíd[oa]s?//emitirei|emitiremos|emitirá|emito/emiti|fiz"
         "|fizemos"),
    Verb(None, Role.ACT, "//confirmad[oa]s?", passive_only=True),
    Verb("handoff", Role.ACT, "transferir\\w*|encaminhar\\w*|reencaminhar\\w*|escalar\\w*"
         "|passar(?:-lhe|-te)? (?:para|a)"
         "/transferindo|a transferir|encaminhando|a encaminhar|a reencaminhar"
         "/transferid[oa]s?|encaminhad[oa]s?|reencaminhad[oa]s?|escalad[oa]s?"
         "|passad[oa] para"
         "//transfiro|transferirei|transferiremos|transferirá|encaminho|encaminharei"
         "|encaminharemos|encaminhará|reencaminho|reencaminharei|passo para|passarei para"
         "/transferi|encaminhei|reencaminhei|escalei|passei para"),
    Verb("handoff", Role.CONTACT, "entrar em conta(?:c)?to|conta(?:c)?tar(?:-lhe|-te|-o|-a)?"
         "|conta(?:c)?tá-l[oa]s?"
         "|escrever(?:-lhe|-te)?|informar(?:-lhe|-te|-o|-a)?|dar notícias"
         "/a entrar em conta(?:c)?to|entrando em conta(?:c)?to|a conta(?:c)?tar"
         "/conta(?:c)?tad[oa]|escrito"
         "//entrarei em conta(?:c)?to|entraremos em conta(?:c)?to|entrará em conta(?:c)?to"
         "|entrarão em conta(?:c)?to|conta(?:c)?tarei|conta(?:c)?taremos|conta(?:c)?tará"
         "|conta(?:c)?tarão|escreverei|escreveremos|escreverá|escreverão|informarei"
         "|informaremos|informará|informarão|darei notícias|daremos notícias|dará notícias"
         "/conta(?:c)?tei|escrevi|informei"),
    Verb("callback", Role.CONTACT, "ligar(?:-lhe|-te)?|telefonar(?:-lhe|-te)?/a ligar|ligando"
         "/ligad[oa]//ligarei|ligaremos|ligará|ligarão|telefonarei|telefonaremos|telefonará"
         "/liguei|telefonei"),
    Verb("handoff", Role.PERSON, "responder(?:-lhe|-te)?|analisar|rever|ajudar(?:-lhe|-o|-a|-te)?"
         "|acompanhar|tratar do (?:seu |teu )?(?:caso|pedido)"
         "/respondendo|a responder|analisando|a analisar|a rever|a ajudar"
         "/respondid[oa]|analisad[oa]s?|revist[oa]s?"
         "//responderá|responderão|analisará|analisarão|reverá|reverão|ajudará|ajudarão"
         "|acompanhará|acompanharão"),
    Verb("handoff", Role.RECEIVE, "////terá notícias|terás notícias|terão notícias"
         "|receberá (?:uma )?resposta|receberás (?:uma )?resposta", second=True),
    Verb(None, Role.RECEIVE, "receber|recebe|recebem/a receber|recebendo/recebid[oa]s?"
         "//receberá|receberás|receberão|verá|verás", second=True),
    Verb(None, Role.ARRIVE, "chegar|chega|chegam|aparecer|refletir/a chegar|chegando"
         "/chegad[oa]s?|refletid[oa]s?/a caminho|na sua caixa de entrada|na tua caixa de entrada"
         "/chegará|chegarão|aparecerá|aparecerão|refletirá|refletirão"),
)

_PT_CUES = (
    ("label", r"\betiquetas?\b"),
    ("replacement", r"\bsubstitui\w*|\bsubstitut[oa]s?\b|\breenvi\w*"),
    ("discount", r"\bdesconto\w*|\bcup(?:ão|ões|om)\b|\bc[oó]digos? promociona\w*|\bgrátis\b"
     r"|\bgratuit\w*|\bcompensaç\w*|\bsem (?:custos?|encargos)\b|\btaxas?\b|\bpreço\b"),
    ("callback", r"\bchamadas?\b|\btelefonema\w*|\bligar\w*|\btelefonar\w*"),
    ("credit", r"\bsaldo\b|(?<!cartão de )\bcrédito\b|\bcart(?:ão|ões)[- ]presente\b"
     r"|\bvales?[- ](?:presente|oferta)\b"),
    ("email", r"\be-?mails?\b|\bcorreio eletr[oó]nico\b|\binstruç(?:ão|ões)\b"
     r"|\bconfirmaç(?:ão|ões)\b|\bcaixa de entrada\b"),
    ("refund", r"\breembols\w*|\bdinheiro\b|\bmontante\b|\bvalor\b|\bquantia\b|€\s?\d|\d\s?€"
     r"|R\$\s?\d"),
    ("exchange", r"\btrocas?\b"),
    ("return", r"\bdevoluç(?:ão|ões)\b|\bdevolvid\w*|\bdevolver\b"),
    ("cancel", r"\bcancel\w*|\banul\w*"),
    ("handoff", r"\bequipas?\b|\bequipes?\b|\bcolegas?\b|\bespecialistas?\b|\bagentes?\b"
     r"|\bhuman[oa]s?\b|\bpessoas?\b|\bsupervisor\w*|\brespons[aá]ve(?:l|is)\b|\bgestor\w*"
     r"|\bassistentes?\b|\btickets?\b|\balguém\b|\barmazém\b|\bdepartamento\b|\bresposta\b"),
    ("address", r"\bmoradas?\b|\bendereços?\b"),
    ("payment", r"\bpagamentos?\b|\bcart(?:ão|ões)\b(?![- ]presente)|\bcobr\w*|\bfaturaç\w*"
     r"|\bpaypal\b|\bmb ?way\b|\bmultibanco\b"),
    ("items", r"\bartigos?\b|\btamanhos?\b|\bcor(?:es)?\b|\bvariantes?\b|\bquantidades?\b"
     r"|\bprodutos?\b|\bite(?:m|ns)\b"),
    ("ship", r"\bencomendas?\b|\bpedidos?\b|\bpacotes?\b|\benvios?\b|\bentregas?\b"
     r"|\benviad[oa]s?\b"),
)

_PT_AUX = aux_words({
    Aux.FUT: "vou|vamos|vai|vão|irei|iremos|irá|está previsto",
    (Aux.FUT, Aux.BE): "será|serão|estará|estarão|ficará|ficarão",
    Aux.OFFER: "posso|podemos|pode|podem|poderia|poderíamos|podes|devo|devemos|deve|deves"
               "|devem|tenho de|tenho que|temos de|temos que|tem de|tem que|tens de|quer|querem"
               "|queres|pretende|pretendes|prefere|preferes|deseja|desejas|gostaria"
               "|gostaríamos|preciso|precisamos|precisa|precisas|para|sem|costuma|costumam"
               "|vou tentar|vamos tentar|posso tentar",
    Aux.NEG: "não|nunca|jamais|nem|ainda não|já não",
    (Aux.ABLE, Aux.WAS): "consegui|conseguimos|pude|pudemos",
    Aux.BE: "estou|estamos|está|estão|estás|é|são|fica|ficam|encontra-se",
    Aux.WAS: "foi|foram|estava|estavam|esteve|ficou|ficaram",
    Aux.BEEN: "sido|estado",
    Aux.BEING: "sendo|a ser",
    Aux.HAVE: "tenho|temos|tem|tens|tinha|tínhamos|acabei de|acabámos de|acabamos de|acabo de"
              "|acaba de",
    Aux.FILL: "já|agora|também|se|lhe|lhes|te|o|a|os|as|me|nos|vos|mesmo|hoje|acabou"
              "|automaticamente|corretamente|pessoalmente|imediatamente|entretanto|tudo"
              "|diretamente|de imediato|já agora|procedi a|procedemos a|procederei a",
})

PORTUGUESE = Language(
    verbs=_PT_VERBS,
    cues=_PT_CUES,
    aux=_PT_AUX,
    pronouns={"eu": Who.SELF, "nós": Who.WE, "você": Who.SHOPPER, "vocês": Who.SHOPPER,
              "tu": Who.SHOPPER, "isto": Who.THING, "isso": Who.THING, "tudo": Who.THING,
              "ele": Who.PERSON, "ela": Who.PERSON, "eles": Who.PERSON, "elas": Who.PERSON,
              "alguém": Who.PERSON, "nada": Who.NOBODY, "ninguém": Who.NOBODY,
              "nenhum": Who.NOBODY},
    people=frozenset("equipa equipas equipe colega colegas agente agentes pessoa pessoas "
                     "especialista especialistas responsável supervisor supervisora gestor "
                     "gestora assistente assistentes humano apoio alguém membro "
                     "consultor consultora".split()),
    agents=frozenset("armazém loja sistema departamento empresa transportadora "
                     "logística".split()),
    determiners=frozenset("o a os as seu sua seus suas teu tua teus tuas meu minha nosso nossa "
                          "nossos nossas este esta estes estas esse essa um uma outro outra "
                          "encomenda pedido".split()),
    indefinite=frozenset({"um", "uma", "outro", "outra"}),
    generic=frozenset("qualquer todos todas cada alguns algumas muitos muitas reembolsos "
                      "devoluções encomendas cancelamentos".split()),
    nobody=frozenset("nenhum nenhuma nada ninguém nunca".split()),
    joins=frozenset({",", "e", "ou", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|mas|por isso|porque|já que|enquanto|qual|quem|onde"
                     "|como|embora|no entanto|que|além disso|pois".split("|")),
    conditions=frozenset("se|quando|assim que|logo que|depois de|antes de|até que|a menos que"
                         "|desde que|caso|uma vez que|mal".split("|")),
    openers=frozenset("quer queres deseja desejas prefere preferes posso pode podes podemos "
                      "devo que qual quando onde como há precisa precisas recebeu recebeste "
                      "algo gostaria".split()),
    objects=frozenset("o a os as seu sua tudo".split()),
    prepositions=frozenset("com sem para por de em ao do da dos das desde sobre segundo "
                           "incluindo".split()),
    tag=r"^\W*(?:ok|está bem|pode ser|certo|sim|concorda|confirma|confirmas|avanço|prossigo"
        r"|combinado|de acordo)\W*$",
    conditional=r"\b(?:se|quando|assim que|logo que|depois de|antes de|até que|a menos que"
                r"|desde que|caso|com a sua (?:confirmação|autorização|aprovação)"
                r"|com a tua (?:confirmação|autorização|aprovação))\b"
                r"|^\W*(?:por favor,? )?(?:confirme|confirma|responda|diga|escreva|carregue"
                r"|clique)\b.*\be\b",
    timeframe=r"\b(?:em (?:\d|um |uma |poucos |poucas |os próximos |as próximas )|dentro de"
              r"|amanhã|em breve|brevemente|hoje|próxim|prazo|até )",
    destination=r"\bmorada\b|\bendereço\b|\ba \d+ \w+",
    routine=r"\brastrei\w*|\bseguimento\b|\bconfirmaç(?:ão|ões) d[ao] (?:encomenda|envio"
            r"|pedido)\b|\bquando (?:a sua |a tua |a )?encomenda for enviada\b",
    record=r"\b(?:segunda|terça|quarta|quinta|sexta)(?:-feira)?\b|\bsábado\b|\bdomingo\b"
           r"|\b\d{1,2} de (?:janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro"
           r"|outubro|novembro|dezembro)\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
           r"|\bontem\b|\bna semana passada\b|\bno mês passado\b|\bhá \d+ (?:dias?|semanas?"
           r"|meses|horas?)\b|\bconsta\b|\baparece como\b|\bmarcad[oa]\b|\bo estado\b"
           r"|\bsegundo\b",
    by_person=r"\b(?:por (?:um |uma |alguém|um dos |uma das )|pel[oa] )",
    finished=r"^\W*(?:(?:está )?(?:tudo )?(?:feito|pronto|tratado|concluído|resolvido))\b\s*"
             r"(?:[:!.,-]|$)",
    coming=r"\b(?:a sua|o seu|os seus|as suas|a tua|o teu|sua|seu) (?:nov[oa]s?|substitut\w*)"
           r"\b[\w\s-]{0,60}?\b(?:está|estão|estará|estarão|vai|vão) a caminho\b",
)
