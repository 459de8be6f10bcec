"""Rules that read a shopper's message: small talk, requests for a person, red flags.

The red flags (anger, abuse, legal threats, self-harm, card numbers) are checked before any
engine runs and cannot be switched off by configuration. Words are read in the turn's language
(one table per language, the English words too: shoppers mix them in).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from omnichannel.agent.turn import HandoffReason
from omnichannel.agent.understanding.tone import assess
from omnichannel.agent.understanding.wording import Wording

HANDOFF_BUTTON = "handoff"

_PERSON = Wording({
    "en": r"\b(human|real person|a person|someone real|live (agent|chat|person)|representative|"
          r"rep\b|operator|customer (service|support) (agent|person|rep)|talk to (someone|"
          r"somebody|staff|support|an agent|a agent|agent)|speak (to|with) (someone|somebody|"
          r"an agent|agent|a manager|staff)|manager|supervisor|not a bot|real human)",
    "es": r"\b(persona (real|humana|de verdad)|una persona|un humano|humano|un agente|"
          r"agente humano|operador(a)?|un representante|(hablar|habl[ae]r?) con (alguien|"
          r"atenci[óo]n al cliente|el encargado|un encargado|el responsable|un responsable|"
          r"el gerente|un supervisor)|supervisor|no (eres )?un bot|alguien de verdad)\b",
    "de": r"\b(menschen?|echte[nr]? person|eine[rnm]? person|mitarbeiter(in|innen)?|"
          r"menschliche[nr]?|sachbearbeiter(in)?|kundenberater(in)?|berater(in)?|"
          r"(mit|zum) (dem |einem )?(chef|vorgesetzten|kundendienst|kundenservice|support)|"
          r"mit jemandem (sprechen|reden)|jemand echte[nr]?|kein bot)\b",
    "fr": r"(\bhumain\b|\bune personne\b|vraie personne|personne r[ée]elle|\bun agent\b|"
          r"\bconseill[eè]re?\b|op[ée]rat(eur|rice)|parler (à|a|au|avec) (quelqu'un|un "
          r"responsable|le responsable|un vrai|le service client|un superviseur)|"
          r"quelqu'un de (r[ée]el|vrai)|pas un (bot|robot)|superviseur)",
    "pt": r"\b(humano|uma pessoa|pessoa real|pessoa de verdade|atendente|um agente|"
          r"operador(a)?|assistente humano|falar com (algu[ée]m|o gerente|um gerente|o "
          r"respons[áa]vel|o apoio ao cliente|o suporte)|supervisor|"
          r"n[ãa]o (é )?um (bot|rob[ôo]))\b",
    "it": r"\b(umano|una persona|persona (reale|vera)|operat(ore|rice)|un agente|"
          r"parlare con (qualcuno|il responsabile|un responsabile|il servizio clienti|"
          r"l'assistenza)|supervisore|non un (bot|robot)|qualcuno di vero)\b",
    "nl": r"\b(mens|een persoon|echt(e)? persoon|medewerker|iemand echt|met iemand "
          r"(praten|spreken)|klantenservice spreken|leidinggevende|manager|geen (bot|robot)|"
          r"echt(e)? mens)\b",
}, english_too=True)
_GREETING = Wording({
    "en": r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|yo|greetings)\b[\s!.,]*"
          r"(there|team|juno)?[\s!.,]*$",
    "es": r"^[\s¡]*(hola+|buenas|buenos d[ií]as|buenas (tardes|noches)|qu[ée] tal|hey)\b[\s!.,¡]*"
          r"(equipo|juno)?[\s!.,]*$",
    "de": r"^\s*(hallo|hi|hey|guten (morgen|tag|abend)|servus|moin|gr[üu](ß|ss) gott)\b"
          r"[\s!.,]*(zusammen|team|juno)?[\s!.,]*$",
    "fr": r"^\s*(bonjour|bonsoir|salut|coucou|hello)\b[\s!.,]*(l'[ée]quipe|juno)?[\s!.,]*$",
    "pt": r"^\s*(ol[áa]|oi|bom dia|boa (tarde|noite))\b[\s!.,]*(equipa|equipe|juno)?[\s!.,]*$",
    "it": r"^\s*(ciao|salve|buongiorno|buonasera|buon pomeriggio)\b[\s!.,]*(a tutti|juno)?"
          r"[\s!.,]*$",
    "nl": r"^\s*(hallo|hoi|hey|hi|goede(morgen|middag|navond)|dag)\b[\s!.,]*(team|juno)?"
          r"[\s!.,]*$",
}, english_too=True)
_THANKS_TAIL = r"[\s\w!.,'’:)]{0,40}$"
_THANKS = Wording({
    "en": r"^\s*((ok(ay)?|great|perfect|awesome|brilliant|lovely|cool|nice|excellent|wonderful|"
          r"amazing|super|fab|fantastic|all good|that'?s great|sounds good|got it)[\s,.!]*)?"
          r"(thanks|thank you|thank u|thankyou|thx|thnx|tnx|ty|tysm|cheers|many thanks|"
          r"much appreciated|appreciate it|that helps|that helped|perfect|awesome|got it|great)\b"
          + _THANKS_TAIL,
    "es": r"^\s*((vale|ok|genial|perfecto|estupendo|muy bien|de acuerdo|s[ií])[\s,.!]*)?"
          r"(gracias|muchas gracias|mil gracias|te lo agradezco|se lo agradezco|genial|"
          r"perfecto|me sirve|me ayud[óo])\b" + _THANKS_TAIL,
    "de": r"^\s*((ok(ay)?|super|toll|prima|perfekt|klasse|alles klar|ja)[\s,.!]*)?"
          r"(danke|dankesch[öo]n|vielen dank|danke sch[öo]n|besten dank|merci|super|perfekt|"
          r"das hilft)\b" + _THANKS_TAIL,
    "fr": r"^\s*((ok|super|parfait|g[ée]nial|top|d'accord|oui)[\s,.!]*)?"
          r"(merci|merci beaucoup|mille mercis|je vous remercie|super|parfait|g[ée]nial|"
          r"[çc]a m'aide)\b" + _THANKS_TAIL,
    "pt": r"^\s*((ok|[óo]timo|perfeito|excelente|certo|sim|beleza)[\s,.!]*)?"
          r"(obrigad[oa]|muito obrigad[oa]|valeu|agrade[çc]o|[óo]timo|perfeito)\b"
          + _THANKS_TAIL,
    "it": r"^\s*((ok|perfetto|ottimo|benissimo|va bene|s[iì])[\s,.!]*)?"
          r"(grazie|grazie mille|molte grazie|ti ringrazio|la ringrazio|perfetto|ottimo)\b"
          + _THANKS_TAIL,
    "nl": r"^\s*((ok[eé]?|top|super|perfect|prima|mooi|ja)[\s,.!]*)?"
          r"(bedankt|dank je( wel)?|dank u( wel)?|dankjewel|dankuwel|thanks|top|perfect|super)\b"
          + _THANKS_TAIL,
}, english_too=True)
_BYE = Wording({
    "en": r"^\s*((ok(ay)?|great|cool|perfect|no|nope|nah|all good)[\s,.!]*)?"
          r"(bye|goodbye|good bye|see (you|ya)|that'?s all|that'?s it|thats it|"
          r"nothing else|no,? thanks?|no thank you|i'?m (good|done|all set)|"
          r"all (good|set|sorted)|have a (good|nice|great) (day|one|evening)|"
          r"no,? that'?s (all|it|everything))\b",
    "es": r"^\s*((vale|ok|genial|perfecto|no)[\s,.!]*)?(adi[óo]s|hasta luego|hasta pronto|"
          r"chao|chau|eso es todo|eso era todo|nada m[áa]s|no,? gracias|ya est[áa]|"
          r"todo bien|que tengas? (un )?buen d[ií]a)\b",
    "de": r"^\s*((ok(ay)?|super|gut|nein)[\s,.!]*)?(tsch[üu]ss?|auf wiedersehen|bis dann|"
          r"bis bald|das war'?s|das ist alles|nichts weiter|sonst nichts|nein,? danke|"
          r"alles (gut|klar|erledigt)|sch[öo]nen (tag|abend))\b",
    "fr": r"^\s*((ok|super|parfait|non)[\s,.!]*)?(au revoir|bonne (journ[ée]e|soir[ée]e)|"
          r"[àa] bient[ôo]t|c'est tout|rien d'autre|non,? merci|[çc]a ira|tout est bon)\b",
    "pt": r"^\s*((ok|[óo]timo|perfeito|n[ãa]o)[\s,.!]*)?(adeus|tchau|at[ée] logo|at[ée] mais|"
          r"[ée] tudo|mais nada|n[ãa]o,? obrigad[oa]|tudo certo|tenha um bom dia)\b",
    "it": r"^\s*((ok|perfetto|ottimo|no)[\s,.!]*)?(arrivederci|a presto|buona (giornata|"
          r"serata)|[èe] tutto|niente altro|nient'altro|no,? grazie|tutto a posto|"
          r"a posto cos[iì])\b",
    "nl": r"^\s*((ok[eé]?|top|prima|nee)[\s,.!]*)?(doei|tot ziens|fijne (dag|avond)|"
          r"dat was het|dat is alles|verder niets|nee,? bedankt|nee,? dank je|alles goed|"
          r"tot later)\b",
}, english_too=True)
_LEGAL = Wording({
    "en": r"\b(lawyers?|attorneys?|(i'?ll|i will|i'?m going to|im going to|gonna|going to|will) "
          r"sue|sue (you|your|the company|them)|suing|lawsuit|legal action|take (you|this) to "
          r"court|see you in court|small claims|consumer protection|report you to|"
          r"better business bureau|chargeback)\b",
    "es": r"\b(abogad[oa]s?|(voy a|os voy a|les voy a|los voy a) (demandar|denunciar)|"
          r"demandar(les|los|os)?|denunciar(les|los|os)?|acciones? legales?|juzgado|"
          r"tribunal(es)?|organismo de consumo|defensa del consumidor|oficina del consumidor|"
          r"profeco|contracargo)\b",
    "de": r"\b((rechts)?anw[äa]lt(in)?|anwalt|verklagen|klage einreichen|vor gericht|"
          r"gericht|rechtliche schritte|verbraucherzentrale|anzeige erstatten|"
          r"r[üu]ckbuchung|chargeback)\b",
    "fr": r"\b(avocats?|poursuivre en justice|porter plainte|plainte|tribunal|action en "
          r"justice|proc[èe]s|association de consommateurs|dgccrf|r[ée]trofacturation)\b",
    "pt": r"\b(advogad[oa]s?|vou (vos |os )?processar|processar (voc[êe]s|a empresa|a loja)|"
          r"process[áa]-los|a[çc][ãa]o judicial|tribunal|livro de reclama[çc][õo]es|procon|"
          r"defesa do consumidor|deco|estorno)\b",
    "it": r"\b(avvocat[oi]|fare causa|vi far[òo] causa|denunciar(vi|e)|denuncia|azioni "
          r"legali|vie legali|tribunale|giudice di pace|associazione (dei )?consumatori|storno)\b",
    "nl": r"\b(advocaat|aanklagen|rechtszaak|naar de rechter|juridische stappen|"
          r"consumentenbond|geschillencommissie|aangifte doen|terugboeking|chargeback)\b",
}, english_too=True)
_SELF_HARM = Wording({
    "en": r"\b(kill myself|suicid\w*|end my life|hurt myself|self[- ]harm|want to die)\b",
    "es": r"\b(suicid\w*|matarme|quitarme la vida|hacerme da[ñn]o|quiero morir(me)?)\b",
    "de": r"\b(mich umbringen|suizid\w*|selbstmord|mir das leben nehmen|will sterben|"
          r"mich selbst verletzen|mir etwas antun)\b",
    "fr": r"\b(suicid\w*|me tuer|mettre fin [àa] (mes jours|ma vie)|envie de mourir|"
          r"veux mourir|me faire du mal)\b",
    "pt": r"\b(suic[ií]d\w*|me matar|matar-me|tirar a minha (pr[óo]pria )?vida|quero morrer|"
          r"me magoar|magoar-me)\b",
    "it": r"\b(suicid\w*|uccidermi|ammazzarmi|togliermi la vita|voglio morire|farmi del male)\b",
    "nl": r"\b(zelfmoord|su[ïi]cid\w*|mezelf (van kant maken|iets aandoen|pijn doen)|"
          r"wil dood|er een eind aan maken)\b",
}, english_too=True)
_ABUSE = Wording({
    "en": r"\b(fuck\w*|f[*#@]+\w*|shit(ty|head)?|bullshit|bitch\w*|asshole|arsehole|bastard|"
          r"cunt|idiots?|stupid bot|morons?|dumbass|screw you|piss off)\b",
    "es": r"\b(joder|jodid[oa]s?|mierda|gilipollas|cabr[oó]n(es)?|put[oa]s?|idiotas?|"
          r"imb[ée]cil(es)?|est[úu]pid[oa]s?|subnormal(es)?|pendej[oa]s?|co[ñn]o)\b",
    "de": r"\b(schei(ß|ss)e?\w*|arschl[öo]ch(er)?|idioten?|vollidiot(en)?|verpiss dich|"
          r"fick\w*|wichser|penner|drecksladen|dumme[rs]? bot)\b",
    "fr": r"\b(putain|merde\w*|connard\w*|connasse\w*|bande de cons|salope\w*|encul[ée]\w*|"
          r"idiots?|abruti\w*|cr[ée]tin\w*|ta gueule|va te faire foutre|bordel)\b",
    "pt": r"\b(merda|caralho|porra|foda-se|fodid[oa]s?|idiotas?|imbecis|imbecil|"
          r"est[úu]pid[oa]s?|filho da puta|vai-te lixar|cabr[ãa]o|ot[áa]ri[oa]s?)\b",
    "it": r"\b(cazz[oi]|merda|stronz\w*|vaffanculo|fanculo|idiot[ai]|imbecill[ei]|cretin[oi]|"
          r"deficient[ei]|coglion\w*|porca puttana)\b",
    "nl": r"\b(kut\w*|klote\w*|godverdomme|kanker\w*|tering|tyfus|lul|eikels?|idioot|"
          r"idioten|sukkels?|debiel|rot op|klootzak\w*)\b",
}, english_too=True)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


@dataclass(frozen=True, slots=True)
class Flag:
    reason: HandoffReason
    detail: str


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


CARD_MASK = "[card number removed]"


def has_card_number(text: str) -> bool:
    if CARD_MASK in text:
        return True
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return True
    return False


def red_flag(text: str, earlier: Sequence[str] = ()) -> Flag | None:
    """The first handoff trigger the text sets off, most serious first; `earlier` is what
    the shopper wrote before in the conversation (repetition raises anger)."""
    if _SELF_HARM.search(text):
        return Flag(HandoffReason.SELF_HARM, "shopper mentioned self-harm")
    if has_card_number(text):
        return Flag(HandoffReason.CARD_NUMBER, "shopper typed a payment card number")
    if _LEGAL.search(text):
        return Flag(HandoffReason.LEGAL, "shopper mentioned legal action")
    if _ABUSE.search(text):
        return Flag(HandoffReason.ABUSE, "abusive language")
    tone = assess(text, earlier)
    if tone.angry:
        return Flag(HandoffReason.ANGER, f"shopper is upset ({', '.join(tone.signals)})")
    return None


def wants_person(text: str, button_value: str | None = None) -> bool:
    return button_value == HANDOFF_BUTTON or bool(_PERSON.search(text))


def is_greeting(text: str) -> bool:
    return bool(_GREETING.match(text))


def is_thanks(text: str) -> bool:
    """A thank-you and nothing more ("ok thanks. Rosa Garcia 84114" also gives facts)."""
    return bool(_THANKS.match(text)) and not re.search(r"\d|@", text)


def is_goodbye(text: str) -> bool:
    return bool(_BYE.match(text))


def redact_cards(text: str) -> str:
    """Mask anything that looks like a card number before it is stored in summaries."""
    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return CARD_MASK if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

    return _CARD.sub(mask, text)
