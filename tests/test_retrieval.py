"""Hybrid retrieval: reciprocal rank fusion of BM25 and embedding neighbours."""

from __future__ import annotations

from omnichannel.agent.retrieval import HashingEmbedder, HybridKnowledge, rrf


def test_rrf_rewards_agreement_between_rankings() -> None:
    fused = rrf([["a", "b", "c"], ["c", "a", "d"]])
    assert [k for k, _ in fused][:2] == ["a", "c"]
    assert dict(fused)["d"] < dict(fused)["b"] or dict(fused)["d"] == dict(fused)["b"]


def test_hashing_embedder_is_normalised_and_typo_tolerant() -> None:
    e = HashingEmbedder()
    a, b, c = e.embed(["return policy", "retrun polcy", "tent poles"])
    assert abs(sum(x * x for x in a) - 1.0) < 1e-9
    dot = lambda x, y: sum(i * j for i, j in zip(x, y, strict=True))  # noqa: E731
    assert dot(a, b) > dot(a, c)


async def test_hybrid_finds_what_bm25_misses(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory('[knowledge]\nranker = "hybrid"\n', engine="builtin")
    store = gw.store
    assert await store.search("retrun polcy") == []  # FTS5 has no such words
    hybrid = gw.rt.router.deps.knowledge
    assert isinstance(hybrid, HybridKnowledge)
    hits = await hybrid.search("retrun polcy", 3)
    assert hits and hits[0].title == "Returns and refunds"
    exact = await hybrid.search("do you ship to canada", 3)
    assert exact[0].heading == "Do you ship to Canada?"  # both rankings agree
