"""Reading the facts of an order task out of a shopper's words: items, options, payment,
addresses. Pure functions over text and the shop's own records (identity, order numbers and
reasons are in understanding.entities). Option words in the other shipped languages ("talla M",
"Größe L", "en rouge", "tamanho 42") are read as the English the shop's options are named in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import omnichannel.i18n as i18n
from omnichannel.agent.understanding.wording import Wording
from omnichannel.commerce import (
    Address,
    Customer,
    Order,
    OrderItem,
    PaymentMethod,
    PaymentSource,
    Variant,
)

_FOR_ONE = re.compile(r"\b(?:for|to|into)\s+(?:one|the one|a one|an? \w+)\s+with\b", re.I)
_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC",
}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    # "i'm" is one word "im", never the size "M". Outside English, accented letters are letters.
    pattern = r"[a-z0-9]+" if i18n.current() == "en" else r"[^\W_]+"
    return [_singular(w) for w in re.findall(pattern, re.sub(r"['’]", "", text.lower()))]


# Option words of the other shipped languages as the English of the shop's option names and
# values, after `words` (lower case, a plural's "s" dropped). A word with two English forms
# ("grey", "gray") gives the second at the end of the phrase.
_SIZE, _COLOR = ("size",), ("color", "colour")
_OPTION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {"talla": _SIZE, "tamaño": _SIZE, "número": _SIZE, "color": _COLOR,
           "rojo": ("red",), "roja": ("red",), "azul": ("blue",), "azule": ("blue",),
           "negro": ("black",), "negra": ("black",), "blanco": ("white",), "blanca": ("white",),
           "verde": ("green",), "gris": ("grey", "gray"), "rosa": ("pink",),
           "amarillo": ("yellow",), "amarilla": ("yellow",), "marrón": ("brown",),
           "marron": ("brown",), "beige": ("beige",), "marino": ("navy",),
           "pequeña": ("small",), "pequeño": ("small",), "mediana": ("medium",),
           "mediano": ("medium",), "grande": ("large",), "sin": ("without",), "con": ("with",)},
    "de": {"größe": _SIZE, "groesse": _SIZE, "grösse": _SIZE, "gr": _SIZE, "farbe": _COLOR,
           "rot": ("red",), "rote": ("red",), "roten": ("red",), "blau": ("blue",),
           "blaue": ("blue",), "blauen": ("blue",), "schwarz": ("black",),
           "schwarze": ("black",), "schwarzen": ("black",), "weiß": ("white",),
           "weiss": ("white",), "weiße": ("white",), "weißen": ("white",), "grün": ("green",),
           "grüne": ("green",), "grau": ("grey", "gray"), "graue": ("grey", "gray"),
           "rosa": ("pink",), "gelb": ("yellow",), "braun": ("brown",), "dunkelblau": ("navy",),
           "klein": ("small",), "mittel": ("medium",), "groß": ("large",), "ohne": ("without",),
           "mit": ("with",)},
    "fr": {"taille": _SIZE, "pointure": _SIZE, "couleur": _COLOR, "rouge": ("red",),
           "bleu": ("blue",), "bleue": ("blue",), "noir": ("black",), "noire": ("black",),
           "blanc": ("white",), "blanche": ("white",), "vert": ("green",), "verte": ("green",),
           "gri": ("grey", "gray"), "gris": ("grey", "gray"), "rose": ("pink",),
           "jaune": ("yellow",), "marron": ("brown",), "marine": ("navy",),
           "petit": ("small",), "petite": ("small",), "moyen": ("medium",),
           "moyenne": ("medium",), "grand": ("large",), "grande": ("large",),
           "san": ("without",), "sans": ("without",), "avec": ("with",)},
    "pt": {"tamanho": _SIZE, "número": _SIZE, "numero": _SIZE, "cor": _COLOR,
           "vermelho": ("red",), "vermelha": ("red",), "azul": ("blue",), "azui": ("blue",),
           "preto": ("black",), "preta": ("black",), "branco": ("white",),
           "branca": ("white",), "verde": ("green",), "cinzento": ("grey", "gray"),
           "cinza": ("grey", "gray"), "rosa": ("pink",), "amarelo": ("yellow",),
           "castanho": ("brown",), "marrom": ("brown",), "pequeno": ("small",),
           "pequena": ("small",), "médio": ("medium",), "média": ("medium",),
           "grande": ("large",), "sem": ("without",), "com": ("with",)},
    "it": {"taglia": _SIZE, "misura": _SIZE, "numero": _SIZE, "colore": _COLOR,
           "rosso": ("red",), "rossa": ("red",), "blu": ("blue",), "azzurro": ("blue",),
           "nero": ("black",), "nera": ("black",), "bianco": ("white",), "bianca": ("white",),
           "verde": ("green",), "grigio": ("grey", "gray"), "grigia": ("grey", "gray"),
           "rosa": ("pink",), "giallo": ("yellow",), "marrone": ("brown",),
           "piccolo": ("small",), "piccola": ("small",), "medio": ("medium",),
           "media": ("medium",), "grande": ("large",), "senza": ("without",), "con": ("with",)},
    "nl": {"maat": _SIZE, "grootte": _SIZE, "kleur": _COLOR, "rood": ("red",),
           "rode": ("red",), "blauw": ("blue",), "blauwe": ("blue",), "zwart": ("black",),
           "zwarte": ("black",), "wit": ("white",), "witte": ("white",), "groen": ("green",),
           "groene": ("green",), "grijs": ("grey", "gray"), "grijze": ("grey", "gray"),
           "roze": ("pink",), "geel": ("yellow",), "gele": ("yellow",), "bruin": ("brown",),
           "bruine": ("brown",), "marineblauw": ("navy",), "klein": ("small",),
           "kleine": ("small",), "middel": ("medium",), "groot": ("large",),
           "grote": ("large",), "zonder": ("without",), "met": ("with",)},
}


def _in_english(seq: list[str]) -> list[str]:
    """The words with the language's option words as English (English text as it is)."""
    table = _OPTION_WORDS.get(i18n.current())
    if not table:
        return seq
    out = [table.get(w, (w,))[0] for w in seq]
    return out + [alt for w in seq for alt in table.get(w, ())[1:]]


def _has_phrase(hay: list[str], needle: list[str]) -> int:
    """Positions where `needle` occurs in `hay` as consecutive words."""
    n = len(needle)
    return sum(1 for i in range(len(hay) - n + 1) if hay[i:i + n] == needle) if n else 0


@dataclass(frozen=True, slots=True)
class ItemMention:
    item: OrderItem
    start: int  # word position of the mention in the text


def mentioned_items(text: str, items: Sequence[OrderItem]) -> list[ItemMention]:
    """Order items the text names, in the order it names them.

    A name that several items share is narrowed by option values written nearby
    ("the T-Shirt (color blue, size M)"); "both"/"two" repeats a mention.
    """
    tw = words(text)
    inside = _option_spans(text)
    found: list[ItemMention] = []
    by_name: dict[str, list[OrderItem]] = {}
    for it in items:
        by_name.setdefault(it.name, []).append(it)
    heads: dict[str, int] = {}
    for name in by_name:
        heads[words(name)[-1]] = heads.get(words(name)[-1], 0) + 1
    for name, group in by_name.items():
        nw = words(name)
        starts = [i for i in range(len(tw) - len(nw) + 1) if tw[i:i + len(nw)] == nw]
        width = len(nw)
        if not starts and heads[nw[-1]] == 1:
            # A partial name: "the black leather boots" for "Bearclaw Hiking Boots".
            starts = [i for i, w in enumerate(tw) if w == nw[-1]]
            width = 1
        used: list[str] = []
        for pos in starts:
            if pos in inside:  # "compartment laptop" is an option, not the Laptop
                continue
            window = " ".join(tw[max(0, pos - 6): pos] + tw[pos + width: pos + width + 14])
            choice = _best_by_options(window, group, used)
            if choice is not None:
                found.append(ItemMention(choice, pos))
                used.append(choice.item_id)
    # "return the cook pot but keep the hip pack": a kept item is not one to act on.
    found = [m for m in found if not _kept(tw, m.start)]
    found.sort(key=lambda m: m.start)
    return found


_KEEP = frozenset({"keep", "keeping", "not", "except", "without", "exclude", "excluding"})
_KEEP_IN = {
    "es": frozenset({"quedo", "quedarme", "excepto", "salvo", "menos", "sin", "no"}),
    "de": frozenset({"behalte", "behalten", "außer", "ohne", "nicht", "ausgenommen"}),
    "fr": frozenset({"garde", "garder", "sauf", "san", "sans", "pas", "excepté"}),
    "pt": frozenset({"fico", "ficar", "exceto", "menos", "sem", "não"}),
    "it": frozenset({"tengo", "tenere", "tranne", "eccetto", "senza", "non"}),
    "nl": frozenset({"houd", "hou", "houden", "behalve", "zonder", "niet"}),
}


def _kept(tw: list[str], pos: int) -> bool:
    keep = _KEEP | _KEEP_IN.get(i18n.current(), frozenset())
    return bool(keep & set(tw[max(0, pos - 3):pos]))


def _option_spans(text: str) -> set[int]:
    """Word positions inside "for one with ..." phrases."""
    out: set[int] = set()
    for marker, phrase in zip(_FOR_ONE.finditer(text), option_phrases(text), strict=False):
        start = len(words(text[:marker.end()]))
        out.update(range(start, start + len(words(phrase))))
    return out


def _best_by_options(window: str, group: Sequence[OrderItem], used: list[str]
                     ) -> OrderItem | None:
    if len(group) == 1:
        return group[0]
    ww = set(window.split())

    def score(it: OrderItem) -> tuple[int, int]:
        hits = sum(1 for _k, v in it.options if set(words(v)) <= ww)
        return (hits, -used.count(it.item_id))

    return max(group, key=score)


def item_option_pairs(text: str, items: Sequence[OrderItem]
                      ) -> list[tuple[OrderItem | None, str]]:
    """Each "for one with ..." phrase with the item named just before it (None if none)."""
    mentions = mentioned_items(text, items)
    phrases = option_phrases(text)
    if not phrases:
        # Free words: "size L", "in red", "the blue one", "no backlight", "waterproof".
        return [(mentions[-1].item if mentions else None, text)]
    out: list[tuple[OrderItem | None, str]] = []
    previous = -1
    for marker, phrase in zip(_FOR_ONE.finditer(text), phrases, strict=False):
        at = len(words(text[:marker.start()]))
        owner = [m for m in mentions if previous < m.start < at]
        out.append((owner[-1].item if owner else None, phrase))
        previous = at
    return out


def without_options(text: str) -> str:
    """The request without the option lists it carries ("(color black, size M)", "to one
    with storage SD card"): what is asked for reads the same whatever the options are."""
    out = re.sub(r"\s*\([^()]{0,200}\)", "", text)
    return " ".join(_cut_option_lists(out).split())


def _cut_option_lists(text: str) -> str:
    parts = _FOR_ONE.split(text)
    markers = _FOR_ONE.findall(text)
    if not markers:
        return text
    out = parts[0]
    for marker, rest in zip(markers, parts[1:], strict=False):
        tail = re.split(r"(?<=[.!?])\s|\band\s+the\b|\band\s+my\b", rest, maxsplit=1)
        out += f"{marker.split()[0]} another one" + (f". {tail[1]}" if len(tail) > 1 else ".")
    return out


def option_phrases(text: str) -> list[str]:
    """The text after each 'for one with' / 'to one with' / 'to the one with'."""
    parts = _FOR_ONE.split(text)
    return [re.split(r"(?<=[.!?])\s|\band\s+the\b|\band\s+my\b", p)[0] for p in parts[1:]]


_NONE_VALUES = frozenset({"none", "no", "false", "without"})
_YES_VALUES = frozenset({"yes", "true", "with"})


def _negated(seq: list[str], key: list[str]) -> bool:
    """ "no backlight", "without backlight", "not water resistant", "non waterproof"."""
    return any(_has_phrase(seq, [neg, *key]) for neg in ("no", "without", "not", "non"))


def _value_hit(seq: list[str], key: str, value: str) -> bool:
    kw, vw = words(key), words(value)
    pw = set(seq)
    if value.lower() in _NONE_VALUES:
        return _negated(seq, kw)
    if value.lower() in _YES_VALUES:
        return _has_phrase(seq, kw) > 0 and not _negated(seq, kw)
    if not vw or not set(vw) <= pw:
        return False
    if len(vw) == 1 and len(vw[0]) <= 2 and not vw[0].isdigit():
        # A one- or two-letter value (size "L", "XL") counts only next to its option's name
        # or as a whole word that is not a common word ("a", "i").
        return _has_phrase(seq, [*kw, *vw]) > 0 or (vw[0] not in ("a", "i", "s", "t", "m") and
                                                   vw[0] in seq) or _has_phrase(seq, ["size",
                                                                                      *vw]) > 0
    return not _negated(seq, vw)


def match_variant(phrase: str, variants: Sequence[Variant],
                  current: tuple[tuple[str, str], ...] = ()) -> Variant | None:
    """The variant whose options the phrase names best (ties: none).

    "frame color black" counts as a named option pair; a bare value ("black") counts less,
    so two options sharing a value (frame and lens colour) are told apart. With `current`
    (the item being replaced), a phrase naming only what changes ("size L", "in red") keeps
    the other options as they are, and must name at least one option that changes.
    """
    seq = _in_english(words(phrase))
    now = dict(current)
    scored = []
    for v in variants:
        named = [words(f"{k} {val}") for k, val in v.options]
        hits = [n for n in named if _has_phrase(seq, n)]
        values = sum(1 for k, val in v.options if _value_hit(seq, k, val))
        changed = sum(1 for k, val in v.options
                      if now.get(k) not in (None, val) and _value_hit(seq, k, val))
        contradicts = sum(1 for k, val in v.options if now.get(k) not in (None, val)
                          and _value_hit(seq, k, now[k]) and not _value_hit(seq, k, val))
        kept = sum(1 for k, val in v.options if now.get(k) == val)
        # More named pairs first; then the longer (more specific) values: "Wi-Fi + Cellular"
        # over "Wi-Fi"; then bare values; then fewest options changed beyond those named.
        scored.append(((len(hits), sum(len(n) for n in hits), values - contradicts, kept),
                       changed, v))
    if current:
        scored = [s for s in scored if s[1] > 0 or s[0][0] >= len(current)]
        # Options the phrase does not name stay as they are: "size L" never changes the colour.
        named_keys = {k for k, val in (o for v in variants for o in v.options)
                      if _value_hit(seq, k, val) or _has_phrase(seq, words(k))}
        scored = [s for s in scored if all(now.get(k) in (None, val) or k in named_keys
                                           for k, val in s[2].options)]
    scored.sort(key=lambda s: s[0], reverse=True)
    if not scored or scored[0][0][:3] == (0, 0, 0):
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][2]


def option_choices(variants: Sequence[Variant], current: tuple[tuple[str, str], ...]) -> str:
    """The options one could switch to, as "size S, M, L; color red, blue"."""
    values: dict[str, list[str]] = {}
    for v in variants:
        if not v.available:
            continue
        for k, val in v.options:
            if val not in values.setdefault(k, []):
                values[k].append(val)
    shown = [f"{k} {', '.join(vals[:6])}" for k, vals in values.items() if len(vals) > 1]
    return "; ".join(shown[:3])


_ORIGINAL = re.compile(r"\b(original|same (card|method|payment|way)|where (it|i|the money) "
                       r"(came from|paid)|back to (my|the) (card|account|payment)|how i paid|"
                       r"(the )?(card|method) i (paid|used|bought it) with)\b", re.I)


def original_method(order: Order | None, customer: Customer) -> PaymentMethod | None:
    """The method that paid for the order (its first payment)."""
    if order is None:
        return None
    for p in order.payment_history:
        if p.transaction_type == "payment":
            return customer.payment(p.payment_method_id)
    return None


def payment_method(text: str, customer: Customer, order: Order | None = None
                   ) -> PaymentMethod | None:
    low = text.lower()
    methods = customer.payment_methods
    if _ORIGINAL.search(low) and (found := original_method(order, customer)) is not None:
        return found
    last4 = re.findall(r"ending(?: in)?\s+(\d{4})", low)
    if last4:
        for pm in methods:
            if pm.last_four == last4[-1] or pm.id.endswith(last4[-1]):
                return pm
    wanted: PaymentSource | None = None
    if "paypal" in low:
        wanted = PaymentSource.PAYPAL
    elif "gift card" in low or "giftcard" in low:
        wanted = PaymentSource.GIFT_CARD
    elif re.search(r"credit card|\bcard\b|visa|mastercard|amex|american express|discover", low):
        wanted = PaymentSource.CREDIT_CARD
    if wanted is None:
        return None
    options = [pm for pm in methods if pm.source is wanted]
    if wanted is PaymentSource.CREDIT_CARD:
        branded = [pm for pm in options if pm.brand and pm.brand.lower() in low]
        options = branded or options
    return options[0] if len(options) == 1 else None


_PROVINCES = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
_ADDRESS = re.compile(
    r"(?<![\w#])(\d{1,6}\s+[A-Za-z][A-Za-z0-9 .'-]*?),\s*"
    r"(?:((?:apt|apartment|suite|ste|unit|#|floor|fl)\.?\s*[\w-]+),\s*)?"
    r"([A-Za-z .'-]+?),?\s+([A-Z]{2})\s+(\d{5}|[A-Z]\d[A-Z][ -]?\d[A-Z]\d)"
    r"(?:,\s*([A-Za-z .]+?))?\s*(?:[.!?]|$)",
    re.I,
)


def address(text: str) -> Address | None:
    """A US or Canadian street address written as street, [unit,] city, state zip[, country]."""
    m = _ADDRESS.search(text)
    if not m:
        return None
    region, code = m.group(4).upper(), m.group(5).upper()
    if region in _STATES and code.isdigit():
        country = (m.group(6) or "USA").strip()
    elif region in _PROVINCES and not code.isdigit():
        country = (m.group(6) or "Canada").strip()
        code = f"{code[:3]} {code[-3:]}"
    else:
        return None
    return Address(
        address1=m.group(1).strip(), address2=(m.group(2) or "").strip(),
        city=m.group(3).strip(), state=region, country=country, zip=code,
    )


_OPTION_TALK = Wording({
    "en": r"\b(size|colou?r|in (black|white|red|blue|green|grey|gray|pink|"
          r"yellow|brown|navy|beige)|small|medium|large|xl|xxl|with|without|"
          r"instead)\b",
    "es": r"\b(talla|tama[ñn]o|n[úu]mero \d+|color|en (negro|blanco|rojo|azul|verde|gris|rosa|"
          r"amarillo|marr[óo]n|beige)|peque[ñn][oa]|median[oa]|grande|xl|xxl|con|sin|en vez|"
          r"en lugar)\b",
    "de": r"\b(gr[öo](ß|ss)e|gr\.|farbe|in (schwarz|wei(ß|ss)|rot|blau|gr[üu]n|grau|rosa|gelb|"
          r"braun|beige)|klein|mittel|gro(ß|ss)|xl|xxl|mit|ohne|stattdessen)\b",
    "fr": r"\b(taille|pointure|couleur|en (noir|blanc|rouge|bleu|vert|gris|rose|jaune|marron|"
          r"beige)|petite?|moyenne?|grande?|xl|xxl|avec|sans|plut[ôo]t|[àa] la place)\b",
    "pt": r"\b(tamanho|n[úu]mero \d+|cor|em (preto|branco|vermelho|azul|verde|cinzento|cinza|"
          r"rosa|amarelo|castanho|bege)|pequen[oa]|m[ée]di[oa]|grande|xl|xxl|com|sem|em vez)\b",
    "it": r"\b(taglia|misura|numero \d+|colore|in (nero|bianco|rosso|blu|verde|grigio|rosa|"
          r"giallo|marrone|beige)|piccol[oa]|medi[oa]|grande|xl|xxl|con|senza|invece)\b",
    "nl": r"\b(maat|grootte|kleur|in (het )?(zwart|wit|rood|blauw|groen|grijs|roze|geel|"
          r"bruin|beige)|klein|middel|groot|xl|xxl|met|zonder|in plaats)\b",
}, english_too=True)


def option_words(text: str) -> bool:
    """The text talks about options (a size, a colour, "with"/"without" something)."""
    return bool(_OPTION_TALK.search(text))


def has_phrase(text: str, phrase: str) -> bool:
    return _has_phrase(words(text), words(phrase)) > 0
