"""Hybrid retrieval: BM25 fused with embedding similarity by reciprocal rank (RRF).

BM25 (SQLite FTS5) is the default. With `[knowledge] ranker = "hybrid"`, the same
candidates are fused with the nearest sections by embedding; the embedder is pluggable:
a local sentence-transformers model where one is installed, or the dependency-free
character-trigram hashing embedder (robust to typos and word forms, not to synonyms).

Both search the turn's language first (`i18n.current()`) and, when it has no good passage, the
shop's language; passages say which language they are in (Passage.language).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol

import omnichannel.i18n as i18n
from omnichannel.knowledge.model import Passage
from omnichannel.knowledge.ranking import rerank

RRF_K = 60
# A passage in the shopper's language is good enough to keep from this share of the
# question's words (and a word of its heading); below it the shop's language is searched too.
GOOD_COVERAGE = 0.34


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class PassageSource(Protocol):
    async def search(self, text: str, limit: int = 3,
                     language: str | None = None) -> list[Passage]: ...
    async def all_passages(self, language: str | None = None) -> list[Passage]: ...
    async def knowledge_version(self) -> str: ...


Search = Callable[[str, int, str], Awaitable[list[Passage]]]


def good(text: str, passages: list[Passage]) -> bool:
    """Whether one of `passages` plausibly answers `text` (the engines decide for real)."""
    return any(r.coverage >= GOOD_COVERAGE and r.heading_overlap > 0
               for r in rerank(text, passages))


async def in_languages(search: Search, text: str, limit: int, shop: str) -> list[Passage]:
    """Passages in the turn's language; the shop's when that language has none good."""
    lang = i18n.current()
    found = await search(text, limit, lang)
    if lang == shop or good(text, found):
        return found
    fallback = await search(text, limit, shop)
    return fallback if fallback and (good(text, fallback) or not found) else found


class Multilingual:
    """A KnowledgeSource over BM25 that answers in the shopper's language when it can."""

    def __init__(self, source: PassageSource, shop: str = i18n.DEFAULT) -> None:
        self.source = source
        self.shop = shop

    async def search(self, text: str, limit: int = 3) -> list[Passage]:
        return await in_languages(self._search, text, limit, self.shop)

    async def _search(self, text: str, limit: int, language: str) -> list[Passage]:
        return await self.source.search(text, limit, language)


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = RRF_K) -> list[tuple[Hashable, float]]:
    """Reciprocal rank fusion: sum of 1/(k + rank) over the lists an item appears in."""
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


class HashingEmbedder:
    """Character trigrams hashed into a fixed vector, L2-normalised. No model, no network."""

    name = "hashing"

    def __init__(self, dim: int = 1024) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vec = [0.0] * self.dim
            for word in re.findall(r"\w+", text.lower()):
                padded = f" {word} "
                for i in range(len(padded) - 2):
                    h = int.from_bytes(hashlib.blake2b(padded[i:i + 3].encode(),
                                                       digest_size=4).digest(), "big")
                    vec[h % self.dim] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (installed separately; never downloaded here)."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise RuntimeError("embedding_model needs `pip install sentence-transformers` and "
                               "a model available locally") from exc
        self.name = model
        self._model: Any = SentenceTransformer(model, local_files_only=True)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]


def make_embedder(spec: str) -> Embedder:
    if spec == "hashing":
        return HashingEmbedder()
    return SentenceTransformerEmbedder(spec.removeprefix("sentence-transformers:"))


def _key(p: Passage) -> tuple[str, str, str]:
    return (p.source, p.heading, p.body)


class HybridKnowledge:
    """A KnowledgeSource that fuses BM25 with embedding nearest neighbours."""

    def __init__(self, source: PassageSource, embedder: Embedder, candidates: int = 25,
                 shop: str = i18n.DEFAULT) -> None:
        self.source = source
        self.embedder = embedder
        self.candidates = candidates
        self.shop = shop
        self._version = ""
        self._passages: list[Passage] = []
        self._vectors: list[list[float]] = []
        self._lock = asyncio.Lock()

    async def search(self, text: str, limit: int = 3) -> list[Passage]:
        return await in_languages(self._search, text, limit, self.shop)

    async def _search(self, text: str, limit: int, language: str) -> list[Passage]:
        bm25 = await self.source.search(text, self.candidates, language)
        await self._refresh()
        if not self._passages:
            return bm25[:limit]
        (query,) = await asyncio.to_thread(self.embedder.embed, [text])
        sims = sorted(((sum(a * b for a, b in zip(query, vec, strict=False)), i)
                       for i, vec in enumerate(self._vectors)
                       if self._passages[i].language == language), reverse=True)
        dense = [self._passages[i] for sim, i in sims[:self.candidates] if sim > 0]
        by_key = {_key(p): p for p in (*dense, *bm25)}
        fused = rrf([[_key(p) for p in bm25], [_key(p) for p in dense]])
        out = []
        for key, score in fused[:limit]:
            p = by_key[key]  # type: ignore[index]
            out.append(Passage(p.title, p.heading, p.body, p.source, round(score * 1000, 4),
                               p.language))
        return out

    async def _refresh(self) -> None:
        """Embed every section once per knowledge version (help centers are small)."""
        version = await self.source.knowledge_version()
        if version == self._version:
            return
        async with self._lock:
            if version == self._version:
                return
            passages = await self.source.all_passages()
            texts = [f"{p.title}. {p.heading}. {p.body}" for p in passages]
            vectors = await asyncio.to_thread(self.embedder.embed, texts) if texts else []
            self._passages, self._vectors, self._version = passages, vectors, version
