"""Facts in a shopper's words that do not depend on the shop: order numbers, emails, phones,
names, postcodes, countries, cancellation reasons. Robust to case and word order."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_NAME_CUE = re.compile(
    r"\b(?:my name is|my names|my name's|name is|name's|name:|i am|i'm|im|this is|it's|its|"
    r"call me|here is|signed)\s+([A-Za-z][A-Za-z'’-]+)\s+([A-Za-z][A-Za-z'’-]+)", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\S")

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

_MISTAKE = re.compile(r"\b(by mistake|mistake|mistaken|by accident|accident(al)?ly|wrong "
                      r"(order|item|size|colou?r|one|thing|address)|ordered (it )?twice|"
                      r"double order|duplicate|didn'?t mean to|did not mean to|misclick)\b", re.I)

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
_COUNTRY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, COUNTRIES), key=len,
                                                reverse=True)) + r")\b", re.I)


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
    value: str  # canonical: "10027", "T2V 2B0", "SW1A 1AA"
    country: str  # "US" | "CA" | "GB"
    start: int
    end: int


def postcodes(text: str) -> list[Postcode]:
    """US zip codes, Canadian and UK postcodes, canonical form, in the order they appear."""
    masked = ORDER_ID.sub(lambda m: " " * len(m.group(0)), text)
    masked = EMAIL.sub(lambda m: " " * len(m.group(0)), masked)
    out = [Postcode(m.group(1), "US", m.start(), m.end()) for m in _US_ZIP.finditer(masked)]
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


def _candidate(a: str, b: str) -> tuple[str, str] | None:
    a, b = a.strip("'’-"), b.strip("'’-")
    if len(a) < 2 or len(b) < 2 or a.lower() in NOT_NAMES or b.lower() in NOT_NAMES:
        return None
    return a[:1].upper() + a[1:], b[:1].upper() + b[1:]


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
    if near is not None:
        # "jonah garcia zip 95810", "Zip 84114, name Rosa Garcia": cue words in between skipped.
        before = [w for w, s in words if s < near.start and w.lower() not in _CUES][-2:]
        if len(before) == 2 and (cand := _candidate(*before)):
            out.append(cand)
        after = [w for w, s in words if s >= near.end and w.lower() not in _CUES][:2]
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
        out.append(COUNTRIES[word.lower()])
    return list(dict.fromkeys(out))


def cancel_reason(text: str) -> str | None:
    """One of the shop's two cancellation reasons, from whatever words the shopper used."""
    if _MISTAKE.search(text):
        return "ordered by mistake"
    if re.search(r"\b(no longer|don'?t|do not|won'?t|will not|not) (need|want|use)|"
                 r"changed my mind|change of (mind|plans?)|cheaper|better (price|deal)|"
                 r"found (it|one|something)|bought (it )?elsewhere|too (long|slow|late|"
                 r"expensive)|taking too long|not needed|unneeded|no need|don'?t need|"
                 r"turns out|plans changed|can'?t afford|decided (not|against)|"
                 r"no longer|not anymore|anymore", text, re.I):
        return "no longer needed"
    return None


_IDENTITY_WORDS = re.compile(
    r"\b(my name is|my names|my name's|name is|name's|this is|i am|i'm|im|here|"
    r"(my )?(zip|zipcode|postal|post) ?(code)?( is)?|and my|email( is| address is)?)\b[\s,:.]*",
    re.I)


def without_identity(text: str) -> str:
    """The text with the shopper's name, postcode and email taken out: what they want is
    read from the rest ("Will Murphy 80220 where's my order" is about an order)."""
    codes = postcodes(text)
    out = EMAIL.sub(" ", text)
    if EMAIL.search(text):
        out = re.sub(r"\b(my )?e-?mail( address)?( is| here)?\b[\s,:.]*", " ", out, flags=re.I)
    if codes:
        for first, last in names(text, codes[0])[:1]:
            out = re.sub(rf"\b{re.escape(first)}\s+{re.escape(last)}\b", " ", out, flags=re.I)
        for code in codes:
            out = out.replace(text[code.start:code.end], " ")
        out = _IDENTITY_WORDS.sub(" ", out)
    else:
        m = _NAME_CUE.search(out)
        if m and _candidate(m.group(1), m.group(2)):
            out = out[:m.start()] + " " + out[m.end():]
    out = re.sub(r"^[\s,.;:!-]+|\s+(?=[,.;:!?])", "", " ".join(out.split()))
    if len(re.findall(r"[A-Za-z]{2,}", out)) == 0 and (codes or EMAIL.search(text)):
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
