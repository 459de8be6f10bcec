"""The language of an ingested document, by one rule for every source.

In order: the document's own tag (`language: es` in Markdown front matter, `<html lang="es">`),
then the nearest folder named for a shipped language (`help/de/returns.md`, `fr-FR/`, a zip's
`es/` folder), then the language its text is written in (py3langid), then `default` (the shop's
language). Only shipped languages count; any other tag is ignored.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import omnichannel.i18n as i18n
from omnichannel.i18n import detect
from omnichannel.knowledge.model import Document, with_language

# Enough of a document for the detector; more only costs time.
SAMPLE_CHARS = 3000
MIN_PROBABILITY = 0.6


def from_path(source: str) -> str | None:
    """The innermost folder of `source` named for a shipped language ("es", "pt-BR")."""
    parts = PurePosixPath(re.sub(r"[\\!]", "/", source)).parts[:-1]
    for part in reversed(parts):
        if re.fullmatch(r"[A-Za-z]{2}(?:[-_][A-Za-z]{2,4})?", part):
            lang = i18n.normalize(part)
            if lang:
                return lang
    return None


def from_text(doc: Document) -> str | None:
    """The language the document's text is written in, when the detector is sure."""
    return _detected(" ".join([doc.title, *(f"{s.heading} {s.body}" for s in doc.sections)]))


def _detected(text: str) -> str | None:
    lang, probability = detect.guess(text[:SAMPLE_CHARS])
    return lang if lang and probability >= MIN_PROBABILITY else None


def of_text(source: str, text: str, default: str = i18n.DEFAULT) -> str:
    """The rule for a document already read (no tag left): folder, then text, then default."""
    return from_path(source) or _detected(text) or default


def decide(doc: Document, default: str = i18n.DEFAULT) -> Document:
    """`doc` with its language settled by the rule above (its own tag is kept)."""
    lang = (i18n.normalize(doc.language) or from_path(doc.source) or from_text(doc)
            or i18n.normalize(default) or i18n.DEFAULT)
    return with_language(doc, lang)
