from __future__ import annotations

import pytest

from omnichannel.chunking import chunk_text


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("hello", 10) == ["hello"]


def test_splits_at_paragraphs_first() -> None:
    text = "First paragraph here.\n\nSecond paragraph here."
    assert chunk_text(text, 25) == ["First paragraph here.", "Second paragraph here."]


def test_then_sentences_then_words_never_mid_word() -> None:
    text = "One two three. Four five six seven eight nine ten eleven twelve."
    chunks = chunk_text(text, 20)
    assert all(len(c) <= 20 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    words = set(text.replace(".", " ").split())
    for c in chunks:
        for w in c.replace(".", " ").split():
            assert w in words  # no word was cut


def test_a_word_longer_than_the_limit_is_the_only_thing_cut() -> None:
    url = "https://example.com/" + "a" * 50
    chunks = chunk_text(f"see {url} ok", 20)
    assert all(len(c) <= 20 for c in chunks)
    assert "".join(chunks).replace(" ", "") == f"see{url}ok"


def test_rejects_a_nonsense_limit() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", 0)
