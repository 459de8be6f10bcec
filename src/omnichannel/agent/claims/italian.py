"""The Italian words the claim checker reads."""

from __future__ import annotations

from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who, aux_words

_CLITIC = "(?:lo|la|li|le|ti|gli|vi|ci|mi|glielo|gliela|telo|tela)?"


def _are(*stems: str, first: bool = True) -> str:
    """Regular -are verbs: base, gerund, participle, "will", future, passato remoto."""
    base = "|".join(f"{s}are{_CLITIC}|{s}a|{s}ano" for s in stems)
    ing = "|".join(f"{s}ando{_CLITIC}" for s in stems)
    ed = "|".join(f"{s}at[oaie]" for s in stems)
    fut = "|".join(f"{_hard(s)}erò|{_hard(s)}eremo|{_hard(s)}erà|{_hard(s)}eranno"
                   + (f"|{s}o" if first else "") for s in stems)
    did = "|".join(f"{s}ai|{s}ammo" for s in stems)
    return f"{base}/{ing}/{ed}//{fut}/{did}"


def _hard(stem: str) -> str:
    """The future stem: "modific" -> "modifich", "pag" -> "pagh", "invi" stays."""
    if stem.endswith(("c", "g")):
        return stem + "h"
    return stem


_IT_VERBS = (
    Verb("refund", Role.ACT, _are("rimbors", "accredit", first=False)),
    Verb("cancel", Role.ACT, _are("annull", "cancell")),
    Verb("return", Role.ACT, "restituire\\w*|restituisce/restituendo/restituit[oaie]"
         "//restituirò|restituiremo|restituirà|restituisco/restituii", ("refund",)),
    Verb("replacement", Role.ACT, _are("rispedi", "reinvi", first=False)
         + "|sostituire\\w*/sostituendo/sostituit[oaie]//sostituirò|sostituiremo|sostituirà"
           "|sostituisco/sostituii", ("label", "email")),
    Verb("ship", Role.ACT, "spedire\\w*|spedisce|spediscono/spedendo/spedit[oaie]"
         "//spedirò|spediremo|spedirà|spediranno|spedisco/spedii", ("replacement", "label"),
         itself=True),
    Verb("payment", Role.ACT, _are("addebit", first=False)),
    Verb("exchange", Role.ACT, _are("scambi", first=False)),
    Verb("items", Role.ACT, _are("cambi", "modific", "aggiorn", "applic", "aggiust", "rettific",
                                 "aggiung", "rimuov", first=False)
         + "|correggere\\w*/correggendo/corrett[oaie]//correggerò|correggeremo|correggerà"
           "/corressi", ("address", "payment", "discount", "credit", "refund", "exchange")),
    Verb(None, Role.ACT, _are("elabor", "process", "cre", "gener", "avvi", "registr",
                              "prepar", "complet", "approv", "autorizz", "invi", "mand",
                              "inoltr", "effettu", "organizz")),
    Verb(None, Role.ACT, "emettere\\w*|emette|gestire\\w*|gestisce/emettendo|gestendo"
         "/emess[oaie]|gestit[oaie]|fatt[oaie]|risolt[oaie]"
         "|pres[oa] in carico//emetterò|emetteremo|emetterà|emetto|gestirò|gestiremo|gestirà"
         "|gestisco|provvederò|provvederemo"
         "/emisi|feci|facemmo"),
    Verb(None, Role.ACT, "//confermat[oaie]", passive_only=True),
    Verb("handoff", Role.ACT, "trasferire\\w*|inoltrare\\w*|passar(?:ti|le|la) a"
         "/trasferendo\\w*|passando(?:ti|le)? a/trasferit[oaie]|passat[oa] a"
         "//trasferirò|trasferiremo|trasferirà|trasferisco|passo a|passerò a|passiamo a"
         "|metto in contatto|metterò in contatto/trasferii"),
    Verb("handoff", Role.CONTACT, "contattar(?:ti|la|lo|vi)?|mettersi in contatto|scriver(?:ti|le)"
         "|far(?:ti|le|vi) sapere|aggiornar(?:ti|la|vi)|ricontattar(?:ti|la|vi)?"
         "/contattando/contattat[oaie]|ricontattat[oaie]|scritto"
         "//contatterò|contatteremo|contatterà|contatteranno|ricontatterò|ricontatteremo"
         "|ricontatterà|metterò in contatto|metteremo in contatto|metterà in contatto"
         "|metteranno in contatto|scriverò|scriveremo|scriverà|scriveranno|farò sapere"
         "|faremo sapere|farà sapere|aggiornerò|aggiorneremo|aggiornerà/contattai|scrissi"),
    Verb("callback", Role.CONTACT, "chiamar(?:ti|la)|richiamar(?:ti|la)?|telefonar(?:ti|le)"
         "/chiamando/chiamat[oa]|richiamat[oa]//chiamerò|chiameremo|chiamerà|richiamerò"
         "|richiameremo|richiamerà|telefonerò|telefoneremo|telefonerà"),
    Verb("handoff", Role.PERSON, "risponder(?:ti|le|vi)?|esaminar(?:e|lo|la)|verificar(?:e|lo|la)"
         "|controllar(?:e|lo|la)|aiutar(?:ti|la|vi)|occupar(?:se|si)ne|seguir(?:ti|la)"
         "/rispondendo|esaminando|verificando|controllando|occupando(?:se|si)ne"
         "/rispost[oa]|esaminat[oaie]|verificat[oaie]|controllat[oaie]"
         "//risponderà|risponderanno|esaminerà|esamineranno|verificherà|verificheranno"
         "|controllerà|controlleranno|aiuterà|aiuteranno|occuperà|occuperanno|seguirà"
         "|seguiranno|prenderà in carico|prenderanno in carico"),
    Verb("handoff", Role.RECEIVE, "////avrai notizie|avrà notizie|avrete notizie"
         "|riceverai (?:una )?risposta|riceverà (?:una )?risposta", second=True),
    Verb(None, Role.RECEIVE, "ricevere|ricevi|riceve/ricevendo/ricevut[oaie]"
         "//riceverai|riceverà|riceverete|riceveranno|vedrai|vedrà", second=True),
    Verb(None, Role.ARRIVE, "arrivare|arriva|arrivano|comparire/arrivando/arrivat[oaie]"
         "/in arrivo|in viaggio|in consegna|nella tua casella|nella sua casella"
         "/arriverà|arriveranno|comparirà|compariranno"),
)

_IT_CUES = (
    ("label", r"\betichett\w*"),
    ("replacement", r"\bsostituzion\w*|\bsostitutiv\w*|\brispedi\w*|\breinvi\w*"),
    ("discount", r"\bscont\w*|\bcoupon\b|\bbuoni? sconto\b|\bcodic[ei] promozional\w*"
     r"|\bgratis\b|\bgratuit\w*|\brisarciment\w*|\bcompensazion\w*|\bsenza costi\b"
     r"|\bcommission\w*|\bprezzo\b"),
    ("callback", r"\bchiamat\w*|\btelefonat\w*|\brichiam\w*"),
    ("credit", r"\bcredito\b(?! della carta)|\bbuon[oi] regalo\b|\bcarte? regalo\b"
     r"|\bgift card\b"),
    ("email", r"\be-?mail\b|\bmail\b|\bposta elettronica\b|\bistruzioni\b|\bconferma\b"
     r"|\bcasella\b"),
    ("refund", r"\brimbors\w*|\bsoldi\b|\bdenaro\b|\bimporto\b|\bsomma\b|€\s?\d|\d\s?€"),
    ("exchange", r"\bcambio\b|\bscambi\w*"),
    ("return", r"\bres[oi]\b|\brestituzion\w*|\brestitui\w*"),
    ("cancel", r"\bannull\w*|\bcancell\w*"),
    ("handoff", r"\bteam\b|\bsquadra\b|\bcolleg[ah]\w*|\bspecialist\w*|\bagent[ei]\b"
     r"|\buman[oi]\b|\bpersone?\b|\bsupervisor\w*|\bresponsabil\w*|\boperator\w*"
     r"|\boperatric\w*|\bconsulent\w*|\bticket\b|\bsegnalazion\w*|\bqualcuno\b"
     r"|\bmagazzino\b|\breparto\b|\bufficio\b|\brisposta\b"),
    ("address", r"\bindirizz\w*"),
    ("payment", r"\bpagament\w*|\bcart[ae]\b(?! regalo)|\baddebit\w*|\bfattur\w*|\bpaypal\b"),
    ("items", r"\barticol\w*|\btagli[ae]\b|\bcolor[ei]\b|\bvariant\w*|\bquantità\b"
     r"|\bprodott\w*|\bnumero di scarpa\b"),
    ("ship", r"\bordin[ei]\b|\bpacc\w*|\bspedizion\w*|\bconsegn\w*|\bspedit\w*"),
)

_IT_AUX = aux_words({
    Aux.FUT: "sto per|stiamo per|sta per|è previsto",
    (Aux.FUT, Aux.BE): "sarà|saranno|verrà|verranno",
    Aux.OFFER: "posso|possiamo|può|possono|potrei|potremmo|potresti|puoi|devo|dobbiamo|deve"
               "|devi|devono|bisogna|vuoi|vuole|volete|desideri|desidera|preferisci"
               "|preferisce|vorrei|vorremmo|mi serve|ho bisogno di|abbiamo bisogno di|per"
               "|senza|riesco a|riusciamo a|proverò a|proveremo a|felice di|lieto di|lieta di"
               "|si può|si possono",
    Aux.NEG: "non|mai|non ancora|ancora non|neanche|nemmeno|non più",
    (Aux.ABLE, Aux.WAS): "sono riuscito a|sono riuscita a|siamo riusciti a|ho potuto"
                         "|abbiamo potuto|riuscito a|riuscita a",
    Aux.BE: "sono|siamo|è|sei|sto|stiamo|sta|stanno|risulta|risultano",
    Aux.WAS: "era|erano|fu|furono|venne|vennero|stavo|stavamo",
    Aux.BEEN: "stato|stata|stati|state",
    Aux.BEING: "viene|vengono",
    Aux.HAVE: "ho|abbiamo|ha|hanno|hai|avevo|avevamo|aveva",
    Aux.FILL: "già|ora|adesso|appena|anche|subito|ti|gli|le|lo|la|li|vi|ci|mi|si|l'|te|ne"
              "|ancora|correttamente|automaticamente|personalmente|oggi|proprio|provveduto a"
              "|proceduto a|procedo a|procederò a|procederemo a|direttamente|finalmente"
              "|ufficialmente|tutto|glielo|gliela|te lo|te la",
})

ITALIAN = Language(
    verbs=_IT_VERBS,
    cues=_IT_CUES,
    aux=_IT_AUX,
    pronouns={"io": Who.SELF, "noi": Who.WE, "tu": Who.SHOPPER, "lei": Who.SHOPPER,
              "voi": Who.SHOPPER, "questo": Who.THING, "ciò": Who.THING, "tutto": Who.THING,
              "lui": Who.PERSON, "loro": Who.PERSON, "qualcuno": Who.PERSON,
              "niente": Who.NOBODY, "nulla": Who.NOBODY, "nessuno": Who.NOBODY},
    people=frozenset("team squadra collega colleghi colleghe agente agenti persona persone "
                     "specialista specialisti responsabile responsabili supervisore operatore "
                     "operatrice operatori consulente consulenti assistenza umano qualcuno "
                     "addetto addetta membro".split()),
    agents=frozenset("magazzino negozio sistema reparto azienda ufficio corriere "
                     "amministrazione".split()),
    determiners=frozenset("il lo la i gli le l' tuo tua tuoi tue suo sua suoi sue mio mia "
                          "nostro nostra nostri nostre questo questa quel quella un uno una "
                          "un' altro altra ordine".split()),
    indefinite=frozenset({"un", "uno", "una", "un'", "altro", "altra"}),
    generic=frozenset("qualsiasi qualunque tutti tutte ogni ciascun alcuni alcune molti molte "
                      "rimborsi resi ordini cancellazioni spedizioni".split()),
    nobody=frozenset("nessun nessuno nessuna niente nulla mai".split()),
    joins=frozenset({",", "e", "ed", "o", "oppure", "&"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|ma|quindi|perché|poiché|mentre|cui|chi|dove|come"
                     "|anche se|sebbene|tuttavia|che|inoltre|però".split("|")),
    conditions=frozenset("se|quando|appena|non appena|una volta che|dopo|prima di|finché"
                         "|a meno che|purché|nel caso in cui|qualora".split("|")),
    openers=frozenset("vuoi vuole volete desideri desidera preferisci preferisce posso puoi può "
                      "possiamo devo cosa quale quando dove come c'è hai ha ti le serve altro "
                      "hanno".split()),
    objects=frozenset("il la lo i gli le l' tuo tua suo sua tutto".split()),
    prepositions=frozenset("con senza per di a da in su tra fra verso secondo incluso del "
                           "della dei delle al alla ai alle dal dalla".split()),
    tag=r"^\W*(?:ok|va bene|d'accordo|giusto|sì|ti va bene|le va bene|procedo|confermi"
        r"|conferma|corretto|posso procedere)\W*$",
    conditional=r"\b(?:se|quando|non appena|appena|una volta che|dopo|prima di|finché"
                r"|a meno che|purché|qualora|con la tua (?:conferma|approvazione"
                r"|autorizzazione)|con la sua (?:conferma|approvazione|autorizzazione))\b"
                r"|^\W*(?:per favore,? )?(?:conferma|confermi|rispondi|risponda|scrivi|premi"
                r"|clicca|dimmi)\b.*\be\b",
    timeframe=r"\b(?:entro|tra (?:\d|un |una |pochi |poche |qualche )|fra (?:\d|un |una "
              r"|pochi |poche |qualche )|domani|presto|a breve|oggi|prossim|nei prossimi"
              r"|in giornata)",
    destination=r"\bindirizzo\b|\ba \d+ \w+",
    routine=r"\btracciament\w*|\btracking\b|\bconferma (?:d'ordine|dell'ordine|di spedizione)\b"
            r"|\bquando (?:il tuo |il suo |l'|il )?ordine (?:viene|sarà|verrà) spedito\b",
    record=r"\b(?:lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)\b"
           r"|\b\d{1,2} (?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto"
           r"|settembre|ottobre|novembre|dicembre)\b|\b\d{4}-\d{2}-\d{2}\b"
           r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bieri\b|\bla settimana scorsa\b"
           r"|\bil mese scorso\b|\b\d+ (?:giorni|settimane|mesi|ore) fa\b|\brisulta\b"
           r"|\bcome da\b|\blo stato\b|\bsecondo\b",
    by_person=r"\b(?:da (?:un |una |uno |il |la |lo |qualcuno|uno dei |una delle )|dal |dalla "
              r"|dai |dall')",
    finished=r"^\W*(?:(?:tutto )?(?:fatto|pronto|sistemato|completato|risolto))\b\s*"
             r"(?:[:!.,-]|$)",
    coming=r"\b(?:il tuo|la tua|i tuoi|le tue|il suo|la sua|il|la|i|le) (?:nuov[oaie]"
           r"|articol[oi] sostitutiv[oi]|sostituzion[ei])\b[\w\s'-]{0,60}?\b(?:è|sono|sarà"
           r"|saranno) (?:già )?(?:in arrivo|in viaggio|in consegna)\b",
    elision=True,
)
