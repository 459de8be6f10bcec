"""Split text to a channel's length limit: at paragraphs, then sentences, then words."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def chunk_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters; a word is cut only if it alone exceeds it."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    out: list[str] = []
    for unit in _units(text, limit):
        if out and len(out[-1]) + len(unit.sep) + len(unit.text) <= limit:
            out[-1] = out[-1] + unit.sep + unit.text
        else:
            out.append(unit.text)
    return out


class _Unit:
    __slots__ = ("text", "sep")

    def __init__(self, text: str, sep: str) -> None:
        self.text, self.sep = text, sep


def _units(text: str, limit: int) -> list[_Unit]:
    units: list[_Unit] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        sep = "\n\n"
        if len(para) <= limit:
            units.append(_Unit(para, sep))
            continue
        for sentence in _SENTENCE.split(para):
            if len(sentence) <= limit:
                units.append(_Unit(sentence, sep))
            else:
                units += [_Unit(w, sep if i == 0 else " ") for i, w in
                          enumerate(_words(sentence, limit))]
            sep = " "
    return units


def _words(sentence: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:  # one "word" longer than the limit (a URL, a hash)
            if current:
                out.append(current)
                current = ""
            out.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out
