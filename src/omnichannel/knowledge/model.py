"""Help-center knowledge as values: documents split into sections, passages found for a
question, and the search interface the agent reads. Every section and passage has a language
(a shipped code): the index stems it with that language's stemmer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    body: str
    language: str = ""  # "" until the loader decides (knowledge.language)


@dataclass(frozen=True, slots=True)
class Document:
    source: str
    title: str
    sections: list[Section]
    sha256: str

    @property
    def language(self) -> str:
        return self.sections[0].language if self.sections else ""


@dataclass(frozen=True, slots=True)
class Passage:
    title: str
    heading: str
    body: str
    source: str
    score: float
    language: str = "en"


class KnowledgeSource(Protocol):
    async def search(self, text: str, limit: int = 3) -> list[Passage]: ...


def with_language(doc: Document, lang: str) -> Document:
    """The document with every section in `lang`."""
    return replace(doc, sections=[replace(s, language=lang) for s in doc.sections])


def builtin_helpcenter() -> Path:
    """The help center shipped with the package (English at the top, one folder per
    translation)."""
    return Path(__file__).resolve().parent.parent / "helpcenter"
