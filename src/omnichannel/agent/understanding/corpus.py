"""Training utterances we write ourselves, per language: `data/<lang>/*.txt`.

A file holds blocks: a `## intent` header, then one utterance per line; `# ` starts a comment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class Example:
    intent: str
    text: str
    source: str  # "file:line", for error messages and audits


def languages() -> list[str]:
    """Languages with training data."""
    return sorted(p.name for p in DATA.iterdir() if p.is_dir() and any(p.glob("*.txt")))


def parse(text: str, source: str) -> list[Example]:
    """Examples of one file. Raises ValueError on an utterance before any header."""
    out: list[Example] = []
    intent: str | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("# ") or line == "#":
            continue
        if line.startswith("## "):
            intent = line[3:].strip()
            continue
        if intent is None:
            raise ValueError(f"{source}:{n}: utterance before any '## intent' header")
        out.append(Example(intent, line, f"{source}:{n}"))
    return out


@lru_cache(maxsize=8)
def load(lang: str) -> tuple[Example, ...]:
    """Every example of a language, duplicates (same intent and text) dropped."""
    folder = DATA / lang
    seen: set[tuple[str, str]] = set()
    out: list[Example] = []
    for path in sorted(folder.glob("*.txt")):
        for ex in parse(path.read_text("utf-8"), f"{lang}/{path.name}"):
            key = (ex.intent, ex.text.lower())
            if key not in seen:
                seen.add(key)
                out.append(ex)
    if not out:
        raise ValueError(f"no training data for language {lang!r} under {folder}")
    return tuple(out)


def fingerprint(lang: str) -> str:
    """Changes whenever the language's training data does (keys the trained-model cache)."""
    h = hashlib.sha256()
    for path in sorted((DATA / lang).glob("*.txt")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
