"""A pattern of words per language, read in the turn's language.

Each rule (a yes, a request for a person, a cancellation reason) is one small table keyed by
language; `Wording` compiles it and answers like a compiled regex (`search`, `match`, ...),
using the pattern of `i18n.current()`, or of `lang` when given. Outside English the English
pattern is tried as well when `english_too` (shoppers mix in "ok", "human", "refund").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cached_property

import omnichannel.i18n as i18n


class Wording:
    def __init__(self, patterns: Mapping[str, str], flags: int = re.I,
                 english_too: bool = False) -> None:
        self._source = dict(patterns)
        self._flags = flags
        self._english_too = english_too

    @cached_property
    def _compiled(self) -> dict[str, re.Pattern[str]]:
        return {lang: re.compile(p, self._flags) for lang, p in self._source.items()}

    def patterns(self, lang: str | None = None) -> list[re.Pattern[str]]:
        """The patterns to try, the language's first (none for a language without one)."""
        code = lang or i18n.current()
        found = self._compiled
        out = [found[code]] if code in found else []
        if code != "en" and "en" in found and (self._english_too or not out):
            out.append(found["en"])
        return out

    def search(self, text: str, lang: str | None = None) -> re.Match[str] | None:
        return next((m for p in self.patterns(lang) if (m := p.search(text))), None)

    def match(self, text: str, lang: str | None = None) -> re.Match[str] | None:
        return next((m for p in self.patterns(lang) if (m := p.match(text))), None)

    def findall(self, text: str, lang: str | None = None) -> list[str]:
        """The matched texts; a stretch two patterns both match counts once."""
        kept: list[re.Match[str]] = []
        for m in self.finditer(text, lang):
            if not any(k.start() < m.end() and m.start() < k.end() for k in kept):
                kept.append(m)
        return [m.group(0) for m in kept]

    def finditer(self, text: str, lang: str | None = None) -> Iterator[re.Match[str]]:
        for p in self.patterns(lang):
            yield from p.finditer(text)

    def sub(self, repl: str, text: str, lang: str | None = None) -> str:
        for p in self.patterns(lang):
            text = p.sub(repl, text)
        return text

    def split(self, text: str, lang: str | None = None) -> list[str]:
        """Split by the language's own pattern only (two splits would not nest)."""
        pats = self.patterns(lang)
        return pats[0].split(text) if pats else [text]


def choice(*alternatives: str) -> str:
    """A non-capturing alternation of regex fragments."""
    return "(?:" + "|".join(alternatives) + ")"
