"""Words and their stems per language: Snowball stemmers and each language's filler words.

The knowledge index holds stemmed text (FTS5's unicode61 tokenizer then folds case and
diacritics), so a question is stemmed the same way, in the language of the articles searched.
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache
from typing import Any

import snowballstemmer

SNOWBALL = {"en": "english", "es": "spanish", "de": "german", "fr": "french",
            "pt": "portuguese", "it": "italian", "nl": "dutch"}
# A stem this long is also searched by its first PREFIX letters: Snowball leaves some families
# apart ("devolver" devolv, "devoluciones" devolu) that a shopper means as one.
PREFIX = 5
_WORD = re.compile(r"\w+")

# Words that say nothing about which article answers (besides English's, in knowledge.ranking).
FILLER = {
    "es": """a al algo algún alguna alguno ante antes aquí así cada como cómo con cual cuál
    cuando cuándo de del desde donde dónde durante e el él ella ellos en entre era es esa ese
    eso esta está están este esto estoy fue ha hace hacer han has hay hola la las le les lo los
    más me mi mis mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque
    puede puedo qué que quiero quién se sea ser si sí sin sobre son su sus también tengo tiene
    tu tú tus un una uno unos usted ustedes vosotros y ya yo favor gracias buenas buenos""",
    "de": """ab aber alle als also am an auch auf aus bei bin bis bitte da damit dann das dass
    dem den der des die dies diese dieser doch du durch ein eine einem einen einer es etwas
    für gibt hab habe haben hallo hat hier ich ihr im in ist ja jetzt kann kein keine können
    man mein meine mich mir mit muss nach nicht noch nun nur ob oder schon sein sich sie sind
    so soll um und uns unser von vor war was welche wenn wer werden wie wir wird wo zu zum zur
    danke möchte würde""",
    "fr": """à au aux avec bonjour ce ces cet cette comme comment dans de des du elle elles en
    est et être il ils je la le les leur lui ma mais me merci mes moi mon ne nos notre nous on
    ou où par pas peut peux plus pour pourquoi quand que quel quelle qui sa se ses si son sont
    sur ta te tes toi ton tu un une vos votre vous y ai as avez avons suis veux voudrais""",
    "pt": """a ao aos as até com como da das de do dos e é ela ele eles em entre era essa esse
    esta está este eu foi há isso isto já lhe mais mas me meu minha muito na não nas nem no nos
    nós o os ou para pela pelo por porque posso pode quando que quem se sem ser seu sua são
    também tem tenho um uma você vocês olá obrigado obrigada quero""",
    "it": """a ad al alla alle anche che chi ci come con cosa da dal dalla dei del della delle
    di dove e è ed gli ha hai ho i il in io la le lei lo loro lui ma mi mia mio ne nel nella
    no non noi o per perché più posso può quale quando se si sono su sua suo ti tu un una uno
    vi voi ciao grazie vorrei voglio""",
    "nl": """aan al als bij dan dat de den der die dit door een en er had heb hebben heeft het
    hij hoe hun ik in is ja je jij kan kun kunnen maar me met mij mijn na naar niet nog nu of
    om ons onze ook op over te tot u uit uw van veel voor want was wat we wel welke wie wij
    wil wordt zal ze zich zijn zo hallo hoi bedankt dank graag""",
}
_FILLER = {lang: frozenset(words.split()) for lang, words in FILLER.items()}
_locks: dict[str, threading.Lock] = {lang: threading.Lock() for lang in SNOWBALL}


def language_of(lang: str | None) -> str:
    """A language with a stemmer: the code itself, else English."""
    return lang if lang in SNOWBALL else "en"


@cache
def _stemmer(lang: str) -> Any:
    return snowballstemmer.stemmer(SNOWBALL[lang])


@lru_cache(maxsize=65536)
def stem(word: str, lang: str) -> str:
    """The Snowball stem of a lower-cased word (the stemmers keep state: one caller at once)."""
    code = language_of(lang)
    with _locks[code]:
        return str(_stemmer(code).stemWord(word))


# German verbs keep the "zurück" their nouns drop ("zurücksenden", "Rücksendung").
_VARIANTS = {"de": ((re.compile(r"^zurück(?=\w{4})"), "rück"),)}


def variants(word: str, lang: str) -> list[str]:
    """`word` and the forms of it the language's nouns use, for searching."""
    out = [word]
    for pattern, repl in _VARIANTS.get(lang, ()):
        other = pattern.sub(repl, word)
        if other != word:
            out.append(other)
    return out


def filler(lang: str) -> frozenset[str]:
    return _FILLER.get(lang, frozenset())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stemmed(text: str, lang: str) -> str:
    """`text` as the index holds it: every word replaced by its stem."""
    return " ".join(stem(w, lang) for w in words(text))
