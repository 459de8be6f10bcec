"""SMS text rules as pure functions: GSM-7 / UCS-2 segment counting, fitting a reply into a
segment budget, and the carrier keywords (STOP / START / HELP).

Segment counting follows GSM 03.38 and 3GPP 23.040: a message whose every character is in
the GSM-7 default alphabet (or its extension table, which costs two septets: escape + char)
is sent as GSM-7, 160 septets in one segment or 153 per segment once it is split (the rest
carries the concatenation header). Anything else goes as UCS-2 (UTF-16): 70 code units in
one segment, 67 per part; characters outside the BMP (most emoji) take two units. Escape
pairs and surrogate pairs are never split across segments, so packing is greedy per
character rather than a plain division.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

# Typographic characters an LLM likes that would force the whole message into UCS-2
# (less than half the room per segment). Replaced only when that makes the text GSM-7.
_SMART = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "…": "...", "\u00a0": " ", "•": "-", "′": "'", "″": '"',
})

# Twilio's default opt-out / opt-in / help keywords (Advanced Opt-Out defaults): Twilio
# blocks further messages to a number that sent an opt-out keyword, so we mirror its list.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
_EDGE_PUNCT = re.compile(r"^[\s.!]+|[\s.!]+$")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def _costs(text: str) -> tuple[Encoding, list[int]]:
    if is_gsm7(text):
        return Encoding.GSM7, [2 if c in GSM7_EXTENDED else 1 for c in text]
    return Encoding.UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def count_segments(text: str) -> Segments:
    """How many SMS segments `text` takes (0 for an empty text)."""
    encoding, costs = _costs(text)
    total = sum(costs)
    single, multi = (160, 153) if encoding is Encoding.GSM7 else (70, 67)
    if total == 0:
        return Segments(encoding, 0, 0)
    if total <= single:
        return Segments(encoding, total, 1)
    count, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return Segments(encoding, total, count)


def smart_encode(text: str) -> str:
    """Swap typographic quotes, dashes and ellipses for ASCII when that alone makes the
    text GSM-7; otherwise (emoji, non-Latin scripts) the text is UCS-2 anyway: unchanged."""
    if is_gsm7(text):
        return text
    plain = text.translate(_SMART)
    return plain if is_gsm7(plain) else text


def fits(text: str, max_segments: int) -> bool:
    """Whether `text` goes out whole within `max_segments` (after smart encoding)."""
    return count_segments(smart_encode(text.strip())).count <= max_segments


def fit(text: str, max_segments: int, suffix: str) -> str:
    """`text` (smart-encoded) if it fits in `max_segments`, else the longest prefix cut at a
    word boundary that fits together with `suffix`. The remainder is dropped."""
    text = smart_encode(text.strip())
    if count_segments(text).count <= max_segments:
        return text
    if is_gsm7(text):  # keep a GSM-7 text GSM-7: "…" alone would halve the room
        suffix = suffix.translate(_SMART)

    def ok(cut: int) -> bool:
        return count_segments(text[:cut].rstrip() + suffix).count <= max_segments

    cuts = [m.start() for m in re.finditer(r"\s+", text)]
    lo, hi, best = 0, len(cuts) - 1, -1
    while lo <= hi:  # the largest word boundary that still fits
        mid = (lo + hi) // 2
        if ok(cuts[mid]):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best >= 0 and cuts[best] > 0:
        return text[:cuts[best]].rstrip() + suffix
    lo, hi, n = 1, len(text), 0  # one enormous word: cut it anywhere
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(mid):
            n, lo = mid, mid + 1
        else:
            hi = mid - 1
    return text[:n].rstrip() + suffix


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


def keyword(text: str) -> Keyword | None:
    """The carrier keyword when it is the whole message (any case, edge spaces and a
    trailing "." or "!" ignored), else None."""
    word = _EDGE_PUNCT.sub("", text).upper()
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS:
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
