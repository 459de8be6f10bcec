"""How the shopper feels, from the whole message and the conversation so far.

Anger is scored from several signals, so that one strong word or several weak ones count,
and a typo or a word inside another word does not: words of anger and contempt, repetition
("third time", "still", "again"), shouting, runs of "!" or "?", and the same complaint
written more than once in the conversation. The words are read in the turn's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import omnichannel.i18n as i18n
from omnichannel.agent.understanding.wording import Wording

_STRONG = Wording({
    "en": r"\b(furious|outraged|livid|unacceptable|ridiculous|disgusting|disgusted|disgrace(ful)?|"
          r"pathetic|useless|incompetent|scam(s|mers?)?|fraud(ulent)?|rip[- ]?off|joke of a|"
          r"worst (service|company|store|shop|experience|customer service)|never (again|buying|"
          r"shopping|order(ing)? (from|here) again)|fed up|sick (and tired )?of|had enough|"
          r"so angry|really angry|very angry|extremely (angry|upset|disappointed)|"
          r"absolutely (terrible|awful|horrible|ridiculous|unacceptable)|shameful|appalling|"
          r"horrendous|atrocious|wtf|are you kidding( me)?|seriously\?{2,})\b",
    "es": r"\b(furios[oa]s?|indignad[oa]s?|inaceptable|vergonzos[oa]|una verg[üu]enza|"
          r"indignante|rid[íi]cul[oa]|estafa(dores)?|fraude|timo|timadores|lamentable|"
          r"p[ée]sim[oa]|asqueros[oa]|hart[oa]|nunca m[áa]s|el peor (servicio|trato)|"
          r"tomadura de pelo|es una broma|me tienen hart[oa])\b",
    "de": r"\b(unversch[äa]mt|inakzeptabel|unfassbar|frechheit|skandal\w*|betrug|"
          r"betr[üu]ger\w*|abzocke|l[äa]cherlich|katastroph\w*|w[üu]tend|stinksauer|"
          r"die nase voll|nie wieder|schlechteste[rn]? (service|laden|shop|firma)|zumutung|"
          r"erb[äa]rmlich)\b",
    "fr": r"\b(inacceptable|scandaleu(x|se)|honteu(x|se)|inadmissible|arnaque\w*|escroc\w*|"
          r"escroquerie|ridicule|lamentable|furieu(x|se)|en col[èe]re|j'en ai marre|ras le bol|"
          r"plus jamais|le pire service|n'importe quoi|pitoyable)\b",
    "pt": r"\b(inaceit[áa]vel|uma vergonha|vergonhos[oa]|rid[íi]cul[oa]|burla|fraude|golpe|"
          r"roubo|p[ée]ssim[oa]|nojent[oa]|furios[oa]|revoltad[oa]|fart[oa]|nunca mais|"
          r"o pior (servi[çc]o|atendimento)|absurdo|palha[çc]ada)\b",
    "it": r"\b(inaccettabile|vergogna|vergognos[oa]|ridicol[oa]|truffa|truffatori|frode|"
          r"schifo|pessim[oa]|furios[oa]|arrabbiatissim[oa]|stuf[oa]|mai pi[uù]|"
          r"il peggior servizio|assurdo|presa in giro|indecente)\b",
    "nl": r"\b(onacceptabel|schandalig|belachelijk|oplichter(s|ij)?|oplichting|fraude|"
          r"zwendel|waardeloos|woedend|ik ben het zat|spuugzat|nooit meer|de slechtste "
          r"(service|winkel|webshop)|bespottelijk)\b",
}, english_too=True)
_WEAK = Wording({
    "en": r"\b(angry|annoyed|annoying|frustrat\w*|upset|unhappy|disappointed|disappointing|"
          r"terrible|awful|horrible|bad service|poor service|not happy|not ok(ay)?|"
          r"waste of (time|money)|nobody (helps|answers|replies|responds)|no one (helps|answers|"
          r"replies|responds)|ignor(ed|ing) (me|my)|keep (getting|being)|what is going on|"
          r"how hard can it be|unbelievable|useless bot|stupid)\b",
    "es": r"\b(enfadad[oa]|enojad[oa]|molest[oa]|frustrad[oa]|decepcionad[oa]|"
          r"decepcionante|mal servicio|terrible|horrible|fatal|no estoy content[oa]|"
          r"nadie (me )?(responde|contesta|ayuda)|p[ée]rdida de tiempo|incre[íi]ble)\b",
    "de": r"\b(ver[äa]rgert|[äa]rgerlich|genervt|frustriert|entt[äa]uscht|entt[äa]uschend|"
          r"schlechte[rn]? service|schrecklich|furchtbar|nicht zufrieden|(niemand|keiner) "
          r"(antwortet|hilft|meldet sich)|zeitverschwendung|[äa]rgert mich)\b",
    "fr": r"\b([ée]nerv[ée]e?|agac[ée]e?|frustr[ée]e?|d[ée][çc]ue?|d[ée]cevant|mauvais service|"
          r"horrible|terrible|pas content\w*|pas satisfait\w*|personne ne (r[ée]pond|m'aide)|"
          r"perte de temps)\b",
    "pt": r"\b(chatead[oa]|irritad[oa]|frustrad[oa]|desiludid[oa]|decepcionad[oa]|"
          r"mau (servi[çc]o|atendimento)|terr[íi]vel|horr[íi]vel|n[ãa]o estou satisfeit[oa]|"
          r"ningu[ée]m (responde|ajuda)|perda de tempo)\b",
    "it": r"\b(arrabbiat[oa]|infastidit[oa]|frustrat[oa]|delus[oa]|deludente|"
          r"pessimo servizio|terribile|orribile|non sono soddisfatt[oa]|nessuno (risponde|"
          r"aiuta)|perdita di tempo)\b",
    "nl": r"\b(boos|ge[ïi]rriteerd|gefrustreerd|teleurgesteld|teleurstellend|slechte service|"
          r"vreselijk|verschrikkelijk|niet tevreden|niemand (reageert|antwoordt|helpt)|"
          r"tijdverspilling)\b",
}, english_too=True)
_REPEAT = Wording({
    "en": r"\b((second|third|fourth|fifth|2nd|3rd|4th|5th|\d+(st|nd|rd|th)?) time|"
          r"(how many|so many|several|multiple|many) times|again and again|over and over|"
          r"(still|yet) (not|no|haven'?t|hasn'?t|nothing|waiting)|(for|since) (weeks|months|ages)|"
          r"(weeks|months) (later|now|ago and)|(already|i'?ve) (asked|written|called|emailed|"
          r"contacted|told)|every time|keeps? happening|once again)\b",
    "es": r"\b((segunda|tercera|cuarta|quinta) vez|varias veces|muchas veces|otra vez|"
          r"de nuevo|todav[íi]a no|a[úu]n no|sigo esperando|(desde hace|hace) (semanas|meses)|"
          r"ya (he|os he|les he) (escrito|llamado|preguntado|dicho))\b",
    "de": r"\b((zweite[ns]?|dritte[ns]?|vierte[ns]?) mal|zum (zweiten|dritten|vierten) mal|"
          r"mehrmals|schon wieder|immer noch (nicht|kein\w*|nichts)|seit wochen|"
          r"(habe|hab) (schon|bereits) (geschrieben|angerufen|gefragt))\b",
    "fr": r"\b((deuxi[èe]me|troisi[èe]me|quatri[èe]me) fois|plusieurs fois|encore une fois|"
          r"toujours (pas|rien)|depuis des (semaines|mois)|j'ai d[ée]j[àa] (écrit|appel[ée]|"
          r"demand[ée]))\b",
    "pt": r"\b((segunda|terceira|quarta) vez|v[áa]rias vezes|outra vez|de novo|ainda n[ãa]o|"
          r"continuo (à|a) espera|h[áa] (semanas|meses)|j[áa] (escrevi|liguei|perguntei))\b",
    "it": r"\b((seconda|terza|quarta) volta|pi[uù] volte|ancora una volta|di nuovo|"
          r"ancora (niente|non)|da settimane|ho gi[àa] (scritto|chiamato|chiesto))\b",
    "nl": r"\b((tweede|derde|vierde) keer|meerdere keren|alweer|nog steeds (niet|geen|niks)|"
          r"al weken|ik heb al (gemaild|gebeld|gevraagd|geschreven))\b",
}, english_too=True)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_CALM_CAPS = frozenset({"USA", "UPS", "USPS", "DHL", "FEDEX", "PDF", "VAT", "SMS", "FAQ",
                        "ASAP", "CEO", "EUR", "USD", "GBP", "CAD", "APO", "FPO", "LED", "XXL",
                        "OK", "ETA", "GPS", "USB", "TV", "ID", "PIN", "BBB"})


@dataclass(frozen=True, slots=True)
class Tone:
    anger: float  # 0 calm .. 1 furious
    frustrated: bool
    signals: tuple[str, ...] = ()

    @property
    def angry(self) -> bool:
        return self.anger >= 0.7


def _shouting(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        return 1.0
    loud = [w for w in _CAPS_WORD.findall(text) if w not in _CALM_CAPS]
    return min(1.0, 0.35 * len(loud))


def _long_words(text: str) -> set[str]:
    """Words of four letters or more (accented letters too outside English)."""
    pattern = r"[a-z']{4,}" if i18n.current() == "en" else r"[^\W\d_']{4,}"
    return set(re.findall(pattern, text.lower()))


def assess(text: str, earlier: Sequence[str] = ()) -> Tone:
    """Tone of `text`; `earlier` is what the same shopper wrote before in this conversation."""
    signals: list[str] = []
    score = 0.0
    strong = _STRONG.findall(text)
    if strong:
        signals.append("strong words")
        score += 0.6 + 0.2 * (len(strong) - 1)
    weak = _WEAK.findall(text)
    if weak:
        signals.append("upset words")
        score += 0.3 * len(weak)
    if _REPEAT.search(text):
        signals.append("repetition")
        score += 0.35
    shout = _shouting(text)
    if shout:
        signals.append("shouting")
        score += 0.4 * shout
    if re.search(r"[!?]{3,}", text):
        signals.append("punctuation")
        score += 0.15
    words = _long_words(text)
    if len(words) >= 4 and any(len(words & _long_words(e)) >= 0.7 * len(words)
                               for e in earlier):
        signals.append("written before")
        score += 0.3
    frustrated = bool(weak or strong or "repetition" in signals)
    return Tone(round(min(score, 1.0), 3), frustrated, tuple(signals))
