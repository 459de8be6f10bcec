"""Is this a yes? A write runs only on a clear one.

The classifier must read the message as a yes with high confidence, and nothing in it may
hedge, negate or change the request ("ok so no wait", "yes but change the size"). The words
are one table per language, read in the turn's language (`i18n.current()`).
"""

from __future__ import annotations

from enum import StrEnum

from omnichannel.agent.understanding.classifier import Prediction
from omnichannel.agent.understanding.wording import Wording

YES_CONFIDENCE = 0.75
_HEDGE = Wording({
    "en": r"\b(no|nope|nah|not|don'?t|do not|doesn'?t|isn'?t|wait|hold on|hang on|but|however|"
          r"actually|instead|change|changed|wrong|mistake|unless|except|hmm+|maybe|perhaps|"
          r"not sure|unsure|cancel that|stop|never ?mind|rather|second thought|think|"
          r"later|tomorrow|first|what|which|why|how|\?)\b|\?",
    "es": r"\b(no|nunca|espera|espérate|un momento|pero|sin embargo|en realidad|realmente|"
          r"mejor|cambi\w*|equivoc\w*|error|mal|salvo|excepto|a menos que|quizás?|tal vez|"
          r"igual|no sé|no estoy segur[oa]|para|detente|olvídalo|pienso|creo|luego|después|"
          r"mañana|primero|qué|cuál|por qué|cómo|hmm+)\b|[?¿]",
    "de": r"\b(nein|nee|nö|nicht|kein\w*|warte|moment|halt|stopp|aber|jedoch|eigentlich|"
          r"stattdessen|lieber|änder\w*|falsch|fehler|außer|es sei denn|vielleicht|eventuell|"
          r"weiß nicht|nicht sicher|vergiss es|glaube|denke|später|morgen|zuerst|erst|"
          r"was|welche\w*|warum|wieso|wie|hmm+)\b|\?",
    "fr": r"\b(non|pas|ne|n'|attends|attendez|un instant|minute|mais|cependant|en fait|"
          r"plutôt|chang\w*|modifi\w*|erreur|faux|trompé\w*|sauf|à moins|peut-être|"
          r"pas sûr\w*|stop|arrête\w*|laisse tomber|je pense|je crois|plus tard|demain|"
          r"d'abord|quoi|quel\w*|pourquoi|comment|hmm+)\b|\?",
    "pt": r"\b(não|nao|nunca|espera|espere|um momento|mas|porém|na verdade|afinal|antes|"
          r"mud\w*|alter\w*|errad[oa]|erro|engano|exceto|a não ser|talvez|se calhar|"
          r"não sei|não tenho certeza|pára|para|esquece|acho|penso|depois|amanhã|primeiro|"
          r"o que|qual|quais|porquê|por que|como|hmm+)\b|\?",
    "it": r"\b(no|non|mai|aspetta|aspetti|un attimo|un momento|ma|però|invece|in realtà|"
          r"piuttosto|cambi\w*|modific\w*|sbagliat[oa]|errore|tranne|a meno che|forse|"
          r"non so|non sono sicur[oa]|fermo|ferma|stop|lascia stare|penso|credo|dopo|"
          r"più tardi|domani|prima|cosa|che cosa|quale|quali|perché|come|hmm+)\b|\?",
    "nl": r"\b(nee|neen|niet|geen|wacht|momentje|moment|maar|echter|eigenlijk|liever|"
          r"in plaats|verander\w*|wijzig\w*|fout|verkeerd|behalve|tenzij|misschien|"
          r"weet niet|niet zeker|stop|laat maar|denk|later|morgen|eerst|wat|welke|"
          r"waarom|hoe|hmm+)\b|\?",
}, english_too=True)
# A message that is only yes-words: one to begin with, then more of them, "please", "thanks".
_YES_WORDS = {
    "es": (r"s[ií]|sip|vale|claro( que s[ií])?|ok(ey)?|de acuerdo|adelante|correcto|exacto|"
           r"perfecto|hazlo|h[aá]galo|confirm(o|ado)|por supuesto|desde luego|dale|genial|eso es|"
           r"as[ií] es|est[aá] bien|👍",
           r"por favor|gracias|muchas gracias|adelante|hazlo|procede|sigue|confirmo"),
    "de": (r"ja+|jawohl|jep|jo|genau|klar|gern(e)?|passt|richtig|korrekt|stimmt|"
           r"best[äa]tigt?|einverstanden|in ordnung|ok(ay)?|okey|nat[üu]rlich|sicher|"
           r"auf jeden fall|mach (das|es|weiter)|los geht'?s|perfekt|super|👍",
           r"bitte|danke|gerne?|mach (das|es|weiter)|weiter|los|machen sie (das|es)|"
           r"das passt|das stimmt"),
    "fr": (r"oui|ouais|ok|okay|d'accord|dac|vas-y|allez-y|c'est bon|c'est [çc]a|parfait|"
           r"exact(ement)?|correct|je confirme|confirm[ée]e?|bien s[uû]r|volontiers|"
           r"tout à fait|absolument|carr[ée]ment|go|👍",
           r"s'il (vous|te) pla[iî]t|merci|vas-y|allez-y|je confirme|c'est bon|fais-le|"
           r"faites-le"),
    "pt": (r"sim|claro|pode ser|pode|certo|corret[oa]|confirm(o|ado)|com certeza|isso|"
           r"isso mesmo|exato|exatamente|perfeito|ok|okay|est[aá] bem|t[aá] bem|beleza|"
           r"combinado|de acordo|avan[çc]a|vamos|👍",
           r"por favor|obrigad[oa]|pode avan[çc]ar|avan[çc]a|pode|faz isso|fa[çc]a isso|"
           r"prossiga|confirmo"),
    "it": (r"s[iì]|certo|certamente|va bene|ok|okay|esatto|esattamente|corretto|confermo|"
           r"confermato|procedi|proceda|vai|perfetto|d'accordo|assolutamente|certo che s[iì]|"
           r"giusto|fallo|👍",
           r"grazie|per favore|procedi|proceda|vai|vai pure|fallo|confermo|va bene"),
    "nl": (r"ja+|jawel|jep|prima|goed|ok[eé]?|okay|klopt|correct|akkoord|doe maar|"
           r"ga je gang|ga door|graag|zeker|natuurlijk|bevestigd|helemaal goed|top|"
           r"perfect|prima zo|👍",
           r"graag|alsjeblieft|alstublieft|dank je( wel)?|bedankt|doe maar|ga door|ga je gang"),
}
_EN_YES = (
    r"^\s*(y|ya|yes+|yeah|yea|yep|yup|yess|sure|ok(ay)?|k|kk|correct|confirm(ed)?|"
    r"go ahead|go for it|do it|please do|please proceed|proceed|absolutely|definitely|"
    r"of course|affirmative|right|that'?s right|that'?s correct|sounds good|perfect|"
    r"yes please|yes,? go ahead|yes,? do it|yes,? please do|yes,? that'?s (right|correct)"
    r"|👍)[\s.!,]*$")
_PLAIN_YES = Wording({"en": _EN_YES} | {
    lang: rf"^\s*({first})([\s,.!]+({first}|{more}))*[\s.!,]*$"
    for lang, (first, more) in _YES_WORDS.items()}, english_too=True)
_PLAIN_NO = Wording({
    "en": r"^\s*(n|no+|nope|nah|no thanks?|no thank you|don'?t|do not|never ?mind|stop|"
          r"cancel that|forget it|leave it|not now)\b",
    "es": r"^\s*(no+|nop|para nada|no,? gracias|mejor no|d[ée]jalo|ol?v[ií]dalo|para|"
          r"cancela eso|ahora no|todav[ií]a no|ni hablar)\b",
    "de": r"^\s*(nein|nee|ne|n[öo]|doch nicht|lieber nicht|lass (es|mal)|vergiss es|stopp?|"
          r"halt|nicht jetzt|auf keinen fall|nein,? danke)\b",
    "fr": r"^\s*(non|nan|pas maintenant|pas encore|laisse tomber|oublie|stop|annule [çc]a|"
          r"surtout pas|non,? merci)\b",
    "pt": r"^\s*(n[ãa]o|nope|deixa|esquece|p[aá]ra|agora n[ãa]o|ainda n[ãa]o|de jeito nenhum|"
          r"n[ãa]o,? obrigad[oa])\b",
    "it": r"^\s*(no+|lascia stare|lascia perdere|lascia|stop|non ora|non adesso|meglio di no|"
          r"no,? grazie|per niente)\b",
    "nl": r"^\s*(nee+|neen|nope|laat maar|vergeet het|stop|niet nu|nog niet|liever niet|"
          r"nee,? bedankt|nee,? dank je)\b",
}, english_too=False)  # not the English "no" in Portuguese "no sábado" ("on Saturday")
# After a plain no, words that turn it into a correction ("no wait", "nee wacht").
_NO_BUT = Wording({
    "en": r"\b(but|wait|actually|change)\b",
    "es": r"\b(pero|espera|esp[ée]rate|en realidad|cambi\w*|no s[ée])\b",
    "de": r"\b(aber|warte|moment|eigentlich|[äa]nder\w*|wei(ß|ss) (nicht|ich nicht))\b",
    "fr": r"\b(mais|attends?|attendez|en fait|chang\w*|plut[ôo]t)\b",
    "pt": r"\b(mas|espera|espere|na verdade|mud\w*|alter\w*|sei)\b",
    "it": r"\b(ma|aspetta|aspetti|in realt[àa]|cambi\w*|piuttosto)\b",
    "nl": r"\b(maar|wacht|eigenlijk|verander\w*|weet)\b",
}, english_too=True)
# Declining in other words, anywhere in the message: "actually nevermind I'll keep them".
_DECLINE = Wording({
    "en": r"\b(never ?mind|forget (it|about it)|i'?ll keep (it|them)|keep (it|them) "
          r"after all|don'?t bother|leave it( as it is)?|changed my mind)\b",
    "es": r"\b(ol?v[ií]dalo|d[ée]jalo( as[ií])?|me (lo|la|los|las) quedo|cambi[ée] de "
          r"opini[óo]n|no hace falta|mejor no|no importa)\b",
    "de": r"\b(vergiss es|lass es|ich behalte (es|sie|ihn|die|das)|doch nicht|anders "
          r"[üu]berlegt|meinung ge[äa]ndert|nicht n[öo]tig|egal)\b",
    "fr": r"(laisse tomber|oublie[zs]?\b|je (le|la|les) garde|chang[ée] d'avis|finalement non|"
          r"pas la peine|peu importe)",
    "pt": r"\b(esquece|deixa estar|deixa pra l[áa]|fico com (ele|ela|eles|elas)|"
          r"mudei de ideia|n[ãa]o precisa|n[ãa]o importa)\b",
    "it": r"(lascia stare|lascia perdere|l[oa] tengo|li tengo|le tengo|ho cambiato idea|"
          r"non importa|non serve)",
    "nl": r"\b(laat maar|vergeet (het|dat)|ik (houd|hou) (het|hem|ze)|bedacht|van gedachten "
          r"veranderd|hoeft niet|maakt niet uit)\b",
}, english_too=True)
class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


def decide(text: str, prediction: Prediction | None) -> Answer:
    """YES only when the whole message is a clear yes; NO when it declines; else UNCLEAR."""
    if _PLAIN_YES.match(text):
        return Answer.YES
    if _DECLINE.search(text):
        return Answer.NO
    if _PLAIN_NO.match(text):
        return Answer.UNCLEAR if _NO_BUT.search(text) else Answer.NO
    if prediction is None:
        return Answer.UNCLEAR
    if _HEDGE.search(text):
        return Answer.NO if (prediction.intent in ("deny", "start_over") and
                             prediction.confidence >= YES_CONFIDENCE) else Answer.UNCLEAR
    if prediction.intent == "affirm" and prediction.confidence >= YES_CONFIDENCE:
        return Answer.YES
    if prediction.intent in ("deny", "start_over") and prediction.confidence >= YES_CONFIDENCE:
        return Answer.NO
    return Answer.UNCLEAR


def is_yes(text: str) -> bool:
    """A plain yes with nothing else in it (the LLM engine's confirmation check)."""
    return decide(text, None) is Answer.YES


def is_no(text: str) -> bool:
    return decide(text, None) is Answer.NO
