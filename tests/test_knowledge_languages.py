"""Knowledge in several languages: stemming per language, search in the shopper's language
first, the shop's language when that has nothing, and the language of merchant documents."""

from __future__ import annotations

from pathlib import Path

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent.retrieval import Multilingual
from omnichannel.config import Config
from omnichannel.gateway import index_knowledge
from omnichannel.ingest.parsers import load_document
from omnichannel.ingest.sources import ingest_path
from omnichannel.knowledge.language import decide, from_path
from omnichannel.knowledge.model import Passage, builtin_helpcenter
from omnichannel.knowledge.ranking import rerank
from omnichannel.knowledge.stemming import PREFIX, stem
from omnichannel.store import Store
from omnichannel.store import knowledge as knowledge_sql
from omnichannel.store.knowledge import KnowledgeIndex, fts_query

HELP = builtin_helpcenter()


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "state")
    s.open()
    yield s
    s.close()


async def _index(store: Store, *names: str) -> None:
    """Index the demo articles `names` ("es/shipping.md"), each in its folder's language."""
    for name in names:
        doc = load_document(HELP / name, f"helpcenter/{name}")
        assert await store.index_document(decide(doc, "en"))


def test_every_article_is_translated_with_the_same_sections() -> None:
    for lang in ("es", "de", "fr"):
        for english in sorted(HELP.glob("*.md")):
            translated = HELP / lang / english.name
            assert translated.is_file(), f"{lang}/{english.name} is missing"
            ours, theirs = load_document(english), load_document(translated)
            assert len(ours.sections) == len(theirs.sections), translated
            assert ours.title != theirs.title, f"{translated} looks untranslated"


@pytest.mark.parametrize(("lang", "asked", "written"), [
    ("es", "reembolsar", "reembolso"),
    ("de", "rücksenden", "Rücksendung"),
    ("de", "erstatten", "Erstattung"),
    ("fr", "rembourser", "remboursement"),
    ("en", "refunded", "refunds"),
])
def test_snowball_stems_a_family_alike(lang: str, asked: str, written: str) -> None:
    assert stem(asked, lang) == stem(written.lower(), lang)


def test_spanish_devolver_reaches_devoluciones_by_the_stem_prefix() -> None:
    # Snowball keeps "devolv" and "devolu" apart; the query also asks for their first letters.
    assert stem("devolver", "es") != stem("devoluciones", "es")
    assert stem("devolver", "es")[:PREFIX] == stem("devoluciones", "es")[:PREFIX]
    assert '"devol"*' in (fts_query("devolver", "es") or "")


@pytest.mark.parametrize(("lang", "question", "word"), [
    ("es", "quiero devolver unas botas", "devoluciones"),
    ("de", "wie kann ich etwas zurücksenden", "Rücksendung"),
    ("fr", "comment me faire rembourser", "remboursement"),
])
async def test_a_question_finds_the_inflected_form_in_its_language(
    store: Store, tmp_path: Path, lang: str, question: str, word: str
) -> None:
    folder = tmp_path / "help" / lang
    folder.mkdir(parents=True)
    (folder / "a.md").write_text(f"# Info\n\n## {word.capitalize()}\n\nAlles über {word}.\n")
    (folder / "b.md").write_text("# Andere\n\n## Otro tema\n\nNada que ver.\n")
    await ingest_path(store, tmp_path / "help")
    hits = await KnowledgeIndex(store.db).search(question, 3, lang)
    assert hits and word in hits[0].body
    assert hits[0].language == lang


async def test_a_spanish_question_finds_the_spanish_article(store: Store) -> None:
    await _index(store, "returns-and-refunds.md", "shipping.md", "es/returns-and-refunds.md",
                 "es/shipping.md")
    knowledge = Multilingual(KnowledgeIndex(store.db), shop="en")
    with i18n.using("es"):
        hits = await knowledge.search("¿Cuándo recibiré mi reembolso?", 5)
        best = rerank("¿Cuándo recibiré mi reembolso?", hits)[0].passage
        assert {h.language for h in hits} == {"es"}
        assert best.title == "Devoluciones y reembolsos"
        assert best.heading == "¿Cuándo recibiré mi reembolso?"
        ship = await knowledge.search("¿Hacéis envíos a Canadá?", 3)
        assert ship[0].heading == "¿Hacéis envíos a Canadá?"
    with i18n.using("en"):
        hits = await knowledge.search("When will I get my refund?", 3)
        assert hits[0].language == "en" and hits[0].title == "Returns and refunds"


async def test_no_article_in_the_shoppers_language_falls_back_to_the_shops(
    store: Store,
) -> None:
    await _index(store, "payment.md", "es/payment.md")
    knowledge = Multilingual(KnowledgeIndex(store.db), shop="en")
    with i18n.using("it"):  # this help center has no Italian articles
        hits = await knowledge.search("Accettate PayPal o Apple Pay?", 3)
    assert hits and {h.language for h in hits} == {"en"}
    assert hits[0].title == "Payment"
    with i18n.using("es"):  # a Spanish article exists: no English passage comes back
        hits = await knowledge.search("¿Aceptáis PayPal o Apple Pay?", 3)
    assert hits and {h.language for h in hits} == {"es"}


async def test_nothing_good_in_the_shoppers_language_tries_the_shops(store: Store) -> None:
    await _index(store, "shipping.md", "es/payment.md")
    knowledge = Multilingual(KnowledgeIndex(store.db), shop="en")
    with i18n.using("es"):  # the Spanish help center has no shipping article
        hits = await knowledge.search("shipping Canada", 3)
    assert hits and hits[0].language == "en" and hits[0].title == "Shipping"


async def test_merchant_folder_languages_by_tag_folder_and_text(
    store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "help"
    (root / "de").mkdir(parents=True)
    (root / "de" / "versand.md").write_text(
        "# Versand\n\n## Wie lange dauert der Versand?\n\nDer Versand dauert drei Tage.\n")
    (root / "faq.md").write_text(
        "---\nlanguage: fr\ntitle: FAQ\n---\n# Questions\n\n## Livraison\n\n"
        "La livraison prend trois jours ouvrés.\n")
    (root / "page.html").write_text(
        '<html lang="es-MX"><head><title>Envíos</title></head><body><h2>Plazos</h2>'
        "<p>El envío tarda tres días.</p></body></html>")
    (root / "returns.md").write_text(
        "# Returns\n\n## How do I return an item?\n\nWrite to us within thirty days of "
        "delivery and we will send you a free return label for the parcel.\n")
    (root / "notes.txt").write_text("ok")  # too short to tell: the shop's language
    await ingest_path(store, root, language="nl")
    passages = await store.db.read(knowledge_sql.all_passages)
    by_file = {Path(p.source).name: p.language for p in passages}
    assert by_file == {"versand.md": "de", "faq.md": "fr", "page.html": "es",
                       "returns.md": "en", "notes.txt": "nl"}
    faq = next(p for p in passages if p.source.endswith("faq.md"))
    assert "language:" not in faq.body  # front matter is not text
    assert await store.db.read(knowledge_sql.languages) == ["de", "en", "es", "fr", "nl"]
    with i18n.using("de"):
        hits = await Multilingual(KnowledgeIndex(store.db), shop="en").search(
            "Wie lange dauert der Versand?", 3)
    assert hits[0].source.endswith("versand.md") and hits[0].language == "de"


def test_language_folders_in_paths_and_zips() -> None:
    assert from_path("/srv/help/pt-BR/trocas.md") == "pt"
    assert from_path("/srv/export.zip!/it/resi.html") == "it"
    assert from_path("/srv/help/returns.md") is None
    assert from_path("https://shop.example/fr/aide/livraison") == "fr"


async def test_the_demo_help_center_is_indexed_in_each_language(store: Store) -> None:
    await index_knowledge(store, Config())
    langs = set(await store.db.read(knowledge_sql.languages))
    assert {"en", "es", "de", "fr"} <= langs
    english = [p for p in await store.db.read(knowledge_sql.all_passages, "en")
               if "/" in p.source.removeprefix("helpcenter/")]
    assert english == []  # English articles stay at the top of helpcenter/
    assert await store.index_document(decide(load_document(HELP / "es" / "sizing.md",
                                                           "helpcenter/es/sizing.md"))) is False


def test_rerank_compares_in_the_passages_language() -> None:
    es = Passage("Tallas y ajuste", "¿Cómo elijo la talla de unas botas?",
                 "Mide la longitud de tu pie por la tarde.", "x", 1.0, "es")
    (r,) = rerank("¿qué talla de botas elijo?", [es])
    assert r.heading_overlap > 0.5 and r.coverage == 1.0
