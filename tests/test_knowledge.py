"""Ingest and search: Markdown, HTML and text; FTS5 with user text safely escaped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from omnichannel.ingest.parsers import load_document, parse_html
from omnichannel.knowledge.model import builtin_helpcenter
from omnichannel.store import Store
from omnichannel.store.knowledge import fts_query
from tests.support import ROOT


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "state")
    s.open()
    yield s
    s.close()


def test_helpcenter_ships_every_topic() -> None:
    titles = {load_document(p).title for p in builtin_helpcenter().glob("*.md")}
    for topic in ("Shipping", "Delivery times", "Returns and refunds", "Exchanges", "Warranty",
                  "Sizing and fit", "Payment", "Changing or cancelling an order", "Contact us"):
        assert topic in titles


def test_html_headings_become_sections_and_scripts_vanish() -> None:
    title, sections = parse_html(
        "<html><head><title>Care guide</title><script>alert(1)</script></head><body>"
        "<h2>Washing</h2><p>Cold wash only.</p><h2>Drying</h2><p>Hang to dry.</p></body></html>",
        "fallback",
    )
    assert title == "Care guide"
    assert [(s.heading, s.body) for s in sections] == [
        ("Washing", "Cold wash only."), ("Drying", "Hang to dry.")]


@pytest.mark.parametrize("nasty", ['"', "NEAR(a b)", "a* OR b", "title:x", "(", "AND", "'; DROP",
                                   "ünïcödé ß", "\x00", "^", "-", "{x}"])
async def test_any_user_text_is_a_safe_query(store: Store, nasty: str) -> None:
    await store.search(nasty)  # never an FTS5 syntax error
    query = fts_query(nasty)
    assert query is None or all(part.startswith('"') for part in query.split(" OR "))


async def test_ingest_indexes_updates_and_finds(store: Store, tmp_path: Path) -> None:
    doc = tmp_path / "care.md"
    doc.write_text("# Product care\n\n## Waxing boots\n\nUse beeswax twice a season.\n")
    assert await store.index_document(load_document(doc))
    assert not await store.index_document(load_document(doc))  # unchanged: skipped
    hits = await store.search("how do I wax my boots")
    assert hits and hits[0].heading == "Waxing boots" and hits[0].title == "Product care"
    doc.write_text("# Product care\n\n## Waxing boots\n\nUse beeswax once a month.\n")
    assert await store.index_document(load_document(doc))
    hits = await store.search("beeswax")
    assert len(hits) == 1 and "once a month" in hits[0].body


def test_ingest_command_reports_progress_and_bad_files(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\n## One\n\nalpha text\n")
    (docs / "b.html").write_text("<h1>B</h1><p>beta text</p>")
    (docs / "c.txt").write_text("gamma text")
    (docs / "bad.md").write_bytes(b"# Bad\n\xff\xfe")
    (tmp_path / "config.toml").write_text('[store]\nstate_dir = "state"\n')
    result = subprocess.run(
        [sys.executable, "-m", "omnichannel", "--config", str(tmp_path / "config.toml"),
         "ingest", str(docs)], capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 1  # one file could not be read
    assert "not valid UTF-8" in result.stderr
    assert "3/4" in result.stderr or "4/4" in result.stderr  # the progress bar
    assert "4 files, 3 new or changed" in result.stdout


async def test_configured_knowledge_paths_sync_at_start(tmp_path: Path) -> None:
    from omnichannel.config import parse
    from omnichannel.gateway import index_knowledge

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "care.md").write_text("# Care\n\n## Waxing boots\n\nUse beeswax twice a season.\n")
    (docs / "old.txt").write_text("Our old warehouse address is 1 Nowhere Road.")
    config = parse(f'[knowledge]\npaths = ["{docs}"]\n', "t")
    s = Store(tmp_path / "state")
    s.open()
    try:
        await index_knowledge(s, config)
        assert (await s.search("beeswax"))[0].heading == "Waxing boots"
        assert any("Nowhere" in h.body for h in await s.search("warehouse Nowhere Road"))
        (docs / "old.txt").unlink()
        await index_knowledge(s, config)
        hits = await s.search("warehouse Nowhere Road")
        assert all(h.source.startswith("helpcenter/") for h in hits)  # the file left the index
    finally:
        s.close()
