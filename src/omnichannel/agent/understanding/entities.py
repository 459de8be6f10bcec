"""Facts in a shopper's words that do not depend on the shop: order numbers, emails, phones,
names, postcodes, countries, cancellation reasons. Robust to case and word order; the words
around them (name cues, reasons, country names) are read in the turn's language."""

from __future__ import annotations

import re
from dataclasses import dataclass

import omnichannel.i18n as i18n
from omnichannel.agent.understanding.wording import Wording

# "#W1234567" (τ-bench), "#JP204119" (the demo shop), "#1001" (Shopify), or without the "#"
# for the two prefixed forms.
ORDER_ID = re.compile(r"(?:#\s?([A-Za-z]{0,3}\d{4,9})\b|\b(W\d{7}|JP\d{6})\b|"
                      r"\border\s+(?:number\s+|no\.?\s+|id\s+)?([A-Za-z]{1,3}\d{4,9})\b)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w#])\+?\d[\d ().-]{8,16}\d(?!\w)")
_US_ZIP = re.compile(r"(?<![\w#-])(\d{5})(?:-\d{4})?(?![\w-])")
_CA_POST = re.compile(r"\b([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])[ -]?(\d[ABCEGHJ-NPRSTV-Z]\d)\b",
                      re.I)
_UK_POST = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s?(\d[ABD-HJLNP-UW-Z]{2})\b", re.I)
# Postcodes of the shipped languages' countries beyond the 5-digit ones (es de fr it: ES, DE,
# FR, IT): Portugal "1000-001", the Netherlands "1012 AB".
_PT_POST = re.compile(r"(?<![\w#-])(\d{4})-(\d{3})(?![\w-])")
_NL_POST = re.compile(r"(?<![\w#-])([1-9]\d{3}) ?([A-Z]{2})\b(?![\w-])")
_FIVE_DIGITS = {"es": "ES", "de": "DE", "fr": "FR", "it": "IT"}
_LETTER = r"[^\W\d_]"  # any alphabet's letter (accents too)
_NAMED = rf"({_LETTER}[^\W\d_'’-]*(?:['’-]{_LETTER}+)*)"
# Surname particles: "de Vries", "da Silva", "van der Berg", "von Weber", "di Stefano".
_PARTICLES = frozenset("de del della der den van von zu da do dos das di du le la ten ter".split())
_SURNAME = (rf"((?:(?:{'|'.join(sorted(_PARTICLES))})\s+)*{_LETTER}[^\W\d_'’-]*"
            rf"(?:['’-]{_LETTER}+)*)")
_EN_NAME_CUE = (
    r"\b(?:my name is|my names|my name's|name is|name's|name:|i am|i'm|im|this is|it's|its|"
    r"call me|here is|signed)\s+([A-Za-z][A-Za-z'’-]+)\s+([A-Za-z][A-Za-z'’-]+)")
_NAME_CUES = {
    "es": r"me llamo|mi nombre es|mi nombre:|nombre:|soy|habla|aqu[ií] (?:est[áa]|habla)|"
          r"firmado|a nombre de",
    "de": r"ich hei(?:ß|ss)e|mein name ist|name:|ich bin|hier ist|hier spricht|hier schreibt|"
          r"auf den namen",
    "fr": r"je m'appelle|je m’appelle|mon nom est|nom\s?:|je suis|c'est|ici|au nom de",
    "pt": r"chamo-me|me chamo|(?:o )?meu nome [ée]|nome:|sou (?:a|o)|sou|aqui (?:[ée]|fala)|"
          r"em nome de",
    "it": r"mi chiamo|il mio nome [èe]|nome:|sono|qui [èe]|a nome di",
    "nl": r"ik heet|mijn naam is|naam:|ik ben|met|hier is|op naam van",
}
# Not the English cues outside English: German "im Mai" is no "I'm".
_NAME_CUE = Wording({"en": _EN_NAME_CUE} | {
    lang: rf"\b(?:{cues})\s+{_NAMED}\s+{_SURNAME}" for lang, cues in _NAME_CUES.items()})
_WORD = Wording({"en": r"[A-Za-z][A-Za-z'’-]*|\S"} | {
    lang: rf"{_LETTER}[^\W\d_'’-]*(?:['’-]{_LETTER}+)*|\S" for lang in _NAME_CUES})

# Words that are not names, whatever their case (small on purpose: a wrong candidate only
# costs a lookup that fails; a real name must never be excluded).
NOT_NAMES = frozenset("""
a about after again all also am an and any are as at back be been before but by can cancel
change code could did do does for from get got had has have hello help hey hi how i i'm if im
in is it it's its just me my name names need no not now of ok okay on or order orders our
please postal post postcode return same sent ship shipped so some still that the their them
then there this thanks thank to track want was we were what when where which who why
with would yes you your zip zipcode code hiya dear regards cheers from thx ty morning evening
afternoon good sorry yeah yep hullo greetings live lives living address email phone number
item items package parcel delivery refund exchange status shopping customer account mine
""".split())
# The same for the other shipped languages: their small words and shop words.
NOT_NAMES_IN = {
    "es": frozenset("""
hola buenas buenos días tardes noches me llamo soy mi mis nombre es y el la los las de del un
una por favor gracias código postal cp pedido pedidos quiero necesito donde dónde está estoy
mi su con sin para que qué como cómo devolver cancelar cambiar envío paquete correo teléfono
vivo en número saludos atentamente aquí habla firmado sí no vale
""".split()),
    "de": frozenset("""
hallo guten tag morgen abend ich heiße heisse bin mein meine name ist und der die das ein eine
von bitte danke plz postleitzahl bestellung bestellungen möchte will brauche wo ist mit ohne
für zurückgeben stornieren umtauschen paket lieferung telefon wohne in nummer grüße viele
freundlichen hier spricht schreibt ja nein aus wohnhaft
""".split()),
    "fr": frozenset("""
bonjour bonsoir salut je m'appelle suis mon ma mes nom est et le la les de du des un une par
merci code postal cp commande commandes veux voudrais besoin où avec sans pour retourner
annuler échanger colis livraison téléphone habite à numéro cordialement ici c'est oui non
""".split()),
    "pt": frozenset("""
olá ola oi bom dia boa tarde noite chamo-me chamo sou meu minha nome é e o a os as de do da
um uma por favor obrigado obrigada código postal encomenda pedido quero preciso onde está com
sem para devolver cancelar trocar envio pacote telefone moro em número cumprimentos aqui sim
não
""".split()),
    "it": frozenset("""
ciao salve buongiorno buonasera mi chiamo sono il mio nome è e lo la gli le di del della un
una per favore grazie cap codice postale ordine ordini voglio vorrei bisogno dove con senza
restituire annullare cambiare pacco spedizione telefono abito vivo a numero saluti qui sì no
""".split()),
    "nl": frozenset("""
hallo hoi goedemorgen goedemiddag goedenavond ik heet ben mijn naam is en de het een van
alsjeblieft alstublieft bedankt postcode bestelling bestellingen wil wil graag nodig waar met
zonder voor retour annuleren ruilen pakket levering telefoon woon in nummer groeten hier ja uit
nee
""".split()),
}

_MISTAKE = Wording({
    "en": r"\b(by mistake|mistake|mistaken|by accident|accident(al)?ly|wrong "
          r"(order|item|size|colou?r|one|thing|address)|ordered (it )?twice|"
          r"double order|duplicate|didn'?t mean to|did not mean to|misclick)\b",
    "es": r"\b(por error|por equivocaci[óo]n|me equivoqu[ée]|equivocad[oa]|sin querer|"
          r"por accidente|duplicad[oa]|dos veces|(talla|color|art[íi]culo|direcci[óo]n) "
          r"(equivocad[oa]|incorrect[oa]))\b",
    "de": r"\b(versehentlich|aus versehen|irrt[üu]mlich|falsch bestellt|doppelt bestellt|"
          r"zweimal bestellt|(die |den |das )?falsche[nr]? (gr[öo](ß|ss)e|farbe|artikel|"
          r"adresse)|nicht gewollt)\b",
    "fr": r"(par erreur|par accident|je me suis tromp[ée]e?|command[ée]e? deux fois|en double|"
          r"sans le vouloir|mauvaise (taille|couleur|adresse)|mauvais article)",
    "pt": r"\b(por engano|por erro|sem querer|enganei-me|me enganei|em duplicado|duplicad[oa]|"
          r"duas vezes|(tamanho|cor|artigo|morada|endere[çc]o) errad[oa])\b",
    "it": r"\b(per errore|per sbaglio|ho sbagliato|due volte|doppio ordine|senza volerlo|"
          r"(taglia|colore|articolo|indirizzo) sbagliat[oa])\b",
    "nl": r"\b(per ongeluk|per vergissing|per abuis|verkeerd besteld|dubbel besteld|"
          r"twee keer besteld|verkeerde (maat|kleur|artikel|adres))\b",
}, english_too=True)
_NOT_NEEDED = Wording({
    "en": r"\b(no longer|don'?t|do not|won'?t|will not|not) (need|want|use)|"
          r"changed my mind|change of (mind|plans?)|cheaper|better (price|deal)|"
          r"found (it|one|something)|bought (it )?elsewhere|too (long|slow|late|"
          r"expensive)|taking too long|not needed|unneeded|no need|don'?t need|"
          r"turns out|plans changed|can'?t afford|decided (not|against)|"
          r"no longer|not anymore|anymore",
    "es": r"\bya no|\bno (lo |la |los |las )?(necesito|quiero|voy a usar)|cambi[ée] de "
          r"(opini[óo]n|idea|planes)|m[áa]s barato|mejor precio|(lo|la) (encontr[ée]|"
          r"compr[ée]) en otr[oa]|tarda(n)? demasiado|no me hace falta|ya no hace falta",
    "de": r"\bnicht mehr|\b(brauche|will|m[öo]chte) (es|ihn|sie|das|die|den)? ?nicht|"
          r"meinung ge[äa]ndert|anders [üu]berlegt|billiger|g[üu]nstiger|woanders|"
          r"dauert zu lange|zu teuer|nicht (mehr )?n[öo]tig",
    "fr": r"\bplus besoin|n'en ai plus besoin|ne (le |la |les |l')?(veux|voudrais) plus|"
          r"n'en veux plus|chang[ée] d'avis|moins cher|ailleurs|trop long|trop cher|"
          r"ne .{0,20}\bplus\b",
    "pt": r"\bj[áa] n[ãa]o|n[ãa]o (o |a |os |as )?(preciso|quero)( mais)?|mudei de "
          r"(ideia|planos)|mais barato|noutro s[íi]tio|em outro lugar|demora (demais|muito)",
    "it": r"\bnon (mi )?serve pi[uù]|non (lo |la |li |le )?(voglio|desidero) pi[uù]|"
          r"non ne ho pi[uù] bisogno|cambiato idea|pi[uù] economico|altrove|troppo tempo|"
          r"non mi serve|non pi[uù]",
    "nl": r"\bniet meer|\bniet (meer )?nodig|(wil|hoef) (het|hem|ze)? ?niet|van gedachten "
          r"veranderd|bedacht|goedkoper|ergens anders|duurt te lang|te duur",
}, english_too=True)

COUNTRIES = {
    "united states": "the United States", "usa": "the United States", "us": "the United States",
    "america": "the United States", "canada": "Canada", "mexico": "Mexico",
    "uk": "the United Kingdom", "united kingdom": "the United Kingdom", "england": "England",
    "britain": "the United Kingdom", "scotland": "Scotland", "ireland": "Ireland",
    "germany": "Germany", "france": "France", "spain": "Spain", "italy": "Italy",
    "portugal": "Portugal", "netherlands": "the Netherlands", "holland": "the Netherlands",
    "belgium": "Belgium", "switzerland": "Switzerland", "austria": "Austria",
    "sweden": "Sweden", "norway": "Norway", "denmark": "Denmark", "finland": "Finland",
    "poland": "Poland", "greece": "Greece", "australia": "Australia",
    "new zealand": "New Zealand", "japan": "Japan", "china": "China", "india": "India",
    "brazil": "Brazil", "argentina": "Argentina", "chile": "Chile", "colombia": "Colombia",
    "south africa": "South Africa", "singapore": "Singapore", "korea": "South Korea",
    "puerto rico": "Puerto Rico", "hawaii": "Hawaii", "alaska": "Alaska", "europe": "Europe",
    "israel": "Israel", "turkey": "Turkey", "philippines": "the Philippines",
    "uae": "the United Arab Emirates", "dubai": "the United Arab Emirates",
}
# Country names in the other shipped languages, to the same display names.
COUNTRIES_IN = {
    "es": {"estados unidos": "the United States", "eeuu": "the United States",
           "méxico": "Mexico", "canadá": "Canada", "reino unido": "the United Kingdom",
           "inglaterra": "England", "irlanda": "Ireland", "alemania": "Germany",
           "francia": "France", "españa": "Spain", "italia": "Italy", "portugal": "Portugal",
           "países bajos": "the Netherlands", "holanda": "the Netherlands",
           "bélgica": "Belgium", "suiza": "Switzerland", "brasil": "Brazil",
           "argentina": "Argentina", "chile": "Chile", "colombia": "Colombia",
           "perú": "Peru", "japón": "Japan", "europa": "Europe"},
    "de": {"vereinigte staaten": "the United States", "amerika": "the United States",
           "kanada": "Canada", "großbritannien": "the United Kingdom", "england": "England",
           "irland": "Ireland", "deutschland": "Germany", "frankreich": "France",
           "spanien": "Spain", "italien": "Italy", "portugal": "Portugal",
           "niederlande": "the Netherlands", "holland": "the Netherlands",
           "belgien": "Belgium", "schweiz": "Switzerland", "österreich": "Austria",
           "polen": "Poland", "europa": "Europe", "japan": "Japan"},
    "fr": {"états-unis": "the United States", "etats-unis": "the United States",
           "canada": "Canada", "royaume-uni": "the United Kingdom", "angleterre": "England",
           "irlande": "Ireland", "allemagne": "Germany", "france": "France",
           "espagne": "Spain", "italie": "Italy", "portugal": "Portugal",
           "pays-bas": "the Netherlands", "hollande": "the Netherlands",
           "belgique": "Belgium", "suisse": "Switzerland", "autriche": "Austria",
           "europe": "Europe", "japon": "Japan", "maroc": "Morocco"},
    "pt": {"estados unidos": "the United States", "eua": "the United States",
           "canadá": "Canada", "reino unido": "the United Kingdom", "inglaterra": "England",
           "irlanda": "Ireland", "alemanha": "Germany", "frança": "France",
           "espanha": "Spain", "itália": "Italy", "portugal": "Portugal",
           "países baixos": "the Netherlands", "holanda": "the Netherlands",
           "bélgica": "Belgium", "suíça": "Switzerland", "brasil": "Brazil",
           "angola": "Angola", "europa": "Europe", "japão": "Japan"},
    "it": {"stati uniti": "the United States", "america": "the United States",
           "canada": "Canada", "regno unito": "the United Kingdom", "inghilterra": "England",
           "irlanda": "Ireland", "germania": "Germany", "francia": "France",
           "spagna": "Spain", "italia": "Italy", "portogallo": "Portugal",
           "paesi bassi": "the Netherlands", "olanda": "the Netherlands",
           "belgio": "Belgium", "svizzera": "Switzerland", "austria": "Austria",
           "europa": "Europe", "giappone": "Japan"},
    "nl": {"verenigde staten": "the United States", "amerika": "the United States",
           "canada": "Canada", "verenigd koninkrijk": "the United Kingdom",
           "engeland": "England", "ierland": "Ireland", "duitsland": "Germany",
           "frankrijk": "France", "spanje": "Spain", "italië": "Italy",
           "portugal": "Portugal", "nederland": "the Netherlands", "holland":
           "the Netherlands", "belgië": "Belgium", "zwitserland": "Switzerland",
           "oostenrijk": "Austria", "europa": "Europe", "japan": "Japan"},
}


def _alternation(names: dict[str, str]) -> str:
    return r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b"


_COUNTRY = Wording({"en": _alternation(COUNTRIES)} | {
    lang: _alternation(names) for lang, names in COUNTRIES_IN.items()}, english_too=True)


def order_ids(text: str) -> list[str]:
    """Order numbers in the text, "#"-prefixed and upper-cased, in order, once each."""
    found = []
    for a, b, c in ORDER_ID.findall(text):
        value = (a or b or c).upper()
        if c and not any(ch.isalpha() for ch in value):
            continue
        found.append(f"#{value}")
    return list(dict.fromkeys(found))


def email(text: str) -> str | None:
    m = EMAIL.search(text)
    return m.group(0).rstrip(".").lower() if m else None


def phone(text: str) -> str | None:
    """A phone number (at least 10 digits), digits only with a leading + kept."""
    for m in PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 10 <= len(digits) <= 15:
            return ("+" if m.group(0).startswith("+") else "") + digits
    return None


@dataclass(frozen=True, slots=True)
class Postcode:
    value: str  # canonical: "10027", "T2V 2B0", "SW1A 1AA", "1000-001", "1012 AB"
    country: str  # "US" | "CA" | "GB", or for five digits outside English "ES" "DE" "FR" "IT"
    start: int
    end: int


def postcodes(text: str) -> list[Postcode]:
    """US zip codes, Canadian and UK postcodes (and in Portuguese and Dutch those countries'),
    canonical form, in the order they appear."""
    lang = i18n.current()
    masked = ORDER_ID.sub(lambda m: " " * len(m.group(0)), text)
    masked = EMAIL.sub(lambda m: " " * len(m.group(0)), masked)
    five = _FIVE_DIGITS.get(lang, "US")
    out = [Postcode(m.group(1), five, m.start(), m.end()) for m in _US_ZIP.finditer(masked)]
    if lang == "pt":
        out += [Postcode(f"{m.group(1)}-{m.group(2)}", "PT", m.start(), m.end())
                for m in _PT_POST.finditer(masked)]
    if lang == "nl":
        out += [Postcode(f"{m.group(1)} {m.group(2)}", "NL", m.start(), m.end())
                for m in _NL_POST.finditer(masked)]
    out += [Postcode(f"{m.group(1)} {m.group(2)}".upper(), "CA", m.start(), m.end())
            for m in _CA_POST.finditer(masked)]
    taken = [(p.start, p.end) for p in out]
    for m in _UK_POST.finditer(masked):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        if not any(ch.isdigit() for ch in m.group(1)) or m.group(0).isdigit():
            continue
        out.append(Postcode(f"{m.group(1)} {m.group(2)}".upper(), "GB", m.start(), m.end()))
    return sorted(out, key=lambda p: p.start)


_CUES = frozenset("zip zipcode postal post code postcode name is my and its it's i'm im".split())
_CUES_IN = {
    "es": frozenset("código postal cp nombre es mi y me llamo soy".split()),
    "de": frozenset("plz postleitzahl name ist mein meine und ich heiße heisse bin".split()),
    "fr": frozenset("code postal cp nom est mon ma et je m'appelle suis".split()),
    "pt": frozenset("código postal cp nome é meu minha e chamo-me chamo sou".split()),
    "it": frozenset("cap codice postale nome è il mio e mi chiamo sono".split()),
    "nl": frozenset("postcode naam is mijn en ik heet ben".split()),
}


def _cue_words() -> frozenset[str]:
    return _CUES | _CUES_IN.get(i18n.current(), frozenset())


def _not_name(word: str) -> bool:
    low = word.lower()
    return low in NOT_NAMES or low in NOT_NAMES_IN.get(i18n.current(), frozenset())


def _candidate(a: str, b: str) -> tuple[str, str] | None:
    a, b = a.strip("'’-"), b.strip("'’-")
    if len(a) < 2 or len(b) < 2 or _not_name(a) or _not_name(b):
        return None
    if " " in b:  # "de Vries": the particle as written, the name capitalised
        *particles, last = b.split()
        return a[:1].upper() + a[1:], " ".join([*particles, last[:1].upper() + last[1:]])
    return a[:1].upper() + a[1:], b[:1].upper() + b[1:]


def _surnames_joined(words: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """ "de", "Vries" -> "de Vries": a particle belongs to the surname after it."""
    out: list[tuple[str, int]] = []
    pending: list[tuple[str, int]] = []
    for w, s in words:
        if w.lower() in _PARTICLES:
            pending.append((w, s))
            continue
        if pending and out:  # a particle after a first name: part of the surname
            out.append((" ".join([p for p, _ in pending] + [w]), pending[0][1]))
        else:
            out.extend(pending)
            out.append((w, s))
        pending = []
    return out + pending


def names(text: str, near: Postcode | None = None) -> list[tuple[str, str]]:
    """(first, last) candidates, most likely first: after "my name is" / "I'm", then the two
    words just before the postcode, then two words opening or closing the message."""
    out: list[tuple[str, str]] = []
    for m in _NAME_CUE.finditer(text):
        cand = _candidate(m.group(1), m.group(2))
        if cand:
            out.append(cand)
    tokens = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
    words = [(w, s) for w, s in tokens if w[0].isalpha()]
    if i18n.current() != "en":
        words = _surnames_joined([(w, s) for w, s in words if not any(
            p.start <= s < p.end for p in postcodes(text))])
    if near is not None:
        # "jonah garcia zip 95810", "Zip 84114, name Rosa Garcia": cue words in between skipped.
        cues = _cue_words()
        before = [w for w, s in words if s < near.start and w.lower() not in cues][-2:]
        if len(before) == 2 and (cand := _candidate(*before)):
            out.append(cand)
        after = [w for w, s in words if s >= near.end and w.lower() not in cues][:2]
        if len(after) == 2 and (cand := _candidate(*after)):
            out.append(cand)
    if len(words) >= 2:
        for pair in (words[:2], words[-2:]):
            if (cand := _candidate(pair[0][0], pair[1][0])):
                out.append(cand)
    return list(dict.fromkeys(out))[:3]


def name_and_postcode(text: str) -> list[tuple[str, str, str]]:
    """(first, last, postcode) guesses to try against the shop, most likely first."""
    codes = postcodes(text)
    if not codes:
        return []
    code = codes[0]
    return [(first, last, code.value) for first, last in names(text, code)]


def countries(text: str) -> list[str]:
    """Countries named in the text (display names), excluding "us" the pronoun."""
    out = []
    for m in _COUNTRY.finditer(text):
        word = m.group(1)
        if word.lower() == "us" and word != "US":
            continue
        out.append(COUNTRIES.get(word.lower()) or
                   COUNTRIES_IN.get(i18n.current(), {}).get(word.lower(), word))
    return list(dict.fromkeys(out))


def cancel_reason(text: str) -> str | None:
    """One of the shop's two cancellation reasons, from whatever words the shopper used."""
    if _MISTAKE.search(text):
        return "ordered by mistake"
    if _NOT_NEEDED.search(text):
        return "no longer needed"
    return None


_IDENTITY_WORDS = Wording({
    "en": r"\b(my name is|my names|my name's|name is|name's|this is|i am|i'm|im|here|"
          r"(my )?(zip|zipcode|postal|post) ?(code)?( is)?|and my|email( is| address is)?)\b"
          r"[\s,:.]*",
    "es": r"\b(me llamo|mi nombre es|soy|(mi )?(c[óo]digo postal|cp)( es)?|y mi|(mi )?correo"
          r"( electr[óo]nico)?( es)?)\b[\s,:.]*",
    "de": r"\b(ich hei(ß|ss)e|mein name ist|ich bin|(meine )?(postleitzahl|plz)( ist)?|und "
          r"meine?|(meine )?e-?mail( adresse)?( ist)?)\b[\s,:.]*",
    "fr": r"(je m'appelle|mon nom est|\bje suis|\b(mon )?code postal( est)?|\bet mon|"
          r"\b(mon )?e-?mail( est)?|\bmon adresse e-?mail( est)?)[\s,:.]*",
    "pt": r"\b(chamo-me|me chamo|(o )?meu nome [ée]|sou|(o )?(meu )?c[óo]digo postal( [ée])?|"
          r"e o meu|(o )?(meu )?e-?mail( [ée])?)\b[\s,:.]*",
    "it": r"\b(mi chiamo|il mio nome [èe]|sono|(il )?(mio )?(cap|codice postale)( [èe])?|e il "
          r"mio|(la )?(mia )?e-?mail( [èe])?)\b[\s,:.]*",
    "nl": r"\b(ik heet|mijn naam is|ik ben|(mijn )?postcode( is)?|en mijn|(mijn )?e-?mail"
          r"(adres)?( is)?)\b[\s,:.]*",
}, english_too=True)


def without_identity(text: str) -> str:
    """The text with the shopper's name, postcode and email taken out: what they want is
    read from the rest ("Will Murphy 80220 where's my order" is about an order)."""
    codes = postcodes(text)
    out = EMAIL.sub(" ", text)
    if EMAIL.search(text):
        out = re.sub(r"\b(my )?e-?mail( address)?( is| here)?\b[\s,:.]*", " ", out, flags=re.I)
        out = _IDENTITY_WORDS.sub(" ", out) if i18n.current() != "en" else out
    if codes:
        for first, last in names(text, codes[0])[:1]:
            out = re.sub(rf"\b{re.escape(first)}\s+{re.escape(last)}\b", " ", out, flags=re.I)
        for code in codes:
            out = out.replace(text[code.start:code.end], " ")
        out = _IDENTITY_WORDS.sub(" ", out)
    else:
        # With nothing else of an identity, only a name written as one: "I'm Marco Rossi",
        # not "sono molto scontento" / "I'm very unhappy" (which is what they want).
        m = _NAME_CUE.search(out)
        if m and _candidate(m.group(1), m.group(2)) and m.group(1)[:1].isupper() and (
                m.group(2).split()[-1][:1].isupper()):
            out = out[:m.start()] + " " + out[m.end():]
    out = re.sub(r"^[\s,.;:!-]+|\s+(?=[,.;:!?])", "", " ".join(out.split()))
    letters = r"[A-Za-z]{2,}" if i18n.current() == "en" else r"[^\W\d_]{2,}"
    if len(re.findall(letters, out)) == 0 and (codes or EMAIL.search(text)):
        return ""  # nothing but who they are
    return out if len(out.split()) >= 2 else text


def identity_guesses(text: str, earlier: list[str]) -> list[tuple[str, str, str]]:
    """(first, last, postcode) to try, at most four: a name and a postcode in this message,
    else this message's postcode with a name said before, or its name with an earlier code.
    Guesses not touching this message were tried when they were said."""
    here = name_and_postcode(text)
    codes = postcodes(text)
    before_codes = [c.value for t in earlier for c in postcodes(t)]
    before_names = [n for t in earlier
                    for n in names(t, next(iter(postcodes(t)), None))]
    out = list(here)
    if codes:
        out += [(first, last, codes[0].value) for first, last in before_names]
    elif before_codes:
        out += [(first, last, before_codes[-1]) for first, last in names(text)]
    return list(dict.fromkeys(out))[:4]
